package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"k8s.io/component-base/version"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"

	"github.com/sealkube/kubeadm/certs"
)

// upstreamTree is upstream's command tree, captured in TestMain before any
// test registers our defaults in kubeadm's (process-wide) config scheme.
var upstreamTree map[string]commandInfo

func TestMain(m *testing.M) {
	// Re-executed by tests that need a separate kubeadm process (offline_test.go).
	if os.Getenv(runAsKubeadmEnv) == "1" {
		if err := Run(os.Stdin, os.Stdout, os.Stderr, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := version.Get().GitVersion; !isReleaseVersion(v) {
		fmt.Fprintf(os.Stderr, "these tests need the version stamp (got %q): run them with `make test`, which passes the -ldflags from the Makefile\n", v)
		os.Exit(2)
	}
	upstreamTree = snapshot(kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), io.Discard, io.Discard))
	os.Exit(m.Run())
}

type flagInfo struct {
	Shorthand, Type, Default, Deprecated string
	Hidden                               bool
}

type commandInfo struct {
	Aliases    string
	Deprecated string
	Hidden     bool
	Flags      map[string]flagInfo
}

// snapshot records, per command path, what a user or script can observe:
// aliases, and every flag defined on the command with its shorthand, type and
// default.
func snapshot(root *cobra.Command) map[string]commandInfo {
	tree := map[string]commandInfo{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		aliases := append([]string(nil), c.Aliases...)
		sort.Strings(aliases)
		info := commandInfo{
			Aliases:    strings.Join(aliases, ","),
			Deprecated: c.Deprecated,
			Hidden:     c.Hidden,
			Flags:      map[string]flagInfo{},
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			info.Flags[f.Name] = flagInfo{Shorthand: f.Shorthand, Type: f.Value.Type(), Default: f.DefValue, Deprecated: f.Deprecated, Hidden: f.Hidden}
		})
		tree[c.CommandPath()] = info
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return tree
}

// Our deliberate departures from upstream's command line. Every addition and
// every changed default must be listed here: the test fails on anything
// unlisted and on any entry that no longer matches. The 2019 flag names
// (--experimental-upload-certs, --experimental-control-plane) are not
// flags but flag-name normalizations, invisible here by design: see
// TestLegacyFlagAliases.
var (
	ourAddedCommands = []string{
		"kubeadm join phase locallb",
		"kubeadm config print locallb-defaults",
	}
	ourAddedFlags = []string{ // "command path --flag"
		"kubeadm join --master",
		"kubeadm join --lvscare-image",
		"kubeadm join --locallb-backend",
		"kubeadm join --skip-etc-hosts",
		"kubeadm join --adopt-sealos",
		// `kubeadm join phase locallb` shares these join flags.
		"kubeadm join phase locallb --master",
		"kubeadm join phase locallb --lvscare-image",
		"kubeadm join phase locallb --locallb-backend",
		"kubeadm join phase locallb --skip-etc-hosts",
		"kubeadm join phase locallb --adopt-sealos",
		"kubeadm join phase locallb --config",
		"kubeadm join phase locallb --control-plane",
		"kubeadm join phase locallb --dry-run",
		"kubeadm join phase locallb --token",
		"kubeadm join phase locallb --discovery-token",
		"kubeadm join phase locallb --discovery-token-ca-cert-hash",
		"kubeadm join phase locallb --discovery-token-unsafe-skip-ca-verification",
		"kubeadm join phase locallb --discovery-file",
		"kubeadm join phase locallb --tls-bootstrap-token",
		"kubeadm join phase locallb --cri-socket",
	}
	// "command path --flag" -> our default, for flags whose upstream default
	// we change on purpose.
	ourChangedDefaults = map[string]string{
		"kubeadm kubeconfig user --validity-period": certs.Validity.String(),
		// Hidden, deprecated flags whose default is the defaulted
		// controllerManager.extraArgs, which now carries the signing duration.
		"kubeadm init phase control-plane all --controller-manager-extra-args":                signingDurationArg,
		"kubeadm init phase control-plane controller-manager --controller-manager-extra-args": signingDurationArg,
		// Likewise apiServer.extraArgs, which carries the shutdown delay.
		"kubeadm init phase control-plane all --apiserver-extra-args":       shutdownDelayArg + "=" + shutdownDelay(),
		"kubeadm init phase control-plane apiserver --apiserver-extra-args": shutdownDelayArg + "=" + shutdownDelay(),
	}
)

const signingDurationArg = certs.SigningDurationArg + "=876000h"

// kubernetesVersionFlag: every --kubernetes-version whose upstream default is
// the "stable-1" label defaults to the binary's own version (offline default).
const kubernetesVersionFlag = "kubernetes-version"

func TestCommandTreeCompatibleWithUpstream(t *testing.T) {
	root, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ours := snapshot(root)
	if len(upstreamTree) < 50 {
		t.Fatalf("upstream tree has only %d commands: the snapshot is broken", len(upstreamTree))
	}

	changed := map[string]string{}
	for k, v := range ourChangedDefaults {
		changed[k] = v
	}
	for path, up := range upstreamTree {
		if f, ok := up.Flags[kubernetesVersionFlag]; ok && f.Default == "stable-1" {
			changed[path+" --"+kubernetesVersionFlag] = binaryVersion()
		}
	}

	seenChanged := map[string]bool{}
	for path, up := range upstreamTree {
		our, ok := ours[path]
		if !ok {
			t.Errorf("upstream command %q is missing", path)
			continue
		}
		if our.Aliases != up.Aliases || our.Deprecated != up.Deprecated || our.Hidden != up.Hidden {
			t.Errorf("command %q: aliases/deprecation/hidden changed: upstream %+v, ours %+v", path, up, our)
		}
		for name, uf := range up.Flags {
			of, ok := our.Flags[name]
			key := path + " --" + name
			if !ok {
				t.Errorf("upstream flag %q is missing", key)
				continue
			}
			want := uf
			if def, ok := changed[key]; ok {
				want.Default = def
				seenChanged[key] = true
			}
			if of != want {
				t.Errorf("flag %q: want %+v, got %+v (upstream default %q)", key, want, of, uf.Default)
			}
		}
	}
	for key := range changed {
		if !seenChanged[key] {
			t.Errorf("listed changed default %q does not exist upstream: update the list", key)
		}
	}
	if !seenChanged["kubeadm init --kubernetes-version"] {
		t.Errorf("kubeadm init --kubernetes-version should default to %s", binaryVersion())
	}

	wantCommands := setOf(ourAddedCommands)
	wantFlags := setOf(ourAddedFlags)
	for path, our := range ours {
		up, ok := upstreamTree[path]
		if !ok {
			if !wantCommands[path] {
				t.Errorf("command %q is new: list it in ourAddedCommands if it is deliberate", path)
			}
			delete(wantCommands, path)
		}
		for name := range our.Flags {
			if _, ok := up.Flags[name]; ok {
				continue
			}
			key := path + " --" + name
			if !wantFlags[key] {
				t.Errorf("flag %q is new: list it in ourAddedFlags if it is deliberate", key)
			}
			delete(wantFlags, key)
		}
	}
	for k := range wantCommands {
		t.Errorf("listed added command %q does not exist", k)
	}
	for k := range wantFlags {
		t.Errorf("listed added flag %q does not exist", k)
	}
}

// TestRunHasUpstreamLogFlags checks the klog flags upstream's app.Run adds.
func TestRunHasUpstreamLogFlags(t *testing.T) {
	var out bytes.Buffer
	if err := Run(strings.NewReader(""), &out, io.Discard, []string{"version", "--v=3", "-o", "short"}); err != nil {
		t.Fatalf("kubeadm version --v=3: %v", err)
	}
	if got := strings.TrimSpace(out.String()); got != binaryVersion() {
		t.Errorf("kubeadm version -o short printed %q, want %q", got, binaryVersion())
	}
	if err := Run(strings.NewReader(""), io.Discard, io.Discard, []string{"version", "--logtostderr=false"}); err == nil {
		t.Errorf("--logtostderr is not a kubeadm flag upstream, but it was accepted")
	}
}

func setOf(items []string) map[string]bool {
	s := map[string]bool{}
	for _, i := range items {
		s[i] = true
	}
	return s
}
