package care

import (
	"net/netip"
	"time"
)

// DefaultRetireAfter bounds how long a master the cluster no longer lists
// keeps its established connections while it still answers. A master that
// leaves on purpose (kubeadm reset, a restart) stops answering within its
// apiserver's graceful shutdown: --shutdown-delay-duration plus the
// requests in flight, inside the static pod's 30 s termination grace
// period; it closes its own connections with GOAWAY first, so the bound
// never cuts a planned departure short. It only ends connections to a
// master that is still running but no longer published (its lease lapsed,
// its advertise address changed), which must not keep a kubelet's watch
// on a server the cluster has given up.
const DefaultRetireAfter = 60 * time.Second

// SetServers makes list the real servers the node should use, as the
// cluster announced it (the masters package), and returns the phase
// changes it made at once:
//   - a server new to the core starts removed and is probed at once; it
//     joins the virtual server after rise passes, as a recovered server
//     does, so a joining apiserver that is listed before it serves is never
//     handed connections;
//   - a server missing from list is retired: drained at once (weight 0, no
//     new connections, established ones go on: a restarting apiserver
//     removes itself from the list at SIGTERM, at the start of its
//     shutdown delay), removed at its first unanswered probe, and after
//     RetireAfter at the latest (Dead then reports it, so its connections
//     are ended); it never becomes active again unless listed again;
//   - a retired server listed again is no longer retired and rises back
//     like any draining or removed server.
//
// An empty list changes nothing: the cluster never publishes one, and a
// node left with no real server would be cut off.
func (k *Core) SetServers(list []netip.AddrPort, now time.Time) []Transition {
	if len(list) == 0 {
		return nil
	}
	listed := make(map[netip.AddrPort]bool, len(list))
	for _, a := range list {
		listed[a] = true
		if s := k.byAddr[a]; s != nil {
			s.retired, s.retiredAt = false, time.Time{}
			continue
		}
		s := &serverState{addr: a, phase: Removed, due: now}
		k.servers = append(k.servers, s)
		k.byAddr[a] = s
	}
	var out []Transition
	for _, s := range k.servers {
		if listed[s.addr] || s.retired {
			continue
		}
		s.retired, s.retiredAt = true, now
		if s.phase == Active {
			s.phase = Draining
			out = append(out, Transition{Server: s.addr, From: Active, To: Draining})
		}
	}
	return out
}

// Expire removes the retired servers whose bound ran out by now and
// returns those changes. Call it whenever time passes (NextDue includes
// the bounds).
func (k *Core) Expire(now time.Time) []Transition {
	var out []Transition
	for _, s := range k.servers {
		if s.retired && s.phase == Draining && !now.Before(s.retiredAt.Add(k.retireAfter)) {
			s.phase = Removed
			out = append(out, Transition{Server: s.addr, From: Draining, To: Removed})
		}
	}
	return out
}

// Retired reports whether the cluster dropped rs (SetServers) and it has
// not been listed again.
func (k *Core) Retired(rs netip.AddrPort) bool {
	s := k.byAddr[rs]
	return s != nil && s.retired
}

// Forget drops a retired server that has left the virtual server (and had
// its connections ended), so the core stops probing it. It reports whether
// it did; a listed or still-draining server is kept. A probe of it still in
// flight finds nothing to record (Done ignores unknown servers).
func (k *Core) Forget(rs netip.AddrPort) bool {
	s := k.byAddr[rs]
	if s == nil || !s.retired || s.phase != Removed {
		return false
	}
	delete(k.byAddr, rs)
	for i, x := range k.servers {
		if x == s {
			k.servers = append(k.servers[:i], k.servers[i+1:]...)
			break
		}
	}
	return true
}
