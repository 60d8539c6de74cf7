package locallb

import (
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

func TestSchedule(t *testing.T) {
	a, b, c := "10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443"
	for _, tc := range []struct {
		name string
		in   []RealServer
		want []string
	}{
		{"empty", nil, nil},
		{"all drained", []RealServer{rs(a, 0), rs(b, 0)}, nil},
		{"equal weights are plain round-robin, sorted", []RealServer{rs(c, 1), rs(a, 1), rs(b, 1)}, []string{a, b, c}},
		{"equal weights reduced by gcd", []RealServer{rs(a, 5), rs(b, 5)}, []string{a, b}},
		{"drained server left out", []RealServer{rs(a, 1), rs(b, 0), rs(c, 1)}, []string{a, c}},
		{"1:3 interleaved", []RealServer{rs(a, 1), rs(b, 3)}, []string{b, a, b, b}},
		{"2:4 is 1:2", []RealServer{rs(a, 2), rs(b, 4)}, []string{b, a, b}},
		{"5:1:1 smooth", []RealServer{rs(a, 5), rs(b, 1), rs(c, 1)}, []string{a, a, b, a, c, a, a}},
		{"port distinguishes", []RealServer{rs("10.0.0.1:7443", 1), rs(a, 1)}, []string{a, "10.0.0.1:7443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Schedule(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var want []netip.AddrPort
			for _, s := range tc.want {
				want = append(want, ap(s))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Schedule(%v) = %v, want %v", tc.in, got, want)
			}
		})
	}
	if _, err := Schedule([]RealServer{rs(a, NFTablesMaxSchedule), rs(b, 1)}); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Fatalf("oversized schedule: %v, want an error naming the limit", err)
	}
	if got, err := Schedule([]RealServer{rs(a, 1<<20), rs(b, 1<<20)}); err != nil || len(got) != 2 {
		t.Fatalf("large equal weights: %v %v, want two entries", got, err)
	}
}

func TestEncodeAddrPort(t *testing.T) {
	for _, s := range []string{"10.0.0.1:6443", "[fd00::1]:1", "255.255.255.255:65535"} {
		b := encodeAddrPort(ap(s))
		want := 8
		if ap(s).Addr().Is6() {
			want = 20
		}
		if len(b) != want {
			t.Fatalf("%s encodes to %d bytes, want %d", s, len(b), want)
		}
		got, ok := decodeAddrPort(b)
		if !ok || got != ap(s) {
			t.Fatalf("round trip of %s = %v %v", s, got, ok)
		}
	}
	if _, ok := decodeAddrPort([]byte{1, 2, 3}); ok {
		t.Fatal("decoded 3 bytes")
	}
}

func TestParseBackend(t *testing.T) {
	for in, want := range map[string]Backend{"": BackendIPVS, "ipvs": BackendIPVS, "IPVS": BackendIPVS, " nftables ": BackendNFTables} {
		if got, err := ParseBackend(in); err != nil || got != want {
			t.Errorf("ParseBackend(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"iptables", "nft", "ipvs,nftables"} {
		_, err := ParseBackend(in)
		if !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), in) || !strings.Contains(err.Error(), "nftables") {
			t.Errorf("ParseBackend(%q) = %v, want ErrUnknownBackend naming it and the valid ones", in, err)
		}
	}
	if _, err := NewBalancer("iptables", BalancerOptions{}); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("NewBalancer(iptables) = %v, want ErrUnknownBackend", err)
	}
}

// TestNFTStateConsistency: Get reports a virtual server only when all our
// objects are there and agree; otherwise "absent", so the daemon rewrites.
func TestNFTStateConsistency(t *testing.T) {
	vip := ap("10.0.0.100:6443")
	a, b := ap("10.0.0.1:6443"), ap("10.0.0.2:6443")
	tbl := nftTable(vip)
	rule := func(n int) *nftables.Rule {
		return &nftables.Rule{Exprs: dnatExprs(vip, schedSet(tbl, vip), n)}
	}
	masq := &nftables.Rule{Exprs: masqExprs(vip)}
	reject := &nftables.Rule{Exprs: append(matchVIP(vip), rejectExprs()...)}
	good := func() nftState {
		return nftState{
			tableExists: true,
			dnat:        []*nftables.Rule{rule(4)},
			masq:        []*nftables.Rule{masq},
			reject:      []*nftables.Rule{reject},
			weights:     map[netip.AddrPort]int{a: 1, b: 3},
			hasWeights:  true,
			sched:       map[uint32]netip.AddrPort{0: b, 1: a, 2: b, 3: b},
			hasSched:    true,
		}
	}
	vs, ok := good().virtualServer(vip)
	if !ok || !reflect.DeepEqual(vs.RealServers, []RealServer{{a, 1}, {b, 3}}) {
		t.Fatalf("consistent state: %v %v", vs, ok)
	}
	for _, tc := range []struct {
		name    string
		breakIt func(*nftState)
	}{
		{"no table", func(s *nftState) { *s = nftState{} }},
		{"no DNAT rule", func(s *nftState) { s.dnat = nil }},
		{"two DNAT rules", func(s *nftState) { s.dnat = append(s.dnat, rule(4)) }},
		{"no masquerade rule", func(s *nftState) { s.masq = nil }},
		{"masquerade rule without masq", func(s *nftState) { s.masq = []*nftables.Rule{{Exprs: []expr.Any{&expr.Counter{}}}} }},
		{"no reject rule", func(s *nftState) { s.reject = nil }},
		{"reject rule without reject", func(s *nftState) { s.reject = []*nftables.Rule{{Exprs: matchVIP(vip)}} }},
		{"DNAT rule of an older version (maps every packet, not only SYNs)", func(s *nftState) {
			old := slices.DeleteFunc(dnatExprs(vip, schedSet(tbl, vip), 4), func(e expr.Any) bool { _, ok := e.(*expr.Bitwise); return ok })
			s.dnat = []*nftables.Rule{{Exprs: old}}
		}},
		{"wrong modulus", func(s *nftState) { s.dnat = []*nftables.Rule{rule(3)} }},
		{"reject rule while servers are up", func(s *nftState) { s.dnat = []*nftables.Rule{rule(0)} }},
		{"schedule map flushed", func(s *nftState) { s.sched = map[uint32]netip.AddrPort{} }},
		{"schedule map missing", func(s *nftState) { s.hasSched = false }},
		{"weight map missing", func(s *nftState) { s.hasWeights = false }},
		{"schedule disagrees with weights", func(s *nftState) { s.sched[0] = a; s.sched[1] = b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.breakIt(&s)
			if vs, ok := s.virtualServer(vip); ok {
				t.Fatalf("inconsistent state reported as %v", vs)
			}
		})
	}
	// All drained: a reject rule and an empty schedule are consistent.
	drained := good()
	drained.weights = map[netip.AddrPort]int{a: 0, b: 0}
	drained.sched = map[uint32]netip.AddrPort{}
	drained.dnat = []*nftables.Rule{rule(0)}
	if vs, ok := drained.virtualServer(vip); !ok || len(vs.RealServers) != 2 {
		t.Fatalf("all-drained state: %v %v", vs, ok)
	}
}

func TestNFTNames(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.1:6443": "10.0.0.1-6443", "[fd00::1]:6443": "fd00__1-6443"} {
		if got := nftName(ap(in)); got != want {
			t.Errorf("nftName(%s) = %q, want %q", in, got, want)
		}
	}
}
