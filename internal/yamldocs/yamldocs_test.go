package yamldocs

import (
	"strings"
	"testing"
)

func TestSplitJoin(t *testing.T) {
	tests := []struct {
		name, in  string
		wantKinds []string
		wantOut   string // Join of the documents; "" means the input
		wantErr   string
	}{
		{"two documents, bytes kept", "apiVersion: a/v1\nkind: A\nx:   1 # note\n---\napiVersion: b/v1\nkind: B\n", []string{"A", "B"}, "", ""},
		{"empty documents dropped", "apiVersion: a/v1\nkind: A\n---\n\n---\n", []string{"A"}, "apiVersion: a/v1\nkind: A\n", ""},
		{"missing final newline", "apiVersion: a/v1\nkind: A", []string{"A"}, "apiVersion: a/v1\nkind: A\n", ""},
		{"not YAML", "apiVersion: [a\n", nil, "", "a document is not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Split([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			var raws [][]byte
			for _, d := range docs {
				kinds = append(kinds, d.Kind)
				raws = append(raws, d.Raw)
			}
			if strings.Join(kinds, ",") != strings.Join(tt.wantKinds, ",") {
				t.Errorf("kinds %q, want %q", kinds, tt.wantKinds)
			}
			want := tt.wantOut
			if want == "" {
				want = tt.in
			}
			if got := string(Join(raws...)); got != want {
				t.Errorf("Join = %q, want %q", got, want)
			}
		})
	}
}
