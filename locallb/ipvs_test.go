package locallb

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/ipvs"
	"golang.org/x/sys/unix"
)

// memHandle is an in-memory ipvsHandle that answers like the kernel
// (ESRCH for a missing service, ENOENT for a missing destination) and
// counts reads and writes.
type memHandle struct {
	svcs   map[netip.AddrPort]*memSvc
	reads  int
	writes []string
	failOn string // an op name that fails with errInjected
}

type memSvc struct {
	svc   ipvs.Service
	dests map[netip.AddrPort]ipvs.Destination
}

var errInjected = errors.New("injected failure")

func newMemHandle() *memHandle { return &memHandle{svcs: map[netip.AddrPort]*memSvc{}} }

func svcKey(s *ipvs.Service) netip.AddrPort {
	a, _ := netip.AddrFromSlice(s.Address)
	return netip.AddrPortFrom(a.Unmap(), s.Port)
}

func (m *memHandle) write(op string, arg fmt.Stringer) error {
	m.writes = append(m.writes, op+" "+arg.String())
	if m.failOn == op {
		return errInjected
	}
	return nil
}

func (m *memHandle) GetService(s *ipvs.Service) (*ipvs.Service, error) {
	m.reads++
	cur, ok := m.svcs[svcKey(s)]
	if !ok {
		return nil, unix.ESRCH
	}
	c := cur.svc
	return &c, nil
}

func (m *memHandle) NewService(s *ipvs.Service) error {
	if err := m.write("NewService", svcKey(s)); err != nil {
		return err
	}
	if _, ok := m.svcs[svcKey(s)]; ok {
		return unix.EEXIST
	}
	m.svcs[svcKey(s)] = &memSvc{svc: *s, dests: map[netip.AddrPort]ipvs.Destination{}}
	return nil
}

func (m *memHandle) UpdateService(s *ipvs.Service) error {
	if err := m.write("UpdateService", svcKey(s)); err != nil {
		return err
	}
	cur, ok := m.svcs[svcKey(s)]
	if !ok {
		return unix.ESRCH
	}
	cur.svc = *s
	return nil
}

func (m *memHandle) DelService(s *ipvs.Service) error {
	if err := m.write("DelService", svcKey(s)); err != nil {
		return err
	}
	if _, ok := m.svcs[svcKey(s)]; !ok {
		return unix.ESRCH
	}
	delete(m.svcs, svcKey(s))
	return nil
}

func (m *memHandle) GetDestinations(s *ipvs.Service) ([]*ipvs.Destination, error) {
	m.reads++
	cur, ok := m.svcs[svcKey(s)]
	if !ok {
		return nil, nil // the kernel's dump of a missing service is empty
	}
	var out []*ipvs.Destination
	for _, d := range cur.dests {
		d := d
		out = append(out, &d)
	}
	return out, nil
}

func (m *memHandle) destOp(op string, s *ipvs.Service, d *ipvs.Destination, f func(*memSvc, netip.AddrPort) error) error {
	k := destAddr(d)
	if err := m.write(op, k); err != nil {
		return err
	}
	cur, ok := m.svcs[svcKey(s)]
	if !ok {
		return unix.ESRCH
	}
	return f(cur, k)
}

func (m *memHandle) NewDestination(s *ipvs.Service, d *ipvs.Destination) error {
	return m.destOp("NewDestination", s, d, func(c *memSvc, k netip.AddrPort) error {
		if _, ok := c.dests[k]; ok {
			return unix.EEXIST
		}
		c.dests[k] = *d
		return nil
	})
}

func (m *memHandle) UpdateDestination(s *ipvs.Service, d *ipvs.Destination) error {
	return m.destOp("UpdateDestination", s, d, func(c *memSvc, k netip.AddrPort) error {
		if _, ok := c.dests[k]; !ok {
			return unix.ENOENT
		}
		c.dests[k] = *d
		return nil
	})
}

func (m *memHandle) DelDestination(s *ipvs.Service, d *ipvs.Destination) error {
	return m.destOp("DelDestination", s, d, func(c *memSvc, k netip.AddrPort) error {
		if _, ok := c.dests[k]; !ok {
			return unix.ENOENT
		}
		delete(c.dests, k)
		return nil
	})
}

func (m *memHandle) Close() {}

func rs(addr string, w int) RealServer {
	return RealServer{Addr: netip.MustParseAddrPort(addr), Weight: w}
}

var vip4 = netip.MustParseAddrPort("10.103.97.2:6443")

func TestEnsureReconciles(t *testing.T) {
	tests := []struct {
		name       string
		start      []RealServer // nil: no virtual server yet
		startSched string
		want       []RealServer
		wantWrites []string // sorted comparison not needed: order is deterministic per map? no, so compare as sets
	}{
		{
			name: "create", start: nil,
			want:       []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)},
			wantWrites: []string{"NewService 10.103.97.2:6443", "NewDestination 10.0.0.1:6443", "NewDestination 10.0.0.2:6443"},
		},
		{
			name:  "no-op writes nothing",
			start: []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)},
			want:  []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)},
		},
		{
			name:       "add missing",
			start:      []RealServer{rs("10.0.0.1:6443", 1)},
			want:       []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)},
			wantWrites: []string{"NewDestination 10.0.0.2:6443"},
		},
		{
			name:       "remove extra",
			start:      []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.9:6443", 1)},
			want:       []RealServer{rs("10.0.0.1:6443", 1)},
			wantWrites: []string{"DelDestination 10.0.0.9:6443"},
		},
		{
			name:       "fix weight and drain",
			start:      []RealServer{rs("10.0.0.1:6443", 5), rs("10.0.0.2:6443", 1)},
			want:       []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 0)},
			wantWrites: []string{"UpdateDestination 10.0.0.1:6443", "UpdateDestination 10.0.0.2:6443"},
		},
		{
			name:       "fix scheduler",
			start:      []RealServer{rs("10.0.0.1:6443", 1)},
			startSched: "wlc",
			want:       []RealServer{rs("10.0.0.1:6443", 1)},
			wantWrites: []string{"UpdateService 10.103.97.2:6443"},
		},
		{
			name:       "empty real server list removes all",
			start:      []RealServer{rs("10.0.0.1:6443", 1)},
			want:       []RealServer{},
			wantWrites: []string{"DelDestination 10.0.0.1:6443"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMemHandle()
			if tt.start != nil {
				seed(t, h, VirtualServer{VIP: vip4, RealServers: tt.start})
				if tt.startSched != "" {
					h.svcs[vip4].svc.SchedName = tt.startSched
				}
				h.writes, h.reads = nil, 0
			}
			if err := ensure(h, VirtualServer{VIP: vip4, RealServers: tt.want}); err != nil {
				t.Fatal(err)
			}
			if !sameSet(h.writes, tt.wantWrites) {
				t.Errorf("writes = %q, want %q", h.writes, tt.wantWrites)
			}
			got, found, err := get(h, vip4)
			if err != nil || !found {
				t.Fatalf("get: found=%v err=%v", found, err)
			}
			want := append([]RealServer{}, tt.want...)
			SortRealServers(want)
			if !reflect.DeepEqual(got.RealServers, want) {
				t.Errorf("real servers = %v, want %v", got.RealServers, want)
			}
			if s := h.svcs[vip4].svc; s.SchedName != "rr" || s.Protocol != unix.IPPROTO_TCP || s.AddressFamily != unix.AF_INET {
				t.Errorf("service = %+v, want TCP IPv4 rr", s)
			}
			for k, d := range h.svcs[vip4].dests {
				if d.ConnectionFlags != ipvs.ConnectionFlagMasq {
					t.Errorf("dest %s forwarding %#x, want masquerade", k, d.ConnectionFlags)
				}
			}
			// A second Ensure is always a no-op: one lookup, one dump, no writes.
			h.writes, h.reads = nil, 0
			if err := ensure(h, VirtualServer{VIP: vip4, RealServers: tt.want}); err != nil {
				t.Fatal(err)
			}
			if len(h.writes) != 0 || h.reads != 2 {
				t.Errorf("second Ensure: %d reads, writes %q; want 2 reads, no writes", h.reads, h.writes)
			}
		})
	}
}

func seed(t *testing.T, h *memHandle, vs VirtualServer) {
	t.Helper()
	if err := ensure(h, vs); err != nil {
		t.Fatal(err)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestEnsureFixesForwardingMethod(t *testing.T) {
	h := newMemHandle()
	seed(t, h, VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1)}})
	k := netip.MustParseAddrPort("10.0.0.1:6443")
	d := h.svcs[vip4].dests[k]
	d.ConnectionFlags = ipvs.ConnectionFlagDirectRoute
	h.svcs[vip4].dests[k] = d
	h.writes = nil
	if err := ensure(h, VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1)}}); err != nil {
		t.Fatal(err)
	}
	if got := h.svcs[vip4].dests[k].ConnectionFlags; got != ipvs.ConnectionFlagMasq {
		t.Fatalf("forwarding = %#x, want masquerade", got)
	}
}

func TestEnsureIPv6(t *testing.T) {
	h := newMemHandle()
	vip := netip.MustParseAddrPort("[fd00::100]:6443")
	want := []RealServer{rs("[fd00::1]:6443", 1), rs("[fd00::2]:6443", 1)}
	if err := ensure(h, VirtualServer{VIP: vip, RealServers: want}); err != nil {
		t.Fatal(err)
	}
	s := h.svcs[vip].svc
	if s.AddressFamily != unix.AF_INET6 || s.Netmask != 128 || len(s.Address) != 16 {
		t.Fatalf("service = %+v, want AF_INET6 /128", s)
	}
	got, _, err := get(h, vip)
	if err != nil || !reflect.DeepEqual(got.RealServers, want) {
		t.Fatalf("get = %v, %v; want %v", got.RealServers, err, want)
	}
}

func TestEnsureRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		vs   VirtualServer
		want string
	}{
		{"no vip", VirtualServer{}, "need an unzoned, unmapped IP"},
		{"port 0", VirtualServer{VIP: netip.MustParseAddrPort("10.0.0.100:0")}, "port 1-65535"},
		{"mixed family", VirtualServer{VIP: vip4, RealServers: []RealServer{rs("[fd00::1]:6443", 1)}}, "another address family"},
		{"negative weight", VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", -1)}}, "weight -1 out of range"},
		{"duplicate", VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.1:6443", 2)}}, "listed twice"},
		{"mapped", VirtualServer{VIP: vip4, RealServers: []RealServer{rs("[::ffff:10.0.0.1]:6443", 1)}}, "unmapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMemHandle()
			err := ensure(h, tt.vs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if len(h.writes) != 0 {
				t.Fatalf("wrote %q on invalid input", h.writes)
			}
		})
	}
}

func TestEnsureReportsKernelErrors(t *testing.T) {
	for _, op := range []string{"NewService", "NewDestination", "UpdateDestination", "DelDestination"} {
		t.Run(op, func(t *testing.T) {
			h := newMemHandle()
			if op != "NewService" {
				seed(t, h, VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)}})
			}
			h.failOn = op
			err := ensure(h, VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 3), rs("10.0.0.3:6443", 1)}})
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "10.103.97.2:6443") {
				t.Fatalf("err = %v, want wrapped injected failure naming the VIP", err)
			}
		})
	}
}

func TestSetWeightGetDelete(t *testing.T) {
	h := newMemHandle()
	a, b := netip.MustParseAddrPort("10.0.0.1:6443"), netip.MustParseAddrPort("10.0.0.2:6443")
	seed(t, h, VirtualServer{VIP: vip4, RealServers: []RealServer{{a, 1}, {b, 1}}})
	if err := setWeight(h, vip4, a, 0); err != nil {
		t.Fatal(err)
	}
	got, found, err := get(h, vip4)
	if err != nil || !found || !reflect.DeepEqual(got.RealServers, []RealServer{{a, 0}, {b, 1}}) {
		t.Fatalf("after drain: %v %v %v", got, found, err)
	}
	if err := setWeight(h, vip4, netip.MustParseAddrPort("10.0.0.9:6443"), 1); err == nil || !strings.Contains(err.Error(), "call Ensure first") {
		t.Fatalf("SetWeight on a missing real server: %v", err)
	}
	if err := setWeight(h, vip4, a, -2); err == nil || !strings.Contains(err.Error(), "weight -2") {
		t.Fatalf("SetWeight(-2): %v", err)
	}
	if err := deleteService(h, vip4); err != nil {
		t.Fatal(err)
	}
	if _, found, err := get(h, vip4); found || err != nil {
		t.Fatalf("after delete: found=%v err=%v", found, err)
	}
	if err := deleteService(h, vip4); err != nil {
		t.Fatalf("deleting an absent virtual server must succeed: %v", err)
	}
}

// stubConfig lets TestProbeHandle drive probeHandle's three outcomes.
type stubConfig struct {
	cfg   *ipvs.Config
	err   error
	panic bool
}

func (s stubConfig) GetConfig() (*ipvs.Config, error) {
	if s.panic {
		var msgs [][]byte
		_ = msgs[0] // what moby/ipvs does with an empty answer
	}
	return s.cfg, s.err
}

func TestProbeHandle(t *testing.T) {
	if err := probeHandle(stubConfig{cfg: &ipvs.Config{}}); err != nil {
		t.Fatalf("working handle: %v", err)
	}
	if err := probeHandle(stubConfig{panic: true}); !errors.Is(err, ErrStaleIPVSFamily) {
		t.Fatalf("panicking handle: %v, want ErrStaleIPVSFamily", err)
	}
	if err := probeHandle(stubConfig{}); !errors.Is(err, ErrStaleIPVSFamily) {
		t.Fatalf("empty answer: %v, want ErrStaleIPVSFamily", err)
	}
	if err := probeHandle(stubConfig{err: unix.EPERM}); !errors.Is(err, unix.EPERM) {
		t.Fatalf("error: %v, want EPERM", err)
	}
}

// Get reports settings someone else changed, so the care daemon repairs them.
func TestGetReportsDeviations(t *testing.T) {
	h := newMemHandle()
	want := VirtualServer{VIP: vip4, RealServers: []RealServer{rs("10.0.0.1:6443", 1), rs("10.0.0.2:6443", 1)}}
	seed(t, h, want)
	if got, found, err := get(h, vip4); err != nil || !found || got.Deviations != nil {
		t.Fatalf("Get of what Ensure wrote: %+v %v %v, want no deviations", got, found, err)
	}
	h.svcs[vip4].svc.SchedName = "wlc"
	h.svcs[vip4].svc.Flags |= ipvsPersistentFlag
	k := netip.MustParseAddrPort("10.0.0.2:6443")
	d := h.svcs[vip4].dests[k]
	d.ConnectionFlags = ipvs.ConnectionFlagDirectRoute
	h.svcs[vip4].dests[k] = d
	got, _, err := get(h, vip4)
	if err != nil {
		t.Fatal(err)
	}
	if w := []string{"persistent", "real server 10.0.0.2:6443 forwarding route", "scheduler wlc"}; !slices.Equal(got.Deviations, w) {
		t.Fatalf("deviations %q, want %q", got.Deviations, w)
	}
	if err := ensure(h, want); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := get(h, vip4); got.Deviations != nil {
		t.Fatalf("deviations after Ensure: %q", got.Deviations)
	}
}
