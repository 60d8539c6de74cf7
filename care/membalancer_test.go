package care

import (
	"errors"
	"net/netip"
	"slices"
	"sync"

	"github.com/sealkube/kubeadm/locallb"
)

// memBalancer is an in-memory locallb.Balancer for tests. It can simulate a
// flush (another program deleting the virtual server) and failing calls.
type memBalancer struct {
	mu      sync.Mutex
	vs      map[netip.AddrPort]locallb.VirtualServer
	ensures int
	gets    int
	fail    error // returned by every call while set
	// changed is signalled (non-blocking) after every change.
	changed chan struct{}
	// flushed lists FlushRealServer calls in order; inRotation those made
	// while the real server was still in the virtual server (a bug).
	flushed    []netip.AddrPort
	inRotation []locallb.RealServer
	// orphans is what FlushOrphans reports ending; orphanFlushes counts
	// its calls.
	orphans       int
	orphanFlushes int
}

var (
	_ locallb.Balancer      = (*memBalancer)(nil)
	_ locallb.FlowFlusher   = (*memBalancer)(nil)
	_ locallb.OrphanFlusher = (*memBalancer)(nil)
)

func (m *memBalancer) FlushOrphans(vip netip.AddrPort) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	m.orphanFlushes++
	return m.orphans, nil
}

func (m *memBalancer) orphanFlushCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.orphanFlushes
}

func newMemBalancer() *memBalancer {
	return &memBalancer{vs: map[netip.AddrPort]locallb.VirtualServer{}, changed: make(chan struct{}, 1)}
}

func (m *memBalancer) notify() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

func (m *memBalancer) Ensure(vs locallb.VirtualServer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ensures++
	if m.fail != nil {
		return m.fail
	}
	m.vs[vs.VIP] = locallb.VirtualServer{VIP: vs.VIP, RealServers: slices.Clone(vs.RealServers)}
	m.notify()
	return nil
}

func (m *memBalancer) SetWeight(vip, rs netip.AddrPort, weight int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	v, ok := m.vs[vip]
	if !ok {
		return errors.New("no such virtual server")
	}
	for i := range v.RealServers {
		if v.RealServers[i].Addr == rs {
			v.RealServers[i].Weight = weight
			m.notify()
			return nil
		}
	}
	return errors.New("no such real server")
}

func (m *memBalancer) Delete(vip netip.AddrPort) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	delete(m.vs, vip)
	m.notify()
	return nil
}

func (m *memBalancer) Get(vip netip.AddrPort) (locallb.VirtualServer, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	if m.fail != nil {
		return locallb.VirtualServer{}, false, m.fail
	}
	v, ok := m.vs[vip]
	if !ok {
		return locallb.VirtualServer{}, false, nil
	}
	return locallb.VirtualServer{VIP: v.VIP, RealServers: slices.Clone(v.RealServers), Deviations: slices.Clone(v.Deviations)}, true, nil
}

// tamper changes a setting behind the daemon's back (e.g. "scheduler
// wlc"), as an admin with ipvsadm would; Ensure resets it.
func (m *memBalancer) tamper(vip netip.AddrPort, deviation string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.vs[vip]
	v.Deviations = append(v.Deviations, deviation)
	m.vs[vip] = v
}

// deviations returns what tamper set and Ensure has not reset yet.
func (m *memBalancer) deviations(vip netip.AddrPort) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.vs[vip].Deviations)
}

func (m *memBalancer) FlushRealServer(vip, rs netip.AddrPort) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	for _, r := range m.vs[vip].RealServers {
		if r.Addr == rs {
			m.inRotation = append(m.inRotation, r)
		}
	}
	m.flushed = append(m.flushed, rs)
	m.notify()
	return 1, nil
}

// flushes counts FlushRealServer calls for rs; bad lists those made while
// rs was still in the virtual server.
func (m *memBalancer) flushes(rs netip.AddrPort) (n int, bad []locallb.RealServer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.flushed {
		if f == rs {
			n++
		}
	}
	return n, slices.Clone(m.inRotation)
}

// weights returns rs→weight of vip, nil when absent.
func (m *memBalancer) weights(vip netip.AddrPort) map[netip.AddrPort]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vs[vip]
	if !ok {
		return nil
	}
	out := map[netip.AddrPort]int{}
	for _, r := range v.RealServers {
		out[r.Addr] = r.Weight
	}
	return out
}

func (m *memBalancer) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

type (
	locallbVS = locallb.VirtualServer
	locallbRS = locallb.RealServer
)

type lbT = locallb.Balancer
