package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"k8s.io/klog/v2"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/locallb"
)

// malformedConfigs are --config files upstream kubeadm refuses by their
// form, none of which holds a document of ours.
var malformedConfigs = []struct{ name, content string }{
	{"bad YAML", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: [\n"},
	{"tab indentation", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n\tnodeRegistration: {}\n"},
	{"a list, not a mapping", "- apiVersion: kubeadm.k8s.io/v1beta4\n  kind: JoinConfiguration\n"},
	{"second document bad YAML", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: {bootstrapToken: [}\n"},
	{"no apiVersion", "kind: JoinConfiguration\ncontrolPlane: {}\n---\nkind: InitConfiguration\n"},
	{"no kind", "apiVersion: kubeadm.k8s.io/v1beta4\n"},
	{"apiVersion without a version", "apiVersion: kubeadm.k8s.io\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io\nkind: JoinConfiguration\n"},
	{"only a comment", "# nothing here yet\n"},
	{"unknown kind", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: NodeConfiguration\n"},
	{"old version", "apiVersion: kubeadm.k8s.io/v1alpha3\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1alpha3\nkind: JoinConfiguration\n"},
	{"unknown version", "apiVersion: kubeadm.k8s.io/v1beta9\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta9\nkind: JoinConfiguration\n"},
	{"field of the wrong type", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  certSANs: extra.example\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ncontrolPlane: true\n"},
	{"kind twice", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"},
	{"empty", ""},
	{"missing file", ""}, // not written
}

// Commands that read --config, each wrapped by one of our extensions (the
// legacy-version conversion wraps them all; init and join have their own).
// None may change this machine: each fails while reading these files
// (config validate and migrate accept an empty one, harmlessly), and
// init's dry run writes under a temporary directory.
var configCommands = [][]string{
	{"join"},
	{"join", "--dry-run"},
	{"join", "--control-plane"},
	{"join", "--skip-phases", "preflight,locallb"},
	{"join", "phase", "preflight"},
	{"init", "--dry-run"},
	{"init", "phase", "preflight", "--dry-run"},
	{"config", "images", "list"},
	{"config", "images", "pull"},
	{"config", "validate"},
	{"config", "migrate", "--old-config"},
	{"kubeconfig", "user", "--client-name", "alice"},
	{"reset"},
}

// commandResult is everything a user sees of one run.
type commandResult struct {
	err, errType, out, errOut, log string
}

// klogHeader is the part of a klog line that differs between two runs of
// the same code (time and thread); level, file:line and message remain.
var klogHeader = regexp.MustCompile(`(?m)^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d{6}\s+\d+ `)

// runTree runs args on root and collects what it printed and logged.
func runTree(t *testing.T, root *cobra.Command, out, errOut, logs *bytes.Buffer, args []string) commandResult {
	t.Helper()
	logs.Reset()
	root.SetArgs(args)
	err := root.Execute()
	klog.Flush()
	r := commandResult{out: out.String(), errOut: errOut.String(), log: klogHeader.ReplaceAllString(logs.String(), "$1 ")}
	if err != nil {
		r.err, r.errType = err.Error(), fmt.Sprintf("%T", err)
	}
	return r
}

// TestMalformedConfigErrorsAreUpstreams: a --config file without a document
// of ours that upstream refuses gets upstream's error, byte for byte, from
// every command our extensions wrap, with upstream's output and log lines,
// and without anything of ours running first.
func TestMalformedConfigErrorsAreUpstreams(t *testing.T) {
	// Run (other tests) routes klog through its own logger; back to
	// klog's output, which captureKlog redirects.
	klog.ClearLogger()
	logs := captureKlog(t, "1")
	t.Setenv(kubeadmconstants.EnvVarInitDryRunDir, t.TempDir())
	for _, file := range malformedConfigs {
		path := filepath.Join(t.TempDir(), "kubeadm.yaml")
		if file.name != "missing file" {
			if err := os.WriteFile(path, []byte(file.content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, cmd := range configCommands {
			args := append(append([]string(nil), cmd...), "--config", path)
			if cmd[len(cmd)-1] == "--old-config" {
				args = append(append([]string(nil), cmd...), path)
			}
			t.Run(file.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				upstream := func() commandResult {
					var upOut, upErrOut bytes.Buffer
					up := kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), &upOut, &upErrOut)
					up.SetOut(&upOut)
					up.SetErr(&upErrOut)
					up.SilenceErrors, up.SilenceUsage = true, true
					return runTree(t, up, &upOut, &upErrOut, logs, args)
				}
				want := upstream()

				var out, errOut bytes.Buffer
				host := Host{Node: phases.Node{Out: &out, OpenKernel: func(b locallb.Backend) (phases.KernelHandles, error) {
					return phases.KernelHandles{}, fmt.Errorf("the test must not open the kernel (%s)", b)
				}}, TempDir: t.TempDir()}
				ours, err := newCommand(strings.NewReader(""), &out, &errOut, host)
				if err != nil {
					t.Fatal(err)
				}
				ours.SetOut(&out)
				ours.SetErr(&errOut)
				ours.SilenceErrors, ours.SilenceUsage = true, true
				got := runTree(t, ours, &out, &errOut, logs, args)

				// Upstream ranges over a map of the file's documents, so
				// with several of them its messages and log lines come in
				// either order: ours must be one upstream itself gives.
				for i := 0; i < 30 && got != want; i++ {
					if again := upstream(); again == got {
						want = again
					}
				}
				if got != want {
					t.Errorf("kubeadm %s\n ours:     error %q (%s)\n           stdout %q\n           stderr %q\n           log %q\n upstream: error %q (%s)\n           stdout %q\n           stderr %q\n           log %q",
						strings.Join(args, " "), got.err, got.errType, got.out, got.errOut, got.log, want.err, want.errType, want.out, want.errOut, want.log)
				}
				if strings.Contains(got.out+got.errOut+got.log, locallbconfig.Kind) || strings.Contains(got.out+got.log, "[locallb]") {
					t.Errorf("our extension spoke about a file that is not ours:\n%s%s%s", got.out, got.errOut, got.log)
				}
			})
		}
	}
}

// TestMalformedOwnDocumentNamesIt: when the file holds our document, a
// malformed one (or a malformed neighbour) gets our error, naming the file
// and the document, from join and init alike, before anything runs.
func TestMalformedOwnDocumentNamesIt(t *testing.T) {
	const join = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: 10.103.97.2:6443\n    token: abcdef.0123456789abcdef\n    unsafeSkipCAVerification: true\n"
	const ours = "apiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\n"
	tests := []struct {
		name, content, want string
	}{
		{"our document not YAML", join + "---\n" + ours + "masters: [10.103.97.200:6443\n",
			"the LocalLoadBalancerConfiguration document (document 2 of the file) is not valid YAML: error converting YAML to JSON: yaml: line"},
		{"a neighbour not YAML", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: [\n---\n" + ours + "masters: [10.103.97.200:6443]\n",
			"document 1 of the file is not valid YAML: error converting YAML to JSON: yaml: line"},
		{"unknown field", join + "---\n" + ours + "mastres: [10.103.97.200:6443]\n", `LocalLoadBalancerConfiguration document: error unmarshaling JSON: while decoding JSON: json: unknown field "mastres"`},
		{"unknown version", join + "---\n" + strings.Replace(ours, "v1alpha1", "v1", 1) + "masters: [10.103.97.200:6443]\n",
			`unknown document apiVersion "locallb.sealkube.io/v1" kind "LocalLoadBalancerConfiguration"`},
	}
	t.Setenv(kubeadmconstants.EnvVarInitDryRunDir, t.TempDir())
	for _, tt := range tests {
		for _, cmd := range [][]string{{"join"}, {"init", "--dry-run"}} {
			t.Run(tt.name+"/"+strings.Join(cmd, " "), func(t *testing.T) {
				path := writeConfig(t, tt.content)
				out, errOut, err := kubeadmErr(t, append(cmd, "--config", path)...)
				if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("kubeadm %s: error %v, want %q naming %s", strings.Join(cmd, " "), err, tt.want, path)
				}
				if out != "" || errOut != "" {
					t.Errorf("printed before the error: %s%s", out, errOut)
				}
			})
		}
	}
}

func TestUpstreamRefuses(t *testing.T) {
	const join = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"
	tests := []struct {
		name, data string
		needed     []string
		want       bool
	}{
		{"a JoinConfiguration", join, []string{"JoinConfiguration"}, false},
		{"deprecated v1beta3", strings.Replace(join, "v1beta4", "v1beta3", 1), []string{"JoinConfiguration"}, false},
		{"not YAML", join + "discovery: [\n", []string{"JoinConfiguration"}, true},
		{"not YAML, nothing needed", join + "discovery: [\n", nil, true},
		{"ours, not YAML", join + "---\napiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nmasters: [\n", []string{"JoinConfiguration"}, false},
		{"needed kind missing", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n", []string{"JoinConfiguration"}, true},
		{"empty, nothing needed", "", nil, false},
		{"one of two needed kinds", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n", []string{"InitConfiguration", "ClusterConfiguration"}, false},
		{"needed kind of an unknown version", strings.Replace(join, "v1beta4", "v1beta9", 1), []string{"JoinConfiguration"}, true},
		{"needed kind with a field of the wrong type", join + "controlPlane: true\n", []string{"JoinConfiguration"}, true},
		{"unneeded kind with a field of the wrong type", join + "---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration: true\n", []string{"JoinConfiguration"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := upstreamRefuses([]byte(tt.data), tt.needed...); got != tt.want {
				t.Errorf("upstreamRefuses(%q, %q) = %v, want %v", tt.data, tt.needed, got, tt.want)
			}
		})
	}
}
