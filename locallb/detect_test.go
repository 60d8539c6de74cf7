package locallb

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeKernel lays out a fake root: modules.dep, modules.builtin and a
// /sys/module entry per loaded module. Its Init "loads" a module by
// creating that entry, and creates /proc/net/ip_vs when ip_vs loads.
type fakeKernel struct {
	root   string
	loaded []string
	fail   map[string]error
}

const testRelease = "6.1.0-test-amd64"

func newFakeKernel(t *testing.T, dep, builtin string, loaded ...string) *fakeKernel {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "lib/modules", testRelease)
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte(builtin), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "proc/net"), 0o755))
	fk := &fakeKernel{root: root, fail: map[string]error{}}
	for _, m := range loaded {
		fk.mark(t, m)
	}
	return fk
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fakeKernel) mark(t *testing.T, name string) {
	must(t, os.MkdirAll(filepath.Join(f.root, "sys/module", name), 0o755))
	if name == "ip_vs" {
		must(t, os.WriteFile(filepath.Join(f.root, "proc/net/ip_vs"), nil, 0o644))
	}
}

func (f *fakeKernel) modules(t *testing.T) KernelModules {
	return KernelModules{Root: f.root, Release: testRelease, Init: func(path string, compressed bool) error {
		name := moduleName(path)
		if !strings.HasPrefix(path, filepath.Join(f.root, "lib/modules", testRelease)) {
			t.Errorf("Init(%q) outside the module tree", path)
		}
		if compressed != strings.HasSuffix(path, ".xz") {
			t.Errorf("Init(%q, compressed=%v)", path, compressed)
		}
		if err := f.fail[name]; err != nil {
			return err
		}
		f.loaded = append(f.loaded, name)
		f.mark(t, name)
		return nil
	}}
}

const debianDep = `kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz kernel/net/netfilter/nf_conntrack.ko.xz kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/netfilter/nf_conntrack.ko.xz: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz kernel/lib/libcrc32c.ko.xz
kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko.xz:
kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko.xz:
kernel/lib/libcrc32c.ko.xz:
`

func TestDetectIPVSLoadsModulesDependenciesFirst(t *testing.T) {
	fk := newFakeKernel(t, debianDep, "kernel/lib/libcrc32c.ko\n")
	if err := DetectIPVS(fk.modules(t)); err != nil {
		t.Fatal(err)
	}
	want := []string{"nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr"}
	if !reflect.DeepEqual(fk.loaded, want) {
		t.Fatalf("load order = %v, want %v (libcrc32c is built in)", fk.loaded, want)
	}
	// Everything loaded now: a second detection loads nothing.
	fk.loaded = nil
	if err := DetectIPVS(fk.modules(t)); err != nil || fk.loaded != nil {
		t.Fatalf("second detection: err=%v loaded=%v", err, fk.loaded)
	}
}

func TestDetectIPVSFailures(t *testing.T) {
	tests := []struct {
		name    string
		dep     string
		loaded  []string
		fail    map[string]error
		noIndex bool
		want    []string
	}{
		{
			name: "module missing from the index", dep: "kernel/net/netfilter/nf_conntrack.ko:\n",
			want: []string{"/proc/net/ip_vs is missing", "modules not loaded: ip_vs, ip_vs_rr", "module ip_vs is not in", "modprobe ip_vs ip_vs_rr nf_conntrack", "/etc/modules-load.d/", "use the nftables backend"},
		},
		{
			name: "finit_module refused", dep: debianDep, fail: map[string]error{"ip_vs": errors.New("operation not permitted")},
			want: []string{"modules not loaded: ip_vs, ip_vs_rr", "loading module ip_vs for ip_vs: operation not permitted", "modprobe ip_vs ip_vs_rr nf_conntrack"},
		},
		{
			name: "no module tree", noIndex: true,
			want: []string{"modules not loaded: ip_vs, ip_vs_rr, nf_conntrack", "reading the module index", "modprobe ip_vs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk := newFakeKernel(t, tt.dep, "", tt.loaded...)
			if tt.noIndex {
				must(t, os.RemoveAll(filepath.Join(fk.root, "lib/modules")))
			}
			for k, v := range tt.fail {
				fk.fail[k] = v
			}
			err := DetectIPVS(fk.modules(t))
			if !errors.Is(err, ErrIPVSUnavailable) {
				t.Fatalf("err = %v, want ErrIPVSUnavailable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestKernelModulesLoadedBuiltin(t *testing.T) {
	fk := newFakeKernel(t, "", "kernel/net/netfilter/ipvs/ip_vs_rr.ko\nkernel/net/netfilter/nf_conntrack.ko\n", "ip_vs")
	k := fk.modules(t)
	for _, m := range []string{"ip_vs", "ip_vs_rr", "nf_conntrack", "nf-conntrack"} {
		if !k.Loaded(m) {
			t.Errorf("Loaded(%q) = false", m)
		}
	}
	if k.Loaded("ip_vs_wlc") {
		t.Error("Loaded(ip_vs_wlc) = true")
	}
	if err := DetectIPVS(k); err != nil || fk.loaded != nil {
		t.Fatalf("all present: err=%v loaded=%v", err, fk.loaded)
	}
}

// fakeModprobe stands in for modprobe(8) on fk: it "loads" a module with
// its dependencies from modules.dep, or fails with output, or (noop) does
// nothing and succeeds, as an `install <module> /bin/true` rule makes it.
type fakeModprobe struct {
	fk    *fakeKernel
	calls [][]string
	fail  map[string]string // module -> output of a failing run
	noop  map[string]bool
}

func (m *fakeModprobe) modprobe(t *testing.T, present bool) *Modprobe {
	return &Modprobe{
		LookPath: func() (string, error) {
			if !present {
				return "", errors.New(`exec: "modprobe": executable file not found in $PATH`)
			}
			return "/usr/sbin/modprobe", nil
		},
		Run: func(path string, args ...string) ([]byte, error) {
			m.calls = append(m.calls, append([]string{path}, args...))
			if len(args) != 1 {
				t.Errorf("modprobe %v: want one module per run", args)
				return nil, errors.New("usage")
			}
			n := args[0]
			if out, ok := m.fail[n]; ok {
				return []byte(out), errors.New("exit status 1")
			}
			if !m.noop[n] {
				for _, d := range []string{"nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", n} {
					if n == "ip_vs" || n == "ip_vs_rr" || d == n {
						m.fk.mark(t, d)
					}
				}
			}
			return nil, nil
		},
	}
}

func TestKernelModulesModprobe(t *testing.T) {
	tests := []struct {
		name       string
		present    bool
		fail       map[string]string
		noop       map[string]bool
		initFail   map[string]error
		wantCalls  []string // modules modprobe was run for
		wantDirect []string // modules loaded with finit_module
		wantErr    []string
	}{
		{
			name: "modprobe present: used, no direct load", present: true,
			wantCalls: []string{"ip_vs", "ip_vs_rr"}, // nf_conntrack came with ip_vs
		},
		{
			name:       "modprobe absent: finit_module, dependencies first",
			wantDirect: []string{"nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr"},
		},
		{
			name: "modprobe fails: the direct load takes over", present: true,
			fail:       map[string]string{"ip_vs": "modprobe: ERROR: could not insert 'ip_vs': Exec format error", "ip_vs_rr": "modprobe: ERROR: ip_vs_rr", "nf_conntrack": "modprobe: ERROR: nf_conntrack"},
			wantCalls:  []string{"ip_vs", "ip_vs_rr", "nf_conntrack"},
			wantDirect: []string{"nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr"},
		},
		{
			name: "modprobe and the direct load fail: both reported", present: true,
			fail: map[string]string{
				"ip_vs":    "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0-test-amd64",
				"ip_vs_rr": "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0-test-amd64",
			},
			initFail:  map[string]error{"ip_vs": errors.New("invalid argument")},
			wantCalls: []string{"ip_vs", "ip_vs_rr", "nf_conntrack"}, wantDirect: []string{"nf_defrag_ipv4", "nf_defrag_ipv6"},
			wantErr: []string{"loading module ip_vs: `/usr/sbin/modprobe ip_vs` failed: exit status 1: modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0-test-amd64",
				"loading it directly failed too: loading module ip_vs for ip_vs: invalid argument"},
		},
		{
			// An administrator disabled the module in /etc/modprobe.d: not
			// loaded behind modprobe's back.
			name: "modprobe succeeds without loading", present: true, noop: map[string]bool{"ip_vs": true, "ip_vs_rr": true},
			wantCalls: []string{"ip_vs", "ip_vs_rr", "nf_conntrack"},
			wantErr:   []string{"loading module ip_vs: `/usr/sbin/modprobe ip_vs` succeeded but the module is not loaded; check /etc/modprobe.d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk := newFakeKernel(t, debianDep, "kernel/lib/libcrc32c.ko\n")
			for k, v := range tt.initFail {
				fk.fail[k] = v
			}
			mp := &fakeModprobe{fk: fk, fail: tt.fail, noop: tt.noop}
			k := fk.modules(t)
			k.Modprobe = mp.modprobe(t, tt.present)
			err := k.Load(IPVSModules()...)
			var calls []string
			for _, c := range mp.calls {
				if c[0] != "/usr/sbin/modprobe" {
					t.Errorf("ran %q, want the looked-up modprobe", c[0])
				}
				calls = append(calls, c[1:]...)
			}
			if !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("modprobe runs = %v, want %v", calls, tt.wantCalls)
			}
			if !reflect.DeepEqual(fk.loaded, tt.wantDirect) {
				t.Errorf("direct loads = %v, want %v", fk.loaded, tt.wantDirect)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				for _, m := range IPVSModules() {
					if !k.Loaded(m) {
						t.Errorf("%s not loaded", m)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want an error with %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
