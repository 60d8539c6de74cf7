package locallb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

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
	// route's device and source. It never writes over a route of others
	// with the same kernel key (an administrator's VIP/32 in the main table
	// at metric 0): it fails instead, wrapping ErrForeignRoute.
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
	RouteAdd(*netlink.Route) error
	RouteReplace(*netlink.Route) error
	RouteDel(*netlink.Route) error
	LinkByIndex(int) (netlink.Link, error)
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
	if err := r.put(vip, route); err != nil {
		var fe *ForeignRouteError
		if errors.As(err, &fe) {
			return false, fmt.Errorf("%w; it leaves otherwise than the route to master %s (dev %s src %s), and kubeadm will not replace it (kubeadm reset would then delete it): "+
				"route the VIP like the master yourself (`ip route replace %s dev %s src %s proto static`; kubeadm then leaves it alone), delete it (`%s`), or choose another VIP",
				err, via, r.linkName(route.LinkIndex), route.Src, route.Dst, r.linkName(route.LinkIndex), route.Src, fe.delHint())
		}
		return false, err
	}
	return true, nil
}

// ErrForeignRoute is wrapped when a route that is not ours holds the key of
// the route we write for a VIP.
var ErrForeignRoute = errors.New("a route that is not ours (proto 76) holds the key of the VIP's route (main table, metric 0)")

// ForeignRouteError names the routes of others (an administrator's `ip
// route add VIP/32 ... proto static`, another tool's) that hold the
// kernel's key of our VIP route: destination VIP/32 (or /128), main table,
// metric 0, TOS 0. Writing ours there would replace theirs, and removing
// ours later would delete it: so we never write over them.
type ForeignRouteError struct {
	VIP    netip.Addr
	Routes []string // each as `ip route` would print it
}

func (e *ForeignRouteError) Error() string {
	return fmt.Sprintf("%v for %s: %s", ErrForeignRoute, e.VIP, strings.Join(e.Routes, "; "))
}

func (e *ForeignRouteError) Unwrap() error { return ErrForeignRoute }

// delHint is the command that deletes the (first) others' route at our
// key.
func (e *ForeignRouteError) delHint() string {
	if len(e.Routes) == 0 {
		return fmt.Sprintf("ip route del %s", netip.PrefixFrom(e.VIP, e.VIP.BitLen()))
	}
	return "ip route del " + e.Routes[0]
}

// keyMetric is the metric of the route we write as the kernel reports it:
// IPv6 stores metric 0 as 1024 (IP6_RT_PRIO_USER).
func keyMetric(vip netip.Addr) int {
	if vip.Is4() {
		return 0
	}
	return 1024
}

// atKey lists the main table's routes for vip that have the kernel's key
// of the route we write (metric 0, TOS 0), split into ours and others'.
// (Our routes at other keys do not exist: we write metric 0 only.)
func (r *Routes) atKey(vip netip.Addr) (mine, others []netlink.Route, err error) {
	filter := &netlink.Route{Dst: hostPrefix(vip), Table: unix.RT_TABLE_MAIN}
	rs, err := r.nl.RouteListFiltered(nlFamily(vip), filter, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, nil, fmt.Errorf("listing routes for %s: %w", vip, err)
	}
	for _, x := range rs {
		if x.Dst == nil || (x.Priority != 0 && x.Priority != keyMetric(vip)) || x.Tos != 0 {
			continue
		}
		if x.Protocol == RouteProtocol {
			mine = append(mine, x)
		} else {
			others = append(others, x)
		}
	}
	return mine, others, nil
}

// put writes route (ours, for vip) without replacing a route of others:
// it replaces a route of ours at the key, adds (exclusively) when there is
// none, and fails with a *ForeignRouteError when another route holds the
// key. RouteReplace alone would not do: the kernel matches the key, not
// the protocol, so it would overwrite an administrator's route.
func (r *Routes) put(vip netip.Addr, route *netlink.Route) error {
	mine, others, err := r.atKey(vip)
	if err != nil {
		return err
	}
	if len(others) > 0 {
		return r.foreignError(vip, others)
	}
	if len(mine) > 0 {
		err = r.nl.RouteReplace(route)
	} else if err = r.nl.RouteAdd(route); errors.Is(err, unix.EEXIST) {
		// Someone added theirs since we looked.
		if _, others, lerr := r.atKey(vip); lerr == nil && len(others) > 0 {
			return r.foreignError(vip, others)
		}
	}
	if err != nil {
		return fmt.Errorf("adding route %s dev %s src %s proto %d: %w", route.Dst, r.linkName(route.LinkIndex), route.Src, RouteProtocol, err)
	}
	return nil
}

func (r *Routes) foreignError(vip netip.Addr, others []netlink.Route) *ForeignRouteError {
	e := &ForeignRouteError{VIP: vip}
	for _, x := range others {
		e.Routes = append(e.Routes, r.describe(x))
	}
	return e
}

// describe writes x as `ip route` prints it.
func (r *Routes) describe(x netlink.Route) string {
	s := []string{}
	if x.Type != 0 && x.Type != unix.RTN_UNICAST {
		s = append(s, routeTypeName(x.Type))
	}
	if x.Dst != nil {
		s = append(s, x.Dst.String())
	}
	if x.Gw != nil {
		s = append(s, "via", x.Gw.String())
	}
	if x.LinkIndex != 0 {
		s = append(s, "dev", r.linkName(x.LinkIndex))
	}
	if x.Src != nil {
		s = append(s, "src", x.Src.String())
	}
	s = append(s, "proto", x.Protocol.String(), "metric", strconv.Itoa(x.Priority))
	return strings.Join(s, " ")
}

func routeTypeName(t int) string {
	switch t {
	case unix.RTN_BLACKHOLE:
		return "blackhole"
	case unix.RTN_UNREACHABLE:
		return "unreachable"
	case unix.RTN_PROHIBIT:
		return "prohibit"
	case unix.RTN_LOCAL:
		return "local"
	}
	return "type " + strconv.Itoa(t)
}

// linkName is the interface's name for messages, "#index" when unknown.
func (r *Routes) linkName(index int) string {
	if l, err := r.nl.LinkByIndex(index); err == nil && l.Attrs() != nil {
		return l.Attrs().Name
	}
	return "#" + strconv.Itoa(index)
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
