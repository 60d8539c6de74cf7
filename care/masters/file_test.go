package masters

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFileRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "masters.json")
	in := document{Updated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seed: aps(mB, mA), Masters: aps(mC, "[fd00::1]:6443", mA, mC)}
	if err := writeFile(p, in); err != nil {
		t.Fatal(err)
	}
	got, err := readFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != FileVersion || got.Source != SourceCluster || !got.Updated.Equal(in.Updated) ||
		!slices.Equal(got.Seed, aps(mA, mB)) || !slices.Equal(got.Masters, aps(mA, mC, "[fd00::1]:6443")) {
		t.Fatalf("read back %+v, wrote %+v", got, in)
	}
	raw, _ := os.ReadFile(p)
	if !strings.Contains(string(raw), `"version": 1`) || !strings.Contains(string(raw), `"10.0.0.3:6443"`) {
		t.Fatalf("the document is not the readable JSON expected:\n%s", raw)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestReadFileRejects(t *testing.T) {
	cases := []struct {
		name, content, wantErr string
	}{
		{"not JSON", "{\"version\": 1, \"mas", "not a JSON document"},
		{"empty", "", "not a JSON document"},
		{"newer version", `{"version": 2, "layout": "other"}`, "version 2, newer than this lvscare reads (1)"},
		{"no version", `{"source": "cluster", "masters": ["10.0.0.1:6443"]}`, "version 0, want 1"},
		{"bad address", `{"version": 1, "source": "cluster", "masters": ["10.0.0.1"]}`, "not a valid version 1 document"},
		{"address without port", `{"version": 1, "source": "cluster", "masters": ["10.0.0.1:0"]}`, "without a port"},
		{"not from the cluster", `{"version": 1, "source": "flags", "masters": ["10.0.0.1:6443"]}`, `source "flags"`},
		{"no master", `{"version": 1, "source": "cluster", "masters": []}`, "lists no master"},
		{"huge", `{"version": 1, "pad": "` + strings.Repeat("x", maxFileSize) + `"}`, "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "masters.json")
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readFile(p)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, p, c.wantErr)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if _, err := readFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("unknown fields of the same version are tolerated", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "masters.json")
		os.WriteFile(p, []byte(`{"version": 1, "source": "cluster", "masters": ["10.0.0.1:6443"], "note": "x"}`), 0o644)
		if d, err := readFile(p); err != nil || !slices.Equal(d.Masters, aps(mA)) {
			t.Fatalf("readFile = %+v, %v", d, err)
		}
	})
}

// A failed write leaves the old document in place, whole, and no
// temporary file behind. The failure is real: the name is so long that the
// temporary file next to it (".<name>.tmp-<n>") cannot be created.
func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, strings.Repeat("m", 250))
	old := document{Updated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seed: aps(mA), Masters: aps(mA, mB)}
	data := `{"version": 1, "source": "cluster", "updated": "2026-01-01T00:00:00Z", "seed": ["10.0.0.1:6443"], "masters": ["10.0.0.1:6443", "10.0.0.2:6443"]}`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFile(p, document{Updated: time.Now(), Seed: aps(mA), Masters: aps(mC)})
	if err == nil || !strings.Contains(err.Error(), "persisting the list of masters") {
		t.Fatalf("writeFile = %v, want a failure (the temporary name is too long)", err)
	}
	got, err := readFile(p)
	if err != nil || !slices.Equal(got.Masters, old.Masters) {
		t.Fatalf("after the failed write: %+v, %v; want the old masters %v", got, err, old.Masters)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the directory holds %d entries, want only the old file", len(entries))
	}
}
