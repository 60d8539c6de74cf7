package locallb

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// One behaviour suite, run against every kernel backend: each case gets a
// fresh client network namespace whose load balancer is programmed by the
// backend and from which the test dials the VIP. Real servers live in
// namespaces of their own, joined to the client by veth pairs. Nothing
// leaves those namespaces.

// suiteBackend opens one backend in the client namespace ns.
type suiteBackend struct {
	name string
	// open returns the balancer programming ns; it skips the test when the
	// kernel lacks the backend.
	open func(t *testing.T, ns netns.NsHandle) Balancer
	// foreign, when not nil, creates in ns something of the same kind that
	// is not ours (another program's table or virtual server) for vip, and
	// returns a check that it is still intact.
	foreign func(t *testing.T, ns netns.NsHandle, vip netip.AddrPort) (check func() error)
}

// nsPath names ns for the constructors that take a path.
func nsPath(ns netns.NsHandle) string { return fmt.Sprintf("/proc/self/fd/%d", int(ns)) }

// suiteFamily holds the addresses of one IP family, all inside namespaces
// the test creates.
type suiteFamily struct {
	name               string
	vip, vip2          string
	a, c, d, e         string // real servers (not reachable: bookkeeping cases)
	hostA, nsA         string // forwarding: client side and server side of veth A
	hostB, nsB         string
	clientAddrOnClient string
}

var suiteFamilies = []suiteFamily{
	{
		name: "ipv4", vip: "10.251.0.100:6443", vip2: "10.251.0.101:6443",
		a: "10.251.1.2:6443", c: "10.251.1.3:6443", d: "10.251.1.4:6443", e: "10.251.1.5:7443",
		hostA: "10.251.1.1/24", nsA: "10.251.1.2/24", hostB: "10.251.2.1/24", nsB: "10.251.2.2/24",
	},
	{
		name: "ipv6", vip: "[fd00:251::100]:6443", vip2: "[fd00:251::101]:6443",
		a: "[fd00:251:1::2]:6443", c: "[fd00:251:1::3]:6443", d: "[fd00:251:1::4]:6443", e: "[fd00:251:1::5]:7443",
		hostA: "fd00:251:1::1/64", nsA: "fd00:251:1::2/64", hostB: "fd00:251:2::1/64", nsB: "fd00:251:2::2/64",
	},
}

type suiteEnv struct {
	lb      Balancer
	ns      netns.NsHandle
	h       *netlink.Handle
	backend suiteBackend
	fam     suiteFamily
}

type suiteCase struct {
	name string
	run  func(t *testing.T, env suiteEnv)
}

var suiteCases = []suiteCase{
	{"create-get", suiteCreateGet},
	{"reconcile", suiteReconcile},
	{"drain", suiteDrain},
	{"delete", suiteDelete},
	{"cleanup-only-ours", suiteCleanupOnlyOurs},
	{"forwarding", suiteForwarding},
	{"flush-dead", suiteFlushDead},
	{"restored-after-delete", suiteRestoredAfterDelete},
}

// runBalancerSuite runs every case for every family, each in a fresh
// client namespace. Subtests are started only from the test goroutine,
// never while switched into a namespace.
func runBalancerSuite(t *testing.T, b suiteBackend) {
	requireNetns(t)
	for _, fam := range suiteFamilies {
		t.Run(fam.name, func(t *testing.T) {
			for _, c := range suiteCases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, newSuiteEnv(t, b, fam))
				})
			}
		})
	}
}

// newSuiteEnv gives a case a fresh client namespace with b's balancer in it.
func newSuiteEnv(t *testing.T, b suiteBackend, fam suiteFamily) suiteEnv {
	ns, h := newNetns(t)
	return suiteEnv{lb: b.open(t, ns), ns: ns, h: h, backend: b, fam: fam}
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// wantServers fails unless Get(vip) finds exactly want.
func wantServers(t *testing.T, lb Balancer, vip netip.AddrPort, step string, want ...RealServer) {
	t.Helper()
	got, found, err := lb.Get(vip)
	if err != nil || !found {
		t.Fatalf("%s: Get(%s) found=%v err=%v", step, vip, found, err)
	}
	w := append([]RealServer{}, want...)
	SortRealServers(w)
	if got.VIP != vip || !reflect.DeepEqual(got.RealServers, w) {
		t.Fatalf("%s: Get(%s) = %v %v, want %v", step, vip, got.VIP, got.RealServers, w)
	}
}

func wantAbsent(t *testing.T, lb Balancer, vip netip.AddrPort, step string) {
	t.Helper()
	if vs, found, err := lb.Get(vip); found || err != nil {
		t.Fatalf("%s: Get(%s) = %v found=%v err=%v, want absent", step, vip, vs, found, err)
	}
}

func mustEnsure(t *testing.T, lb Balancer, vip netip.AddrPort, rss ...RealServer) {
	t.Helper()
	if err := lb.Ensure(VirtualServer{VIP: vip, RealServers: rss}); err != nil {
		t.Fatalf("Ensure(%s, %v): %v", vip, rss, err)
	}
}

func suiteCreateGet(t *testing.T, env suiteEnv) {
	f, vip := env.fam, ap(env.fam.vip)
	wantAbsent(t, env.lb, vip, "before Ensure")
	create := []RealServer{rs(f.d, 1), rs(f.a, 1), rs(f.c, 1)} // unsorted on purpose
	mustEnsure(t, env.lb, vip, create...)
	wantServers(t, env.lb, vip, "create", create...)
	mustEnsure(t, env.lb, vip, create...)
	wantServers(t, env.lb, vip, "no-op Ensure", create...)
	wantAbsent(t, env.lb, ap(f.vip2), "another VIP")
}

func suiteReconcile(t *testing.T, env suiteEnv) {
	f, vip := env.fam, ap(env.fam.vip)
	mustEnsure(t, env.lb, vip, rs(f.a, 1), rs(f.c, 1), rs(f.d, 1))
	// Add e (another port), remove d, reweight c.
	next := []RealServer{rs(f.a, 1), rs(f.c, 3), rs(f.e, 1)}
	mustEnsure(t, env.lb, vip, next...)
	wantServers(t, env.lb, vip, "reconcile", next...)
	mustEnsure(t, env.lb, vip, rs(f.e, 2))
	wantServers(t, env.lb, vip, "shrink to one", rs(f.e, 2))
	if err := env.lb.Ensure(VirtualServer{VIP: vip, RealServers: []RealServer{rs(f.a, 1), rs(f.a, 2)}}); err == nil {
		t.Fatal("Ensure with a real server listed twice succeeded")
	}
	wantServers(t, env.lb, vip, "after a rejected Ensure", rs(f.e, 2))
}

func suiteDrain(t *testing.T, env suiteEnv) {
	f, vip := env.fam, ap(env.fam.vip)
	mustEnsure(t, env.lb, vip, rs(f.a, 1), rs(f.c, 1))
	if err := env.lb.SetWeight(vip, ap(f.a), 0); err != nil {
		t.Fatal(err)
	}
	wantServers(t, env.lb, vip, "drain a", rs(f.a, 0), rs(f.c, 1))
	if err := env.lb.SetWeight(vip, ap(f.c), 0); err != nil {
		t.Fatal(err)
	}
	wantServers(t, env.lb, vip, "drain all", rs(f.a, 0), rs(f.c, 0))
	if err := env.lb.SetWeight(vip, ap(f.a), 1); err != nil {
		t.Fatal(err)
	}
	wantServers(t, env.lb, vip, "undrain a", rs(f.a, 1), rs(f.c, 0))
	if err := env.lb.SetWeight(vip, ap(f.d), 1); err == nil {
		t.Fatal("SetWeight on a real server that is not there succeeded")
	}
	if err := env.lb.SetWeight(ap(f.vip2), ap(f.a), 1); err == nil {
		t.Fatal("SetWeight on a virtual server that is not there succeeded")
	}
	wantServers(t, env.lb, vip, "after failed SetWeights", rs(f.a, 1), rs(f.c, 0))
}

func suiteDelete(t *testing.T, env suiteEnv) {
	f, vip := env.fam, ap(env.fam.vip)
	if err := env.lb.Delete(vip); err != nil {
		t.Fatalf("Delete of an absent virtual server: %v", err)
	}
	mustEnsure(t, env.lb, vip, rs(f.a, 1))
	if err := env.lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, env.lb, vip, "after Delete")
	if err := env.lb.Delete(vip); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	mustEnsure(t, env.lb, vip, rs(f.c, 1))
	wantServers(t, env.lb, vip, "re-create after Delete", rs(f.c, 1))
}

func suiteCleanupOnlyOurs(t *testing.T, env suiteEnv) {
	f, vip, vip2 := env.fam, ap(env.fam.vip), ap(env.fam.vip2)
	check := func() error { return nil }
	if env.backend.foreign != nil {
		check = env.backend.foreign(t, env.ns, vip)
	}
	mustEnsure(t, env.lb, vip, rs(f.a, 1), rs(f.c, 1))
	mustEnsure(t, env.lb, vip2, rs(f.d, 1))
	if err := env.lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, env.lb, vip, "deleted VIP")
	wantServers(t, env.lb, vip2, "other VIP after deleting the first", rs(f.d, 1))
	if err := check(); err != nil {
		t.Fatalf("after deleting one of two VIPs: %v", err)
	}
	if err := env.lb.Delete(vip2); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, env.lb, vip2, "second deleted VIP")
	if err := check(); err != nil {
		t.Fatalf("after deleting every VIP: %v", err)
	}
}

// echoServer is a TCP server in its own namespace, joined to the client
// namespace by a veth pair: it greets every connection with its name and a
// newline, then echoes what it reads.
type echoServer struct {
	name string
	addr netip.AddrPort
	ns   netns.NsHandle
	h    *netlink.Handle
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	open map[net.Conn]bool
}

// newEchoServer makes a namespace and a veth pair: client side hostCIDR on
// link name in the client namespace (via clientH), server side nsCIDR with
// a default route back via the client side.
func newEchoServer(t testing.TB, clientH *netlink.Handle, name, hostCIDR, nsCIDR string, port uint16) *echoServer {
	t.Helper()
	ns, h := newNetns(t)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p", PeerNamespace: netlink.NsFd(int(ns))}
	if err := clientH.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth %s: %v", name, err)
	}
	hostLink, err := clientH.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	addAddr(t, clientH, hostLink, hostCIDR)
	if err := clientH.LinkSetUp(hostLink); err != nil {
		t.Fatal(err)
	}
	peer, err := h.LinkByName(name + "p")
	if err != nil {
		t.Fatal(err)
	}
	addAddr(t, h, peer, nsCIDR)
	if err := h.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	hostIP := netip.MustParsePrefix(hostCIDR).Addr()
	if err := h.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: net.IP(hostIP.AsSlice())}); err != nil {
		t.Fatalf("default route in %s: %v", name, err)
	}
	s := &echoServer{name: name, addr: netip.AddrPortFrom(netip.MustParsePrefix(nsCIDR).Addr(), port), ns: ns, h: h, open: map[net.Conn]bool{}}
	var lerr error
	inNetns(t, ns, func() { s.ln, lerr = net.Listen("tcp", s.addr.String()) })
	if lerr != nil {
		t.Fatalf("listening in %s: %v", name, lerr)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *echoServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { s.mu.Lock(); delete(s.open, c); s.mu.Unlock(); c.Close() }()
			if _, err := io.WriteString(c, s.name+"\n"); err != nil {
				return
			}
			_, _ = io.Copy(c, c)
		}()
	}
}

func (s *echoServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// dialIn connects from inside ns (a socket keeps its namespace, so the
// connection can be used from any goroutine afterwards).
func dialIn(t testing.TB, ns netns.NsHandle, addr netip.AddrPort) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	var err error
	inNetns(t, ns, func() { c, err = net.DialTimeout("tcp", addr.String(), 2*time.Second) })
	return c, err
}

// greet connects to addr from ns and returns the server's name; the
// connection stays open for the caller (nil conn on error).
func greet(t testing.TB, ns netns.NsHandle, addr netip.AddrPort) (string, net.Conn) {
	t.Helper()
	c, err := dialIn(t, ns, addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		t.Fatalf("reading the greeting from %s: %v", addr, err)
	}
	return strings.TrimSuffix(line, "\n"), c
}

func hitOnce(t testing.TB, ns netns.NsHandle, addr netip.AddrPort) string {
	t.Helper()
	who, c := greet(t, ns, addr)
	c.Close()
	return who
}

// echo checks that c (already greeted) still echoes.
func echo(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echoed %q, want ping", line)
	}
	return nil
}

// setupForwarding makes servers a and b, the VIP route, and the virtual
// server over both.
func setupForwarding(t testing.TB, env suiteEnv) (vip netip.AddrPort, a, b *echoServer) {
	t.Helper()
	f := env.fam
	vip = ap(f.vip)
	a = newEchoServer(t, env.h, "lbt-a", f.hostA, f.nsA, 8080)
	b = newEchoServer(t, env.h, "lbt-b", f.hostB, f.nsB, 8080)
	// Reach both servers directly first, with a long timeout: on a fresh
	// veth the first IPv6 SYN is often lost (the host's 6.18 kernel and the
	// VM's 6.1 alike, direct or through either balancer), and the 1 s SYN
	// retransmit exceeds the suite's dial timeout under the VM's emulation.
	// That is the test network settling, not the balancer under test.
	for _, s := range []*echoServer{a, b} {
		var c net.Conn
		var err error
		inNetns(t, env.ns, func() { c, err = net.DialTimeout("tcp", s.addr.String(), 10*time.Second) })
		if err != nil {
			t.Fatalf("connecting directly to %s: %v", s.addr, err)
		}
		c.Close()
	}
	if _, err := NewRoutes(env.h).Ensure(vip.Addr(), a.addr.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := env.lb.Ensure(VirtualServer{VIP: vip, RealServers: []RealServer{{a.addr, 1}, {b.addr, 1}}}); err != nil {
		t.Fatal(err)
	}
	return vip, a, b
}

func suiteForwarding(t *testing.T, env suiteEnv) {
	vip, a, b := setupForwarding(t, env)
	counts := map[string]int{}
	var toA net.Conn // an established connection to a, kept across the drain
	for range 10 {
		who, c := greet(t, env.ns, vip)
		counts[who]++
		if who == a.name && toA == nil {
			toA = c
			continue
		}
		c.Close()
	}
	if toA != nil {
		defer toA.Close()
	}
	if counts[a.name] != 5 || counts[b.name] != 5 {
		t.Fatalf("answers %v, want 5 each (round-robin)", counts)
	}
	// Drain a: new connections go to b only; the established one stays.
	if err := env.lb.SetWeight(vip, a.addr, 0); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if who := hitOnce(t, env.ns, vip); who != b.name {
			t.Fatalf("drained server answered a new connection (%s)", who)
		}
	}
	if err := echo(toA); err != nil {
		t.Fatalf("established connection to the drained server broke: %v", err)
	}
	// Remove b, undrain a: everything goes to a.
	if err := env.lb.Ensure(VirtualServer{VIP: vip, RealServers: []RealServer{{a.addr, 1}}}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if who := hitOnce(t, env.ns, vip); who != a.name {
			t.Fatalf("removed server answered (%s)", who)
		}
	}
	// Deleted: nothing answers on the VIP any more.
	if err := env.lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	if c, err := dialInShort(t, env.ns, vip); err == nil {
		c.Close()
		t.Fatal("connected to the VIP after Delete")
	}
}

// dialInShort dials with a short timeout, for connections expected to fail.
func dialInShort(t testing.TB, ns netns.NsHandle, addr netip.AddrPort) (net.Conn, error) {
	t.Helper()
	var c net.Conn
	var err error
	inNetns(t, ns, func() { c, err = net.DialTimeout("tcp", addr.String(), 300*time.Millisecond) })
	return c, err
}
