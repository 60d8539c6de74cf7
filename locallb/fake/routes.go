package fake

import (
	"net/netip"
	"slices"
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
	// host are routes for VIPs that others wrote (AddHostRoute).
	host []locallb.HostRoute
}

// AddHostRoute adds a route someone else wrote (sealos' route mode).
func (r *Routes) AddHostRoute(h locallb.HostRoute) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.host, h) {
		r.host = append(r.host, h)
	}
}

// HostRoutes lists the others' routes for vip.
func (r *Routes) HostRoutes(vip netip.Addr) ([]locallb.HostRoute, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []locallb.HostRoute
	for _, h := range r.host {
		if h.Dst.Addr() == vip {
			out = append(out, h)
		}
	}
	return out, nil
}

// RemoveHostRoute deletes exactly h; absent is not an error.
func (r *Routes) RemoveHostRoute(h locallb.HostRoute) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.host = slices.DeleteFunc(r.host, func(x locallb.HostRoute) bool { return x == h })
	return nil
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
