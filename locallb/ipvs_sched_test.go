package locallb

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/ipvs"
)

// The scheduler chosen with SetScheduler is what Ensure creates, what it
// restores when someone changes it, and a no-op Ensure writes nothing.
func TestIPVSSetScheduler(t *testing.T) {
	vs := VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)}}
	for _, sched := range IPVSSchedulers {
		t.Run(sched, func(t *testing.T) {
			h := newMemHandle()
			b := &IPVS{h: h}
			if err := b.SetScheduler(sched); err != nil {
				t.Fatal(err)
			}
			if err := b.Ensure(vs); err != nil {
				t.Fatal(err)
			}
			if got := h.svcs[vip4].svc.SchedName; got != sched {
				t.Fatalf("created with scheduler %q, want %q", got, sched)
			}
			h.writes = nil
			if err := b.Ensure(vs); err != nil || len(h.writes) != 0 {
				t.Fatalf("second Ensure: err %v, writes %q; want none", err, h.writes)
			}
			// Someone resets it (e.g. ipvsadm -E -s rr, or to wlc).
			other := map[bool]string{true: ipvs.WeightedLeastConnection, false: ipvs.RoundRobin}[sched == ipvs.RoundRobin]
			s := h.svcs[vip4].svc
			s.SchedName = other
			h.svcs[vip4].svc = s
			if err := b.Ensure(vs); err != nil {
				t.Fatal(err)
			}
			if got := h.svcs[vip4].svc.SchedName; got != sched {
				t.Fatalf("after a change to %s Ensure left %q, want %q", other, got, sched)
			}
		})
	}
}

func TestIPVSSetSchedulerRejectsUnknown(t *testing.T) {
	b := &IPVS{h: newMemHandle()}
	err := b.SetScheduler("mh")
	if err == nil || !strings.Contains(err.Error(), `"mh"`) || !strings.Contains(err.Error(), "wrr") {
		t.Fatalf("SetScheduler(mh) = %v, want an error naming mh and the supported ones", err)
	}
	// The default stays round-robin.
	if err := b.Ensure(VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1)}}); err != nil {
		t.Fatal(err)
	}
	if got := b.h.(*memHandle).svcs[netip.AddrPort(vip4)].svc.SchedName; got != ipvs.RoundRobin {
		t.Fatalf("scheduler = %q, want rr", got)
	}
}

// Get reports a scheduler other than the chosen one as a deviation (so the
// daemon restores it), and the chosen one as none.
func TestIPVSGetComparesTheChosenScheduler(t *testing.T) {
	h := newMemHandle()
	b := &IPVS{h: h}
	if err := b.SetScheduler(ipvs.WeightedRoundRobin); err != nil {
		t.Fatal(err)
	}
	vs := VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1)}}
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	got, found, err := b.Get(vip4)
	if err != nil || !found || len(got.Deviations) != 0 {
		t.Fatalf("Get = %+v %v %v; want no deviation with the chosen wrr", got, found, err)
	}
	s := h.svcs[vip4].svc
	s.SchedName = ipvs.RoundRobin
	h.svcs[vip4].svc = s
	if got, _, _ := b.Get(vip4); len(got.Deviations) != 1 || got.Deviations[0] != "scheduler rr" {
		t.Fatalf("deviations %q, want [scheduler rr]", got.Deviations)
	}
}
