package care

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

var m3 = netip.MustParseAddrPort("192.168.0.5:6443")

func rsList(servers ...locallb.RealServer) locallb.VirtualServer {
	return locallb.VirtualServer{VIP: vip, RealServers: servers}
}

func up(a netip.AddrPort) locallb.RealServer    { return locallb.RealServer{Addr: a, Weight: 1} }
func drain(a netip.AddrPort) locallb.RealServer { return locallb.RealServer{Addr: a, Weight: 0} }

// TestCoreSetServers drives membership changes the cluster announces
// against probes, in fake time; each step checks the desired virtual
// server, the phase and whether the server's connections are to be ended.
func TestCoreSetServers(t *testing.T) {
	refused := outcome{err: errRefused, latency: time.Millisecond}
	ok := outcome{latency: time.Millisecond}
	// prober answers per server: those in dead fail (refused) from the
	// given elapsed time on.
	prober := func(dead map[netip.AddrPort]time.Duration) fakeProber {
		return func(rs netip.AddrPort, at time.Duration) outcome {
			if from, found := dead[rs]; found && at >= from {
				return refused
			}
			return ok
		}
	}
	type step struct {
		at   time.Duration
		set  []netip.AddrPort // when non-nil, SetServers at this time
		want locallb.VirtualServer
		// phase and dead of the step's server, when server is valid.
		server netip.AddrPort
		phase  Phase
		dead   bool
	}
	tests := []struct {
		name  string
		dead  map[netip.AddrPort]time.Duration
		steps []step
	}{
		{
			name: "a new master joins after rise passes, not before",
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1, m2, m3}, want: rsList(up(m0), up(m1), up(m2)), server: m3, phase: Removed},
				// Probed at once (5 s), then a retry 100 ms later: the second pass adds it.
				{at: 5050 * time.Millisecond, want: rsList(up(m0), up(m1), up(m2)), server: m3, phase: Removed},
				{at: 5200 * time.Millisecond, want: rsList(up(m0), up(m1), up(m2), up(m3)), server: m3, phase: Active},
			},
		},
		{
			name: "a new master that does not answer is never added nor flushed",
			dead: map[netip.AddrPort]time.Duration{m3: 0},
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1, m2, m3}},
				{at: 20 * time.Second, want: rsList(up(m0), up(m1), up(m2)), server: m3, phase: Removed, dead: false},
			},
		},
		{
			name: "a removed master is drained at once and leaves when it stops answering",
			dead: map[netip.AddrPort]time.Duration{m2: 8 * time.Second},
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1}, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
				{at: 7500 * time.Millisecond, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
				// Its probe at 8 s gets no answer: removed at once, dead.
				{at: 8100 * time.Millisecond, want: rsList(up(m0), up(m1)), server: m2, phase: Removed, dead: true},
			},
		},
		{
			name: "a dropped master that keeps answering leaves at the retire bound",
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1}, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
				{at: 5*time.Second + DefaultRetireAfter - time.Millisecond, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
				{at: 5*time.Second + DefaultRetireAfter, want: rsList(up(m0), up(m1)), server: m2, phase: Removed, dead: true},
			},
		},
		{
			name: "a restart: dropped at SIGTERM, listed again after it is back",
			dead: map[netip.AddrPort]time.Duration{},
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1}, server: m2, phase: Draining},
				{at: 9 * time.Second, set: []netip.AddrPort{m0, m1, m2}, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
				// Rises as any draining server: 2 passes, the first at its next interval.
				{at: 11 * time.Second, want: rsList(up(m0), up(m1), up(m2)), server: m2, phase: Active},
			},
		},
		{
			name: "an empty list changes nothing",
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{}, want: rsList(up(m0), up(m1), up(m2)), server: m2, phase: Active},
			},
		},
		{
			name: "fail open keeps the listed masters, not the dropped one",
			dead: map[netip.AddrPort]time.Duration{m0: 10 * time.Second, m1: 10 * time.Second},
			steps: []step{
				{at: 5 * time.Second, set: []netip.AddrPort{m0, m1}, server: m2, phase: Draining},
				{at: 15 * time.Second, want: rsList(up(m0), up(m1), drain(m2)), server: m2, phase: Draining},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(defaultCore(m0, m1, m2), 400*time.Millisecond, prober(tc.dead))
			for _, st := range tc.steps {
				s.run(st.at)
				if st.set != nil {
					s.core.SetServers(st.set, s.now)
				}
				if st.want.VIP.IsValid() {
					if got := s.core.Desired(); !SameVirtualServer(got, st.want) {
						t.Errorf("at %v: desired %+v, want %+v (log %+v)", st.at, got.RealServers, st.want.RealServers, s.log)
					}
				}
				if st.server.IsValid() {
					if p, d := s.core.Phase(st.server), s.core.Dead(st.server); p != st.phase || d != st.dead {
						t.Errorf("at %v: %s %s, dead %v; want %s, dead %v (log %+v)", st.at, st.server, p, d, st.phase, st.dead, s.log)
					}
				}
			}
		})
	}
}

func TestCoreForget(t *testing.T) {
	k := NewCore(defaultCore(m0, m1, m2), t0)
	if k.Forget(m2) {
		t.Fatal("Forget dropped a listed server")
	}
	k.SetServers([]netip.AddrPort{m0, m1}, t0)
	if k.Forget(m2) {
		t.Fatal("Forget dropped a retired server that is still draining")
	}
	k.Expire(t0.Add(DefaultRetireAfter))
	if !k.Forget(m2) {
		t.Fatal("Forget kept a retired, removed server")
	}
	if got := k.Servers(); len(got) != 2 || k.Phase(m2) != Removed || k.Retired(m2) {
		t.Fatalf("after Forget: servers %v, m2 %s retired %v", got, k.Phase(m2), k.Retired(m2))
	}
	// Listed again later: a new server, probed and risen like any other.
	k.SetServers([]netip.AddrPort{m0, m1, m2}, t0.Add(2*DefaultRetireAfter))
	if got := k.Servers(); len(got) != 3 || k.Phase(m2) != Removed {
		t.Fatalf("listed again: servers %v, m2 %s", got, k.Phase(m2))
	}
}
