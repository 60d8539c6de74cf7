package locallb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestIntegrationRoutesNetns runs the netlink RouteManager in a network
// namespace it creates (no IPVS needed): add only when nothing covers the
// VIP, copy the master's device and source address, idempotence, removal.
func TestIntegrationRoutesNetns(t *testing.T) {
	requireNetns(t)
	for _, tc := range []struct {
		name, nodeAddr, src, vip, master, gw, defDst string
	}{
		{"ipv4", "10.250.9.1/24", "10.250.9.1", "10.250.0.100", "10.250.9.10", "10.250.9.254", "0.0.0.0/0"},
		{"ipv6", "fd00:250:9::1/64", "fd00:250:9::1", "fd00:250::100", "fd00:250:9::10", "fd00:250:9::fe", "::/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, h := newNetns(t)
			eth := addLink(t, h, "eth0", tc.nodeAddr)
			r := NewRoutes(h)
			vip, master := netip.MustParseAddr(tc.vip), netip.MustParseAddr(tc.master)

			// Without a covering route the node cannot even try to connect.
			if err := dialErr(t, ns, tc.vip); !errors.Is(err, syscall.ENETUNREACH) {
				t.Fatalf("dial before Ensure: %v, want network is unreachable", err)
			}
			if _, err := r.Ensure(vip, netip.Addr{}); err == nil {
				t.Fatal("Ensure without a master address succeeded")
			}
			if _, err := r.Ensure(vip, netip.MustParseAddr(map[bool]string{true: "10.250.77.1", false: "fd00:250:77::1"}[vip.Is4()])); err == nil || !strings.Contains(err.Error(), "no route to master") {
				t.Fatalf("Ensure with an unroutable master: %v", err)
			}
			added, err := r.Ensure(vip, master)
			if err != nil || !added {
				t.Fatalf("Ensure: added=%v err=%v", added, err)
			}
			got, err := h.RouteGet(net.IP(vip.AsSlice()))
			if err != nil || len(got) == 0 {
				t.Fatalf("RouteGet(VIP) after Ensure: %v %v", got, err)
			}
			if got[0].LinkIndex != eth.Attrs().Index || got[0].Src.String() != tc.src || got[0].Gw != nil {
				t.Fatalf("VIP routed via link %d gw %s src %s, want eth0 (%d) src %s, no gateway", got[0].LinkIndex, got[0].Gw, got[0].Src, eth.Attrs().Index, tc.src)
			}
			// Routing now succeeds: the connect no longer fails early.
			if err := dialErr(t, ns, tc.vip); errors.Is(err, syscall.ENETUNREACH) {
				t.Fatalf("dial after Ensure still unreachable: %v", err)
			}
			if added, err := r.Ensure(vip, master); err != nil || added {
				t.Fatalf("second Ensure: added=%v err=%v, want no change", added, err)
			}
			if err := r.Remove(vip); err != nil {
				t.Fatal(err)
			}
			if _, err := h.RouteGet(net.IP(vip.AsSlice())); !errors.Is(err, syscall.ENETUNREACH) {
				t.Fatalf("VIP still routed after Remove: %v", err)
			}
			if err := r.Remove(vip); err != nil {
				t.Fatalf("second Remove: %v", err)
			}

			// With a default route the VIP is covered: nothing is added.
			_, def, _ := net.ParseCIDR(tc.defDst)
			if err := h.RouteAdd(&netlink.Route{LinkIndex: eth.Attrs().Index, Dst: def, Gw: net.ParseIP(tc.gw)}); err != nil {
				t.Fatal(err)
			}
			if added, err := r.Ensure(vip, master); err != nil || added {
				t.Fatalf("Ensure with a default route: added=%v err=%v, want nothing added", added, err)
			}
			if mine, err := r.ours(vip); err != nil || len(mine) != 0 {
				t.Fatalf("routes of ours with a default route: %v %v", mine, err)
			}
		})
	}
}

// TestIntegrationRoutesKeepOthers checks that Remove deletes only routes
// carrying RouteProtocol.
func TestIntegrationRoutesKeepOthers(t *testing.T) {
	requireNetns(t)
	_, h := newNetns(t)
	eth := addLink(t, h, "eth0", "10.250.9.1/24")
	r := NewRoutes(h)
	master := netip.MustParseAddr("10.250.9.10")
	a, b := netip.MustParseAddr("10.250.0.100"), netip.MustParseAddr("10.250.0.101")
	if _, err := r.Ensure(a, master); err != nil {
		t.Fatal(err)
	}
	// An administrator's route for b (proto boot) is not ours.
	if err := h.RouteAdd(&netlink.Route{LinkIndex: eth.Attrs().Index, Dst: hostPrefix(b), Scope: netlink.SCOPE_LINK}); err != nil {
		t.Fatal(err)
	}
	if added, err := r.Ensure(b, master); err != nil || added {
		t.Fatalf("Ensure over an admin route: added=%v err=%v", added, err)
	}
	for _, v := range []netip.Addr{a, b} {
		if err := r.Remove(v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.RouteGet(net.IP(b.AsSlice())); err != nil {
		t.Fatalf("admin route for %s removed: %v", b, err)
	}
	if _, err := h.RouteGet(net.IP(a.AsSlice())); !errors.Is(err, syscall.ENETUNREACH) {
		t.Fatalf("our route for %s left: %v", a, err)
	}
}

// dialErr tries a TCP connect to vip:6443 from inside ns. Nothing listens
// anywhere reachable, so it fails; the error kind is what tests look at.
func dialErr(t *testing.T, ns netns.NsHandle, vip string) error {
	t.Helper()
	var err error
	inNetns(t, ns, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		var c net.Conn
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(vip, "6443"))
		if c != nil {
			c.Close()
			t.Errorf("connected to %s, nothing should listen there", vip)
		}
	})
	return err
}
