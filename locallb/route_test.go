package locallb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// memRoutes is an in-memory routeNetlink: RouteGet answers from get
// (keyed by address) unless one of our routes, or others', covers the
// address. others are routes that are not ours (an administrator's).
type memRoutes struct {
	get    map[string]netlink.Route
	mine   []netlink.Route
	others []netlink.Route
	writes int
}

func (m *memRoutes) RouteGet(ip net.IP) ([]netlink.Route, error) {
	for _, r := range append(slices.Clone(m.mine), m.others...) {
		if r.Dst.Contains(ip) {
			return []netlink.Route{r}, nil
		}
	}
	if r, ok := m.get[ip.String()]; ok {
		return []netlink.Route{r}, nil
	}
	return nil, unix.ENETUNREACH
}

func (m *memRoutes) RouteListFiltered(_ int, f *netlink.Route, mask uint64) ([]netlink.Route, error) {
	var out []netlink.Route
	for _, r := range append(slices.Clone(m.mine), m.others...) {
		if (f.Dst == nil || r.Dst.String() == f.Dst.String()) && (mask&netlink.RT_FILTER_PROTOCOL == 0 || r.Protocol == f.Protocol) {
			out = append(out, r)
		}
	}
	return out, nil
}

// RouteAdd fails as the kernel's exclusive add does when a route with the
// destination and metric exists.
func (m *memRoutes) RouteAdd(r *netlink.Route) error {
	for _, x := range append(slices.Clone(m.mine), m.others...) {
		if x.Dst.String() == r.Dst.String() && x.Priority == r.Priority {
			return unix.EEXIST
		}
	}
	m.writes++
	m.mine = append(m.mine, *r)
	return nil
}

func (m *memRoutes) RouteReplace(r *netlink.Route) error {
	m.writes++
	m.mine = append(m.mine, *r)
	return nil
}

func (m *memRoutes) RouteDel(r *netlink.Route) error {
	m.writes++
	for i := range m.mine {
		if m.mine[i].Dst.String() == r.Dst.String() {
			m.mine = append(m.mine[:i], m.mine[i+1:]...)
			return nil
		}
	}
	return unix.ESRCH
}

func (m *memRoutes) LinkByIndex(i int) (netlink.Link, error) {
	return &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: i, Name: fmt.Sprintf("eth%d", i)}}, nil
}

func TestRoutesEnsure(t *testing.T) {
	vip, master := netip.MustParseAddr("10.103.97.2"), netip.MustParseAddr("192.168.0.10")
	toMaster := netlink.Route{LinkIndex: 7, Src: net.ParseIP("192.168.0.5")}
	tests := []struct {
		name      string
		get       map[string]netlink.Route
		via       netip.Addr
		wantAdded bool
		wantErr   string
	}{
		{name: "covered by default route, master unknown", get: map[string]netlink.Route{"10.103.97.2": {LinkIndex: 2}}, via: master},
		{name: "covered by the default route on the masters' link", get: map[string]netlink.Route{"10.103.97.2": toMaster, "192.168.0.10": toMaster}, via: master},
		// Two interfaces, the default route on the other one: the VIP would
		// leave there with a source the masters cannot answer.
		{name: "covered by a default route on another link", get: map[string]netlink.Route{"10.103.97.2": {LinkIndex: 2, Src: net.ParseIP("172.16.0.5")}, "192.168.0.10": toMaster}, via: master, wantAdded: true},
		{name: "covered on the masters' link with another source", get: map[string]netlink.Route{"10.103.97.2": {LinkIndex: 7, Src: net.ParseIP("192.168.0.99")}, "192.168.0.10": toMaster}, via: master, wantAdded: true},
		{name: "the VIP is a local address", get: map[string]netlink.Route{"10.103.97.2": {LinkIndex: 1, Type: unix.RTN_LOCAL}, "192.168.0.10": toMaster}, via: master},
		{name: "uncovered: copy master's device and source", get: map[string]netlink.Route{"192.168.0.10": toMaster}, via: master, wantAdded: true},
		{name: "uncovered, master unreachable", get: nil, via: master, wantErr: "no route to master 192.168.0.10"},
		{name: "uncovered, no master", get: nil, wantErr: "no master address was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memRoutes{get: tt.get}
			r := &Routes{nl: m}
			added, err := r.Ensure(vip, tt.via)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if m.writes != 0 {
					t.Fatal("wrote a route on failure")
				}
				return
			}
			if err != nil || added != tt.wantAdded {
				t.Fatalf("added=%v err=%v, want added=%v", added, err, tt.wantAdded)
			}
			if !tt.wantAdded {
				if m.writes != 0 {
					t.Fatal("wrote a route although one covers the VIP")
				}
				return
			}
			got := m.mine[0]
			if got.Dst.String() != "10.103.97.2/32" || got.LinkIndex != 7 || !got.Src.Equal(toMaster.Src) || got.Protocol != RouteProtocol || got.Gw != nil {
				t.Fatalf("route = %+v", got)
			}
			if added, err := r.Ensure(vip, tt.via); err != nil || added || m.writes != 1 {
				t.Fatalf("second Ensure: added=%v err=%v writes=%d", added, err, m.writes)
			}
			if err := r.Remove(vip); err != nil || len(m.mine) != 0 {
				t.Fatalf("Remove: %v, left %v", err, m.mine)
			}
		})
	}
}

func TestRoutesEnsureBlockedVIP(t *testing.T) {
	r := &Routes{nl: &blockedRoutes{}}
	_, err := r.Ensure(netip.MustParseAddr("10.103.97.2"), netip.MustParseAddr("192.168.0.10"))
	if !errors.Is(err, unix.EHOSTUNREACH) || !strings.Contains(err.Error(), "unreachable/prohibit route") {
		t.Fatalf("err = %v", err)
	}
}

type blockedRoutes struct{ memRoutes }

func (b *blockedRoutes) RouteGet(net.IP) ([]netlink.Route, error) { return nil, unix.EHOSTUNREACH }

// An administrator's route for the VIP at our key (main table, metric 0)
// that leaves otherwise than the route to the master: Ensure refuses,
// naming it and the fixes, and writes nothing (RouteReplace would have
// overwritten it and Remove deleted it later).
func TestRoutesEnsureRefusesAnAdminsRoute(t *testing.T) {
	vip, master := netip.MustParseAddr("10.103.97.2"), netip.MustParseAddr("192.168.0.10")
	admin := netlink.Route{Dst: hostPrefix(vip), Gw: net.ParseIP("172.16.0.1"), LinkIndex: 2, Protocol: unix.RTPROT_STATIC, Table: unix.RT_TABLE_MAIN}
	m := &memRoutes{
		get:    map[string]netlink.Route{"192.168.0.10": {LinkIndex: 7, Src: net.ParseIP("192.168.0.5")}},
		others: []netlink.Route{admin},
	}
	r := &Routes{nl: m}
	added, err := r.Ensure(vip, master)
	if !errors.Is(err, ErrForeignRoute) || added {
		t.Fatalf("Ensure = %v, %v; want ErrForeignRoute", added, err)
	}
	for _, w := range []string{
		"10.103.97.2/32 via 172.16.0.1 dev eth2 proto static metric 0",
		"master 192.168.0.10 (dev eth7 src 192.168.0.5)",
		"ip route replace 10.103.97.2/32 dev eth7 src 192.168.0.5 proto static",
		"ip route del 10.103.97.2/32 via 172.16.0.1 dev eth2 proto static metric 0",
		"choose another VIP",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\nlacks %q", err, w)
		}
	}
	if m.writes != 0 || len(m.mine) != 0 || len(m.others) != 1 {
		t.Fatalf("wrote %d, ours %v, others %v; want the admin's route alone", m.writes, m.mine, m.others)
	}
	// At another metric it is no obstacle: ours is added beside it.
	m.others[0].Priority = 100
	if added, err := r.Ensure(vip, master); err != nil || !added {
		t.Fatalf("Ensure beside a metric-100 route: %v, %v", added, err)
	}
}
