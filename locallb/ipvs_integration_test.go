package locallb

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// These tests need a kernel with IPVS and root. They program the IPVS table
// of the namespace they run in (the VM's root namespace under
// hack/vm-test.sh); real servers live only in namespaces they create.

const ipvsSkip = "IPVS not available on this kernel: run hack/vm-test.sh"

func requireIPVS(tb testing.TB) *IPVS {
	tb.Helper()
	if testing.Short() {
		tb.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		tb.Skip("needs root to program IPVS: " + ipvsSkip)
	}
	b, err := NewIPVS(IPVSOptions{})
	if errors.Is(err, ErrIPVSUnavailable) {
		if os.Getenv("VMTEST") == "1" {
			// Inside hack/vm-test.sh's VM a missing IPVS is a harness bug.
			tb.Fatalf("inside the test VM but IPVS is unavailable: %v", err)
		}
		tb.Skipf("%s (%v)", ipvsSkip, err)
	}
	if err != nil {
		tb.Fatalf("NewIPVS: %v", err)
	}
	tb.Cleanup(b.Close)
	return b
}

func deleteOnCleanup(tb testing.TB, b Balancer, vip netip.AddrPort) {
	tb.Cleanup(func() {
		if err := b.Delete(vip); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
	})
}

func TestIntegrationIPVSReconcile(t *testing.T) {
	b := requireIPVS(t)
	for _, tc := range []struct {
		name       string
		vip        string
		a, c, d, e string
	}{
		{"ipv4", "10.250.0.100:6443", "10.250.1.2:6443", "10.250.1.3:6443", "10.250.1.4:6443", "10.250.1.5:7443"},
		{"ipv6", "[fd00:250::100]:6443", "[fd00:250:1::2]:6443", "[fd00:250:1::3]:6443", "[fd00:250:1::4]:6443", "[fd00:250:1::5]:7443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vip := netip.MustParseAddrPort(tc.vip)
			deleteOnCleanup(t, b, vip)
			check := func(step string, want []RealServer) {
				t.Helper()
				got, found, err := b.Get(vip)
				if err != nil || !found {
					t.Fatalf("%s: Get found=%v err=%v", step, found, err)
				}
				w := append([]RealServer{}, want...)
				SortRealServers(w)
				if !reflect.DeepEqual(got.RealServers, w) {
					t.Fatalf("%s: real servers %v, want %v", step, got.RealServers, w)
				}
			}
			create := []RealServer{rs(tc.a, 1), rs(tc.c, 1), rs(tc.d, 1)}
			if err := b.Ensure(VirtualServer{VIP: vip, RealServers: create}); err != nil {
				t.Fatal(err)
			}
			check("create", create)
			if err := b.Ensure(VirtualServer{VIP: vip, RealServers: create}); err != nil {
				t.Fatal(err)
			}
			check("no-op", create)
			// Add e, remove d, reweight c.
			next := []RealServer{rs(tc.a, 1), rs(tc.c, 3), rs(tc.e, 1)}
			if err := b.Ensure(VirtualServer{VIP: vip, RealServers: next}); err != nil {
				t.Fatal(err)
			}
			check("reconcile", next)
			if err := b.SetWeight(vip, netip.MustParseAddrPort(tc.a), 0); err != nil {
				t.Fatal(err)
			}
			check("drain", []RealServer{rs(tc.a, 0), rs(tc.c, 3), rs(tc.e, 1)})
			if err := b.SetWeight(vip, netip.MustParseAddrPort(tc.d), 1); err == nil {
				t.Fatal("SetWeight on a removed real server succeeded")
			}
			if err := b.Delete(vip); err != nil {
				t.Fatal(err)
			}
			if _, found, err := b.Get(vip); found || err != nil {
				t.Fatalf("after Delete: found=%v err=%v", found, err)
			}
			if err := b.Delete(vip); err != nil {
				t.Fatalf("second Delete: %v", err)
			}
		})
	}
}

// backend is a TCP server inside its own namespace, joined to the root
// namespace by a veth pair, answering every connection with its name.
type backend struct {
	name string
	addr netip.AddrPort
	ln   net.Listener
	wg   sync.WaitGroup
}

// newBackend makes namespace + veth: root side hostIP/prefix on link name,
// namespace side ip/prefix with a default route back via hostIP.
func newBackend(t *testing.T, name, hostCIDR, nsCIDR string, port uint16) *backend {
	t.Helper()
	ns, h := newNetns(t)
	root, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p", PeerNamespace: netlink.NsFd(int(ns))}
	if err := root.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth %s: %v", name, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			_ = netlink.LinkDel(l)
		}
	})
	hostLink, err := root.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	ipv6 := netip.MustParsePrefix(hostCIDR).Addr().Is6()
	if ipv6 {
		// No DAD on either end, or the root side's link-local stays
		// tentative for a second or two and the kernel sends no neighbour
		// solicitation for the other backend's link (see disableDAD).
		if err := disableDAD(name); err != nil {
			t.Fatalf("disabling DAD on %s: %v", name, err)
		}
		inNetns(t, ns, func() { err = disableDAD(name + "p") })
		if err != nil {
			t.Fatalf("disabling DAD on %sp: %v", name, err)
		}
	}
	addAddr(t, root, hostLink, hostCIDR)
	if err := root.LinkSetUp(hostLink); err != nil {
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
	if ipv6 {
		waitAddrsSettled(t, root, hostLink)
		waitAddrsSettled(t, h, peer)
	}
	hostIP := netip.MustParsePrefix(hostCIDR).Addr()
	if err := h.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: net.IP(hostIP.AsSlice())}); err != nil {
		t.Fatalf("default route in %s: %v", name, err)
	}
	be := &backend{name: name, addr: netip.AddrPortFrom(netip.MustParsePrefix(nsCIDR).Addr(), port)}
	inNetns(t, ns, func() { be.ln, err = net.Listen("tcp", be.addr.String()) })
	if err != nil {
		t.Fatalf("listening in %s: %v", name, err)
	}
	be.wg.Add(1)
	go func() {
		defer be.wg.Done()
		for {
			c, err := be.ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, be.name)
			c.Close()
		}
	}()
	t.Cleanup(func() { be.ln.Close(); be.wg.Wait() })
	return be
}

// hit connects to vip and returns which backend answered.
func hit(t *testing.T, vip netip.AddrPort) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", vip.String(), 2*time.Second)
	if err != nil {
		t.Fatalf("connecting to VIP %s: %v", vip, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading from VIP %s: %v", vip, err)
	}
	return string(b)
}

func TestIntegrationIPVSForwarding(t *testing.T) {
	b := requireIPVS(t)
	for _, tc := range []struct {
		name, vip  string
		hostA, nsA string
		hostB, nsB string
	}{
		{"ipv4", "10.250.0.100:6443", "10.250.1.1/24", "10.250.1.2/24", "10.250.2.1/24", "10.250.2.2/24"},
		{"ipv6", "[fd00:250::100]:6443", "fd00:250:1::1/64", "fd00:250:1::2/64", "fd00:250:2::1/64", "fd00:250:2::2/64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vip := netip.MustParseAddrPort(tc.vip)
			a := newBackend(t, "lbt-a", tc.hostA, tc.nsA, 8080)
			c := newBackend(t, "lbt-b", tc.hostB, tc.nsB, 8080)
			deleteOnCleanup(t, b, vip)
			routes := NewRoutes(nil)
			if _, err := routes.Ensure(vip.Addr(), a.addr.Addr()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = routes.Remove(vip.Addr()) })
			if err := b.Ensure(VirtualServer{VIP: vip, RealServers: []RealServer{{a.addr, 1}, {c.addr, 1}}}); err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for range 10 {
				counts[hit(t, vip)]++
			}
			if counts["lbt-a"] == 0 || counts["lbt-b"] == 0 || counts["lbt-a"]+counts["lbt-b"] != 10 {
				t.Fatalf("answers %v, want both backends", counts)
			}
			t.Logf("round-robin answers: %v", counts)
			// Drain a: new connections go to b only.
			if err := b.SetWeight(vip, a.addr, 0); err != nil {
				t.Fatal(err)
			}
			for range 6 {
				if who := hit(t, vip); who != "lbt-b" {
					t.Fatalf("drained backend answered (%s)", who)
				}
			}
			if err := b.Delete(vip); err != nil {
				t.Fatal(err)
			}
			if err := routes.Remove(vip.Addr()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkEnsureIPVS(bm *testing.B) {
	b := requireIPVS(bm)
	for _, n := range []int{3, 100} {
		vs := benchVS(n)
		deleteOnCleanup(bm, b, vs.VIP)
		bm.Run(fmt.Sprintf("noop/%d", n), func(bm *testing.B) {
			if err := b.Ensure(vs); err != nil {
				bm.Fatal(err)
			}
			bm.ReportAllocs()
			for bm.Loop() {
				if err := b.Ensure(vs); err != nil {
					bm.Fatal(err)
				}
			}
		})
		bm.Run(fmt.Sprintf("create/%d", n), func(bm *testing.B) {
			bm.ReportAllocs()
			for bm.Loop() {
				if err := b.Delete(vs.VIP); err != nil {
					bm.Fatal(err)
				}
				if err := b.Ensure(vs); err != nil {
					bm.Fatal(err)
				}
			}
		})
	}
}

// benchVS is a virtual server with n real servers in 10.250.0.0/16.
func benchVS(n int) VirtualServer {
	vs := VirtualServer{VIP: netip.MustParseAddrPort(fmt.Sprintf("10.250.0.%d:6443", 200+n%50))}
	for i := range n {
		vs.RealServers = append(vs.RealServers, RealServer{
			Addr:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 250, byte(1 + i/250), byte(1 + i%250)}), 6443),
			Weight: 1,
		})
	}
	return vs
}

func BenchmarkEnsureLogic(bm *testing.B) {
	for _, n := range []int{3, 100} {
		vs := benchVS(n)
		bm.Run(fmt.Sprintf("noop/%d", n), func(bm *testing.B) {
			h := newMemHandle()
			if err := ensure(h, vs); err != nil {
				bm.Fatal(err)
			}
			h.reads, h.writes = 0, nil
			bm.ReportAllocs()
			for bm.Loop() {
				if err := ensure(h, vs); err != nil {
					bm.Fatal(err)
				}
			}
			bm.ReportMetric(float64(h.reads)/float64(bm.N), "reads/op")
			bm.ReportMetric(float64(len(h.writes))/float64(bm.N), "writes/op")
		})
		bm.Run(fmt.Sprintf("oneweight/%d", n), func(bm *testing.B) {
			h := newMemHandle()
			if err := ensure(h, vs); err != nil {
				bm.Fatal(err)
			}
			h.reads, h.writes = 0, nil
			flip := VirtualServer{VIP: vs.VIP, RealServers: append([]RealServer{}, vs.RealServers...)}
			bm.ReportAllocs()
			i := 0
			for bm.Loop() {
				flip.RealServers[0].Weight = i % 2
				i++
				if err := ensure(h, flip); err != nil {
					bm.Fatal(err)
				}
			}
			bm.ReportMetric(float64(len(h.writes))/float64(bm.N), "writes/op")
		})
	}
}

// TestIntegrationInstallCleanup: Install programs IPVS (and a route when
// needed), Cleanup leaves neither behind, nor the state file.
func TestIntegrationInstallCleanup(t *testing.T) {
	b := requireIPVS(t)
	a := newBackend(t, "lbt-a", "10.250.1.1/24", "10.250.1.2/24", 6443) // makes the master reachable
	routes := NewRoutes(nil)
	in := Installer{Balancer: b, Routes: routes, StatePath: t.TempDir() + "/state.json"}
	e, _, err := ParseEndpoints("10.250.0.110:6443", []string{a.addr.String(), "10.250.1.3:6443"})
	if err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, b, e.VIP)
	t.Cleanup(func() { _ = routes.Remove(e.VIP.Addr()) })
	if err := in.Install(e); err != nil {
		t.Fatal(err)
	}
	if _, found, err := b.Get(e.VIP); !found || err != nil {
		t.Fatalf("after Install: found=%v err=%v", found, err)
	}
	if err := in.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, found, err := b.Get(e.VIP); found || err != nil {
		t.Fatalf("after Cleanup: found=%v err=%v", found, err)
	}
	if mine, err := routes.ours(e.VIP.Addr()); err != nil || len(mine) != 0 {
		t.Fatalf("routes of ours after Cleanup: %v %v", mine, err)
	}
	if _, found, err := in.ReadState(); found || err != nil {
		t.Fatalf("state after Cleanup: found=%v err=%v", found, err)
	}
}

// TestIntegrationProbeCatchesFalseSuccess runs only where IPVS is missing:
// there moby/ipvs "succeeds" (family 0) and our probe must say so. It never
// runs where IPVS works, because opening the handle first would poison the
// process's cached family for the other tests.
func TestIntegrationProbeCatchesFalseSuccess(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if err := DetectIPVS(KernelModules{}); err == nil {
		t.Skip("IPVS is available here; this test is for kernels without it")
	}
	h, err := ipvs.New("")
	if err != nil {
		t.Skipf("cannot open a generic netlink socket: %v", err)
	}
	defer h.Close()
	if !h.IsServicePresent(toService(netip.MustParseAddrPort("10.250.0.100:6443"))) {
		t.Skip("moby/ipvs did not report a false success here; nothing to check")
	}
	if err := probeHandle(h); !errors.Is(err, ErrStaleIPVSFamily) {
		t.Fatalf("probe on a kernel without IPVS: %v, want ErrStaleIPVSFamily", err)
	}
}
