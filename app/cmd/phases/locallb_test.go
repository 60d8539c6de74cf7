package phases

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/locallb/fake"
	"github.com/sealkube/kubeadm/manifests"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testNode is a Node on temporary files and an in-memory kernel.
type testNode struct {
	Node
	out       *bytes.Buffer
	balancer  *fake.Balancer
	routes    *fake.Routes
	discover  []netip.AddrPort // VIPs discovery was asked to use
	server    string           // what discovery returns
	opened    int
	closed    int
	backends  []locallb.Backend // what OpenKernel was asked for
	hostsInit string
}

const seedsHosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost"

func newTestNode(t *testing.T) *testNode {
	t.Helper()
	dir := t.TempDir()
	tn := &testNode{out: &bytes.Buffer{}, balancer: &fake.Balancer{}, routes: &fake.Routes{}, server: "https://apiserver.cluster.local:6443", hostsInit: seedsHosts}
	tn.Node = Node{
		Out:               tn.out,
		ManifestDir:       filepath.Join(dir, "etc/kubernetes/manifests"),
		HostsPath:         filepath.Join(dir, "etc/hosts"),
		StatePath:         filepath.Join(dir, "var/lib/kubeadm-locallb/state.json"),
		ModulesLoadPath:   filepath.Join(dir, "etc/modules-load.d/kubeadm-locallb.conf"),
		KubeletKubeconfig: filepath.Join(dir, "etc/kubernetes/kubelet.conf"),
		CareQuiet:         5 * time.Millisecond,
		OpenKernel: func(b locallb.Backend) (KernelHandles, error) {
			tn.opened++
			tn.backends = append(tn.backends, b)
			return KernelHandles{Backend: b, Balancer: tn.balancer, Routes: tn.routes, Close: func() { tn.closed++ }}, nil
		},
		ClusterEndpoint: func(vip netip.AddrPort) (string, error) {
			tn.discover = append(tn.discover, vip)
			return tn.server, nil
		},
	}
	if err := os.MkdirAll(filepath.Dir(tn.HostsPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tn.HostsPath, []byte(seedsHosts), 0o644); err != nil {
		t.Fatal(err)
	}
	return tn
}

func (tn *testNode) hostsContent(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(tn.HostsPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (tn *testNode) manifestExists() bool {
	_, err := os.Stat(filepath.Join(tn.ManifestDir, manifests.FileName))
	return err == nil
}

var seeds = LocalLBConfig{
	VIP:     "10.103.97.2:6443",
	Masters: []string{"10.103.97.200:6443", "10.103.97.201:6443", "10.103.97.202:6443"},
}

const ourHostsLine = "10.103.97.2 apiserver.cluster.local # " + HostsMarker + "\n"

func TestRunLocalLBWorker(t *testing.T) {
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	vs, found, _ := tn.balancer.Get(vip)
	if !found || len(vs.RealServers) != 3 || vs.RealServers[0].Addr.String() != "10.103.97.200:6443" {
		t.Errorf("virtual server = %+v found=%v", vs, found)
	}
	if via, ok := tn.routes.Via(vip.Addr()); !ok || via != netip.MustParseAddr("10.103.97.200") {
		t.Errorf("route for the VIP modelled on %v (found %v), want 10.103.97.200", via, ok)
	}
	if len(tn.discover) != 1 || tn.discover[0] != vip {
		t.Errorf("discovery went to %v, want once through the VIP %s", tn.discover, vip)
	}
	if got, want := tn.hostsContent(t), seedsHosts+"\n"+ourHostsLine; got != want {
		t.Errorf("hosts:\n%q\nwant\n%q", got, want)
	}
	m, err := os.ReadFile(filepath.Join(tn.ManifestDir, manifests.FileName))
	if err != nil || !strings.Contains(string(m), "- 10.103.97.202:6443") {
		t.Errorf("manifest: %v\n%s", err, m)
	}
	if mods, err := os.ReadFile(tn.ModulesLoadPath); err != nil || !strings.HasSuffix(string(mods), "\nip_vs\nip_vs_rr\nnf_conntrack\n") {
		t.Errorf("modules-load file %s: %v\n%s", tn.ModulesLoadPath, err, mods)
	}

	// Re-running (the way to change the master list) is idempotent and,
	// once kubelet.conf exists, needs no discovery.
	writeKubeletConf(t, tn.KubeletKubeconfig, "https://apiserver.cluster.local:6443")
	two := seeds
	two.Masters = seeds.Masters[:2]
	c2, err := RunLocalLB(two, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if vs, _, _ := tn.balancer.Get(vip); len(vs.RealServers) != 2 {
		t.Errorf("after re-run with two masters: %+v", vs)
	}
	if len(tn.discover) != 1 {
		t.Errorf("re-run discovered again (%v); kubelet.conf should have been used", tn.discover)
	}
	if got := strings.Count(tn.hostsContent(t), HostsMarker); got != 1 {
		t.Errorf("hosts has %d of our lines after a re-run", got)
	}
	// Undoing the re-run restores the previous master list, keeps the LB.
	undone, err := c2.Undo()
	if err != nil {
		t.Fatal(err)
	}
	if vs, found, _ := tn.balancer.Get(vip); !found || len(vs.RealServers) != 3 {
		t.Errorf("undo of a re-run: %+v found=%v (undone %v)", vs, found, undone)
	}
}

func writeKubeletConf(t *testing.T, path, server string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	kc := `apiVersion: v1
kind: Config
clusters:
- cluster: {server: ` + server + `}
  name: default-cluster
contexts:
- context: {cluster: default-cluster, user: default-auth}
  name: default-context
current-context: default-context
users:
- name: default-auth
  user: {}
`
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRunLocalLBSkipsAndNoops(t *testing.T) {
	tests := []struct {
		name    string
		cfg     LocalLBConfig
		wantOut string
	}{
		{"control plane", func() LocalLBConfig { c := seeds; c.ControlPlane = true; return c }(), "[locallb] Skipping: this node joins as a control-plane node"},
		{"no masters", LocalLBConfig{VIP: "10.103.97.2:6443"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			c, err := RunLocalLB(tt.cfg, tn.Node)
			if err != nil || c != nil {
				t.Fatalf("RunLocalLB = %v, %v; want nothing", c, err)
			}
			if got := tn.out.String(); (tt.wantOut == "" && got != "") || !strings.Contains(got, tt.wantOut) || strings.Count(got, "\n") > 1 {
				t.Errorf("output %q, want one line containing %q", got, tt.wantOut)
			}
			if tn.opened != 0 || len(tn.balancer.Calls()) != 0 || tn.manifestExists() || tn.hostsContent(t) != seedsHosts {
				t.Errorf("the node was touched: opened=%d calls=%v", tn.opened, tn.balancer.Calls())
			}
		})
	}
}

func TestRunLocalLBDryRunGolden(t *testing.T) {
	tn := newTestNode(t)
	tn.ImageRepository = func(netip.AddrPort) (string, error) {
		t.Error("dry run asked the cluster for its imageRepository")
		return "", nil
	}
	tn.ContainerRuntime = func() (ImageRuntime, error) {
		t.Error("dry run connected to the container runtime")
		return nil, errors.New("dry run")
	}
	cfg := seeds
	cfg.DryRun = true
	if c, err := RunLocalLB(cfg, tn.Node); err != nil || c != nil {
		t.Fatalf("dry run: %v %v", c, err)
	}
	if tn.opened != 0 || len(tn.discover) != 0 || tn.manifestExists() || tn.hostsContent(t) != seedsHosts {
		t.Fatalf("dry run touched the node: opened=%d discover=%v", tn.opened, tn.discover)
	}
	if _, err := os.Stat(tn.StatePath); !os.IsNotExist(err) {
		t.Fatalf("dry run wrote state: %v", err)
	}
	got := strings.ReplaceAll(tn.out.String(), filepath.Dir(filepath.Dir(tn.HostsPath)), "<root>")
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.HasPrefix(l, "[locallb] Would ") && !strings.HasPrefix(l, "\t") {
			t.Errorf("line %q is neither a [locallb] Would line nor the indented manifest", l)
		}
	}
	testenv.Golden(t, filepath.Join("testdata", "dryrun-join.golden"), []byte(got), *update, "./app/cmd/phases/")
}

func TestRunLocalLBFailureUndoes(t *testing.T) {
	tests := []struct {
		name    string
		server  string
		hosts   string
		discErr error
		wantErr string
	}{
		{"endpoint is a master's address", "https://10.103.97.200:6443", "", nil, "is the address 10.103.97.200, not the VIP 10.103.97.2"},
		{"endpoint on another port", "https://apiserver.cluster.local:8443", "", nil, "uses port 8443 but the VIP is 10.103.97.2:6443"},
		{"empty endpoint", "", "", nil, "the cluster endpoint is empty"},
		{"discovery fails", "", "", errors.New("x509: certificate is valid for 10.96.0.1, not 10.103.97.2"), "must list 10.103.97.2"},
		{"hosts maps the name elsewhere", "https://apiserver.cluster.local:6443", "10.103.97.200 apiserver.cluster.local\n", nil, "line 1 maps apiserver.cluster.local to 10.103.97.200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			tn.server = tt.server
			if tt.discErr != nil {
				tn.ClusterEndpoint = func(netip.AddrPort) (string, error) { return "", tt.discErr }
			}
			if tt.hosts != "" {
				if err := os.WriteFile(tn.HostsPath, []byte(tt.hosts), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := tn.hostsContent(t)
			c, err := RunLocalLB(seeds, tn.Node)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if c != nil {
				t.Errorf("changes returned with an error")
			}
			if !strings.Contains(err.Error(), "undone: ") || !strings.Contains(err.Error(), "removed the IPVS virtual server 10.103.97.2:6443") {
				t.Errorf("error does not say what was undone: %v", err)
			}
			if _, found, _ := tn.balancer.Get(netip.MustParseAddrPort("10.103.97.2:6443")); found || tn.routes.Len() != 0 {
				t.Errorf("left the virtual server or route behind")
			}
			if tn.manifestExists() || tn.hostsContent(t) != before {
				t.Errorf("left the manifest or a hosts change behind")
			}
			if _, err := os.Stat(tn.StatePath); !os.IsNotExist(err) {
				t.Errorf("left the state file: %v", err)
			}
			if _, err := os.Stat(tn.ModulesLoadPath); !os.IsNotExist(err) {
				t.Errorf("left the modules-load file: %v", err)
			}
			if tn.closed != tn.opened {
				t.Errorf("kernel opened %d times, closed %d", tn.opened, tn.closed)
			}
		})
	}
}

func TestRunLocalLBRejectsBadInputBeforeTouchingTheNode(t *testing.T) {
	tests := []struct {
		name    string
		cfg     LocalLBConfig
		wantErr string
	}{
		{"master is the VIP", LocalLBConfig{VIP: "10.103.97.2:6443", Masters: []string{"10.103.97.2:6443"}}, "has the VIP's address"},
		{"hostname master", LocalLBConfig{VIP: "10.103.97.2:6443", Masters: []string{"master0:6443"}}, "hostnames are not resolved"},
		{"loopback VIP", LocalLBConfig{VIP: "127.0.0.1:6443", Masters: []string{"10.0.0.1"}}, "loopback"},
		{"latest image", LocalLBConfig{VIP: "10.103.97.2:6443", Masters: []string{"10.0.0.1"}, Image: "lvscare:latest"}, ":latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			_, err := RunLocalLB(tt.cfg, tn.Node)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tn.opened != 0 {
				t.Errorf("kernel opened before input was validated")
			}
		})
	}
}

func TestHostsName(t *testing.T) {
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	tests := []struct{ server, want, wantErr string }{
		{"https://apiserver.cluster.local:6443", "apiserver.cluster.local", ""},
		{"https://10.103.97.2:6443", "", ""},
		{"https://[::ffff:10.103.97.2]:6443", "", ""},
		{"https://apiserver.cluster.local", "", "uses port 443"},
		{"https://under_score:6443", "", "neither an IP address nor a DNS name"},
		{"apiserver:6443", "", "not a URL"},
	}
	for _, tt := range tests {
		got, err := HostsName(tt.server, vip)
		if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("HostsName(%q) = %q, %v; want %q, error containing %q", tt.server, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestResetLocalLB(t *testing.T) {
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// A virtual server we did not create must survive reset.
	foreign := locallb.VirtualServer{VIP: netip.MustParseAddrPort("10.96.0.1:443"), RealServers: []locallb.RealServer{{Addr: netip.MustParseAddrPort("10.103.97.200:6443"), Weight: 1}}}
	if err := tn.balancer.Ensure(foreign); err != nil {
		t.Fatal(err)
	}

	tn.out.Reset()
	if err := ResetLocalLB(tn.Node, true); err != nil {
		t.Fatal(err)
	}
	dry := tn.out.String()
	for _, want := range []string{"[locallb] Would remove the IPVS virtual server 10.103.97.2:6443", "[locallb] Would remove " + filepath.Join(tn.ManifestDir, manifests.FileName), "[locallb] Would remove " + tn.ModulesLoadPath, "[locallb] Would remove the " + tn.HostsPath + " line \"10.103.97.2 apiserver.cluster.local # " + HostsMarker + "\""} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry-run reset output lacks %q:\n%s", want, dry)
		}
	}
	if _, found, _ := tn.balancer.Get(netip.MustParseAddrPort("10.103.97.2:6443")); !found || !tn.manifestExists() || !strings.Contains(tn.hostsContent(t), HostsMarker) {
		t.Fatalf("dry-run reset changed the node")
	}

	for i := 0; i < 2; i++ {
		if err := ResetLocalLB(tn.Node, false); err != nil {
			t.Fatalf("reset #%d: %v", i+1, err)
		}
	}
	if _, found, _ := tn.balancer.Get(netip.MustParseAddrPort("10.103.97.2:6443")); found || tn.manifestExists() || tn.routes.Len() != 0 {
		t.Errorf("reset left the load balancer behind")
	}
	if _, err := os.Stat(tn.ModulesLoadPath); !os.IsNotExist(err) {
		t.Errorf("reset left the modules-load file: %v", err)
	}
	if got := tn.hostsContent(t); got != seedsHosts+"\n" {
		t.Errorf("hosts after reset: %q", got)
	}
	if _, found, _ := tn.balancer.Get(foreign.VIP); !found {
		t.Errorf("reset removed a virtual server it did not create")
	}
	// A node that never ran the phase: reset needs no kernel.
	fresh := newTestNode(t)
	if err := ResetLocalLB(fresh.Node, false); err != nil || fresh.opened != 0 || fresh.out.Len() != 0 {
		t.Errorf("reset of a fresh node: err=%v opened=%d out=%q", err, fresh.opened, fresh.out)
	}
}

// A failed re-run (the documented way to change a worker's masters) must
// leave the working load balancer as it was: virtual server with its real
// servers, route and record, so that a later reset still removes it all.
func TestRunLocalLBFailedRerunKeepsTheWorkingLoadBalancer(t *testing.T) {
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	state, err := os.ReadFile(tn.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	two := seeds
	two.Masters = seeds.Masters[:2]
	intact := func(when string) {
		t.Helper()
		if vs, found, _ := tn.balancer.Get(vip); !found || len(vs.RealServers) != 3 {
			t.Errorf("%s: virtual server %+v found=%v, want the previous three masters", when, vs, found)
		}
		if _, ok := tn.routes.Via(vip.Addr()); !ok {
			t.Errorf("%s: the route for the VIP is gone", when)
		}
		if got, err := os.ReadFile(tn.StatePath); err != nil || string(got) != string(state) {
			t.Errorf("%s: state %q (%v), want %q", when, got, err, state)
		}
	}

	// Failure inside Install: the kernel refuses the new real servers.
	tn.balancer.FailNext("Ensure", errors.New("netlink: no buffer space"))
	if _, err := RunLocalLB(two, tn.Node); err == nil || !strings.Contains(err.Error(), "no buffer space") {
		t.Fatalf("re-run with a failing kernel: %v", err)
	}
	intact("after a re-run failing in the kernel")

	// Failure after Install: discovery (no kubelet.conf yet) fails.
	tn.ClusterEndpoint = func(netip.AddrPort) (string, error) { return "", errors.New("x509: unknown authority") }
	_, err = RunLocalLB(two, tn.Node)
	if err == nil || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("re-run with failing discovery: %v", err)
	}
	if strings.Contains(err.Error(), "removed the IPVS virtual server") {
		t.Errorf("undo of a re-run claims to have removed the virtual server: %v", err)
	}
	intact("after a re-run failing in discovery")

	// Reset still removes everything, and a fresh run is accepted.
	if err := ResetLocalLB(tn.Node, false); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := tn.balancer.Get(vip); found || tn.routes.Len() != 0 {
		t.Fatalf("reset left the virtual server (found=%v) or a route (%d)", found, tn.routes.Len())
	}
	tn.ClusterEndpoint = func(netip.AddrPort) (string, error) { return tn.server, nil }
	c, err = RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatalf("run after reset: %v", err)
	}
	c.Close()
}

// simulatedCare stands in for the lvscare static pod: while it runs it
// restores the virtual server every few milliseconds, and it stops stopAfter
// after its manifest disappears (the kubelet's reaction); stopAfter < 0:
// never.
type simulatedCare struct {
	running atomic.Bool
	done    chan struct{}
}

func startSimulatedCare(t *testing.T, tn *testNode, vs locallb.VirtualServer, stopAfter time.Duration) *simulatedCare {
	t.Helper()
	sc := &simulatedCare{done: make(chan struct{})}
	sc.running.Store(true)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); <-sc.done })
	manifest := filepath.Join(tn.ManifestDir, manifests.FileName)
	go func() {
		defer close(sc.done)
		defer sc.running.Store(false)
		var gone time.Time
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if _, err := os.Stat(manifest); err != nil && gone.IsZero() {
				gone = time.Now()
			}
			if !gone.IsZero() && stopAfter >= 0 && time.Since(gone) >= stopAfter {
				return
			}
			_ = tn.balancer.Ensure(vs)
		}
	}()
	return sc
}

func TestUndoWaitsForTheCareDaemonBeforeRemovingTheRules(t *testing.T) {
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vs, _, _ := tn.balancer.Get(vip)
	sc := startSimulatedCare(t, tn, vs, 100*time.Millisecond)
	c.node.CareRunning = sc.running.Load
	c.node.CareStopTimeout = 10 * time.Second
	c.node.CareQuiet = 100 * time.Millisecond

	undone, err := c.Undo()
	if err != nil {
		t.Fatalf("undo: %v (undone %q)", err, undone)
	}
	if sc.running.Load() {
		t.Error("undo returned while the care daemon still ran")
	}
	time.Sleep(50 * time.Millisecond)
	if _, found, _ := tn.balancer.Get(vip); found {
		t.Errorf("the virtual server came back after undo (undone %q)", undone)
	}
	if _, err := os.Stat(tn.StatePath); !os.IsNotExist(err) {
		t.Errorf("record left after undo: %v", err)
	}
}

func TestUndoKeepsRulesRecordedWhileTheCareDaemonRuns(t *testing.T) {
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	for _, tt := range []struct {
		name       string
		healthPort bool // the daemon answers on its health endpoint
		wantErr    string
	}{
		{"daemon never stops", true, "still runs 50ms after its manifest"},
		{"daemon without a health endpoint", false, "came back after it was removed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			c, err := RunLocalLB(seeds, tn.Node)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			vs, _, _ := tn.balancer.Get(vip)
			sc := startSimulatedCare(t, tn, vs, -1)
			c.node.CareRunning = func() bool { return tt.healthPort && sc.running.Load() }
			c.node.CareStopTimeout = 50 * time.Millisecond
			c.node.CareQuiet = 200 * time.Millisecond
			_, err = c.Undo()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "kubeadm reset") {
				t.Fatalf("undo: %v, want an error containing %q and naming kubeadm reset", err, tt.wantErr)
			}
			st, found, err := locallb.Installer{StatePath: tn.StatePath}.ReadState()
			if err != nil || !found || st.VIP != vip {
				t.Errorf("record %+v found=%v err=%v: a reset would leave the rules behind", st, found, err)
			}
		})
	}
}

// TestCareDaemonAnswers: only a care daemon's answer counts as the daemon
// running; another listener on the port (any local user can bind it
// first) does not make an undo or reset wait for it.
func TestCareDaemonAnswers(t *testing.T) {
	daemon := httptest.NewServer(care.Handler(nil, netip.MustParseAddrPort("10.103.97.2:6443"), func(time.Time) error { return nil }))
	defer daemon.Close()
	stuck := httptest.NewServer(care.Handler(nil, netip.MustParseAddrPort("10.103.97.2:6443"), func(time.Time) error { return errors.New("stuck") }))
	defer stuck.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }))
	defer other.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := closed.Listener.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name string
		addr string
		want bool
	}{
		{"our daemon", daemon.Listener.Addr().String(), true},
		{"our daemon, its loop stuck (503)", stuck.Listener.Addr().String(), true},
		{"another HTTP server", other.Listener.Addr().String(), false},
		{"nothing listens", closedAddr, false},
	} {
		if got := careDaemonAnswers(tc.addr); got != tc.want {
			t.Errorf("%s: careDaemonAnswers = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Reset names the route only when the record says the phase added one.
func TestResetLocalLBNamesOnlyWhatWasCreated(t *testing.T) {
	for _, covered := range []bool{false, true} {
		tn := newTestNode(t)
		tn.routes.Covered = covered
		c, err := RunLocalLB(seeds, tn.Node)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, dry := range []bool{true, false} {
			tn.out.Reset()
			if err := ResetLocalLB(tn.Node, dry); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(tn.out.String(), "and its route"); got == covered {
				t.Errorf("route covered by another=%v, dry run=%v: reset says %q", covered, dry, tn.out)
			}
		}
	}
}
