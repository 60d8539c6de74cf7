package care

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/sealkube/kubeadm/locallb"
)

// RouteOwner is route mode's seam to the kernel: *locallb.VIPRoute, or a
// fake in tests.
type RouteOwner interface {
	// Own makes the VIP's route of ours go through the interface towards
	// the first reachable address of toward; changed reports a write.
	Own(vip netip.Addr, toward []netip.Addr) (changed bool, err error)
	// Remove deletes our routes for vip.
	Remove(vip netip.Addr) error
}

// RoutesFactory opens the RouteOwner; it is called only in route mode.
type RoutesFactory func() (RouteOwner, error)

// NetlinkRoutes is the RoutesFactory of the real daemon: the routing table
// of the network namespace the process runs in (the node's: hostNetwork).
func NetlinkRoutes() (RouteOwner, error) { return locallb.NewVIPRoute(nil), nil }

var _ RouteOwner = (*locallb.VIPRoute)(nil)

// SetRoutes gives the daemon its RouteOwner; without one (or outside route
// mode) it leaves routes alone.
func (d *Daemon) SetRoutes(r RouteOwner) { d.routes = r }

// routeToward is where the VIP's route points: --ip (or the node address
// from /etc/hosts), else the real servers in flag order.
func (d *Daemon) routeToward() []netip.Addr {
	if d.cfg.Route.Toward.IsValid() {
		return []netip.Addr{d.cfg.Route.Toward}
	}
	var out []netip.Addr
	for _, rs := range d.cfg.RealServers {
		if !slices.Contains(out, rs.Addr()) {
			out = append(out, rs.Addr())
		}
	}
	return out
}

func (d *Daemon) ownsRoute() bool { return d.cfg.Route.Own && d.routes != nil }

// ownRoute writes the VIP route when it is missing or differs. At start a
// write is news; later it means someone deleted or changed the route.
func (d *Daemon) ownRoute(start bool) error {
	if !d.ownsRoute() {
		return nil
	}
	vip := d.cfg.VIP.Addr()
	changed, err := d.routes.Own(vip, d.routeToward())
	if err != nil {
		return fmt.Errorf("route mode: routing VIP %s towards %s (%s): %w", vip, d.routeToward(), d.cfg.Route.From, err)
	}
	switch {
	case start:
		d.log.Info("route mode: VIP route in place", "vip", vip, "toward", d.routeToward(), "from", d.cfg.Route.From, "written", changed)
	case changed:
		if ok, n := d.limit.allow("route restore"); ok {
			d.log.Warn("VIP route was deleted or changed outside lvscare; restored it", "vip", vip, "suppressed", n)
		}
	}
	return nil
}

// removeRoute deletes our VIP route (--clean in route mode).
func (d *Daemon) removeRoute() error {
	if !d.ownsRoute() {
		return nil
	}
	if err := d.routes.Remove(d.cfg.VIP.Addr()); err != nil {
		return fmt.Errorf("route mode: removing the route of VIP %s: %w", d.cfg.VIP.Addr(), err)
	}
	d.log.Info("deleted the VIP route", "vip", d.cfg.VIP.Addr())
	return nil
}
