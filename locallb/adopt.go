package locallb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// HostRoute is a host route for a VIP (VIP/32 or /128, main table) that
// someone else wrote, e.g. sealos' route mode: `VIP via <node address>
// metric 50`. The record lists the ones kubeadm adopted, so that Cleanup
// removes exactly those and no other route.
type HostRoute struct {
	Dst netip.Prefix `json:"dst"`
	// Gateway is the route's gateway; zero when it has none.
	Gateway  netip.Addr `json:"gateway,omitempty"`
	Metric   int        `json:"metric,omitempty"`
	Protocol int        `json:"protocol,omitempty"`
}

func (h HostRoute) String() string {
	s := h.Dst.String()
	if h.Gateway.IsValid() {
		s += " via " + h.Gateway.String()
	}
	return fmt.Sprintf("%s metric %d proto %d", s, h.Metric, h.Protocol)
}

// Adoption is a virtual server that another installer (sealos) set up and
// kubeadm takes over: Install then accepts the virtual server it finds at
// the VIP and records it, with Routes, as kubeadm's.
type Adoption struct {
	// From says who set it up, for the record and messages, e.g.
	// "sealos (/etc/kubernetes/manifests/kube-sealos-lvscare.yaml)".
	From string
	// Routes are the host routes for the VIP that came with it; Cleanup
	// removes them.
	Routes []HostRoute
}

// HostRoutes lists the main table's host routes for vip that are not ours
// (RouteProtocol): candidates for adoption.
func (r *Routes) HostRoutes(vip netip.Addr) ([]HostRoute, error) {
	if !vip.IsValid() {
		return nil, fmt.Errorf("routes for VIP %q: need an IP", vip)
	}
	filter := &netlink.Route{Dst: hostPrefix(vip), Table: unix.RT_TABLE_MAIN}
	rs, err := r.nl.RouteListFiltered(nlFamily(vip), filter, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("listing routes for %s: %w", vip, err)
	}
	var out []HostRoute
	for _, x := range rs {
		if x.Protocol == RouteProtocol || x.Dst == nil {
			continue
		}
		h := HostRoute{Dst: netip.PrefixFrom(vip, vip.BitLen()), Metric: x.Priority, Protocol: int(x.Protocol)}
		if gw, ok := netip.AddrFromSlice(x.Gw); ok && len(x.Gw) > 0 {
			h.Gateway = gw.Unmap()
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

// RemoveHostRoute deletes exactly h (destination, gateway, metric,
// protocol, main table). Absent is not an error.
func (r *Routes) RemoveHostRoute(h HostRoute) error {
	if !h.Dst.IsValid() || !h.Dst.IsSingleIP() {
		return fmt.Errorf("host route %q: need a single-address destination", h.Dst)
	}
	route := &netlink.Route{
		Dst:      hostPrefix(h.Dst.Addr()),
		Priority: h.Metric,
		Protocol: netlink.RouteProtocol(h.Protocol),
		Table:    unix.RT_TABLE_MAIN,
	}
	if h.Gateway.IsValid() {
		route.Gw = net.IP(h.Gateway.AsSlice())
	}
	if err := r.nl.RouteDel(route); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("deleting the adopted route %s: %w", h, err)
	}
	return nil
}
