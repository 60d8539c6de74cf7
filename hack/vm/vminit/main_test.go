package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/hack/vm/vmconfig"
)

func TestTestBinaries(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"b_pkg", "a_pkg"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "stray-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := testBinaries(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a_pkg", "b_pkg"}; !reflect.DeepEqual(got, want) {
		t.Errorf("testBinaries() = %q, want %q", got, want)
	}
	if _, err := testBinaries(filepath.Join(dir, "missing")); err == nil {
		t.Error("testBinaries(missing dir) error = nil")
	}
}

func TestSystemMountsOrder(t *testing.T) {
	pos := map[string]int{}
	for i, m := range systemMounts() {
		pos[m.target] = i
	}
	for _, pair := range [][2]string{{"/dev", "/dev/shm"}, {"/sys", "/sys/fs/cgroup"}, {"/sys", "/sys/fs/bpf"}} {
		if pos[pair[0]] >= pos[pair[1]] {
			t.Errorf("%s must be mounted before %s", pair[0], pair[1])
		}
	}
}

// TestRunTest runs a stand-in test binary (a shell script) that checks the
// arguments, working directory and environment vminit gives it.
func TestRunTest(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("needs /bin/sh for the stand-in test binary")
	}
	script := `#!/bin/sh
[ "$*" = "-test.v -test.run Integration -test.timeout 1m0s -test.run Other" ] || { echo "bad args: $*"; exit 3; }
case "$(pwd)" in */pkg) ;; *) echo "bad dir: $(pwd)"; exit 4 ;; esac
[ "$VMTEST" = 1 ] && [ "$TMPDIR" = /tmp ] || { echo "bad env"; exit 5; }
[ -f marker-pass ]
`
	tests := []struct {
		name     string
		withPass bool
		want     bool
	}{
		{"passes", true, true},
		{"fails", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "pkg", "pkg.test")
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.withPass {
				if err := os.WriteFile(filepath.Join(dir, "pkg", "marker-pass"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := vmconfig.Config{Nonce: "n", TestArgs: []string{"-test.run", "Other"}, TestTimeout: vmconfig.Duration(time.Minute)}
			if got := runTest(dir, "pkg", cfg); got != tc.want {
				t.Errorf("runTest() = %v, want %v", got, tc.want)
			}
		})
	}
}
