package care

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

// These tests run the daemon against the kernel's IPVS: inside the VM of
// hack/vm-test.sh (VMTEST=1), or on any host with IPVS, as root.

func requireIPVS(t *testing.T) *locallb.IPVS {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to program IPVS; run with: hack/vm-test.sh ./care/")
	}
	lb, err := locallb.NewIPVS(locallb.IPVSOptions{})
	switch {
	case errors.Is(err, locallb.ErrIPVSUnavailable) && os.Getenv("VMTEST") == "1":
		t.Fatalf("inside the test VM but IPVS is unavailable: %v", err)
	case errors.Is(err, locallb.ErrIPVSUnavailable):
		t.Skipf("IPVS not available on this kernel: run hack/vm-test.sh ./care/ (%v)", err)
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

// kernelState reads the real servers and weights of vip from the kernel.
func kernelState(t *testing.T, lb locallb.Balancer, vip netip.AddrPort) map[netip.AddrPort]int {
	t.Helper()
	vs, found, err := lb.Get(vip)
	if err != nil {
		t.Fatalf("reading IPVS: %v", err)
	}
	if !found {
		return nil
	}
	got := map[netip.AddrPort]int{}
	for _, rs := range vs.RealServers {
		got[rs.Addr] = rs.Weight
	}
	return got
}

// waitKernel polls the kernel until cond holds; it returns how long that took.
func waitKernel(t *testing.T, lb locallb.Balancer, vip netip.AddrPort, what string, cond func(map[netip.AddrPort]int) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < waitLimit {
		if cond(kernelState(t, lb, vip)) {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %v; kernel has %v", what, waitLimit, kernelState(t, lb, vip))
	return 0
}

func TestIntegrationCareOnIPVS(t *testing.T) {
	// One handle per goroutine: a moby/ipvs handle is one netlink socket, and
	// concurrent requests on it mix up their answers. lb is the daemon's;
	// other is the test's, for reading and for the flush.
	lb, other := requireIPVS(t), requireIPVS(t)
	a, b := newTestMaster(t), newTestMaster(t)
	vip := netip.MustParseAddrPort("10.250.9.1:6443")
	cfg := fastConfig(vip, a, b)
	p, err := NewHTTPProber(cfg.Probe, "lvscare-integration")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewDaemon(cfg, lb, p, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics()).Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
		p.Close()
		if err := other.Delete(vip); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	both := func(s map[netip.AddrPort]int) bool { return len(s) == 2 && s[a.addr] == 1 && s[b.addr] == 1 }
	waitKernel(t, other, vip, "both masters programmed", both)

	// Something (kube-proxy starting in nftables mode, an admin) flushes IPVS.
	if err := other.Delete(vip); err != nil {
		t.Fatal(err)
	}
	took := waitKernel(t, other, vip, "virtual server restored after a flush", both)
	t.Logf("restored %v after the flush", took)

	a.kill()
	took = waitKernel(t, other, vip, "killed master removed", func(s map[netip.AddrPort]int) bool {
		_, hasA := s[a.addr]
		return !hasA && s[b.addr] == 1
	})
	t.Logf("killed master out of the kernel after %v", took)

	a.revive()
	took = waitKernel(t, other, vip, "revived master re-added", both)
	t.Logf("revived master back after %v", took)
}
