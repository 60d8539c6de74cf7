package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/hack/vm/kmod"
	"github.com/sealkube/kubeadm/hack/vm/vmconfig"
)

func TestXZOffsets(t *testing.T) {
	magic := string(xzMagic)
	tests := []struct {
		in   string
		want []int
	}{
		{"", nil},
		{"no magic here", nil},
		{magic + "payload", []int{0}},
		{"MZ....." + magic + "xx" + magic, []int{7, 15}},
	}
	for _, tc := range tests {
		if got := xzOffsets([]byte(tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("xzOffsets(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func note(name string, typ uint32, desc []byte) []byte {
	var b bytes.Buffer
	n := append([]byte(name), 0)
	binary.Write(&b, binary.LittleEndian, uint32(len(n)))
	binary.Write(&b, binary.LittleEndian, uint32(len(desc)))
	binary.Write(&b, binary.LittleEndian, typ)
	pad := func(p []byte) []byte { return append(p, make([]byte, (4-len(p)%4)%4)...) }
	b.Write(pad(n))
	b.Write(pad(desc))
	return b.Bytes()
}

func TestHasNote(t *testing.T) {
	gnu := note("GNU", 3, []byte{1, 2, 3, 4, 5})
	pvh := note("Xen", 18, []byte{0, 0, 0, 1})
	otherXen := note("Xen", 5, []byte("linux"))
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"pvh after others", append(append(append([]byte{}, gnu...), otherXen...), pvh...), true},
		{"only other notes", append(append([]byte{}, gnu...), otherXen...), false},
		{"truncated", pvh[:len(pvh)-2], false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		if got := hasNote(tc.data, binary.LittleEndian, "Xen", 18); got != tc.want {
			t.Errorf("%s: hasNote = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestBuildInitramfs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "vminit"), "INIT-BINARY")
	writeFile(t, filepath.Join(dir, "ip_vs.ko"), "IPVS-MODULE")
	tests := filepath.Join(dir, "tests")
	writeFile(t, filepath.Join(tests, "b", "b.test"), "B-TEST")
	writeFile(t, filepath.Join(tests, "a", "a.test"), "A-TEST")
	writeFile(t, filepath.Join(tests, "a", "testdata", "in.txt"), "DATA")
	out := filepath.Join(dir, "initramfs.cpio")
	spec := initramfsSpec{
		vminit:   filepath.Join(dir, "vminit"),
		modules:  []kmod.Module{{Name: "crc32c", Builtin: true}, {Name: "ip_vs", Path: filepath.Join(dir, "ip_vs.ko")}},
		testsDir: tests,
		cfg:      vmconfig.Config{Nonce: "n0nce", TestTimeout: vmconfig.Duration(time.Minute)},
	}
	names, err := buildInitramfs(out, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("names = %q, want [a b]", names)
	}
	archive, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"dev/console\x00", "init\x00", "INIT-BINARY", "etc/hosts\x00",
		"lib/modules/vmtest/ip_vs.ko\x00", "IPVS-MODULE",
		"tests/a/a.test\x00", "tests/a/testdata/in.txt\x00", "DATA", "tests/b/b.test\x00",
		`"nonce": "n0nce"`, `"/lib/modules/vmtest/ip_vs.ko"`, "TRAILER!!!\x00",
	} {
		if !bytes.Contains(archive, []byte(want)) {
			t.Errorf("initramfs lacks %q", want)
		}
	}
	if bytes.Contains(archive, []byte("crc32c.ko")) {
		t.Error("initramfs contains a built-in module")
	}
	// dev/console must be a character device 5:1: mode 020600.
	i := bytes.Index(archive, []byte("dev/console\x00"))
	hdr := string(archive[i-110 : i])
	if mode := hdr[14:22]; mode != "00002180" {
		t.Errorf("dev/console mode field = %s, want 00002180 (char device 0600)", mode)
	}
	if rdev := hdr[78:94]; rdev != "0000000500000001" {
		t.Errorf("dev/console rdev fields = %s, want 5:1", rdev)
	}
}

func TestBuildInitramfsErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "vminit"), "INIT")
	emptyTests := filepath.Join(dir, "empty")
	if err := os.Mkdir(emptyTests, 0o755); err != nil {
		t.Fatal(err)
	}
	noBinary := filepath.Join(dir, "nobin")
	writeFile(t, filepath.Join(noBinary, "x", "other"), "")
	okTests := filepath.Join(dir, "tests-ok")
	writeFile(t, filepath.Join(okTests, "a", "a.test"), "A")
	tests := []struct {
		name string
		spec initramfsSpec
		want string
	}{
		{"no tests", initramfsSpec{vminit: filepath.Join(dir, "vminit"), testsDir: emptyTests}, "no test binaries"},
		{"dir without binary", initramfsSpec{vminit: filepath.Join(dir, "vminit"), testsDir: noBinary}, "has no test binary"},
		{"missing init", initramfsSpec{vminit: filepath.Join(dir, "nope"), testsDir: okTests}, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "i.cpio")
			_, err := buildInitramfs(out, tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("buildInitramfs error = %v, want it to contain %q", err, tc.want)
			}
			if _, statErr := os.Stat(out); tc.name == "missing init" && statErr == nil {
				t.Error("a failed build left a partial initramfs behind")
			}
		})
	}
}

func TestQemuArgs(t *testing.T) {
	o := runOptions{kernel: "/k", initrd: "/i", smp: 2, mem: "512M", accel: "tcg", appendArgs: "foo=1"}
	got := strings.Join(qemuArgs(o), " ")
	for _, want := range []string{"-accel tcg", "-smp 2", "-m 512M", "-no-reboot", "-serial stdio", "-kernel /k", "-initrd /i", "console=ttyS0 panic=-1 quiet mitigations=off no_timer_check foo=1"} {
		if !strings.Contains(got, want) {
			t.Errorf("qemu args %q lack %q", got, want)
		}
	}
}
