package care

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"testing"

	"github.com/google/nftables"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vishvananda/netns"

	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

// The daemon on the nftables backend, on the host, as root: the backend
// programs a network namespace the test creates (the masters are loopback
// HTTPS servers in the test's own namespace; only the probes reach them).

// newNetns creates a network namespace and returns to the caller's.
func newNetns(t *testing.T) netns.NsHandle {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Skipf("network namespaces not available (%v): run as root", err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Skipf("cannot create a network namespace (%v): run as root", err)
	}
	if err := netns.Set(orig); err != nil {
		// Keep the thread locked: Go discards it with this goroutine.
		runtime.LockOSThread()
		t.Fatalf("returning to the original namespace: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func requireNFTables(t *testing.T, ns netns.NsHandle) *locallb.NFTables {
	t.Helper()
	lb, err := locallb.NewNFTables(locallb.NFTablesOptions{NetnsPath: fmt.Sprintf("/proc/self/fd/%d", int(ns))})
	if errors.Is(err, locallb.ErrNFTablesUnavailable) {
		testenv.Unavailable(t, "nftables not available on this kernel (%v); run on a host with nf_tables, as root: go test -run IntegrationCareOnNFTables ./care/", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

func TestIntegrationCareOnNFTables(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root to create a network namespace and program nftables in it: run as root: go test -run IntegrationCareOnNFTables ./care/")
	}
	ns := newNetns(t)
	// One socket per goroutine: lb is the daemon's, other the test's.
	lb, other := requireNFTables(t, ns), requireNFTables(t, ns)
	raw, err := nftables.New(nftables.WithNetNSFd(int(ns)), nftables.AsLasting())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.CloseLasting() })

	a, b := newTestMaster(t), newTestMaster(t)
	vip := netip.MustParseAddrPort("10.251.9.1:6443")
	cfg := fastConfig(vip, a, b)
	cfg.Backend = locallb.BackendNFTables
	cfg.RestorePeriod = NewOptions().RestorePeriod // the default, 200ms
	p, err := NewHTTPProber(cfg.Probe, "lvscare-integration")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	metrics := NewMetrics()
	go func() {
		done <- NewDaemon(cfg, lb, p, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics).Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
		p.Close()
		if err := other.RemoveTables(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	both := func(s map[netip.AddrPort]int) bool { return len(s) == 2 && s[a.addr] == 1 && s[b.addr] == 1 }
	waitKernel(t, other, vip, "both masters programmed", both)

	// The daemon must put its table back after someone deletes it (issue 6
	// asks for within 1 s; the time is logged here and measured by
	// BenchmarkRestoreAfterFlush, not asserted). The restore counter proves
	// the daemon saw each deletion: the state alone could look restored
	// before we look.
	restores := func() float64 { return testutil.ToFloat64(metrics.restores.WithLabelValues(vip.String())) }
	for _, tamper := range []struct {
		name string
		do   func()
	}{
		{"delete our table", func() {
			raw.DelTable(&nftables.Table{Name: locallb.NFTablesTable, Family: nftables.TableFamilyIPv4})
		}},
		{"flush the whole ruleset", raw.FlushRuleset},
	} {
		before := restores()
		tamper.do()
		if err := raw.Flush(); err != nil {
			t.Fatalf("%s: %v", tamper.name, err)
		}
		took := waitKernel(t, other, vip, "restored after: "+tamper.name, func(s map[netip.AddrPort]int) bool {
			return both(s) && restores() > before
		})
		t.Logf("restored %v after: %s (restore counter %v -> %v)", took, tamper.name, before, restores())
	}

	a.kill()
	took := waitKernel(t, other, vip, "killed master removed", func(s map[netip.AddrPort]int) bool {
		_, hasA := s[a.addr]
		return !hasA && s[b.addr] == 1
	})
	t.Logf("killed master out of the kernel after %v", took)
	a.revive()
	took = waitKernel(t, other, vip, "revived master re-added", both)
	t.Logf("revived master back after %v", took)
}
