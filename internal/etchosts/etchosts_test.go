package etchosts

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const marker = "kubeadm-locallb"

var vip = netip.MustParseAddr("10.103.97.2")

func hostsFile(t *testing.T, content string) File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hosts")
	if content != "\x00absent" {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return File{Path: p, Marker: marker}
}

func read(t *testing.T, f File) string {
	t.Helper()
	b, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEnsureAndRemove(t *testing.T) {
	ours := "10.103.97.2 apiserver.cluster.local # kubeadm-locallb\n"
	tests := []struct {
		name, before, afterEnsure, afterRemove string
		changed                                bool
	}{
		{"typical", "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n", "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n" + ours, "127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n", true},
		{"no trailing newline", "127.0.0.1 localhost", "127.0.0.1 localhost\n" + ours, "127.0.0.1 localhost\n", true},
		{"empty", "", ours, "", true},
		{"absent", "\x00absent", ours, "", true},
		{"already mapped by the user", "# comment\n10.103.97.2   apiserver.cluster.local  # user\n", "# comment\n10.103.97.2   apiserver.cluster.local  # user\n", "# comment\n10.103.97.2   apiserver.cluster.local  # user\n", false},
		{"already ours", "a b\n" + ours + "c d\n", "a b\n" + ours + "c d\n", "a b\nc d\n", false},
		{"ours with an old VIP", "a b\n10.103.97.9 apiserver.cluster.local # kubeadm-locallb\r\nc d  \n", "a b\nc d  \n" + ours, "a b\nc d  \n", true},
		{"CRLF kept", "127.0.0.1 localhost\r\n", "127.0.0.1 localhost\r\n" + ours, "127.0.0.1 localhost\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := hostsFile(t, tt.before)
			changed, err := f.Ensure(vip, "apiserver.cluster.local")
			if err != nil {
				t.Fatal(err)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			if tt.before == "\x00absent" && !tt.changed {
				return
			}
			if got := read(t, f); got != tt.afterEnsure {
				t.Errorf("after Ensure:\n%q\nwant\n%q", got, tt.afterEnsure)
			}
			if changed, err := f.Ensure(vip, "apiserver.cluster.local"); err != nil || changed {
				t.Errorf("second Ensure: changed=%v err=%v, want no change", changed, err)
			}
			if _, err := f.Remove(); err != nil {
				t.Fatal(err)
			}
			if got := read(t, f); got != tt.afterRemove {
				t.Errorf("after Remove:\n%q\nwant\n%q", got, tt.afterRemove)
			}
			if removed, err := f.Remove(); err != nil || removed != nil {
				t.Errorf("second Remove: removed=%v err=%v, want nothing", removed, err)
			}
		})
	}
}

func TestEnsureRefusesAForeignMapping(t *testing.T) {
	before := "10.103.97.200 apiserver.cluster.local\n"
	f := hostsFile(t, before)
	_, err := f.Ensure(vip, "apiserver.cluster.local")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "line 1 maps apiserver.cluster.local to 10.103.97.200") {
		t.Fatalf("Ensure over a foreign mapping: %v", err)
	}
	if got := read(t, f); got != before {
		t.Errorf("file changed on error: %q", got)
	}
}

func TestEnsureKeepsModeAndFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real-hosts")
	if err := os.WriteFile(target, []byte("127.0.0.1 localhost\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "hosts")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	f := File{Path: link, Marker: marker}
	if _, err := f.Ensure(vip, "apiserver.cluster.local"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced: %v %v", st, err)
	}
	st, err := os.Stat(target)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 (%v)", st.Mode(), err)
	}
	if got := read(t, File{Path: target}); !strings.Contains(got, "apiserver.cluster.local # kubeadm-locallb") {
		t.Errorf("target not updated: %q", got)
	}
}

func TestLookup(t *testing.T) {
	f := hostsFile(t, "# 10.0.0.1 x\n10.0.0.2 a X b\nbad x\n10.0.0.3 X # kubeadm-locallb\n")
	got, err := f.Lookup("x")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{Addr: netip.MustParseAddr("10.0.0.2"), Name: "X", Line: 2}, {Addr: netip.MustParseAddr("10.0.0.3"), Name: "X", Line: 4, Ours: true}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Lookup = %+v, want %+v", got, want)
	}
}

func TestOursListsWhatRemoveRemoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	data := "127.0.0.1 localhost\n10.103.97.2 apiserver.cluster.local # sealkube-kubeadm\r\n10.0.0.1 other # not ours\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	f := File{Path: path, Marker: "sealkube-kubeadm"}
	ours, err := f.Ours()
	if err != nil {
		t.Fatal(err)
	}
	removed, err := f.Remove()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.103.97.2 apiserver.cluster.local # sealkube-kubeadm"}
	if !slices.Equal(ours, want) || !slices.Equal(removed, want) {
		t.Fatalf("Ours %q, Remove %q, want both %q", ours, removed, want)
	}
	if ours, err := (File{Path: filepath.Join(t.TempDir(), "missing"), Marker: "m"}).Ours(); err != nil || ours != nil {
		t.Fatalf("missing file: %q, %v", ours, err)
	}
}
