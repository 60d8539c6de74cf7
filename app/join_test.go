package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"k8s.io/klog/v2"

	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/locallb/fake"
	"github.com/sealkube/kubeadm/manifests"
)

// fakeJoin is a kubeadm command tree whose upstream `join` RunE is replaced
// by a recorder, extended by extendJoin on a temporary node.
type fakeJoin struct {
	root     *cobra.Command
	out      *bytes.Buffer
	node     phases.Node
	balancer *fake.Balancer
	routes   *fake.Routes
	backends []locallb.Backend // what OpenKernel was asked for
	// What upstream's join saw when it ran.
	upstreamRan  bool
	upstreamSkip []string
	upstreamCfg  string // content of the --config file upstream was given
	upstreamPath string // the --config path upstream was given
	// upstreamHook, when set, runs at the end of upstream's join.
	upstreamHook  func()
	upstreamSawLB bool // the virtual server existed when upstream ran
	upstreamErr   error
	// The cluster's subnets as the address check reads them.
	networking    phases.Networking
	networkingErr error
	networkingVia []string
	// imageRepo is the cluster's imageRepository the phase reads.
	imageRepo string
}

const seedVIP = "10.103.97.2:6443"

var seedsJoin = []string{"join", seedVIP, "--token", "abcdef.0123456789abcdef", "--discovery-token-unsafe-skip-ca-verification",
	"--master", "10.103.97.200:6443", "--master", "10.103.97.201:6443,10.103.97.202:6443"}

func newFakeJoin(t *testing.T) *fakeJoin {
	t.Helper()
	f := &fakeJoin{out: &bytes.Buffer{}, balancer: &fake.Balancer{}, routes: &fake.Routes{},
		networking: phases.Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "100.64.0.0/10"}}
	dir := t.TempDir()
	f.node = phases.Node{
		Out:               f.out,
		ManifestDir:       filepath.Join(dir, "manifests"),
		HostsPath:         filepath.Join(dir, "hosts"),
		StatePath:         filepath.Join(dir, "state.json"),
		KubeletKubeconfig: filepath.Join(dir, "kubelet.conf"),
		CareQuiet:         5 * time.Millisecond,
		OpenKernel: func(b locallb.Backend) (phases.KernelHandles, error) {
			f.backends = append(f.backends, b)
			return phases.KernelHandles{Backend: b, Balancer: f.balancer, Routes: f.routes}, nil
		},
		ClusterEndpoint: func(netip.AddrPort) (string, error) { return "https://apiserver.cluster.local:6443", nil },
		ClusterNetworking: func(via string) (phases.Networking, error) {
			f.networkingVia = append(f.networkingVia, via)
			return f.networking, f.networkingErr
		},
		ImageRepository: func(netip.AddrPort) (string, error) { return f.imageRepo, nil },
	}
	if err := os.WriteFile(f.node.HostsPath, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.root = kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), f.out, io.Discard)
	join, _, _ := f.root.Find([]string{"join"})
	join.RunE = func(cmd *cobra.Command, args []string) error {
		f.upstreamRan = true
		f.upstreamSkip, _ = cmd.Flags().GetStringSlice("skip-phases")
		if p, _ := cmd.Flags().GetString("config"); p != "" {
			f.upstreamPath = p
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("upstream's --config %s: %v", p, err)
			}
			f.upstreamCfg = string(b)
		}
		_, f.upstreamSawLB, _ = f.balancer.Get(netip.MustParseAddrPort(seedVIP))
		if f.upstreamHook != nil {
			f.upstreamHook()
		}
		return f.upstreamErr
	}
	if err := extendJoin(f.root, Host{Node: f.node, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeJoin) run(args ...string) error {
	f.root.SetArgs(args)
	f.root.SetOut(f.out)
	f.root.SetErr(f.out)
	return f.root.Execute()
}

func (f *fakeJoin) hosts(t *testing.T) string {
	b, err := os.ReadFile(f.node.HostsPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// touched reports whether the node differs from its initial state.
func (f *fakeJoin) touched(t *testing.T) bool {
	_, err := os.Stat(filepath.Join(f.node.ManifestDir, manifests.FileName))
	_, found, _ := f.balancer.Get(netip.MustParseAddrPort(seedVIP))
	return err == nil || found || f.routes.Len() > 0 || f.hosts(t) != "127.0.0.1 localhost\n"
}

// kernelWrites counts balancer calls that could change the kernel.
func (f *fakeJoin) kernelWrites() int {
	n := 0
	for _, c := range f.balancer.Calls() {
		if c.Method != "Get" {
			n++
		}
	}
	return n
}

func TestJoinRunsLocalLBBeforeUpstream(t *testing.T) {
	f := newFakeJoin(t)
	if err := f.run(seedsJoin...); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if !f.upstreamRan || !f.upstreamSawLB {
		t.Fatalf("upstream ran=%v, saw the virtual server=%v: the phase must run first", f.upstreamRan, f.upstreamSawLB)
	}
	vs, _, _ := f.balancer.Get(netip.MustParseAddrPort(seedVIP))
	if len(vs.RealServers) != 3 {
		t.Errorf("repeated and comma-separated --master: got %+v", vs.RealServers)
	}
	if !strings.Contains(f.hosts(t), "10.103.97.2 apiserver.cluster.local # "+phases.HostsMarker) {
		t.Errorf("hosts: %q", f.hosts(t))
	}
}

func TestJoinUndoesWhenUpstreamFails(t *testing.T) {
	f := newFakeJoin(t)
	f.upstreamErr = errors.New("preflight failed")
	err := f.run(seedsJoin...)
	if err == nil || err.Error() != "preflight failed" {
		t.Fatalf("error = %v, want upstream's", err)
	}
	if f.touched(t) {
		t.Errorf("the failed join left the node changed:\n%s", f.out)
	}
	for _, want := range []string{"[locallb] The join failed; undid the node-local load balancer: ", "removed the IPVS virtual server 10.103.97.2:6443", "removed " + filepath.Join(f.node.ManifestDir, manifests.FileName), "removed the " + f.node.HostsPath + " line"} {
		if !strings.Contains(f.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, f.out)
		}
	}
}

func TestJoinSkipAndNoop(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantOut  string // "" means: we print nothing
		wantSkip []string
	}{
		{"skip-phases locallb", append(append([]string{}, seedsJoin...), "--skip-phases", "locallb,preflight"), "", []string{"preflight"}},
		{"skip-phases locallb alone", append(append([]string{}, seedsJoin...), "--skip-phases=locallb"), "", []string{}},
		{"control plane", append(append([]string{}, seedsJoin...), "--control-plane"), "[locallb] Skipping: this node joins as a control-plane node", nil},
		{"no masters", []string{"join", seedVIP, "--token", "abcdef.0123456789abcdef"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeJoin(t)
			if err := f.run(tt.args...); err != nil {
				t.Fatal(err)
			}
			if !f.upstreamRan || f.touched(t) || f.kernelWrites() > 0 {
				t.Errorf("upstream ran=%v; node touched=%v; kernel writes %d", f.upstreamRan, f.touched(t), f.kernelWrites())
			}
			if tt.wantOut == "" && f.out.Len() != 0 || !strings.Contains(f.out.String(), tt.wantOut) || strings.Count(f.out.String(), "\n") > 1 {
				t.Errorf("output %q, want %q", f.out, tt.wantOut)
			}
			if tt.wantSkip != nil && strings.Join(f.upstreamSkip, ",") != strings.Join(tt.wantSkip, ",") {
				t.Errorf("upstream saw --skip-phases %q, want %q", f.upstreamSkip, tt.wantSkip)
			}
		})
	}
}

func TestJoinDryRunChangesNothing(t *testing.T) {
	f := newFakeJoin(t)
	if err := f.run(append(append([]string{}, seedsJoin...), "--dry-run")...); err != nil {
		t.Fatal(err)
	}
	if f.touched(t) || f.kernelWrites() > 0 || !f.upstreamRan {
		t.Errorf("dry run touched the node (or skipped upstream)")
	}
	if !strings.Contains(f.out.String(), "[locallb] Would program the IPVS virtual server 10.103.97.2:6443") {
		t.Errorf("dry-run output:\n%s", f.out)
	}
}

const joinConfigWithDoc = `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.103.97.2:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
skipPhases:
- locallb
- preflight
---
apiVersion: locallb.sealkube.io/v1alpha1
kind: LocalLoadBalancerConfiguration
masters: [10.103.97.200:6443, 10.103.97.201:6443]
`

func TestJoinConfigDocument(t *testing.T) {
	f := newFakeJoin(t)
	cfg := writeConfig(t, strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1))
	if err := f.run("join", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	vs, _, _ := f.balancer.Get(netip.MustParseAddrPort(seedVIP))
	if len(vs.RealServers) != 2 {
		t.Errorf("masters from the document: %+v", vs)
	}
	if strings.Contains(f.upstreamCfg, "LocalLoadBalancerConfiguration") || !strings.Contains(f.upstreamCfg, "kind: JoinConfiguration") {
		t.Errorf("upstream was given:\n%s", f.upstreamCfg)
	}
	if p, _ := f.root.Flags().GetString("config"); p != "" {
		t.Errorf("root has a --config flag? %q", p)
	}

	// skipPhases: [locallb, preflight] in the file: upstream sees only preflight.
	f = newFakeJoin(t)
	if err := f.run("join", "--config", writeConfig(t, joinConfigWithDoc)); err != nil {
		t.Fatal(err)
	}
	if f.touched(t) || !strings.Contains(f.upstreamCfg, "skipPhases:\n- preflight\n") || strings.Contains(f.upstreamCfg, "locallb") {
		t.Errorf("skipPhases locallb in the file: touched=%v, upstream was given:\n%s", f.touched(t), f.upstreamCfg)
	}

	// --skip-phases locallb with a file list: the flag wins, as upstream.
	f = newFakeJoin(t)
	if err := f.run("join", "--config", writeConfig(t, joinConfigWithDoc), "--skip-phases", "locallb"); err != nil {
		t.Fatal(err)
	}
	if f.touched(t) || strings.Contains(f.upstreamCfg, "skipPhases") || len(f.upstreamSkip) != 0 {
		t.Errorf("--skip-phases locallb over a file list: upstream saw %q and\n%s", f.upstreamSkip, f.upstreamCfg)
	}
}

// TestJoinBackendSelection: the backend reaches the kernel, the manifest and
// the state record from the flag or the document, and reset reopens the
// recorded one.
func TestJoinBackendSelection(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		cfg  string
		want locallb.Backend
	}{
		{"default", seedsJoin, "", locallb.BackendIPVS},
		{"flag", append(append([]string{}, seedsJoin...), "--locallb-backend", "nftables"), "", locallb.BackendNFTables},
		{"document", nil, strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1) + "backend: nftables\n", locallb.BackendNFTables},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			args := tc.args
			if tc.cfg != "" {
				args = []string{"join", "--config", writeConfig(t, tc.cfg)}
			}
			if err := f.run(args...); err != nil {
				t.Fatalf("%v\n%s", err, f.out)
			}
			if len(f.backends) != 1 || f.backends[0] != tc.want {
				t.Errorf("kernel opened for %v, want [%s]", f.backends, tc.want)
			}
			manifest, err := os.ReadFile(filepath.Join(f.node.ManifestDir, manifests.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(manifest), "- --backend\n    - nftables"); got != (tc.want == locallb.BackendNFTables) {
				t.Errorf("manifest passes --backend nftables: %v, want %v:\n%s", got, tc.want == locallb.BackendNFTables, manifest)
			}
			reset, _, _ := f.root.Find([]string{"reset"})
			reset.RunE = func(*cobra.Command, []string) error { return nil } // upstream's reset succeeded
			if err := extendReset(f.root, Host{Node: f.node}); err != nil {
				t.Fatal(err)
			}
			if err := f.run("reset", "--force"); err != nil {
				t.Fatalf("reset: %v\n%s", err, f.out)
			}
			if len(f.backends) != 2 || f.backends[1] != tc.want {
				t.Errorf("reset opened %v, want the recorded %s", f.backends, tc.want)
			}
		})
	}
}

func TestJoinConfigErrors(t *testing.T) {
	tests := []struct {
		name, cfg string
		extra     []string
		wantErr   string
	}{
		{"--master with --config", joinConfigWithDoc, []string{"--master", "10.0.0.1"}, "can not mix '--config' with --master: put the load balancer settings in a LocalLoadBalancerConfiguration document"},
		{"unknown field", joinConfigWithDoc + "mastres: [10.0.0.1]\n", nil, `unknown field "mastres"`},
		{"wrong version", strings.Replace(joinConfigWithDoc, "locallb.sealkube.io/v1alpha1", "locallb.sealkube.io/v1", 1), nil, `unknown document apiVersion "locallb.sealkube.io/v1"`},
		{"unknown backend", joinConfigWithDoc + "backend: haproxy\n", nil, `backend: unknown load balancer backend "haproxy": use "ipvs" (default) or "nftables"`},
		{"--locallb-backend with --config", joinConfigWithDoc, []string{"--locallb-backend", "nftables"}, "can not mix '--config' with --locallb-backend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeJoin(t)
			err := f.run(append([]string{"join", "--config", writeConfig(t, tt.cfg)}, tt.extra...)...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if f.upstreamRan || f.touched(t) {
				t.Errorf("ran upstream or touched the node after a config error")
			}
		})
	}
}

func TestJoinPhaseLocalLBAlone(t *testing.T) {
	f := newFakeJoin(t)
	args := append([]string{"join", "phase", "locallb"}, seedsJoin[1:]...)
	for i := 0; i < 2; i++ {
		if err := f.run(args...); err != nil {
			t.Fatalf("run #%d: %v\n%s", i+1, err, f.out)
		}
	}
	if f.upstreamRan {
		t.Errorf("`join phase locallb` ran upstream's join")
	}
	if got := strings.Count(f.hosts(t), phases.HostsMarker); got != 1 {
		t.Errorf("hosts has %d of our lines after two runs", got)
	}
	if vs, _, _ := f.balancer.Get(netip.MustParseAddrPort(seedVIP)); len(vs.RealServers) != 3 {
		t.Errorf("virtual server: %+v", vs)
	}
}

func TestJoinHelpListsThePhase(t *testing.T) {
	f := newFakeJoin(t)
	join, _, _ := f.root.Find([]string{"join"})
	i := strings.Index(join.Long, "```\n")
	lines := strings.Split(join.Long[i+4:], "\n")
	if !strings.HasPrefix(lines[0], "locallb ") || !strings.HasPrefix(lines[1], "preflight ") {
		t.Fatalf("phase list starts %q, %q", lines[0], lines[1])
	}
	col := func(l string) int { return len(l) - len(strings.TrimLeft(l[strings.IndexByte(l, ' '):], " ")) }
	if col(lines[0]) != col(lines[1]) {
		t.Errorf("locallb's description is not aligned:\n%s\n%s", lines[0], lines[1])
	}
}

func TestJoinConfigControlPlaneSkips(t *testing.T) {
	f := newFakeJoin(t)
	cfg := strings.Replace(joinConfigWithDoc, "skipPhases:\n- locallb\n- preflight\n", "controlPlane:\n  certificateKey: \"\"\n", 1)
	if err := f.run("join", "--config", writeConfig(t, cfg)); err != nil {
		t.Fatal(err)
	}
	if f.touched(t) || !strings.Contains(f.out.String(), "[locallb] Skipping: this node joins as a control-plane node") {
		t.Errorf("controlPlane in the file: touched=%v, output %q", f.touched(t), f.out)
	}
}

func TestResetRemovesTheLoadBalancerAfterUpstream(t *testing.T) {
	for _, upstreamErr := range []error{nil, errors.New("declined")} {
		f := newFakeJoin(t)
		if err := f.run(seedsJoin...); err != nil {
			t.Fatal(err)
		}
		reset, _, _ := f.root.Find([]string{"reset"})
		reset.RunE = func(*cobra.Command, []string) error { return upstreamErr }
		if err := extendReset(f.root, Host{Node: f.node}); err != nil {
			t.Fatal(err)
		}
		f.out.Reset()
		if err := f.run("reset", "--dry-run"); err != upstreamErr {
			t.Fatalf("reset --dry-run: %v", err)
		}
		if upstreamErr == nil && !strings.Contains(f.out.String(), "[locallb] Would remove the IPVS virtual server 10.103.97.2:6443") {
			t.Errorf("reset --dry-run output:\n%s", f.out)
		}
		if !f.touched(t) {
			t.Fatalf("reset --dry-run changed the node")
		}
		err := f.run("reset", "--force", "--dry-run=false") // flags persist across Execute calls on one tree
		if err != upstreamErr {
			t.Fatalf("reset: %v", err)
		}
		if got := f.touched(t); got != (upstreamErr != nil) {
			t.Errorf("upstream reset error %v: node still changed = %v, want %v\n%s", upstreamErr, got, upstreamErr != nil, f.out)
		}
	}
}

// TestJoinLvscareImage: the manifest's image follows the cluster's
// imageRepository unless --lvscare-image or the document's image is given.
func TestJoinLvscareImage(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	docWithImage := strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1) + "image: registry.example/lvscare:v2.0.1\n"
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"default", func(*testing.T) []string { return seedsJoin }, mirror + "/lvscare:" + manifests.ImageTag},
		{"flag wins", func(*testing.T) []string {
			return append(slices.Clone(seedsJoin), "--lvscare-image", "registry.example/lvscare:v2.0.1")
		}, "registry.example/lvscare:v2.0.1"},
		{"document wins", func(t *testing.T) []string { return []string{"join", "--config", writeConfig(t, docWithImage)} }, "registry.example/lvscare:v2.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			f.imageRepo = mirror
			if err := f.run(tc.args(t)...); err != nil {
				t.Fatalf("%v\n%s", err, f.out)
			}
			m, err := os.ReadFile(filepath.Join(f.node.ManifestDir, manifests.FileName))
			if err != nil || !strings.Contains(string(m), "image: "+tc.want+"\n") {
				t.Errorf("manifest (%v) does not use %s:\n%s", err, tc.want, m)
			}
		})
	}
}

// TestJoinCRISocket: the image check uses the join's CRI socket, from the
// flag or the JoinConfiguration.
func TestJoinCRISocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"detect", func(*testing.T) []string { return []string{seedVIP} }, ""},
		{"flag", func(*testing.T) []string { return []string{seedVIP, "--cri-socket", "unix:///run/crio/crio.sock"} }, "unix:///run/crio/crio.sock"},
		{"config", func(t *testing.T) []string {
			return []string{"--config", writeConfig(t, strings.Replace(strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1), "skipPhases:", "nodeRegistration:\n  criSocket: unix:///run/k3s.sock\nskipPhases:", 1))}
		}, "unix:///run/k3s.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			join, _, err := f.root.Find([]string{"join"})
			if err != nil {
				t.Fatal(err)
			}
			args := tc.args(t)
			if err := join.ParseFlags(args); err != nil {
				t.Fatal(err)
			}
			inv, err := prepareJoin(join, join.Flags().Args(), joinFlags{}, Host{Node: phases.Node{}, TempDir: t.TempDir()})
			defer inv.cleanup()
			if err != nil {
				t.Fatal(err)
			}
			if inv.criSocket != tc.want {
				t.Errorf("CRI socket %q, want %q", inv.criSocket, tc.want)
			}
			if inv.node.ContainerRuntime == nil || inv.node.ImageRepository == nil {
				t.Error("the real host got no container runtime or imageRepository hook")
			}
		})
	}
}

// TestClusterImageRepository reads imageRepository from the kubeadm-config
// ConfigMap the way the phase does on a joined node (kubelet.conf) when no
// address check read it first, against a fake apiserver.
func TestClusterImageRepository(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		cluster string
		want    string
		wantErr string
	}{
		{"mirror", http.StatusOK, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\nimageRepository: mirror.example:5000/k8s\n", "mirror.example:5000/k8s", ""},
		{"default", http.StatusOK, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\n", "registry.k8s.io", ""},
		{"forbidden", http.StatusForbidden, "", "", "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/namespaces/kube-system/configmaps/kubeadm-config" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				if tc.status != http.StatusOK {
					w.WriteHeader(tc.status)
					fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":%d,"message":"configmaps \"kubeadm-config\" is forbidden"}`, tc.status)
					return
				}
				cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
					"metadata": map[string]any{"name": "kubeadm-config", "namespace": "kube-system"},
					"data":     map[string]string{"ClusterConfiguration": tc.cluster}}
				_ = json.NewEncoder(w).Encode(cm)
			}))
			defer srv.Close()
			kubeconfig := filepath.Join(t.TempDir(), "kubelet.conf")
			kc := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %s\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n", srv.URL)
			if err := os.WriteFile(kubeconfig, []byte(kc), 0o600); err != nil {
				t.Fatal(err)
			}
			c := &clusterInfo{joinEndpoint: seedVIP, kubeletConf: kubeconfig}
			got, err := c.imageRepository(netip.MustParseAddrPort(seedVIP))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("imageRepository = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// captureKlog sends klog's output at verbosity v to a buffer for the test.
func captureKlog(t *testing.T, v string) *bytes.Buffer {
	t.Helper()
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	old := map[string]string{}
	for name, val := range map[string]string{"v": v, "logtostderr": "false", "alsologtostderr": "false", "stderrthreshold": "FATAL"} {
		old[name] = fs.Lookup(name).Value.String()
		if err := fs.Set(name, val); err != nil {
			t.Fatal(err)
		}
	}
	buf := &bytes.Buffer{}
	klog.SetOutput(buf)
	t.Cleanup(func() {
		klog.Flush()
		klog.SetOutput(os.Stderr)
		for name, val := range old {
			_ = fs.Set(name, val)
		}
	})
	return buf
}

// Without --master and without our document or phase name, join is
// upstream's alone: upstream parses --config (malformed files get its
// error, not ours), sees --skip-phases unchanged (it matches phase names
// exactly, so LocalLB is not our phase), and we log nothing, even at -v=1.
func TestJoinWithoutMasterIsUpstreams(t *testing.T) {
	klogs := captureKlog(t, "1")
	malformed := writeConfig(t, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: [\n")
	unknownField := writeConfig(t, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nmastres: [10.0.0.1]\n")
	tests := []struct {
		name     string
		args     []string
		wantCfg  string
		wantSkip []string
	}{
		{"plain", []string{"join", seedVIP, "--token", "abcdef.0123456789abcdef"}, "", nil},
		{"malformed config", []string{"join", "--config", malformed}, malformed, nil},
		{"config with an unknown field", []string{"join", "--config", unknownField}, unknownField, nil},
		{"skip-phases in another case", []string{"join", seedVIP, "--token", "abcdef.0123456789abcdef", "--skip-phases", "LocalLB,preflight"}, "", []string{"LocalLB", "preflight"}},
		{"skip-phases with spaces", []string{"join", seedVIP, "--token", "abcdef.0123456789abcdef", "--skip-phases", " locallb"}, "", []string{" locallb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeJoin(t)
			if err := f.run(tt.args...); err != nil {
				t.Fatalf("%v\n%s", err, f.out)
			}
			if !f.upstreamRan || f.touched(t) || len(f.backends) != 0 || f.out.Len() != 0 {
				t.Errorf("upstream ran=%v; node touched=%v; kernel opened %d times; output %q", f.upstreamRan, f.touched(t), len(f.backends), f.out)
			}
			if f.upstreamPath != tt.wantCfg {
				t.Errorf("upstream got --config %q, want %q untouched", f.upstreamPath, tt.wantCfg)
			}
			if tt.wantSkip != nil && !slices.Equal(f.upstreamSkip, tt.wantSkip) {
				t.Errorf("upstream saw --skip-phases %q, want %q", f.upstreamSkip, tt.wantSkip)
			}
		})
	}
	klog.Flush()
	if strings.Contains(klogs.String(), "locallb") {
		t.Errorf("-v=1 logged our lines:\n%s", klogs)
	}
}

const signalChildEnv = "KUBEADM_TEST_SIGNAL_CHILD"

// Interrupting join while upstream runs (Ctrl-C) must not leave the
// filtered copy of --config, which holds the bootstrap token, in /tmp.
func TestJoinFilteredConfigRemovedOnSignal(t *testing.T) {
	if os.Getenv(signalChildEnv) == "1" {
		// The child: join with our document; upstream's join announces the
		// copy it was given and waits for the signal.
		f := newFakeJoin(t)
		f.upstreamHook = func() {
			fmt.Printf("UPSTREAM %s\n", f.upstreamPath)
			select {}
		}
		if os.Getenv(signalChildEnv+"_IGNORE") != "" {
			signal.Ignore(syscall.SIGHUP) // as under nohup
		}
		cfg := writeConfig(t, strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1))
		err := f.run("join", "--config", cfg)
		t.Fatalf("join returned %v without being interrupted", err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestJoinFilteredConfigRemovedOnSignal$")
			cmd.Env = append(os.Environ(), signalChildEnv+"=1", "TMPDIR="+t.TempDir())
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var copyPath string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if p, ok := strings.CutPrefix(sc.Text(), "UPSTREAM "); ok {
					copyPath = p
					break
				}
			}
			if copyPath == "" {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatal("the child never reached upstream's join")
			}
			if !strings.Contains(copyPath, "kubeadm-locallb-") {
				t.Fatalf("upstream was given %s, not a filtered copy", copyPath)
			}
			if _, err := os.Stat(copyPath); err != nil {
				t.Fatalf("the filtered copy is missing while upstream runs: %v", err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = io.Copy(io.Discard, out) }()
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != sig {
				t.Errorf("child ended with %v, want death by %v as without our handler", err, sig)
			}
			if _, err := os.Stat(filepath.Dir(copyPath)); !os.IsNotExist(err) {
				t.Errorf("the filtered copy's directory %s survived %v: %v", filepath.Dir(copyPath), sig, err)
			}
		})
	}

	// Under nohup (SIGHUP ignored) a hangup must not end the join.
	t.Run("ignored hangup", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestJoinFilteredConfigRemovedOnSignal$")
		cmd.Env = append(os.Environ(), signalChildEnv+"=1", signalChildEnv+"_IGNORE=1", "TMPDIR="+t.TempDir())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		var copyPath string
		sc := bufio.NewScanner(out)
		for copyPath == "" && sc.Scan() {
			copyPath, _ = strings.CutPrefix(sc.Text(), "UPSTREAM ")
		}
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, out); close(exited) }()
		select {
		case <-exited:
			t.Fatal("an ignored SIGHUP ended the join")
		case <-time.After(300 * time.Millisecond):
		}
		// Still running, so upstream still needs its config.
		if _, err := os.Stat(copyPath); err != nil {
			t.Errorf("an ignored SIGHUP removed the filtered copy upstream still reads: %v", err)
		}
	})
}

// resolveJoin is pure: flags and the config file's content in, our phase's
// configuration and what upstream must see out.
func TestResolveJoin(t *testing.T) {
	flags := joinFlags{image: manifests.DefaultImage, backend: locallb.DefaultBackend}
	withMasters := flags
	withMasters.masters = []string{"10.103.97.200:6443"}
	doc := strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1)
	tests := []struct {
		name         string
		req          joinRequest
		wantVIP      string
		wantMasters  int
		wantSkip     bool
		wantUpstream []string // nil: --skip-phases untouched
		wantFiltered bool
		wantErr      string
	}{
		{name: "flags", req: joinRequest{args: []string{seedVIP}, flags: withMasters}, wantVIP: seedVIP, wantMasters: 1},
		{name: "no VIP", req: joinRequest{flags: withMasters}, wantErr: "needs its VIP"},
		{name: "skip-phases locallb", req: joinRequest{args: []string{seedVIP}, flags: withMasters, skipPhases: []string{"locallb", "preflight"}, skipGiven: true},
			wantVIP: seedVIP, wantMasters: 1, wantSkip: true, wantUpstream: []string{"preflight"}},
		{name: "skip-phases LocalLB is not ours", req: joinRequest{args: []string{seedVIP}, flags: withMasters, skipPhases: []string{"LocalLB"}, skipGiven: true},
			wantVIP: seedVIP, wantMasters: 1},
		{name: "document", req: joinRequest{flags: flags, configPath: "k.yaml", configData: []byte(doc)}, wantVIP: seedVIP, wantMasters: 2, wantFiltered: true},
		{name: "skipPhases locallb in the file", req: joinRequest{flags: flags, configPath: "k.yaml", configData: []byte(joinConfigWithDoc)},
			wantVIP: seedVIP, wantMasters: 2, wantSkip: true, wantFiltered: true},
		{name: "--master with --config", req: joinRequest{flags: withMasters, ourFlagsGiven: []string{flagMaster}, configPath: "k.yaml"}, wantErr: "can not mix '--config' with --master"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveJoin(tt.req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.cfg.VIP != tt.wantVIP || len(res.cfg.Masters) != tt.wantMasters || res.skip != tt.wantSkip ||
				!slices.Equal(res.upstreamSkip, tt.wantUpstream) || (res.upstreamSkip == nil) != (tt.wantUpstream == nil) ||
				(res.filteredConfig != nil) != tt.wantFiltered {
				t.Errorf("got cfg %+v skip=%v upstreamSkip=%q filtered=%v", res.cfg, res.skip, res.upstreamSkip, res.filteredConfig != nil)
			}
			if res.filteredConfig != nil && strings.Contains(string(res.filteredConfig), locallbconfig.Kind) {
				t.Errorf("the filtered config still holds our document:\n%s", res.filteredConfig)
			}
		})
	}
}

// Without a token, discovery file or kubelet.conf the subnet read says so,
// and the image's read does not then try discovery through the VIP (it
// would fail the same way, with upstream's validation text).
func TestJoinWithoutCredentialsReadsNothing(t *testing.T) {
	f := newFakeJoin(t)
	join, _, err := f.root.Find([]string{"join"})
	if err != nil {
		t.Fatal(err)
	}
	if err := join.ParseFlags([]string{seedVIP, "--master", "10.103.97.200:6443"}); err != nil {
		t.Fatal(err)
	}
	inv, err := prepareJoin(join, join.Flags().Args(), joinFlags{}, Host{Node: phases.Node{}, TempDir: t.TempDir()})
	defer inv.cleanup()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.node.ClusterNetworking("10.103.97.200:6443"); !errors.Is(err, phases.ErrNoClusterCredentials) {
		t.Fatalf("subnet read: %v, want ErrNoClusterCredentials", err)
	}
	if _, err := inv.node.ImageRepository(netip.MustParseAddrPort(seedVIP)); !errors.Is(err, phases.ErrNoClusterCredentials) {
		t.Fatalf("imageRepository read: %v, want ErrNoClusterCredentials without trying discovery", err)
	}
}

// With our document in the file, a JoinConfiguration that upstream refuses
// (or none) goes to upstream at once, without our document: upstream's
// error, and the node untouched by a phase whose join could not happen.
func TestJoinOwnDocumentUpstreamRefusesTheRest(t *testing.T) {
	worker := strings.Replace(joinConfigWithDoc, "- locallb\n", "", 1)
	for _, tc := range []struct{ name, cfg string }{
		{"a field of the wrong type", strings.Replace(worker, "skipPhases:", "nodeRegistration: true\nskipPhases:", 1)},
		{"an unknown version", strings.Replace(worker, "kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta9", 1)},
		{"no JoinConfiguration", worker[strings.Index(worker, "---\n")+4:] + "vip: " + seedVIP + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			f.upstreamErr = errors.New("upstream refused the file")
			err := f.run("join", "--config", writeConfig(t, tc.cfg))
			if !errors.Is(err, f.upstreamErr) || !f.upstreamRan {
				t.Fatalf("error %v (upstream ran %v), want upstream's", err, f.upstreamRan)
			}
			if f.touched(t) || len(f.backends) != 0 || len(f.networkingVia) != 0 || f.out.Len() != 0 {
				t.Errorf("node touched %v, kernel opened %v, cluster read through %q, output %q: our phase ran before upstream's error", f.touched(t), f.backends, f.networkingVia, f.out)
			}
			if strings.Contains(f.upstreamCfg, locallbconfig.Kind) {
				t.Errorf("upstream got our document:\n%s", f.upstreamCfg)
			}
		})
	}
}
