package care

import (
	"net/netip"
	"slices"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

// Phase is where a real server stands in the virtual server.
type Phase int

const (
	// Active: in the virtual server with weight 1.
	Active Phase = iota
	// Draining: still present with weight 0, so established connections
	// finish while new ones go elsewhere.
	Draining
	// Removed: absent from the virtual server.
	Removed
)

func (p Phase) String() string {
	switch p {
	case Active:
		return "active"
	case Draining:
		return "draining"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Transition is one change of a real server's phase.
type Transition struct {
	Server   netip.AddrPort
	From, To Phase
}

type serverState struct {
	addr   netip.AddrPort
	phase  Phase
	passes int // consecutive
	fails  int // consecutive
	// lastErr is the last probe failure, kept for logs.
	lastErr error
	// unanswered: the last probe failed without an HTTP answer (refused,
	// timed out, reset): the server is dead or cut off, not merely not
	// ready.
	unanswered bool

	due      time.Time
	inFlight bool
	// kicked is when a lost connection last triggered an extra probe; it
	// bounds such probes to one per retry interval.
	kicked time.Time
	// kickedInFlight: a connection was lost while a probe was running; that
	// probe may have passed just before, so probe again once it is done.
	kickedInFlight bool

	// served: the server has been in the virtual server (active or
	// draining) since it was configured; one that never was has no
	// connections to end.
	served bool
	// retired: the cluster no longer lists it (SetServers): it never
	// becomes active again unless it is listed again, and it leaves the
	// virtual server when it stops answering or at retiredAt+retireAfter.
	retired   bool
	retiredAt time.Time
}

// Core is the daemon's pure logic: health hysteresis per real server, the
// probe schedule and the desired virtual server. It does no I/O and reads no
// clock: every method takes the time, so tests drive it with fake time.
type Core struct {
	vip      netip.AddrPort
	rise     int
	fall     int
	drain    bool
	interval time.Duration
	retry    time.Duration
	servers  []*serverState
	byAddr   map[netip.AddrPort]*serverState
	// openEnded is when the last fail-open period ended: a pass from a
	// probe started before then was taken during fail-open.
	openEnded time.Time
	// retireAfter bounds how long a server the cluster no longer lists
	// keeps its established connections while it still answers.
	retireAfter time.Duration
}

// CoreConfig parameterises a Core.
type CoreConfig struct {
	VIP         netip.AddrPort
	RealServers []netip.AddrPort
	Rise, Fall  int
	// Drain sets weight 0 on the fall-th failure and deletes on the next
	// one that got no answer; without it the fall-th failure deletes at
	// once (run-once mode).
	Drain         bool
	Interval      time.Duration
	RetryInterval time.Duration
	// RetireAfter: a real server that SetServers dropped is drained at
	// once and removed when it stops answering; one that keeps answering
	// is removed this long after it was dropped, and its connections are
	// ended (Dead). Zero: DefaultRetireAfter.
	RetireAfter time.Duration
}

// NewCore starts with every real server active, as public lvscare does: a
// just-joined node must reach some apiserver before any probe has run. The
// first probe of every server is due at now.
func NewCore(c CoreConfig, now time.Time) *Core {
	k := &Core{
		vip: c.VIP, rise: max(c.Rise, 1), fall: max(c.Fall, 1), drain: c.Drain,
		interval: c.Interval, retry: c.RetryInterval, retireAfter: c.RetireAfter,
		byAddr: map[netip.AddrPort]*serverState{},
	}
	if k.retireAfter <= 0 {
		k.retireAfter = DefaultRetireAfter
	}
	for _, a := range c.RealServers {
		s := &serverState{addr: a, phase: Active, due: now, served: true}
		k.servers = append(k.servers, s)
		k.byAddr[a] = s
	}
	return k
}

// Due returns the servers whose probe should start now and marks them in
// flight; Done must follow for each.
func (k *Core) Due(now time.Time) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range k.servers {
		if !s.inFlight && !now.Before(s.due) {
			s.inFlight = true
			out = append(out, s.addr)
		}
	}
	return out
}

// NextDue is the earliest time a probe is due, or the zero time when every
// server has a probe in flight.
func (k *Core) NextDue() time.Time {
	var t time.Time
	for _, s := range k.servers {
		if s.inFlight {
			continue
		}
		if t.IsZero() || s.due.Before(t) {
			t = s.due
		}
	}
	for _, s := range k.servers {
		if s.retired && s.phase == Draining {
			if end := s.retiredAt.Add(k.retireAfter); t.IsZero() || end.Before(t) {
				t = end
			}
		}
	}
	return t
}

// Done records the result of a probe of rs started at started and finished
// at now (err nil is a pass) and returns the phase change, if any.
func (k *Core) Done(rs netip.AddrPort, started, now time.Time, err error) (Transition, bool) {
	s := k.byAddr[rs]
	if s == nil {
		return Transition{}, false
	}
	s.inFlight = false
	from := s.phase
	if err == nil {
		// While none is active every server is kept (fail open), the
		// dead with the live: one pass is enough to serve only what
		// works, so a pass skips the rise confirmation while fail-open
		// lasts, and so does every pass of the probe round that ended it.
		failOpen := k.FailOpen()
		open := failOpen || started.Before(k.openEnded)
		s.passes++
		s.fails = 0
		s.lastErr, s.unanswered = nil, false
		if s.phase != Active && !s.retired && (s.passes >= k.rise || open) {
			s.phase = Active
			s.served = true
			if failOpen {
				k.openEnded = now
			}
		}
	} else {
		s.fails++
		s.passes = 0
		s.lastErr, s.unanswered = err, !answered(err)
		switch {
		case s.phase == Active && s.fails >= k.fall:
			if k.drain {
				s.phase = Draining
			} else {
				s.phase = Removed
			}
		case s.phase == Draining && s.retired && s.unanswered:
			// Retired: the cluster has already said it is leaving; its
			// first unanswered probe ends it.
			s.phase = Removed
		case s.phase == Draining && s.fails > k.fall && s.unanswered:
			// Only a server that no longer answers leaves. One that
			// answers "not ready" (an apiserver in its shutdown delay)
			// stays at weight 0 until it closes its connections itself:
			// IPVS drops every packet of a connection whose destination
			// was deleted (whatever net.ipv4.vs.expire_nodest_conn says),
			// so deleting it would stall its clients until it exits.
			s.phase = Removed
		}
	}
	// A server on its way to a transition is re-probed quickly so that
	// fall/rise consecutive results do not cost fall/rise intervals. A
	// draining server waits a full interval: that is its drain time.
	if k.pending(s) {
		// Counted from the start: a probe that timed out has already
		// waited, a refused one has not.
		s.due = started.Add(k.retry)
		if s.due.Before(now) {
			s.due = now
		}
	} else {
		s.due = started.Add(k.interval)
		if s.due.Before(now) {
			s.due = now
		}
	}
	if s.kickedInFlight {
		s.kickedInFlight = false
		s.due = now
	}
	if s.phase != from {
		return Transition{Server: rs, From: from, To: s.phase}, true
	}
	return Transition{}, false
}

func (k *Core) pending(s *serverState) bool {
	return (s.phase == Active && s.fails > 0) || (s.phase != Active && s.passes > 0)
}

// Cancel frees the in-flight slot of rs without a result; the probe is due
// again after a retry interval.
func (k *Core) Cancel(rs netip.AddrPort, now time.Time) {
	if s := k.byAddr[rs]; s != nil {
		s.inFlight = false
		s.due = now.Add(k.retry)
	}
}

// Kick makes rs due now because its kept-alive connection was closed by the
// peer, which is how a killed apiserver shows first. At most one kick per
// retry interval counts, so a server that closes every connection cannot
// make the daemon spin.
func (k *Core) Kick(rs netip.AddrPort, now time.Time) bool {
	s := k.byAddr[rs]
	if s == nil || (!s.kicked.IsZero() && now.Sub(s.kicked) < k.retry) {
		return false
	}
	s.kicked = now
	if s.inFlight {
		s.kickedInFlight = true
		return true
	}
	if now.Before(s.due) {
		s.due = now
	}
	return true
}

// Phase reports the phase of rs.
func (k *Core) Phase(rs netip.AddrPort) Phase {
	if s := k.byAddr[rs]; s != nil {
		return s.phase
	}
	return Removed
}

// LastError is the last probe failure of rs, nil after a pass.
func (k *Core) LastError(rs netip.AddrPort) error {
	if s := k.byAddr[rs]; s != nil {
		return s.lastErr
	}
	return nil
}

// Dead reports whether rs is removed and its established connections
// should be ended (locallb.FlowFlusher): its last probe got no answer at
// all (refused, timed out), or the cluster dropped it and its retirement
// bound ran out. A server that answers "not ready" is removed too but not
// dead: it is still serving what it has (an apiserver during its shutdown
// delay) and closes those connections itself. A server that was never in
// the virtual server has nothing to end.
func (k *Core) Dead(rs netip.AddrPort) bool {
	s := k.byAddr[rs]
	return s != nil && s.served && s.phase == Removed && (s.unanswered || s.retired)
}

// FailOpen reports whether no real server is active, in which case Desired
// keeps them all: a node that cannot tell which apiserver is alive is better
// off trying all of them than none.
// Servers the cluster dropped take no part in it.
func (k *Core) FailOpen() bool {
	listed := 0
	for _, s := range k.servers {
		if s.retired {
			continue
		}
		if s.phase == Active {
			return false
		}
		listed++
	}
	return listed > 0
}

// Servers lists the real servers the core tracks: the configured ones in
// flag order, then those SetServers added, in the order it added them.
// Retired servers stay listed until Forget.
func (k *Core) Servers() []netip.AddrPort {
	out := make([]netip.AddrPort, len(k.servers))
	for i, s := range k.servers {
		out[i] = s.addr
	}
	return out
}

// Desired is the virtual server the kernel should hold now.
func (k *Core) Desired() locallb.VirtualServer {
	vs := locallb.VirtualServer{VIP: k.vip}
	open := k.FailOpen()
	for _, s := range k.servers {
		switch {
		case (open && !s.retired) || s.phase == Active:
			vs.RealServers = append(vs.RealServers, locallb.RealServer{Addr: s.addr, Weight: 1})
		case s.phase == Draining:
			vs.RealServers = append(vs.RealServers, locallb.RealServer{Addr: s.addr, Weight: 0})
		}
	}
	return vs
}

// SameVirtualServer reports whether a and b hold the same address and the
// same real servers with the same weights, in any order.
func SameVirtualServer(a, b locallb.VirtualServer) bool {
	if a.VIP != b.VIP || len(a.RealServers) != len(b.RealServers) {
		return false
	}
	cmp := func(x, y locallb.RealServer) int { return x.Addr.Compare(y.Addr) }
	x := slices.SortedFunc(slices.Values(a.RealServers), cmp)
	y := slices.SortedFunc(slices.Values(b.RealServers), cmp)
	return slices.Equal(x, y)
}
