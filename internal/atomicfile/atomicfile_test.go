package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.yaml")
	steps := []struct {
		data        string
		perm        os.FileMode
		wantChanged bool
	}{
		{"a", 0o600, true},
		{"a", 0o600, false}, // same content and mode: untouched
		{"b", 0o600, true},
		{"b", 0o644, true}, // mode differs: rewritten
		{"b", 0o644, false},
	}
	for i, s := range steps {
		var mtime time.Time
		if st, err := os.Stat(p); err == nil {
			mtime = st.ModTime()
			// Make a rewrite visible even on coarse-mtime filesystems.
			old := mtime.Add(-time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
			mtime = old
		}
		changed, err := WriteFile(p, []byte(s.data), s.perm)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if changed != s.wantChanged {
			t.Fatalf("step %d: changed=%v, want %v", i, changed, s.wantChanged)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != s.data || st.Mode().Perm() != s.perm {
			t.Fatalf("step %d: content %q mode %v, want %q %v", i, got, st.Mode().Perm(), s.data, s.perm)
		}
		if !s.wantChanged && !st.ModTime().Equal(mtime) {
			t.Fatalf("step %d: unchanged file was rewritten (mtime %v -> %v)", i, mtime, st.ModTime())
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("step %d: directory holds %d entries, want only the file (temp files left?)", i, len(entries))
		}
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope", "f")
	if _, err := WriteFile(p, []byte("x"), 0o600); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}
