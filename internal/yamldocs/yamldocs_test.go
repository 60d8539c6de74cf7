package yamldocs

import (
	"errors"
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
		{"not YAML", "apiVersion: [a\n", nil, "", "document 1 of the file is not valid YAML"},
		{"third document not YAML", "apiVersion: a/v1\nkind: A\n---\n  \n---\n---\nkind: [\n", nil, "", "document 3 of the file is not valid YAML"},
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

func TestJoinNothingIsAnEmptyFile(t *testing.T) {
	if b := Join(); b == nil || len(b) != 0 {
		t.Errorf("Join() = %#v, want an empty, non-nil file", b)
	}
}

// TestSplitDocError: the error carries the bad document, so a caller can
// tell whose it is and name it.
func TestSplitDocError(t *testing.T) {
	bad := "apiVersion: b/v1\nkind: B\nx: [\n"
	_, err := Split([]byte("apiVersion: a/v1\nkind: A\n---\n" + bad))
	var de *DocError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want a *DocError", err, err)
	}
	if de.Index != 2 || string(de.Raw) != bad || de.Err == nil {
		t.Errorf("DocError{Index: %d, Raw: %q, Err: %v}, want document 2 %q with the YAML error", de.Index, de.Raw, de.Err, bad)
	}
}
