package locallb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Locally originated connections to the VIP reach IPVS only after the
// kernel found a route for the VIP: IPVS hooks in after routing (LOCAL_OUT),
// so with no covering route connect fails with "network is unreachable"
// before IPVS sees the packet. Any covering route will do (a default route
// usually exists). When none does, we add VIP/32 (or /128) on the device and
// with the source address the node uses towards the first master, marked
// with our own route protocol so we recognise and remove exactly what we
// added. We do not use a dummy link: that needs the dummy module, which
// minimal kernels (and this project's CI machine) lack, and IPv6 turns
// routes via lo into reject routes.
const (
	// RouteProtocol marks our routes (rtm_protocol). 76 is not assigned in
	// iproute2's rt_protos; `ip route show proto 76` lists ours.
	RouteProtocol netlink.RouteProtocol = 76
)

// RouteManager makes sure the node can route to the VIP. *Routes is the
// netlink implementation.
type RouteManager interface {
	// Ensure adds a route for vip when no route covers it; added reports
	// whether it wrote anything. via (a master) picks device and source.
	Ensure(vip, via netip.Addr) (added bool, err error)
	// Remove deletes the routes for vip that carry RouteProtocol, and
	// nothing else. Absent is not an error.
	Remove(vip netip.Addr) error
}

// routeNetlink is the part of *netlink.Handle that Routes uses.
type routeNetlink interface {
	RouteGet(net.IP) ([]netlink.Route, error)
	RouteListFiltered(family int, filter *netlink.Route, mask uint64) ([]netlink.Route, error)
	RouteReplace(*netlink.Route) error
	RouteDel(*netlink.Route) error
}

// Routes is the netlink RouteManager.
type Routes struct {
	nl routeNetlink
}

var _ RouteManager = (*Routes)(nil)

// NewRoutes works in h's network namespace; a nil h is the caller's.
func NewRoutes(h *netlink.Handle) *Routes {
	if h == nil {
		h = &netlink.Handle{} // the zero Handle talks to the current namespace
	}
	return &Routes{nl: h}
}

func hostPrefix(a netip.Addr) *net.IPNet {
	p := netip.PrefixFrom(a, a.BitLen())
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

func nlFamily(a netip.Addr) int {
	if a.Is4() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

func (r *Routes) ours(vip netip.Addr) ([]netlink.Route, error) {
	filter := &netlink.Route{Dst: hostPrefix(vip), Protocol: RouteProtocol, Table: unix.RT_TABLE_MAIN}
	rs, err := r.nl.RouteListFiltered(nlFamily(vip), filter, netlink.RT_FILTER_DST|netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("listing routes for %s: %w", vip, err)
	}
	return rs, nil
}

// Ensure implements RouteManager.
func (r *Routes) Ensure(vip, via netip.Addr) (bool, error) {
	if !vip.IsValid() || vip.Is4In6() || vip.Zone() != "" {
		return false, fmt.Errorf("route for VIP %q: need an unzoned, unmapped IP", vip)
	}
	if mine, err := r.ours(vip); err != nil {
		return false, err
	} else if len(mine) > 0 {
		return false, nil
	}
	_, err := r.nl.RouteGet(net.IP(vip.AsSlice()))
	switch {
	case err == nil:
		return false, nil // covered by some route (e.g. the default route)
	case !errors.Is(err, unix.ENETUNREACH):
		return false, fmt.Errorf("looking up the route to VIP %s: %w (an unreachable/prohibit route covering the VIP blocks it: remove that route or choose another VIP)", vip, err)
	}
	if !via.IsValid() {
		return false, fmt.Errorf("no route covers VIP %s and no master address was given to route it like the masters", vip)
	}
	// Route the VIP like the master, so the masters' replies come back to a
	// source address they can reach; no gateway, so should IPVS ever miss a
	// packet it stays on the master's link instead of leaving the site.
	toMaster, err := r.nl.RouteGet(net.IP(via.AsSlice()))
	if err != nil || len(toMaster) == 0 || toMaster[0].LinkIndex == 0 {
		return false, fmt.Errorf("no route to master %s (%v) to copy for VIP %s: the node must reach its masters; fix its routing", via, err, vip)
	}
	route := &netlink.Route{
		Dst:       hostPrefix(vip),
		LinkIndex: toMaster[0].LinkIndex,
		Src:       toMaster[0].Src,
		Protocol:  RouteProtocol,
		Table:     unix.RT_TABLE_MAIN,
	}
	if vip.Is4() {
		route.Scope = netlink.SCOPE_LINK
	}
	if err := r.nl.RouteReplace(route); err != nil {
		return false, fmt.Errorf("adding route %s dev #%d src %s proto %d: %w", route.Dst, route.LinkIndex, route.Src, RouteProtocol, err)
	}
	return true, nil
}

// Remove implements RouteManager.
func (r *Routes) Remove(vip netip.Addr) error {
	if !vip.IsValid() {
		return fmt.Errorf("route for VIP %q: need an IP", vip)
	}
	mine, err := r.ours(vip)
	if err != nil {
		return err
	}
	for i := range mine {
		if err := r.nl.RouteDel(&mine[i]); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("deleting route %s proto %d: %w", mine[i].Dst, RouteProtocol, err)
		}
	}
	return nil
}
