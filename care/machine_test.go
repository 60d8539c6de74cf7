package care

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

var (
	vip = netip.MustParseAddrPort("10.103.97.2:6443")
	m0  = netip.MustParseAddrPort("192.168.0.2:6443")
	m1  = netip.MustParseAddrPort("192.168.0.3:6443")
	m2  = netip.MustParseAddrPort("192.168.0.4:6443")
	t0  = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

var errRefused = errors.New("connection refused")

// outcome is what a fake prober answers for one probe: its error and how
// long it takes.
type outcome struct {
	err     error
	latency time.Duration
}

// fakeProber decides the outcome of a probe of rs started at elapsed time t.
type fakeProber func(rs netip.AddrPort, t time.Duration) outcome

// sim drives a Core in fake time, event by event, with no goroutines and
// no sleeps: probes start when Core says they are due and complete after
// the fake prober's latency (capped at the timeout).
type sim struct {
	core    *Core
	timeout time.Duration
	prober  fakeProber
	now     time.Time
	pending []simProbe
	kicks   []simKick
	log     []simTransition
}

type simProbe struct {
	rs      netip.AddrPort
	started time.Time
	done    time.Time
	err     error
}

type simKick struct {
	rs netip.AddrPort
	at time.Duration
}

type simTransition struct {
	at time.Duration
	Transition
}

func newSim(c CoreConfig, timeout time.Duration, p fakeProber) *sim {
	return &sim{core: NewCore(c, t0), timeout: timeout, prober: p, now: t0}
}

func (s *sim) elapsed() time.Duration { return s.now.Sub(t0) }

// run processes every event up to elapsed time until.
func (s *sim) run(until time.Duration) {
	end := t0.Add(until)
	for {
		next := s.core.NextDue()
		which := "due"
		for i, p := range s.pending {
			if next.IsZero() || p.done.Before(next) {
				next, which = p.done, "done"
				_ = i
			}
		}
		for _, k := range s.kicks {
			if at := t0.Add(k.at); !at.Before(s.now) && (next.IsZero() || at.Before(next)) {
				next, which = at, "kick"
			}
		}
		if next.IsZero() || next.After(end) {
			s.now = end
			return
		}
		if next.After(s.now) {
			s.now = next
		}
		switch which {
		case "kick":
			var rest []simKick
			for _, k := range s.kicks {
				if t0.Add(k.at).Equal(s.now) {
					s.core.Kick(k.rs, s.now)
				} else {
					rest = append(rest, k)
				}
			}
			s.kicks = rest
		case "done":
			var rest []simProbe
			for _, p := range s.pending {
				if !p.done.After(s.now) {
					if tr, ok := s.core.Done(p.rs, p.started, p.done, p.err); ok {
						s.log = append(s.log, simTransition{at: s.elapsed(), Transition: tr})
					}
				} else {
					rest = append(rest, p)
				}
			}
			s.pending = rest
		case "due":
			for _, tr := range s.core.Expire(s.now) {
				s.log = append(s.log, simTransition{at: s.elapsed(), Transition: tr})
			}
			for _, rs := range s.core.Due(s.now) {
				o := s.prober(rs, s.elapsed())
				if o.latency >= s.timeout {
					o = outcome{err: errors.New("timeout"), latency: s.timeout}
				}
				s.pending = append(s.pending, simProbe{rs: rs, started: s.now, done: s.now.Add(o.latency), err: o.err})
			}
		}
	}
}

// firstAt is when rs first entered phase p, or -1.
func (s *sim) firstAt(rs netip.AddrPort, p Phase) time.Duration {
	for _, t := range s.log {
		if t.Server == rs && t.To == p {
			return t.at
		}
	}
	return -1
}

func defaultCore(servers ...netip.AddrPort) CoreConfig {
	return CoreConfig{VIP: vip, RealServers: servers, Rise: 2, Fall: 2, Drain: true, Interval: time.Second, RetryInterval: 100 * time.Millisecond}
}

// down makes rs fail with o from elapsed time from until to (to 0: forever).
func down(rs netip.AddrPort, from, to time.Duration, o outcome) fakeProber {
	return func(r netip.AddrPort, t time.Duration) outcome {
		if r == rs && t >= from && (to == 0 || t < to) {
			return o
		}
		return outcome{latency: 2 * time.Millisecond}
	}
}

func TestCoreDetectsAndReadds(t *testing.T) {
	refused := outcome{err: errRefused, latency: time.Millisecond}
	blackHole := outcome{latency: time.Hour}
	slow := outcome{latency: 600 * time.Millisecond}
	tests := []struct {
		name   string
		prober fakeProber
		kick   time.Duration // when > 0, the kept-alive connection drops then
		// maxDrain bounds when m0 must be drained, measured from the failure at 10s.
		maxDrain time.Duration
		minDrain time.Duration
		// recovered at 20s: maxAdd bounds the re-add from then.
		maxAdd time.Duration
	}{
		{name: "refused, found by the next probe", prober: down(m0, 10*time.Second, 20*time.Second, refused),
			minDrain: 0, maxDrain: time.Second + 100*time.Millisecond + 2*time.Millisecond, maxAdd: time.Second + 100*time.Millisecond + 4*time.Millisecond},
		{name: "refused, found by a dropped connection", prober: down(m0, 10*time.Second, 20*time.Second, refused), kick: 10 * time.Second,
			maxDrain: 100*time.Millisecond + 2*time.Millisecond, maxAdd: time.Second + 100*time.Millisecond + 4*time.Millisecond},
		{name: "black hole", prober: down(m0, 10*time.Second, 20*time.Second, blackHole),
			minDrain: 2 * 400 * time.Millisecond, maxDrain: time.Second + 2*400*time.Millisecond, maxAdd: time.Second + 100*time.Millisecond + 4*time.Millisecond},
		{name: "slow beyond the timeout", prober: down(m0, 10*time.Second, 20*time.Second, slow),
			minDrain: 2 * 400 * time.Millisecond, maxDrain: time.Second + 2*400*time.Millisecond, maxAdd: time.Second + 100*time.Millisecond + 4*time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(defaultCore(m0, m1, m2), 400*time.Millisecond, tc.prober)
			if tc.kick > 0 {
				s.kicks = append(s.kicks, simKick{rs: m0, at: tc.kick})
			}
			s.run(10 * time.Second)
			if p := s.core.Phase(m0); p != Active {
				t.Fatalf("m0 is %s before it failed, want active", p)
			}
			s.run(15 * time.Second)
			drained := s.firstAt(m0, Draining) - 10*time.Second
			if drained < tc.minDrain || drained > tc.maxDrain {
				t.Errorf("m0 drained %s after it failed, want within [%s, %s]; log %+v", drained, tc.minDrain, tc.maxDrain, s.log)
			}
			removed := s.firstAt(m0, Removed) - 10*time.Second
			if removed < drained+900*time.Millisecond || removed > drained+time.Second+400*time.Millisecond {
				t.Errorf("m0 removed %s after failing, drained at %s: want about one interval of draining", removed, drained)
			}
			want := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}, {Addr: m2, Weight: 1}}}
			if got := s.core.Desired(); !SameVirtualServer(got, want) {
				t.Errorf("desired after removal = %+v, want %+v", got, want)
			}
			s.run(25 * time.Second)
			added := s.firstAt(m0, Active) - 20*time.Second
			if added < 0 || added > tc.maxAdd {
				t.Errorf("m0 added back %s after recovering, want within %s; log %+v", added, tc.maxAdd, s.log)
			}
			if s.core.Phase(m1) != Active || s.core.Phase(m2) != Active {
				t.Errorf("healthy servers left active: m1 %s, m2 %s", s.core.Phase(m1), s.core.Phase(m2))
			}
		})
	}
}

func TestCoreDrainsThenDeletes(t *testing.T) {
	s := newSim(defaultCore(m0, m1), 400*time.Millisecond, down(m0, 5*time.Second, 0, outcome{err: errRefused, latency: time.Millisecond}))
	// Probes run at whole seconds: the one at 5s fails, the retry at 5.1s
	// drains, the next at 6.1s deletes.
	s.run(5*time.Second + 500*time.Millisecond)
	want := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 0}, {Addr: m1, Weight: 1}}}
	if got := s.core.Desired(); !SameVirtualServer(got, want) {
		t.Fatalf("while draining desired = %+v, want m0 at weight 0: %+v", got, want)
	}
	s.run(8 * time.Second)
	want = locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}}}
	if got := s.core.Desired(); !SameVirtualServer(got, want) {
		t.Fatalf("after draining desired = %+v, want %+v", got, want)
	}
}

func TestCoreFailsOpen(t *testing.T) {
	allDown := func(rs netip.AddrPort, t time.Duration) outcome {
		if t >= 5*time.Second && !(rs == m1 && t >= 20*time.Second) {
			return outcome{err: errRefused, latency: time.Millisecond}
		}
		return outcome{latency: time.Millisecond}
	}
	s := newSim(defaultCore(m0, m1, m2), 400*time.Millisecond, allDown)
	s.run(15 * time.Second)
	if !s.core.FailOpen() {
		t.Fatalf("every server fails but FailOpen is false; phases %s %s %s", s.core.Phase(m0), s.core.Phase(m1), s.core.Phase(m2))
	}
	all := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}, {Addr: m1, Weight: 1}, {Addr: m2, Weight: 1}}}
	if got := s.core.Desired(); !SameVirtualServer(got, all) {
		t.Fatalf("fail-open desired = %+v, want all at weight 1", got)
	}
	s.run(25 * time.Second)
	if s.core.FailOpen() {
		t.Fatal("m1 recovered but FailOpen is still true")
	}
	only := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}}}
	if got := s.core.Desired(); !SameVirtualServer(got, only) {
		t.Fatalf("after m1 recovered desired = %+v, want %+v", got, only)
	}
}

func TestCoreIgnoresSingleFailures(t *testing.T) {
	// Every other probe fails: fall 2 never triggers.
	n := 0
	flap := func(rs netip.AddrPort, t time.Duration) outcome {
		if rs != m0 {
			return outcome{latency: time.Millisecond}
		}
		n++
		if n%2 == 0 {
			return outcome{err: errRefused, latency: time.Millisecond}
		}
		return outcome{latency: time.Millisecond}
	}
	s := newSim(defaultCore(m0, m1), 400*time.Millisecond, flap)
	s.run(time.Minute)
	if len(s.log) != 0 {
		t.Fatalf("alternating results caused transitions: %+v", s.log)
	}
	if n < 60 {
		t.Fatalf("m0 probed %d times in a minute at 1s interval, want at least 60", n)
	}
}

func TestCoreRunOnceConfigRemovesAtOnce(t *testing.T) {
	c := defaultCore(m0, m1)
	c.Rise, c.Fall, c.Drain = 1, 1, false
	k := NewCore(c, t0)
	due := k.Due(t0)
	if len(due) != 2 {
		t.Fatalf("Due at start = %v, want both servers", due)
	}
	if tr, ok := k.Done(m0, t0, t0, errRefused); !ok || tr.To != Removed {
		t.Fatalf("Done(fail) = %+v %v, want a transition to removed", tr, ok)
	}
	k.Done(m1, t0, t0, nil)
	want := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}}}
	if got := k.Desired(); !SameVirtualServer(got, want) {
		t.Fatalf("Desired = %+v, want %+v", got, want)
	}
}

func TestCoreKickIsRateLimited(t *testing.T) {
	k := NewCore(defaultCore(m0), t0)
	for _, rs := range k.Due(t0) {
		k.Done(rs, t0, t0.Add(time.Millisecond), nil)
	}
	at := t0.Add(300 * time.Millisecond)
	if !k.Kick(m0, at) {
		t.Fatal("first kick refused")
	}
	if due := k.Due(at); len(due) != 1 {
		t.Fatalf("after a kick Due = %v, want m0", due)
	}
	k.Done(m0, at, at.Add(time.Millisecond), errRefused)
	if k.Kick(m0, at.Add(50*time.Millisecond)) {
		t.Fatal("second kick within the retry interval accepted")
	}
	if !k.Kick(m0, at.Add(150*time.Millisecond)) {
		t.Fatal("kick after the retry interval refused")
	}
	if k.Kick(netip.MustParseAddrPort("127.0.0.9:1"), at) {
		t.Fatal("kick of an unknown server accepted")
	}
}

func TestCoreKickDuringAProbeReprobes(t *testing.T) {
	k := NewCore(defaultCore(m0), t0)
	k.Due(t0)
	// The connection drops while the probe runs; the probe still passed.
	if !k.Kick(m0, t0.Add(time.Millisecond)) {
		t.Fatal("kick during a probe refused")
	}
	done := t0.Add(2 * time.Millisecond)
	k.Done(m0, t0, done, nil)
	if due := k.Due(done); len(due) != 1 {
		t.Fatalf("after a pass that raced a lost connection Due = %v, want m0 re-probed at once", due)
	}
	k.Done(m0, done, done.Add(time.Millisecond), nil)
	if due := k.Due(done.Add(2 * time.Millisecond)); len(due) != 0 {
		t.Fatalf("the extra probe repeats: Due = %v", due)
	}
}

func TestSameVirtualServer(t *testing.T) {
	a := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}, {Addr: m1, Weight: 0}}}
	tests := []struct {
		name string
		b    locallb.VirtualServer
		want bool
	}{
		{"same order", locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}, {Addr: m1, Weight: 0}}}, true},
		{"other order", locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 0}, {Addr: m0, Weight: 1}}}, true},
		{"other weight", locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}, {Addr: m0, Weight: 1}}}, false},
		{"missing server", locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}}}, false},
		{"other vip", locallb.VirtualServer{VIP: m2, RealServers: a.RealServers}, false},
	}
	for _, tc := range tests {
		if got := SameVirtualServer(a, tc.b); got != tc.want {
			t.Errorf("%s: SameVirtualServer = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := t0
	l := newLimiter(time.Minute, 2, func() time.Time { return now })
	var allowed []bool
	for range 5 {
		ok, _ := l.allow("k")
		allowed = append(allowed, ok)
	}
	if want := []bool{true, true, false, false, false}; !equalBools(allowed, want) {
		t.Fatalf("allowed = %v, want %v", allowed, want)
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("another key was limited")
	}
	now = now.Add(time.Minute)
	ok, suppressed := l.allow("k")
	if !ok || suppressed != 3 {
		t.Fatalf("after the window allow = %v, suppressed %d; want true, 3", ok, suppressed)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCoreFailOpenRecovery: after every server failed (fail open keeps
// them all), the first probe that passes puts its server back at once,
// without the rise confirmation, and with it every server that passed in
// the same probe round; the rest leave the virtual server at that moment.
func TestCoreFailOpenRecovery(t *testing.T) {
	tests := []struct {
		name string
		rise int
		back []netip.AddrPort // pass again from 20 s on
	}{
		{"one back, rise 2", 2, []netip.AddrPort{m1}},
		{"one back, rise 5", 5, []netip.AddrPort{m2}},
		{"two back in the same round", 2, []netip.AddrPort{m0, m2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			firstPass := map[netip.AddrPort]time.Duration{}
			p := func(rs netip.AddrPort, at time.Duration) outcome {
				if at < 5*time.Second || (at >= 20*time.Second && slices.Contains(tc.back, rs)) {
					if _, seen := firstPass[rs]; !seen && at >= 20*time.Second {
						firstPass[rs] = at + time.Millisecond // when the result arrives
					}
					return outcome{latency: time.Millisecond}
				}
				return outcome{err: errRefused, latency: time.Millisecond}
			}
			c := defaultCore(m0, m1, m2)
			c.Rise = tc.rise
			s := newSim(c, 400*time.Millisecond, p)
			s.run(19 * time.Second)
			if !s.core.FailOpen() {
				t.Fatalf("every server fails but FailOpen is false")
			}
			s.run(30 * time.Second)
			var want []locallb.RealServer
			for _, rs := range tc.back {
				pass, ok := firstPass[rs]
				if !ok {
					t.Fatalf("%s was never probed after 20 s", rs)
				}
				if got := s.firstAt(rs, Active); got != pass {
					t.Errorf("%s active at %v, want at its first pass %v (rise %d must not apply while failing open); log %+v", rs, got, pass, tc.rise, s.log)
				}
				want = append(want, locallb.RealServer{Addr: rs, Weight: 1})
			}
			if s.core.FailOpen() {
				t.Error("a server passes again but FailOpen is still true")
			}
			if got := s.core.Desired(); !SameVirtualServer(got, locallb.VirtualServer{VIP: vip, RealServers: want}) {
				t.Errorf("desired = %+v, want only %v", got.RealServers, want)
			}
		})
	}
}

// TestCoreDead: a removed server is dead when its last probe got no answer
// (refused, timed out); one that answers "not ready" stays draining (weight
// 0: it still serves its connections, which IPVS would black-hole if it were
// deleted) until it stops answering; a draining one is not dead.
func TestCoreDead(t *testing.T) {
	refused := outcome{err: errRefused, latency: time.Millisecond}
	notReady := outcome{err: &StatusError{URL: "https://192.168.0.2:6443/readyz", Status: "500 Internal Server Error"}, latency: time.Millisecond}
	blackHole := outcome{latency: time.Hour}
	seq := func(steps ...func(time.Duration) (outcome, bool)) fakeProber {
		return func(rs netip.AddrPort, at time.Duration) outcome {
			if rs == m0 {
				for _, st := range steps {
					if o, ok := st(at); ok {
						return o
					}
				}
			}
			return outcome{latency: time.Millisecond}
		}
	}
	from := func(a, b time.Duration, o outcome) func(time.Duration) (outcome, bool) {
		return func(at time.Duration) (outcome, bool) { return o, at >= a && (b == 0 || at < b) }
	}
	type check struct {
		at    time.Duration
		phase Phase
		dead  bool
	}
	tests := []struct {
		name   string
		prober fakeProber
		checks []check
	}{
		{"refused", seq(from(5*time.Second, 0, refused)), []check{{5150 * time.Millisecond, Draining, false}, {8 * time.Second, Removed, true}}},
		{"black hole", seq(from(5*time.Second, 0, blackHole)), []check{{8 * time.Second, Removed, true}}},
		{"not ready (shutdown delay)", seq(from(5*time.Second, 0, notReady)), []check{{5150 * time.Millisecond, Draining, false}, {8 * time.Second, Draining, false}, {30 * time.Second, Draining, false}}},
		{"not ready, then gone", seq(from(5*time.Second, 9*time.Second, notReady), from(9*time.Second, 0, refused)),
			[]check{{8 * time.Second, Draining, false}, {10500 * time.Millisecond, Removed, true}}},
		{"not ready, then ready", seq(from(5*time.Second, 9*time.Second, notReady)), []check{{8 * time.Second, Draining, false}, {12 * time.Second, Active, false}}},
		{"refused, then back", seq(from(5*time.Second, 9*time.Second, refused)), []check{{8 * time.Second, Removed, true}, {12 * time.Second, Active, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(defaultCore(m0, m1), 400*time.Millisecond, tc.prober)
			for _, c := range tc.checks {
				s.run(c.at)
				if p, d := s.core.Phase(m0), s.core.Dead(m0); p != c.phase || d != c.dead {
					t.Errorf("at %v: m0 %s, dead %v; want %s, dead %v (log %+v)", c.at, p, d, c.phase, c.dead, s.log)
				}
			}
		})
	}
}
