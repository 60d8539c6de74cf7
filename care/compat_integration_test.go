package care

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

// The compatibility suite on the kernel: every command line of compatCases
// that our command accepts runs once (--run-once, or -C for the cleanup
// cases) as a process of its own, in a network namespace the test creates,
// against the real backend and the real routing table. The process is this
// test binary again (compatChildMain): the care command with the kernel
// factories of cmd/lvscare, so what runs is what users run, only in a
// namespace where nothing leaves the test.
//
// In the namespace every address the case names (its masters, --ip,
// lvscare.node.ip) is an address of the interface eth0. The first master
// answers its health check (HTTPS or HTTP, as the case probes); the others
// refuse. So after --run-once the virtual server must hold the first master
// only, unless its probe cannot pass (certificates verified against the
// system's roots): then every master (fail open).

const compatChildEnv = "LVSCARE_COMPAT_CHILD"

// compatChild is what the child process runs: the care command with args,
// the case's files, and the case's CARE_* variables in its environment.
type compatChild struct {
	Args      []string
	HostsFile string
	CAFile    string
}

// compatChildMain runs the care command when this test binary was started
// as a compatibility child (TestMain calls it first).
func compatChildMain() (exitCode int, isChild bool) {
	spec := os.Getenv(compatChildEnv)
	if spec == "" {
		return 0, false
	}
	var c compatChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, "compat child:", err)
		return 2, true
	}
	opts := NewOptions()
	opts.HostsFile, opts.CAFile = c.HostsFile, c.CAFile
	k := KernelOpeners{Balancer: func(b locallb.Backend) (locallb.Balancer, error) {
		lb, err := locallb.NewBalancer(b, locallb.BalancerOptions{})
		if err != nil {
			return nil, err
		}
		return lb, nil
	}, Routes: NetlinkRoutes}
	cmd := newCommand("compat", os.Stdout, os.Stderr, os.Getenv, opts, func(ctx context.Context, cfg Config) error {
		return k.Main(ctx, cfg, "compat", os.Stderr)
	})
	cmd.SetArgs(c.Args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lvscare:", err)
		return 1, true
	}
	return 0, true
}

func TestIntegrationCompatOnNFTables(t *testing.T) {
	testCompatOnKernel(t, locallb.BackendNFTables)
}

// On IPVS the schedulers the cases ask for must be loadable: in the VM,
// make vm-test loads ip_vs_wrr, ip_vs_wlc and ip_vs_sh.
func TestIntegrationCompatOnIPVS(t *testing.T) {
	testCompatOnKernel(t, locallb.BackendIPVS)
}

func testCompatOnKernel(t *testing.T, backend locallb.Backend) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	hint := "run go test -run Compat ./care/ as root on a host with nf_tables"
	if backend == locallb.BackendIPVS {
		hint = "make vm-test"
	}
	if os.Geteuid() != 0 {
		compatUnavailable(t, backend, "needs root to create network namespaces and program %s in them: %s", backend, hint)
	}
	openCompatBalancer(t, newCompatNetns(t).ns, backend, hint) // skips or fails when the kernel lacks it
	for _, tc := range compatCases() {
		if tc.wantErr != nil {
			continue // refused before anything runs; TestCompatPublicCommandLines checks the error
		}
		t.Run(tc.name, func(t *testing.T) {
			if b := tc.env[EnvName("backend")]; b != "" && locallb.Backend(b) != backend {
				t.Skipf("the case chooses --backend %s itself", b)
			}
			cfg, err := parseCompat(t, tc)
			if err != nil {
				t.Fatalf("%q rejected: %v", tc.args, err)
			}
			runCompatOnKernel(t, tc, cfg, backend, hint)
		})
	}
}

// compatUnavailable skips, or fails when the machine must have backend: in
// CI (CI=true) for nftables, in the VM (VMTEST=1) for IPVS. IPVS is
// missing on the CI host's kernel; it runs in the VM.
func compatUnavailable(t *testing.T, backend locallb.Backend, format string, args ...any) {
	t.Helper()
	switch {
	case backend == locallb.BackendNFTables:
		testenv.Unavailable(t, format, args...)
	case os.Getenv("VMTEST") == "1":
		t.Fatalf("inside the test VM: "+format, args...)
	default:
		t.Skipf(format, args...)
	}
}

func openCompatBalancer(t *testing.T, ns netns.NsHandle, backend locallb.Backend, hint string) locallb.KernelBalancer {
	t.Helper()
	path := fmt.Sprintf("/proc/self/fd/%d", int(ns))
	lb, err := locallb.NewBalancer(backend, locallb.BalancerOptions{NetnsPath: path})
	if errors.Is(err, locallb.ErrNFTablesUnavailable) || errors.Is(err, locallb.ErrIPVSUnavailable) {
		compatUnavailable(t, backend, "%s not available on this kernel (%v): %s", backend, err, hint)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

// compatNetns is a network namespace with lo up and a veth eth0 (its peer
// eth0p in the same namespace) holding 10.255.0.1/24.
type compatNetns struct {
	ns   netns.NsHandle
	h    *netlink.Handle
	eth0 netlink.Link
}

func newCompatNetns(t *testing.T) compatNetns {
	t.Helper()
	ns := newNetns(t)
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth0p"}); err != nil {
		t.Fatalf("adding veth eth0: %v", err)
	}
	for _, name := range []string{"lo", "eth0p", "eth0"} {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	n := compatNetns{ns: ns, h: h, eth0: eth0}
	n.addAddr(t, netip.MustParsePrefix("10.255.0.1/24"))
	return n
}

func (n compatNetns) addAddr(t *testing.T, p netip.Prefix) {
	t.Helper()
	ip := net.IP(p.Addr().AsSlice())
	a := &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if err := n.h.AddrAdd(n.eth0, a); err != nil {
		t.Fatalf("adding %s to eth0: %v", p, err)
	}
}

// do runs f on a thread inside the namespace (sockets and processes
// created there belong to it).
func (n compatNetns) do(t *testing.T, f func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(n.ns); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = f()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and Go discards it with this goroutine
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// compatMaster answers every request with 200 at addr in the namespace, in
// the case's scheme, and records the first request as "METHOD path".
type compatMaster struct {
	mu    sync.Mutex
	first string
}

func (m *compatMaster) request() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first
}

func startCompatMaster(t *testing.T, n compatNetns, addr netip.AddrPort, scheme string) *compatMaster {
	t.Helper()
	var l net.Listener
	n.do(t, func() (err error) {
		l, err = net.Listen("tcp", addr.String())
		return err
	})
	m := &compatMaster{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		if m.first == "" {
			m.first = r.Method + " " + r.URL.Path
		}
		m.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are part of some cases
	if scheme == "https" {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{testMasterCert(t)}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return m
}

// runChild runs the care command of tc in the namespace, with the case's
// environment (and CARE_BACKEND=backend unless the case sets it).
func (n compatNetns) runChild(t *testing.T, tc compatCase, backend locallb.Backend) (string, error) {
	t.Helper()
	dir := t.TempDir()
	spec := compatChild{Args: tc.args, HostsFile: filepath.Join(dir, "hosts"), CAFile: filepath.Join(dir, "absent-ca.crt")}
	if tc.hosts != "" {
		if err := os.WriteFile(spec.HostsFile, []byte(tc.hosts), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit+15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), compatChildEnv + "=" + string(js), EnvName("backend") + "=" + string(backend)}
	for k, v := range tc.env {
		cmd.Env = append(cmd.Env, k+"="+v) // later entries win
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	n.do(t, cmd.Start) // forked from a thread in the namespace: the child is in it
	err = cmd.Wait()
	return out.String(), err
}

func runCompatOnKernel(t *testing.T, tc compatCase, cfg Config, backend locallb.Backend, hint string) {
	n := newCompatNetns(t)
	lb := openCompatBalancer(t, n.ns, backend, hint)
	vip := cfg.VIP

	// Every address the case names is this node's or a master's: here,
	// all of them are eth0's.
	var local []netip.Addr
	for _, rs := range cfg.RealServers {
		local = append(local, rs.Addr())
	}
	if cfg.Route.Toward.IsValid() {
		local = append(local, cfg.Route.Toward)
	}
	slices.SortFunc(local, netip.Addr.Compare)
	for _, a := range slices.Compact(local) {
		if !a.IsLoopback() {
			n.addAddr(t, netip.PrefixFrom(a, a.BitLen()))
		}
	}

	if cfg.Clean {
		// What an earlier run left: the virtual server and our VIP route.
		rs := netip.MustParseAddrPort("10.255.0.2:6443")
		if err := lb.Ensure(locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: rs, Weight: 1}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := locallb.NewVIPRoute(n.h).Own(vip.Addr(), []netip.Addr{rs.Addr()}); err != nil {
			t.Fatal(err)
		}
		out, err := n.runChild(t, tc, backend)
		if err != nil {
			t.Fatalf("%q -C: %v\n%s", tc.args, err, out)
		}
		if vs, found := compatGet(t, lb, vip); found {
			t.Errorf("-C left the virtual server %v", vs.RealServers)
		}
		if routed := compatRoute(t, n, vip.Addr()); routed != nil && cfg.Route.Own {
			t.Errorf("-C in route mode left the VIP route %v", routed)
		} else if routed == nil && !cfg.Route.Own {
			t.Error("-C outside route mode deleted the VIP route")
		}
		return
	}

	first := cfg.RealServers[0]
	master := startCompatMaster(t, n, first, cfg.Probe.Scheme)
	once := tc
	once.args = append(slices.Clone(tc.args), "--run-once")
	out, err := n.runChild(t, once, backend)

	if wantErr := compatRefusal(cfg, backend); wantErr != nil {
		if err == nil {
			t.Fatalf("%q on %s: accepted; want an error containing %q\n%s", once.args, backend, wantErr, out)
		}
		for _, w := range wantErr {
			if !strings.Contains(out, w) {
				t.Errorf("%q on %s: the error does not contain %q:\n%s", once.args, backend, w, out)
			}
		}
		if r := compatRoute(t, n, vip.Addr()); r != nil {
			t.Errorf("refused, yet the VIP is routed: %v", r)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v\n%s", once.args, err, out)
	}

	// The kernel holds what the case means.
	want := map[netip.AddrPort]int{first: 1}
	if meaningOf(cfg).Verify == "system roots" {
		// The test master's certificate is not under the system's roots:
		// no probe passes, every master stays (fail open).
		want = map[netip.AddrPort]int{}
		for _, rs := range cfg.RealServers {
			want[rs] = 1
		}
	} else if got, wantReq := master.request(), compatRequest(cfg); got != wantReq {
		t.Errorf("the master got the probe %q, want %q", got, wantReq)
	}
	vs, found := compatGet(t, lb, vip)
	if !found {
		t.Fatalf("no virtual server %s in the kernel after --run-once\n%s", vip, out)
	}
	got := map[netip.AddrPort]int{}
	for _, rs := range vs.RealServers {
		got[rs.Addr] = rs.Weight
	}
	if !maps.Equal(got, want) {
		t.Errorf("virtual server %s = %v, want %v (the first master answers, the others refuse)", vip, got, want)
	}
	var wantDev []string
	if cfg.Scheduler != "rr" {
		wantDev = []string{"scheduler " + cfg.Scheduler}
	}
	if !slices.Equal(vs.Deviations, wantDev) {
		t.Errorf("virtual server %s deviates from round-robin by %q, want %q", vip, vs.Deviations, wantDev)
	}

	// Route mode: VIP/32 proto 76 on eth0, from the address the case
	// routes towards (all of them are eth0's here).
	routed := compatRoute(t, n, vip.Addr())
	switch {
	case !cfg.Route.Own && routed != nil:
		t.Errorf("routes touched without route mode: %v", routed)
	case cfg.Route.Own && routed == nil:
		t.Errorf("route mode did not route the VIP %s\n%s", vip.Addr(), out)
	case cfg.Route.Own:
		src := first.Addr()
		if cfg.Route.Toward.IsValid() {
			src = cfg.Route.Toward
		}
		if routed.LinkIndex != n.eth0.Attrs().Index || !routed.Src.Equal(net.IP(src.AsSlice())) || routed.Gw != nil {
			t.Errorf("VIP route %v, want dev eth0 src %s without a gateway", routed, src)
		}
	}

	// -C, as the same command line with it, removes what --run-once made.
	clean := tc
	clean.args = append(slices.Clone(tc.args), "-C")
	if out, err := n.runChild(t, clean, backend); err != nil {
		t.Fatalf("%q: %v\n%s", clean.args, err, out)
	}
	if vs, found := compatGet(t, lb, vip); found {
		t.Errorf("-C left the virtual server %v", vs.RealServers)
	}
	if r := compatRoute(t, n, vip.Addr()); r != nil {
		t.Errorf("-C left the VIP route %v", r)
	}
}

// compatRefusal is what the error of a case's --run-once must contain when
// it cannot do what the case means on this backend, or nil.
func compatRefusal(cfg Config, backend locallb.Backend) []string {
	switch {
	case backend == locallb.BackendNFTables && cfg.Scheduler != "rr":
		return []string{"--scheduler " + cfg.Scheduler, "--backend nftables", "round-robin only", "--backend ipvs"}
	}
	return nil
}

// compatRequest is "METHOD path" of the case's probe.
func compatRequest(cfg Config) string {
	return cfg.Probe.Method + " " + cfg.Probe.Path
}

func compatGet(t *testing.T, lb locallb.Balancer, vip netip.AddrPort) (locallb.VirtualServer, bool) {
	t.Helper()
	vs, found, err := lb.Get(vip)
	if err != nil {
		t.Fatalf("reading the kernel: %v", err)
	}
	return vs, found
}

// compatRoute is our route (protocol 76) for vip/32 in the main table, or nil.
func compatRoute(t *testing.T, n compatNetns, vip netip.Addr) *netlink.Route {
	t.Helper()
	filter := &netlink.Route{
		Dst:      &net.IPNet{IP: net.IP(vip.AsSlice()), Mask: net.CIDRMask(vip.BitLen(), vip.BitLen())},
		Protocol: locallb.RouteProtocol,
		Table:    unix.RT_TABLE_MAIN,
	}
	rs, err := n.h.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_DST|netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatalf("listing routes: %v", err)
	}
	if len(rs) == 0 {
		return nil
	}
	return &rs[0]
}
