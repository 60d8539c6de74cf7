package fake

import (
	"net/netip"
	"sync"

	"github.com/sealkube/kubeadm/locallb"
)

// Routes is an in-memory locallb.RouteManager: VIP -> the master address
// the route was modelled on. Safe for concurrent use; the zero value is ready.
type Routes struct {
	// Covered: another route (e.g. the default route) covers every VIP, so
	// Ensure adds nothing.
	Covered bool

	mu     sync.Mutex
	routes map[netip.Addr]netip.Addr
}

var _ locallb.RouteManager = (*Routes)(nil)

// Ensure records a route for vip unless one exists; added reports a new one.
func (r *Routes) Ensure(vip, via netip.Addr) (added bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.routes[vip]; ok || r.Covered {
		return false, nil
	}
	if r.routes == nil {
		r.routes = map[netip.Addr]netip.Addr{}
	}
	r.routes[vip] = via
	return true, nil
}

// Remove forgets the route for vip; absent is not an error.
func (r *Routes) Remove(vip netip.Addr) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.routes, vip)
	return nil
}

// Via returns the address the route for vip was modelled on.
func (r *Routes) Via(vip netip.Addr) (via netip.Addr, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	via, ok = r.routes[vip]
	return via, ok
}

// Len is the number of routes.
func (r *Routes) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.routes)
}
