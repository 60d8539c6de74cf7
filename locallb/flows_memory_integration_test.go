package locallb

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// fillConntrack creates n conntrack entries of other connections (TCP
// 10.253.x.y:port -> 10.253.255.1:443, established) in ns.
func fillConntrack(t testing.TB, ns netns.NsHandle, n int) {
	t.Helper()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_NETFILTER)
	if err != nil {
		// The VM's kernel has no nfnetlink loaded (EPROTONOSUPPORT);
		// the host runs this test.
		testenvSkipConntrack(t, 0, err)
	}
	defer h.Close()
	server := net.ParseIP("10.253.255.1").To4()
	for i := range n {
		client := net.IPv4(10, 253, byte(i>>16), byte(i>>8)).To4()
		port := uint16(1024 + i&0xff)
		f := &netlink.ConntrackFlow{
			FamilyType: unix.AF_INET,
			Forward:    netlink.IPTuple{Protocol: unix.IPPROTO_TCP, SrcIP: client, DstIP: server, SrcPort: port, DstPort: 443},
			Reverse:    netlink.IPTuple{Protocol: unix.IPPROTO_TCP, SrcIP: server, DstIP: client, SrcPort: 443, DstPort: port},
			TimeOut:    600,
			ProtoInfo:  &netlink.ProtoInfoTCP{State: 3}, // TCP_CONNTRACK_ESTABLISHED
		}
		if err := h.ConntrackCreate(netlink.ConntrackTable, unix.AF_INET, f); err != nil {
			testenvSkipConntrack(t, i, err)
		}
	}
}

func testenvSkipConntrack(t testing.TB, i int, err error) {
	t.Helper()
	if i == 0 {
		t.Skipf("cannot create conntrack entries in a test namespace (%v): needs nf_conntrack and root", err)
	}
	t.Fatalf("creating conntrack entry %d: %v", i, err)
}

// peakLiveHeap runs f while sampling the live heap (after a collection),
// and returns the largest sample above the heap before f.
func peakLiveHeap(f func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for !stop.Load() {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
		}
	})
	f()
	stop.Store(true)
	wg.Wait()
	return peak.Load()
}

// TestIntegrationFlushConntrackMemory: the flush of a dead master reads
// the whole conntrack table of the node; with 50000 entries of other
// connections the live heap it needs must stay far below the care
// daemon's 16 MiB request. (The library's ConntrackTableList and
// ConntrackDeleteFilters held the table twice, raw and parsed: tens of
// MiB.)
func TestIntegrationFlushConntrackMemory(t *testing.T) {
	requireNetns(t)
	ns, _ := newNetns(t)
	const n = 50000
	fillConntrack(t, ns, n)
	vip, rs := ap("10.253.254.1:6443"), ap("10.253.254.2:6443")
	var ended int
	var err error
	peak := peakLiveHeap(func() { ended, err = flushConntrack(nsPath(ns), vip, rs, false) })
	if err != nil || ended != 0 {
		t.Fatalf("flushConntrack = %d, %v; want 0, nil", ended, err)
	}
	t.Logf("flush over %d conntrack entries: peak live heap +%d KiB", n, peak>>10)
	if peak > 8<<20 {
		t.Fatalf("the flush over %d conntrack entries held %d KiB of live heap, want under 8 MiB (half the care daemon's request): memory grows with the table", n, peak>>10)
	}
}

// BenchmarkIntegrationFlushConntrack measures a flush over a table of n
// entries in a test namespace (root): B/op, and the peak live heap
// (peak-live-B/op), for comparing implementations:
// go test -run '^$' -bench IntegrationFlushConntrack -benchmem ./locallb/
func BenchmarkIntegrationFlushConntrack(b *testing.B) {
	requireNetns(b)
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			ns, _ := newNetns(b)
			fillConntrack(b, ns, n)
			vip, rs := ap("10.253.254.1:6443"), ap("10.253.254.2:6443")
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				p := peakLiveHeap(func() {
					if _, err := flushConntrack(nsPath(ns), vip, rs, false); err != nil {
						b.Fatal(err)
					}
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak), "peak-live-B")
		})
	}
}
