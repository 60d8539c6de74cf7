package locallb

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"

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
	root, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	a := newEchoServer(t, root, "lbt-a", "10.250.1.1/24", "10.250.1.2/24", 6443) // makes the master reachable
	routes := NewRoutes(nil)
	in := Installer{Balancer: b, Routes: routes, StatePath: t.TempDir() + "/state.json"}
	e, _, err := ParseEndpoints("10.250.0.110:6443", []string{a.addr.String(), "10.250.1.3:6443"})
	if err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, b, e.VIP)
	t.Cleanup(func() { _ = routes.Remove(e.VIP.Addr()) })
	if _, err := in.Install(e); err != nil {
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
	if !h.IsServicePresent(toService(netip.MustParseAddrPort("10.250.0.100:6443"), "")) {
		t.Skip("moby/ipvs did not report a false success here; nothing to check")
	}
	if err := probeHandle(h); !errors.Is(err, ErrStaleIPVSFamily) {
		t.Fatalf("probe on a kernel without IPVS: %v, want ErrStaleIPVSFamily", err)
	}
}
