package care

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sealkube/kubeadm/care/nodestatus"
)

// fakeStatus records what the daemon reports.
type fakeStatus struct {
	mu     sync.Mutex
	snaps  []nodestatus.Snapshot
	events []string // reason: message
}

func (f *fakeStatus) Report(_ context.Context, s nodestatus.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snaps = append(f.snaps, s)
	return nil
}

func (f *fakeStatus) Event(_ context.Context, _ bool, reason, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, reason+": "+msg)
	return nil
}

func (f *fakeStatus) lastCondition() (nodestatus.Snapshot, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.snaps) == 0 {
		return nodestatus.Snapshot{}, false
	}
	return f.snaps[len(f.snaps)-1], true
}

func (f *fakeStatus) hasEvent(reason string, rs netip.AddrPort) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.events, func(e string) bool {
		return strings.HasPrefix(e, reason+":") && strings.Contains(e, rs.String())
	})
}

// TestDaemonFollowsTheMasterList: the cluster adds a master (probed, then
// added), drops one that goes away (drained at once, removed and its
// connections ended when it stops answering, then forgotten), and the
// node's condition and Events say so.
func TestDaemonFollowsTheMasterList(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t), newTestMaster(t)}
	for _, m := range ms {
		warmTLS(t, m)
	}
	lb := newMemBalancer()
	members := make(chan Membership)
	status := &fakeStatus{}
	r := startDaemonWith(t, fastConfig(vip, ms[0], ms[1]), lb, func(d *Daemon) {
		d.SetMembership(members)
		d.SetStatus(status)
	})
	eventually(t, waitLimit, "seed masters active", func() bool { return weightIs(lb, ms[0].addr, 1)() && weightIs(lb, ms[1].addr, 1)() })

	// A third master joins the cluster.
	members <- Membership{Servers: []netip.AddrPort{ms[0].addr, ms[1].addr, ms[2].addr}, Source: "cluster"}
	eventually(t, waitLimit, "new master added after its probes", weightIs(lb, ms[2].addr, 1))
	if got := testutil.ToFloat64(r.metrics.masterList.WithLabelValues(vip.String(), "cluster")); got != 3 {
		t.Errorf("lvscare_master_list_size{source=cluster} = %v, want 3", got)
	}
	eventually(t, waitLimit, "condition: 3/3 healthy from the cluster", func() bool {
		s, ok := status.lastCondition()
		c := nodestatus.Condition(s)
		return ok && c.Reason == nodestatus.ReasonAllHealthy && strings.Contains(c.Message, "3/3") && strings.Contains(c.Message, "list from cluster")
	})

	// The first is removed from the cluster (kubeadm reset on it): it
	// leaves the list, then stops answering.
	members <- Membership{Servers: []netip.AddrPort{ms[1].addr, ms[2].addr}, Source: "cluster"}
	eventually(t, waitLimit, "dropped master drained at once", weightIs(lb, ms[0].addr, 0))
	if n, _ := lb.flushes(ms[0].addr); n != 0 {
		t.Fatalf("a dropped master that still answers was flushed %d times", n)
	}
	ms[0].kill()
	eventually(t, waitLimit, "dropped master removed once it stops answering", absent(lb, ms[0].addr))
	eventually(t, waitLimit, "its connections ended", func() bool { n, _ := lb.flushes(ms[0].addr); return n == 1 })
	eventually(t, waitLimit, "and forgotten", func() bool {
		return testutil.CollectAndCount(r.metrics.phase, "lvscare_real_server_phase") == 2*3
	})
	for _, e := range []struct {
		reason string
		rs     netip.AddrPort
	}{
		{nodestatus.EventMasterListed, ms[2].addr},
		{nodestatus.EventMasterAdded, ms[2].addr},
		{nodestatus.EventMasterRetired, ms[0].addr},
	} {
		if !status.hasEvent(e.reason, e.rs) {
			t.Errorf("no %s event for %s; events %v", e.reason, e.rs, status.events)
		}
	}
	eventually(t, waitLimit, "condition: 2/2 healthy, the removed master gone", func() bool {
		s, _ := status.lastCondition()
		c := nodestatus.Condition(s)
		return strings.Contains(c.Message, "2/2") && !strings.Contains(c.Message, ms[0].addr.String())
	})
	time.Sleep(5 * fastConfig(vip).Interval)
	if n, _ := lb.flushes(ms[0].addr); n != 1 {
		t.Errorf("forgotten master flushed %d times, want once", n)
	}
	if w := lb.weights(vip); len(w) != 2 {
		t.Errorf("virtual server %v, want the two listed masters", w)
	}
}
