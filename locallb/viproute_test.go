package locallb

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// memVIPRoutes adds a FIB-match lookup and an address list to memRoutes.
// Replace keys on the destination, as the kernel does for metric 0.
type memVIPRoutes struct {
	memRoutes
	addrs []netlink.Addr
	// noFIBMatch answers the FIB-match lookup as a kernel without it would:
	// a cloned route with no protocol.
	noFIBMatch bool
}

func (m *memVIPRoutes) RouteGetWithOptions(ip net.IP, o *netlink.RouteGetOptions) ([]netlink.Route, error) {
	got, err := m.RouteGet(ip)
	if err != nil || m.noFIBMatch {
		for i := range got {
			got[i].Protocol = 0
		}
	}
	return got, err
}

func (m *memVIPRoutes) AddrList(netlink.Link, int) ([]netlink.Addr, error) { return m.addrs, nil }

func (m *memVIPRoutes) RouteReplace(r *netlink.Route) error {
	m.writes++
	for i := range m.mine {
		if m.mine[i].Dst.String() == r.Dst.String() {
			m.mine[i] = *r
			return nil
		}
	}
	m.mine = append(m.mine, *r)
	return nil
}

func TestVIPRouteOwn(t *testing.T) {
	vip := netip.MustParseAddr("10.103.97.2")
	m1, m2 := netip.MustParseAddr("192.168.0.10"), netip.MustParseAddr("10.20.0.10")
	nodeIP := netip.MustParseAddr("10.20.0.5")
	get := map[string]netlink.Route{
		"10.103.97.2":  {LinkIndex: 2, Gw: net.ParseIP("172.16.0.1")}, // the default route, on another NIC
		"192.168.0.10": {LinkIndex: 7, Src: net.ParseIP("192.168.0.5")},
		"10.20.0.10":   {LinkIndex: 9, Src: net.ParseIP("10.20.0.5")},
		"10.20.0.5":    {LinkIndex: 1, Type: unix.RTN_LOCAL, Src: net.ParseIP("10.20.0.5")},
		"127.0.0.1":    {LinkIndex: 1, Type: unix.RTN_LOCAL},
	}
	addrs := []netlink.Addr{
		{IPNet: &net.IPNet{IP: net.ParseIP("10.20.0.5"), Mask: net.CIDRMask(24, 32)}, LinkIndex: 9},
		{IPNet: &net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)}, LinkIndex: 1, Scope: int(netlink.SCOPE_HOST)},
	}
	for _, tc := range []struct {
		name       string
		toward     []netip.Addr
		noFIBMatch bool
		wantLink   int
		wantSrc    string
		wantErr    string
	}{
		// Even with a default route covering the VIP: it may leave through
		// the wrong interface.
		{name: "towards the first master", toward: []netip.Addr{m1, m2}, wantLink: 7, wantSrc: "192.168.0.5"},
		{name: "first master unroutable: the next", toward: []netip.Addr{netip.MustParseAddr("192.168.99.1"), m2}, wantLink: 9, wantSrc: "10.20.0.5"},
		{name: "--ip the node's own address", toward: []netip.Addr{nodeIP}, wantLink: 9, wantSrc: "10.20.0.5"},
		{name: "kernel without FIB match", toward: []netip.Addr{m1}, noFIBMatch: true, wantLink: 7, wantSrc: "192.168.0.5"},
		{name: "loopback --ip", toward: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, wantErr: "loopback"},
		{name: "nothing routable", toward: []netip.Addr{netip.MustParseAddr("192.168.99.1")}, wantErr: "no route towards"},
		{name: "other family", toward: []netip.Addr{netip.MustParseAddr("fd00::1")}, wantErr: "address family"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &memVIPRoutes{memRoutes: memRoutes{get: get}, addrs: addrs, noFIBMatch: tc.noFIBMatch}
			r := &VIPRoute{nl: m, routes: &Routes{nl: m}}
			changed, err := r.Own(vip, tc.toward)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Own = %v, want an error containing %q", err, tc.wantErr)
				}
				if tc.wantErr == "no route towards" && !errors.Is(err, ErrNoPathToward) {
					t.Fatalf("error %v is not ErrNoPathToward", err)
				}
				return
			}
			if err != nil || !changed {
				t.Fatalf("Own = %v, %v; want a new route", changed, err)
			}
			if len(m.mine) != 1 {
				t.Fatalf("routes %v, want one", m.mine)
			}
			got := m.mine[0]
			if got.LinkIndex != tc.wantLink || got.Src.String() != tc.wantSrc || got.Protocol != RouteProtocol || got.Dst.String() != "10.103.97.2/32" || got.Gw != nil {
				t.Fatalf("route %+v, want 10.103.97.2/32 dev #%d src %s proto %d, no gateway", got, tc.wantLink, tc.wantSrc, RouteProtocol)
			}
			if changed, err := r.Own(vip, tc.toward); err != nil || changed || m.writes != 1 {
				t.Fatalf("second Own: changed=%v err=%v writes=%d; want no write", changed, err, m.writes)
			}
			// Deleted behind our back: restored.
			m.mine = nil
			if changed, err := r.Own(vip, tc.toward); err != nil || !changed || len(m.mine) != 1 {
				t.Fatalf("Own after a delete: changed=%v err=%v routes=%v; want it back", changed, err, m.mine)
			}
			// Moved to another interface by someone: put back.
			m.mine[0].LinkIndex = 3
			if changed, err := r.Own(vip, tc.toward); err != nil || !changed || m.mine[0].LinkIndex != tc.wantLink {
				t.Fatalf("Own after a change: changed=%v err=%v route=%+v", changed, err, m.mine[0])
			}
			if err := r.Remove(vip); err != nil || len(m.mine) != 0 {
				t.Fatalf("Remove: %v, left %v", err, m.mine)
			}
		})
	}
}

// The daemon never writes over an administrator's route at its key: one
// that routes the VIP as ours would is left as is (no change, no error),
// one that leaves otherwise is an error naming it.
func TestVIPRouteOwnLeavesAnAdminsRoute(t *testing.T) {
	vip, master := netip.MustParseAddr("10.103.97.2"), netip.MustParseAddr("192.168.0.10")
	get := map[string]netlink.Route{"192.168.0.10": {LinkIndex: 7, Src: net.ParseIP("192.168.0.5")}}
	for _, tc := range []struct {
		name    string
		admin   netlink.Route
		wantErr []string
	}{
		{name: "same interface and source", admin: netlink.Route{LinkIndex: 7, Src: net.ParseIP("192.168.0.5")}},
		{name: "another interface", admin: netlink.Route{LinkIndex: 2, Gw: net.ParseIP("172.16.0.1")}, wantErr: []string{
			"10.103.97.2/32 via 172.16.0.1 dev eth2 proto static metric 0", "dev eth7 with source 192.168.0.5",
			"ip route replace 10.103.97.2/32 dev eth7 src 192.168.0.5 proto static", "ip route del 10.103.97.2/32 via 172.16.0.1 dev eth2 proto static metric 0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin := tc.admin
			admin.Dst, admin.Protocol, admin.Table = hostPrefix(vip), unix.RTPROT_STATIC, unix.RT_TABLE_MAIN
			m := &memVIPRoutes{memRoutes: memRoutes{get: get, others: []netlink.Route{admin}}}
			r := &VIPRoute{nl: m, routes: &Routes{nl: m}}
			changed, err := r.Own(vip, []netip.Addr{master})
			if changed || m.writes != 0 || len(m.mine) != 0 {
				t.Fatalf("Own wrote over the admin's route: changed=%v writes=%d ours=%v", changed, m.writes, m.mine)
			}
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Own = %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, ErrForeignRoute) {
				t.Fatalf("Own = %v, want ErrForeignRoute", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
