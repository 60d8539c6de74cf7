package kmod

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDepends(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"license=GPL\x00depends=nf_conntrack,libcrc32c,nf_defrag_ipv6\x00intree=Y\x00", []string{"nf_conntrack", "libcrc32c", "nf_defrag_ipv6"}},
		{"alias=veth\x00depends=\x00", nil},
		{"license=GPL\x00", nil},
		{"", nil},
	}
	for _, tc := range tests {
		if got := ParseDepends([]byte(tc.in)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseDepends(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// fakeTree writes empty .ko files and a modules.builtin, and answers
// dependencies from a map instead of parsing ELF.
func fakeTree(t *testing.T, deps map[string][]string, builtin ...string) *Tree {
	t.Helper()
	dir := t.TempDir()
	for name := range deps {
		p := filepath.Join(dir, "kernel", "net", name+".ko")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var lines []string
	for _, b := range builtin {
		lines = append(lines, "kernel/net/"+b+".ko")
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree.deps = func(path string) ([]string, error) {
		return deps[strings.TrimSuffix(filepath.Base(path), ".ko")], nil
	}
	return tree
}

func TestPlan(t *testing.T) {
	debian := map[string][]string{
		"crc32c_generic": nil,
		"libcrc32c":      nil,
		"nf_defrag_ipv4": nil,
		"nf_defrag_ipv6": nil,
		"nf_conntrack":   {"nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c"},
		"ip_vs":          {"nf_conntrack", "libcrc32c", "nf_defrag_ipv6"},
		"ip_vs_rr":       {"ip_vs"},
		"veth":           nil,
	}
	tests := []struct {
		name    string
		deps    map[string][]string
		builtin []string
		wanted  []string
		want    []string // names; "+" suffix marks built-in
		wantErr string
	}{
		{
			name:   "dependencies first, each once",
			deps:   debian,
			wanted: []string{"crc32c_generic", "ip_vs_rr", "veth", "ip_vs"},
			want:   []string{"crc32c_generic", "nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c", "nf_conntrack", "ip_vs", "ip_vs_rr", "veth"},
		},
		{
			name:   "dash and underscore are the same",
			deps:   debian,
			wanted: []string{"ip-vs-rr"},
			want:   []string{"nf_defrag_ipv4", "nf_defrag_ipv6", "libcrc32c", "nf_conntrack", "ip_vs", "ip_vs_rr"},
		},
		{
			name:    "built-in dependency",
			deps:    map[string][]string{"ip_vs": {"nf_conntrack"}},
			builtin: []string{"nf_conntrack"},
			wanted:  []string{"ip_vs"},
			want:    []string{"nf_conntrack+", "ip_vs"},
		},
		{
			name:    "missing module",
			deps:    map[string][]string{"ip_vs": {"nf_conntrack"}},
			wanted:  []string{"ip_vs"},
			wantErr: `kernel module "nf_conntrack" (needed by ip_vs -> nf_conntrack) is neither`,
		},
		{
			name:    "cycle",
			deps:    map[string][]string{"a": {"b"}, "b": {"a"}},
			wanted:  []string{"a"},
			wantErr: "cycle: a -> b -> a",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := fakeTree(t, tc.deps, tc.builtin...).Plan(tc.wanted)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Plan() error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan() error = %v", err)
			}
			var got []string
			for _, m := range plan {
				n := m.Name
				if m.Builtin {
					n += "+"
					if m.Path != "" {
						t.Errorf("built-in %s has path %q", m.Name, m.Path)
					}
				} else if filepath.Base(m.Path) != m.Name+".ko" {
					t.Errorf("module %s has path %q", m.Name, m.Path)
				}
				got = append(got, n)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, "kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), "no kernel modules") {
		t.Errorf("Open(empty) error = %v, want 'no kernel modules'", err)
	}
	xz := t.TempDir()
	if err := os.MkdirAll(filepath.Join(xz, "kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(xz, "kernel", "ip_vs.ko.xz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(xz); err == nil || !strings.Contains(err.Error(), "compressed") {
		t.Errorf("Open(xz) error = %v, want 'compressed'", err)
	}
	if _, err := Open(filepath.Join(empty, "nope")); err == nil {
		t.Error("Open(missing dir) error = nil")
	}
}

// TestModinfoDependsRealModule runs against a real Debian module when
// VMTEST_KERNEL_MODULES points at an extracted lib/modules/<version>.
func TestModinfoDependsRealModule(t *testing.T) {
	dir := os.Getenv("VMTEST_KERNEL_MODULES")
	if dir == "" {
		t.Skip("set VMTEST_KERNEL_MODULES to the absolute path of <cache>/kernel/<pkg>/root/lib/modules/<version> (hack/vm-test.sh fills the cache) to check .modinfo parsing on real modules")
	}
	tree, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := ModinfoDepends(tree.files["ip_vs_rr"])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(deps, []string{"ip_vs"}) {
		t.Errorf("ip_vs_rr depends = %q, want [ip_vs]", deps)
	}
}
