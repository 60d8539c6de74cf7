package vmconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	want := Config{Nonce: "n1", Modules: []string{ModulesDir + "/ip_vs.ko"}, TestArgs: []string{"-test.run", "X"}, TestTimeout: Duration(90 * time.Second)}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"testTimeout":"1m30s"`) {
		t.Errorf("marshalled %s, want a readable duration", b)
	}
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Read() = %+v, want %+v", got, want)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"bad duration", `{"nonce":"n","testTimeout":"soon"}`, `duration "soon"`},
		{"numeric duration", `{"nonce":"n","testTimeout":90}`, "must be a string"},
		{"no nonce", `{"testTimeout":"1s"}`, "empty nonce"},
		{"no timeout", `{"nonce":"n"}`, "must be positive"},
		{"not json", `nope`, "parsing vm config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.json")
			if err := os.WriteFile(p, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(p); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read() error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Read(missing) error = nil")
	}
}
