package app

import (
	"bytes"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/validation"

	"github.com/sealkube/kubeadm/app/cmd/phases"
)

// testHost touches nothing outside the test's temporary directory.
func testHost(t *testing.T) Host {
	return Host{Node: phases.Node{Out: io.Discard}, TempDir: t.TempDir()}
}

// flagState is what a parse left in a flag set: each flag's value and
// whether it counts as given.
func flagState(fs *pflag.FlagSet) string {
	var lines []string
	fs.VisitAll(func(f *pflag.Flag) {
		lines = append(lines, f.Name+"="+f.Value.String()+" changed="+map[bool]string{true: "yes", false: "no"}[f.Changed])
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func findPath(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	c, _, err := root.Find(strings.Fields(path)[1:])
	if err != nil || c.CommandPath() != path {
		t.Fatalf("command %q not found: %v", path, err)
	}
	return c
}

// TestLegacyFlagAliases: on every command where upstream has --upload-certs
// or --control-plane, the 2019 name sets exactly what the current name sets,
// passes upstream's --config mixing check like the current name, and stays
// out of the help.
func TestLegacyFlagAliases(t *testing.T) {
	var cases []struct{ path, old, current string }
	for path, info := range upstreamTree {
		for _, lf := range legacyFlags() {
			if _, ok := info.Flags[lf.old]; ok {
				t.Errorf("upstream %q has --%s itself: the alias is obsolete", path, lf.old)
			}
			if _, ok := info.Flags[lf.current]; ok {
				cases = append(cases, struct{ path, old, current string }{path, lf.old, lf.current})
			}
		}
	}
	for _, want := range []string{"kubeadm init", "kubeadm init phase upload-certs", "kubeadm join", "kubeadm join phase etcd-join", "kubeadm join phase control-plane-prepare all"} {
		found := false
		for _, c := range cases {
			found = found || c.path == want
		}
		if !found {
			t.Errorf("no legacy alias on %q", want)
		}
	}
	for _, tc := range cases {
		t.Run(tc.path+" --"+tc.old, func(t *testing.T) {
			state := func(flag string) (string, error) {
				root, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard)
				if err != nil {
					t.Fatal(err)
				}
				c := findPath(t, root, tc.path)
				if strings.Contains(c.UsageString(), "experimental-") {
					t.Errorf("the help of %q shows a legacy flag:\n%s", tc.path, c.UsageString())
				}
				if err := c.ParseFlags([]string{"--config=x.yaml", "--" + flag}); err != nil {
					return "", err
				}
				return flagState(c.Flags()), validation.ValidateMixedArguments(c.Flags())
			}
			want, wantErr := state(tc.current)
			got, gotErr := state(tc.old)
			if got != want {
				t.Errorf("--%s left\n%s\nbut --%s leaves\n%s", tc.old, got, tc.current, want)
			}
			if (gotErr == nil) != (wantErr == nil) {
				t.Errorf("with --config: --%s gives %v, --%s gives %v", tc.old, gotErr, tc.current, wantErr)
			}
		})
	}
}

// TestLegacyFlagNotice: the old name prints v1.15's one-line deprecation
// notice, once, before the command runs; the current name prints none.
func TestLegacyFlagNotice(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"init", "--experimental-upload-certs", "--config", missing}, "Flag --experimental-upload-certs has been deprecated, use --upload-certs instead\n"},
		{[]string{"init", "--upload-certs", "--config", missing}, ""},
		{[]string{"join", "--experimental-control-plane", "--config", missing}, "Flag --experimental-control-plane has been deprecated, use --control-plane instead\n"},
	} {
		var errOut bytes.Buffer
		root, err := newCommand(strings.NewReader(""), io.Discard, &errOut, testHost(t))
		if err != nil {
			t.Fatal(err)
		}
		root.SetArgs(tc.args)
		root.SilenceErrors, root.SilenceUsage = true, true
		if err := root.Execute(); err == nil {
			t.Errorf("%v: want the missing config file reported", tc.args)
		}
		if got := errOut.String(); got != tc.want {
			t.Errorf("%v: stderr %q, want %q", tc.args, got, tc.want)
		}
	}
}
