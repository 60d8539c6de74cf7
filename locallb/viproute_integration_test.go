package locallb

import (
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestIntegrationVIPRouteNetns runs route mode's VIPRoute against a kernel in
// a network namespace it creates: two interfaces, a default route through
// the first, masters behind the second. The VIP must be routed through the
// masters' interface with its source address in spite of the default route,
// through the interface of --ip when given, restored after a delete and
// moved back after a change; Remove leaves others' routes alone.
func TestIntegrationVIPRouteNetns(t *testing.T) {
	requireNetns(t)
	_, h := newNetns(t)
	eth0 := addLink(t, h, "eth0", "10.251.1.5/24")
	eth1 := addLink(t, h, "eth1", "10.251.2.5/24")
	_, def, _ := net.ParseCIDR("0.0.0.0/0")
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: def, Gw: net.ParseIP("10.251.1.1")}); err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddr("10.251.0.2")
	master := netip.MustParseAddr("10.251.2.10")
	r := NewVIPRoute(h)

	// check wants our route (no gateway) unless src is "default".
	check := func(what string, link netlink.Link, src string) {
		t.Helper()
		wantGw := ""
		if src == "default" {
			src, wantGw = "10.251.1.5", "10.251.1.1"
		}
		got, err := h.RouteGet(net.IP(vip.AsSlice()))
		if err != nil || len(got) == 0 {
			t.Fatalf("%s: RouteGet(VIP) = %v, %v", what, got, err)
		}
		if gw := got[0].Gw; got[0].LinkIndex != link.Attrs().Index || got[0].Src.String() != src || (gw == nil) != (wantGw == "") || (gw != nil && gw.String() != wantGw) {
			t.Fatalf("%s: VIP routed via #%d gw %s src %s, want %s (#%d) gw %q src %s", what, got[0].LinkIndex, got[0].Gw, got[0].Src, link.Attrs().Name, link.Attrs().Index, wantGw, src)
		}
	}
	// The default route would take eth0.
	if changed, err := r.Own(vip, []netip.Addr{master}); err != nil || !changed {
		t.Fatalf("Own: changed=%v err=%v", changed, err)
	}
	check("towards the master", eth1, "10.251.2.5")
	if changed, err := r.Own(vip, []netip.Addr{master}); err != nil || changed {
		t.Fatalf("second Own: changed=%v err=%v, want no write", changed, err)
	}
	// ip route del VIP: restored.
	if err := h.RouteDel(&netlink.Route{Dst: hostPrefix(vip), Scope: netlink.SCOPE_LINK}); err != nil {
		t.Fatal(err)
	}
	check("after the delete, before Own", eth0, "default")
	if changed, err := r.Own(vip, []netip.Addr{master}); err != nil || !changed {
		t.Fatalf("Own after a delete: changed=%v err=%v", changed, err)
	}
	check("restored", eth1, "10.251.2.5")
	// --ip the node's address on eth0: the route moves there.
	if changed, err := r.Own(vip, []netip.Addr{netip.MustParseAddr("10.251.1.5")}); err != nil || !changed {
		t.Fatalf("Own with --ip: changed=%v err=%v", changed, err)
	}
	check("--ip 10.251.1.5", eth0, "10.251.1.5")
	if mine, err := r.routes.ours(vip); err != nil || len(mine) != 1 {
		t.Fatalf("routes of ours: %v %v, want exactly one", mine, err)
	}
	if err := r.Remove(vip); err != nil {
		t.Fatal(err)
	}
	check("after Remove: the default route again", eth0, "default")
	if _, err := h.RouteGet(net.IP(netip.MustParseAddr("8.8.8.8").AsSlice())); err != nil {
		t.Fatalf("the default route went with ours: %v", err)
	}
}
