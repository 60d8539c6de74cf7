package locallb

import (
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestParseIPVSConns(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []ipvsConn
		wantErr string
	}{
		{
			name: "ipv4 and ipv6",
			in: "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" +
				"TCP 0AFB0101 B3E2 0AFB0064 192B 0AFB0102 1F90 ESTABLISHED     899\n" +
				"TCP fd00:0251:0001:0000:0000:0000:0000:0001 A000 fd00:0251:0000:0000:0000:0000:0000:0100 192B fd00:0251:0001:0000:0000:0000:0000:0002 1F90 TIME_WAIT 100\n",
			want: []ipvsConn{
				{proto: "TCP", client: ap("10.251.1.1:46050"), vip: ap("10.251.0.100:6443"), dest: ap("10.251.1.2:8080"), state: "ESTABLISHED"},
				{proto: "TCP", client: ap("[fd00:251:1::1]:40960"), vip: ap("[fd00:251::100]:6443"), dest: ap("[fd00:251:1::2]:8080"), state: "TIME_WAIT"},
			},
		},
		{name: "empty table", in: "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"},
		{name: "short line", in: "TCP 0AFB0101 B3E2\n", wantErr: "want at least 8 fields"},
		{name: "bad address", in: "TCP 0AFB01 B3E2 0AFB0064 192B 0AFB0102 1F90 ESTABLISHED 899\n", wantErr: `address "0AFB01"`},
		{name: "bad port", in: "TCP 0AFB0101 XYZ 0AFB0064 192B 0AFB0102 1F90 ESTABLISHED 899\n", wantErr: `port "XYZ"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseIPVSConns(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseIPVSConns = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCtFlowFilter(t *testing.T) {
	vip, rs := ap("10.251.0.100:6443"), ap("10.251.1.2:8080")
	flow := func(proto uint8, dst string, dport uint16, rsrc string, rport uint16) *netlink.ConntrackFlow {
		return &netlink.ConntrackFlow{
			Forward: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP("10.251.1.1"), SrcPort: 40000, DstIP: net.ParseIP(dst), DstPort: dport},
			Reverse: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP(rsrc), SrcPort: rport, DstIP: net.ParseIP("10.251.1.1"), DstPort: 40000},
		}
	}
	tests := []struct {
		name string
		f    *netlink.ConntrackFlow
		want bool
	}{
		{"through the VIP to rs", flow(unix.IPPROTO_TCP, "10.251.0.100", 6443, "10.251.1.2", 8080), true},
		{"to another real server", flow(unix.IPPROTO_TCP, "10.251.0.100", 6443, "10.251.2.2", 8080), false},
		{"to rs's address, other port", flow(unix.IPPROTO_TCP, "10.251.0.100", 6443, "10.251.1.2", 8081), false},
		{"direct to rs, not through the VIP", flow(unix.IPPROTO_TCP, "10.251.1.2", 8080, "10.251.1.2", 8080), false},
		{"another VIP port", flow(unix.IPPROTO_TCP, "10.251.0.100", 6444, "10.251.1.2", 8080), false},
		{"udp", flow(unix.IPPROTO_UDP, "10.251.0.100", 6443, "10.251.1.2", 8080), false},
	}
	for _, tc := range tests {
		f := &ctFlowFilter{vip: vip, rs: rs}
		if got := f.MatchConntrackFlow(tc.f); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.name, got, tc.want)
		}
		if tc.want && (len(f.flows) != 1 || f.flows[0] != (clientFlow{client: ap("10.251.1.1:40000"), vip: vip})) {
			t.Errorf("%s: recorded %v, want the client 10.251.1.1:40000", tc.name, f.flows)
		}
	}
}

// The request layout is struct inet_diag_req_v2 (include/uapi/linux/inet_diag.h).
func TestInetDiagReq(t *testing.T) {
	tests := []struct {
		local, remote string
		family        byte
	}{
		{"10.251.1.1:40000", "10.251.0.100:6443", unix.AF_INET},
		{"[fd00:251:1::1]:40000", "[fd00:251::100]:6443", unix.AF_INET6},
	}
	for _, tc := range tests {
		l, r := netip.MustParseAddrPort(tc.local), netip.MustParseAddrPort(tc.remote)
		b := newInetDiagReq(l, r).Serialize()
		if len(b) != 56 || b[0] != tc.family || b[1] != unix.IPPROTO_TCP {
			t.Fatalf("%s: len %d family %d proto %d", tc.local, len(b), b[0], b[1])
		}
		if sp, dp := binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:]); sp != l.Port() || dp != r.Port() {
			t.Errorf("%s: ports %d %d", tc.local, sp, dp)
		}
		src, _ := netip.AddrFromSlice(b[12 : 12+l.Addr().BitLen()/8])
		dst, _ := netip.AddrFromSlice(b[28 : 28+r.Addr().BitLen()/8])
		if src != l.Addr() || dst != r.Addr() {
			t.Errorf("%s: addresses %s %s", tc.local, src, dst)
		}
		if binary.NativeEndian.Uint32(b[48:]) != ^uint32(0) || binary.NativeEndian.Uint32(b[52:]) != ^uint32(0) {
			t.Errorf("%s: cookie set", tc.local)
		}
	}
}
