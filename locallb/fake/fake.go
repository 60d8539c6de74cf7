// Package fake is an in-memory locallb.Balancer for unit tests of its
// callers (kubeadm join, the care daemon). It keeps the same semantics as
// the IPVS implementation and records every call.
package fake

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/sealkube/kubeadm/locallb"
)

// Call is one recorded method call.
type Call struct {
	Method string // "Ensure", "SetWeight", "Delete", "Get" or "FlushRealServer"
	VIP    netip.AddrPort
	// RS is set for SetWeight and FlushRealServer, Weight for SetWeight,
	// VS for Ensure.
	RS     netip.AddrPort
	Weight int
	VS     locallb.VirtualServer
}

// Balancer is safe for concurrent use. The zero value is ready.
type Balancer struct {
	mu    sync.Mutex
	vss   map[netip.AddrPort][]locallb.RealServer
	calls []Call
	// Writes counts calls that changed state; a no-op Ensure adds nothing.
	writes int
	errs   map[string]error
	// flows counts established connections per VIP and real server, for
	// FlushRealServer.
	flows map[[2]netip.AddrPort]int
}

var (
	_ locallb.Balancer    = (*Balancer)(nil)
	_ locallb.FlowFlusher = (*Balancer)(nil)
)

// ErrNotFound is returned by SetWeight for a missing virtual or real server.
var ErrNotFound = errors.New("not found")

// FailNext makes the next call of method return err (nil clears it).
func (b *Balancer) FailNext(method string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.errs == nil {
		b.errs = map[string]error{}
	}
	b.errs[method] = err
}

func (b *Balancer) record(c Call) error {
	b.calls = append(b.calls, c)
	if b.vss == nil {
		b.vss = map[netip.AddrPort][]locallb.RealServer{}
	}
	if err := b.errs[c.Method]; err != nil {
		delete(b.errs, c.Method)
		return err
	}
	return nil
}

// Calls returns a copy of the recorded calls, oldest first.
func (b *Balancer) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// Writes returns how many calls changed state.
func (b *Balancer) Writes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

// Ensure stores vs, sorted, counting a write only when it differs.
func (b *Balancer) Ensure(vs locallb.VirtualServer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	vs.RealServers = slices.Clone(vs.RealServers)
	if err := b.record(Call{Method: "Ensure", VIP: vs.VIP, VS: vs}); err != nil {
		return err
	}
	seen := map[netip.AddrPort]bool{}
	for _, rs := range vs.RealServers {
		if rs.Weight < 0 {
			return fmt.Errorf("virtual server %s: real server %s: weight %d out of range", vs.VIP, rs.Addr, rs.Weight)
		}
		if seen[rs.Addr] {
			return fmt.Errorf("virtual server %s: real server %s listed twice", vs.VIP, rs.Addr)
		}
		seen[rs.Addr] = true
	}
	want := slices.Clone(vs.RealServers)
	locallb.SortRealServers(want)
	if cur, ok := b.vss[vs.VIP]; ok && slices.Equal(cur, want) {
		return nil
	}
	b.vss[vs.VIP] = want
	b.writes++
	return nil
}

// SetWeight changes one existing real server.
func (b *Balancer) SetWeight(vip, rs netip.AddrPort, weight int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(Call{Method: "SetWeight", VIP: vip, RS: rs, Weight: weight}); err != nil {
		return err
	}
	if weight < 0 {
		return fmt.Errorf("real server %s of %s: weight %d out of range", rs, vip, weight)
	}
	cur, ok := b.vss[vip]
	if !ok {
		return fmt.Errorf("virtual server %s: %w", vip, ErrNotFound)
	}
	for i := range cur {
		if cur[i].Addr == rs {
			if cur[i].Weight != weight {
				cur[i].Weight = weight
				b.writes++
			}
			return nil
		}
	}
	return fmt.Errorf("real server %s of %s: %w", rs, vip, ErrNotFound)
}

// Delete removes vip; absent is not an error.
func (b *Balancer) Delete(vip netip.AddrPort) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(Call{Method: "Delete", VIP: vip}); err != nil {
		return err
	}
	if _, ok := b.vss[vip]; ok {
		delete(b.vss, vip)
		b.writes++
	}
	return nil
}

// Get returns a copy of the virtual server at vip.
func (b *Balancer) Get(vip netip.AddrPort) (locallb.VirtualServer, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(Call{Method: "Get", VIP: vip}); err != nil {
		return locallb.VirtualServer{}, false, err
	}
	cur, ok := b.vss[vip]
	if !ok {
		return locallb.VirtualServer{}, false, nil
	}
	return locallb.VirtualServer{VIP: vip, RealServers: slices.Clone(cur)}, true, nil
}

// SetFlows pretends n connections through vip go to rs.
func (b *Balancer) SetFlows(vip, rs netip.AddrPort, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flows == nil {
		b.flows = map[[2]netip.AddrPort]int{}
	}
	b.flows[[2]netip.AddrPort{vip, rs}] = n
}

// Flows is how many connections through vip go to rs.
func (b *Balancer) Flows(vip, rs netip.AddrPort) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flows[[2]netip.AddrPort{vip, rs}]
}

// FlushRealServer ends the connections SetFlows recorded and returns how
// many there were. Stricter than the kernel backends, it refuses a real
// server that is still in the virtual server with a weight above 0, so that
// callers' tests catch a flush of a server still in rotation.
func (b *Balancer) FlushRealServer(vip, rs netip.AddrPort) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.record(Call{Method: "FlushRealServer", VIP: vip, RS: rs}); err != nil {
		return 0, err
	}
	for _, r := range b.vss[vip] {
		if r.Addr == rs && r.Weight > 0 {
			return 0, fmt.Errorf("real server %s of %s still has weight %d: %w", rs, vip, r.Weight, ErrStillServing)
		}
	}
	k := [2]netip.AddrPort{vip, rs}
	n := b.flows[k]
	delete(b.flows, k)
	return n, nil
}

// ErrStillServing is returned by FlushRealServer for a real server that
// new connections still reach.
var ErrStillServing = errors.New("flushing a real server that is still in rotation")
