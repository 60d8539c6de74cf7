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
// before IPVS sees the packet. A covering route (a default route usually
// exists) will do when it leaves like the route to the first master: same
// interface, same source address. When none covers the VIP, or the covering
// one leaves otherwise (a node with several interfaces whose default route
// is not the masters' link), we add VIP/32 (or /128) on the device and
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
	// Ensure adds a route for vip when no route covers it, or when the
	// covering route leaves through another interface or with another
	// source address than the route to via (a master; a node with several
	// interfaces); added reports whether it wrote anything. via picks the
	// route's device and source.
	Ensure(vip, via netip.Addr) (added bool, err error)
	// Remove deletes the routes for vip that carry RouteProtocol, and
	// nothing else. Absent is not an error.
	Remove(vip netip.Addr) error
	// HostRoutes lists vip's host routes that others wrote (not
	// RouteProtocol), e.g. sealos' route mode's; adoption records them.
	HostRoutes(vip netip.Addr) ([]HostRoute, error)
	// RemoveHostRoute deletes exactly one such route. Absent is not an
	// error.
	RemoveHostRoute(HostRoute) error
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
	cover, err := r.nl.RouteGet(net.IP(vip.AsSlice()))
	switch {
	case err == nil && len(cover) > 0 && cover[0].Type == unix.RTN_LOCAL:
		return false, nil // the VIP is one of the node's addresses
	case err == nil && !via.IsValid():
		return false, nil // covered; nothing to compare it with
	case err == nil:
		// Covered by some route (e.g. the default route). It will do when
		// it leaves like the route to the master: the same interface and
		// source address. On a node with several interfaces the default
		// route may leave through another one, with a source address the
		// masters cannot answer; then the VIP gets its own route, as the
		// care daemon's route mode writes it.
		toMaster, merr := r.nl.RouteGet(net.IP(via.AsSlice()))
		if merr != nil || len(toMaster) == 0 || toMaster[0].LinkIndex == 0 {
			return false, nil // the join reports an unreachable master itself
		}
		if len(cover) == 0 || (cover[0].LinkIndex == toMaster[0].LinkIndex && cover[0].Src.Equal(toMaster[0].Src)) {
			return false, nil
		}
	case !errors.Is(err, unix.ENETUNREACH):
		return false, fmt.Errorf("looking up the route to VIP %s: %w (an unreachable/prohibit route covering the VIP blocks it: remove that route or choose another VIP)", vip, err)
	case !via.IsValid():
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
