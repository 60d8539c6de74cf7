package locallb

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
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

// TestIntegrationInstallKeepsAnAdminsVIPRoute: an administrator's route
// for the VIP (`ip route add VIP/32 ... proto static`, main table, metric
// 0: the kernel's key of the route kubeadm writes) must survive the join
// (Install), the care daemon's route mode (VIPRoute.Own), the undo of a
// failed join and kubeadm reset (Cleanup). RouteReplace matches that key,
// not the protocol: it used to overwrite the admin's route with ours, which
// Remove then deleted.
func TestIntegrationInstallKeepsAnAdminsVIPRoute(t *testing.T) {
	requireNetns(t)
	for _, tc := range []struct {
		name                                 string
		eth0, eth1, gw0, vip, master, defDst string
	}{
		{"ipv4", "10.252.1.5/24", "10.252.2.5/24", "10.252.1.1", "10.252.0.2", "10.252.2.10", "0.0.0.0/0"},
		{"ipv6", "fd00:252:1::5/64", "fd00:252:2::5/64", "fd00:252:1::1", "fd00:252::2", "fd00:252:2::10", "::/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vip, master := netip.MustParseAddr(tc.vip), netip.MustParseAddr(tc.master)
			eps, _, err := ParseEndpoints(net.JoinHostPort(tc.vip, "6443"), []string{net.JoinHostPort(tc.master, "6443")})
			if err != nil {
				t.Fatal(err)
			}
			for _, admin := range []struct {
				name string
				// like: the admin's route leaves like the route to the
				// master (eth1, its source): the join needs no route.
				like bool
			}{{"through the other interface", false}, {"like the master", true}} {
				t.Run(admin.name, func(t *testing.T) {
					ns, h := newNetns(t)
					eth0 := addLink(t, h, "eth0", tc.eth0)
					eth1 := addLink(t, h, "eth1", tc.eth1)
					_, def, _ := net.ParseCIDR(tc.defDst)
					if err := h.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: def, Gw: net.ParseIP(tc.gw0)}); err != nil {
						t.Fatal(err)
					}
					route := &netlink.Route{Dst: hostPrefix(vip), LinkIndex: eth0.Attrs().Index, Gw: net.ParseIP(tc.gw0), Protocol: unix.RTPROT_STATIC}
					if admin.like {
						route = &netlink.Route{Dst: hostPrefix(vip), LinkIndex: eth1.Attrs().Index, Protocol: unix.RTPROT_STATIC}
						if vip.Is4() {
							route.Scope = netlink.SCOPE_LINK
						}
					}
					if err := h.RouteAdd(route); err != nil {
						t.Fatalf("adding the admin's route: %v", err)
					}
					adminRoute := func(step string) {
						t.Helper()
						rs, err := h.RouteListFiltered(nlFamily(vip), &netlink.Route{Dst: hostPrefix(vip), Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
						if err != nil {
							t.Fatal(err)
						}
						if len(rs) != 1 || rs[0].Protocol != unix.RTPROT_STATIC || rs[0].LinkIndex != route.LinkIndex || !rs[0].Gw.Equal(route.Gw) {
							t.Fatalf("%s: the VIP's routes are %v, want the admin's %s alone, untouched", step, rs, route)
						}
					}
					lb := openNFTables(t, ns)
					in := Installer{Balancer: lb, Backend: BackendNFTables, Routes: NewRoutes(h), StatePath: filepath.Join(t.TempDir(), "state.json")}
					x, err := in.Install(eps)
					if !admin.like {
						// Refused, naming the route and the fixes; nothing left.
						if !errors.Is(err, ErrForeignRoute) {
							t.Fatalf("Install over the admin's route on eth0: %v, want ErrForeignRoute", err)
						}
						for _, w := range []string{"proto static", "dev eth0", "ip route replace " + hostPrefix(vip).String() + " dev eth1", "ip route del " + hostPrefix(vip).String()} {
							if !strings.Contains(err.Error(), w) {
								t.Errorf("error %q\nlacks %q", err, w)
							}
						}
						adminRoute("after the refused Install")
						if _, found, _ := lb.Get(eps.VIP); found {
							t.Error("the refused Install left its virtual server")
						}
						if _, found, _ := in.ReadState(); found {
							t.Error("the refused Install left its record")
						}
						// The daemon's route mode does not take it either.
						if changed, err := NewVIPRoute(h).Own(vip, []netip.Addr{master}); !errors.Is(err, ErrForeignRoute) || changed {
							t.Fatalf("Own over the admin's route: changed=%v err=%v, want ErrForeignRoute", changed, err)
						}
						adminRoute("after Own")
						return
					}
					if err != nil {
						t.Fatalf("Install with the admin's route routing the VIP like the master: %v", err)
					}
					adminRoute("after Install")
					// The daemon in route mode finds the VIP routed as it wants.
					if changed, err := NewVIPRoute(h).Own(vip, []netip.Addr{master}); err != nil || changed {
						t.Fatalf("Own with the admin's route: changed=%v err=%v, want no change", changed, err)
					}
					adminRoute("after Own")
					if err := x.Undo(); err != nil {
						t.Fatal(err)
					}
					adminRoute("after Undo")
					if _, err := in.Install(eps); err != nil {
						t.Fatal(err)
					}
					if err := in.Cleanup(); err != nil {
						t.Fatal(err)
					}
					adminRoute("after Cleanup")
				})
			}
		})
	}
}
