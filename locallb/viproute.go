package locallb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// VIPRoute is the route the care daemon owns in route mode (public
// lvscare's default mode): VIP/32 (or /128) in the main table, marked with
// RouteProtocol, on the interface towards an address (the masters, or the
// --ip the operator names), with that interface's source address. Unlike
// Routes.Ensure, used by the join, it does not step back when another route
// covers the VIP: on a node with several interfaces the default route may
// leave through the wrong one, and public lvscare's route mode adds its
// route regardless too. There is no gateway: IPVS or our DNAT rewrites the
// destination before the packet leaves, so only the interface and the
// source address matter. Metric 0, the key Routes.Ensure writes, so the
// join's route and the daemon's are one route.
type VIPRoute struct {
	nl     vipRouteNetlink
	routes *Routes
}

// vipRouteNetlink is the part of *netlink.Handle VIPRoute uses.
type vipRouteNetlink interface {
	routeNetlink
	RouteGetWithOptions(net.IP, *netlink.RouteGetOptions) ([]netlink.Route, error)
	AddrList(netlink.Link, int) ([]netlink.Addr, error)
}

// NewVIPRoute works in h's network namespace; a nil h is the caller's.
func NewVIPRoute(h *netlink.Handle) *VIPRoute {
	if h == nil {
		h = &netlink.Handle{}
	}
	return &VIPRoute{nl: h, routes: &Routes{nl: h}}
}

// ErrNoPathToward means none of the addresses Own was given has a route.
var ErrNoPathToward = errors.New("no route towards any of the given addresses")

// Want returns the route VIPRoute keeps for vip: on the interface towards
// the first of toward that this node can route to. A local address (the
// node's own, as sealos passes --ip) means the interface holding it, with
// it as the source.
func (r *VIPRoute) Want(vip netip.Addr, toward []netip.Addr) (*netlink.Route, error) {
	if !vip.IsValid() || vip.Is4In6() || vip.Zone() != "" {
		return nil, fmt.Errorf("route for VIP %q: need an unzoned, unmapped IP", vip)
	}
	var errs []error
	for _, to := range toward {
		if to.Is4() != vip.Is4() {
			errs = append(errs, fmt.Errorf("%s is not of the VIP's address family", to))
			continue
		}
		link, src, err := r.path(to)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		route := &netlink.Route{
			Dst:       hostPrefix(vip),
			LinkIndex: link,
			Src:       src,
			Protocol:  RouteProtocol,
			Table:     unix.RT_TABLE_MAIN,
		}
		if vip.Is4() {
			route.Scope = netlink.SCOPE_LINK
		}
		return route, nil
	}
	return nil, fmt.Errorf("%w for VIP %s (%v): the node must reach its masters; fix its routing or give --ip an address of the interface to use", ErrNoPathToward, vip, errors.Join(errs...))
}

// path is the interface index and source address towards to.
func (r *VIPRoute) path(to netip.Addr) (int, net.IP, error) {
	got, err := r.nl.RouteGet(net.IP(to.AsSlice()))
	if err != nil || len(got) == 0 {
		return 0, nil, fmt.Errorf("no route to %s (%v)", to, err)
	}
	if got[0].Type != unix.RTN_LOCAL {
		if got[0].LinkIndex == 0 {
			return 0, nil, fmt.Errorf("the route to %s has no interface", to)
		}
		return got[0].LinkIndex, got[0].Src, nil
	}
	// The node's own address: the interface that holds it.
	family := netlink.FAMILY_V4
	if to.Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := r.nl.AddrList(nil, family)
	if err != nil {
		return 0, nil, fmt.Errorf("listing addresses to find the interface of %s: %w", to, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == to && a.LinkIndex != 0 {
			if a.Scope == int(netlink.SCOPE_HOST) {
				return 0, nil, fmt.Errorf("%s is a loopback address: give an address of the interface towards the masters", to)
			}
			return a.LinkIndex, net.IP(to.AsSlice()), nil
		}
	}
	return 0, nil, fmt.Errorf("%s is local but on no interface", to)
}

// Own makes the kernel hold Want(vip, toward), replacing a route of ours
// that differs (another interface or source) and adding it when someone
// deleted it; changed reports a write. It never writes over a route that is
// not ours at the same key (destination, main table, metric): when that
// one routes the VIP through the wanted interface and source it leaves it
// and reports no change, otherwise it fails, wrapping ErrForeignRoute. A call that changes nothing costs
// one lookup per address tried plus one FIB lookup of the VIP.
func (r *VIPRoute) Own(vip netip.Addr, toward []netip.Addr) (changed bool, err error) {
	want, err := r.Want(vip, toward)
	if err != nil {
		return false, err
	}
	if ok, err := r.holds(vip, want); err != nil {
		return false, err
	} else if ok {
		return false, nil
	}
	if err := r.routes.put(vip, want); err != nil {
		var fe *ForeignRouteError
		if !errors.As(err, &fe) {
			return false, err
		}
		// Someone else's route holds the key (an administrator's `ip route
		// add VIP/32 ... proto static`). Replacing it would lose it for
		// good: our Remove, --clean and kubeadm reset delete what we wrote.
		// When it routes the VIP as ours would, nothing is missing.
		if got, gerr := r.nl.RouteGet(net.IP(vip.AsSlice())); gerr == nil && len(got) > 0 &&
			got[0].LinkIndex == want.LinkIndex && got[0].Src.Equal(want.Src) {
			return false, nil
		}
		name := r.routes.linkName(want.LinkIndex)
		return false, fmt.Errorf("%w; it leaves otherwise than through dev %s with source %s, and lvscare will not replace it (removing its route later would delete that one): "+
			"make it leave that way (`ip route replace %s dev %s src %s proto static`) or delete it (`%s`) so that lvscare writes its own", err, name, want.Src, want.Dst, name, want.Src, fe.delHint())
	}
	return true, nil
}

func sameRoute(got netlink.Route, want *netlink.Route) bool {
	return got.Protocol == want.Protocol && got.LinkIndex == want.LinkIndex && got.Src.Equal(want.Src) &&
		got.Gw == nil && got.Dst != nil && got.Dst.String() == want.Dst.String()
}

// holds reports whether want is in the kernel: first the route the kernel
// would use for vip (RTM_F_FIB_MATCH, one answer), then, when that is not
// ours (an older kernel without FIB_MATCH, a policy rule), the main table.
func (r *VIPRoute) holds(vip netip.Addr, want *netlink.Route) (bool, error) {
	got, err := r.nl.RouteGetWithOptions(net.IP(vip.AsSlice()), &netlink.RouteGetOptions{FIBMatch: true})
	if err == nil && len(got) > 0 && sameRoute(got[0], want) {
		return true, nil
	}
	mine, err := r.routes.ours(vip)
	if err != nil {
		return false, err
	}
	for _, m := range mine {
		if sameRoute(m, want) {
			return true, nil
		}
	}
	return false, nil
}

// Remove deletes our routes for vip (RouteProtocol), nothing else.
func (r *VIPRoute) Remove(vip netip.Addr) error { return r.routes.Remove(vip) }
