package locallb

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
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

// ctEntry serializes a conntrack entry as the kernel dumps it: nfgenmsg,
// then CTA_TUPLE_ORIG and CTA_TUPLE_REPLY (nested, with NLA_F_NESTED), and
// CTA_ID.
func ctEntry(proto uint8, src, dst, rsrc, rdst netip.AddrPort, id uint32) []byte {
	tuple := func(typ int, s, d netip.AddrPort) *nl.RtAttr {
		t := nl.NewRtAttr(typ|int(nl.NLA_F_NESTED), nil)
		ip := t.AddRtAttr(nl.CTA_TUPLE_IP|int(nl.NLA_F_NESTED), nil)
		if s.Addr().Is4() {
			ip.AddRtAttr(nl.CTA_IP_V4_SRC, s.Addr().AsSlice())
			ip.AddRtAttr(nl.CTA_IP_V4_DST, d.Addr().AsSlice())
		} else {
			ip.AddRtAttr(nl.CTA_IP_V6_SRC, s.Addr().AsSlice())
			ip.AddRtAttr(nl.CTA_IP_V6_DST, d.Addr().AsSlice())
		}
		pr := t.AddRtAttr(nl.CTA_TUPLE_PROTO|int(nl.NLA_F_NESTED), nil)
		pr.AddRtAttr(nl.CTA_PROTO_NUM, []byte{proto})
		pr.AddRtAttr(nl.CTA_PROTO_SRC_PORT, binary.BigEndian.AppendUint16(nil, s.Port()))
		pr.AddRtAttr(nl.CTA_PROTO_DST_PORT, binary.BigEndian.AppendUint16(nil, d.Port()))
		return t
	}
	fam := byte(unix.AF_INET)
	if src.Addr().Is6() {
		fam = unix.AF_INET6
	}
	msg := []byte{fam, nl.NFNETLINK_V0, 0, 0}
	msg = append(msg, tuple(nl.CTA_TUPLE_ORIG, src, dst).Serialize()...)
	msg = append(msg, tuple(nl.CTA_TUPLE_REPLY, rsrc, rdst).Serialize()...)
	return append(msg, nl.NewRtAttr(nl.CTA_ID, binary.BigEndian.AppendUint32(nil, id)).Serialize()...)
}

// fakeConntrack is a conntrackTable in memory. dump passes each entry in
// one reused buffer, as the netlink receive buffer is, so a caller that
// keeps a message it did not copy sees it change.
type fakeConntrack struct {
	entries [][]byte
	// gen makes entry i on the fly (a large table without holding it).
	gen     func(i int) []byte
	n       int
	deleted [][]byte
}

func (f *fakeConntrack) dump(_ uint8, fn func([]byte)) error {
	buf := make([]byte, 0, 512)
	for i := range len(f.entries) + f.n {
		var e []byte
		if i < len(f.entries) {
			e = f.entries[i]
		} else {
			e = f.gen(i)
		}
		buf = append(buf[:0], e...)
		fn(buf)
		clear(buf)
	}
	return nil
}

func (f *fakeConntrack) delete(_ uint8, msg []byte) error {
	for i, e := range f.entries {
		if string(e) == string(msg) {
			f.deleted = append(f.deleted, e)
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			return nil
		}
	}
	return unix.ENOENT
}

func TestEndConntrackFlows(t *testing.T) {
	client := ap("10.251.1.1:40000")
	for _, tc := range []struct {
		name    string
		vip, rs netip.AddrPort
		entry   []byte
		want    bool
	}{
		{"through the VIP to rs", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), client, 1), true},
		{"ipv6", ap("[fd00:251::100]:6443"), ap("[fd00:251:1::2]:8080"),
			ctEntry(unix.IPPROTO_TCP, ap("[fd00:251:1::1]:40000"), ap("[fd00:251::100]:6443"), ap("[fd00:251:1::2]:8080"), ap("[fd00:251:1::1]:40000"), 1), true},
		{"to another real server", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.0.100:6443"), ap("10.251.2.2:8080"), client, 1), false},
		{"to rs's address, other port", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.0.100:6443"), ap("10.251.1.2:8081"), client, 1), false},
		{"direct to rs, not through the VIP", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.1.2:8080"), ap("10.251.1.2:8080"), client, 1), false},
		{"another VIP port", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.0.100:6444"), ap("10.251.1.2:8080"), client, 1), false},
		{"udp", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_UDP, client, ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), client, 1), false},
		{"truncated", ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), ctEntry(unix.IPPROTO_TCP, client, ap("10.251.0.100:6443"), ap("10.251.1.2:8080"), client, 1)[:60], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := ctEntry(unix.IPPROTO_TCP, ap("10.9.9.9:1"), ap("10.9.9.8:2"), ap("10.9.9.8:2"), ap("10.9.9.9:1"), 2)
			ct := &fakeConntrack{entries: [][]byte{other, slices.Clone(tc.entry), other}}
			var destroyed []clientFlow
			n, err := endConntrackFlows(ct, tc.vip, tc.rs, func(f []clientFlow) (int, error) {
				destroyed = append(destroyed, f...)
				return len(f), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want {
				if n != 0 || len(destroyed) != 0 || len(ct.deleted) != 0 {
					t.Fatalf("ended %d, reset %v, deleted %d entries; want none", n, destroyed, len(ct.deleted))
				}
				return
			}
			o, _, _ := parseCTEntry(tc.entry)
			if n != 1 || !reflect.DeepEqual(destroyed, []clientFlow{{client: o.src, vip: tc.vip}}) {
				t.Fatalf("ended %d, reset %v; want the client %s", n, destroyed, o.src)
			}
			if len(ct.deleted) != 1 || string(ct.deleted[0]) != string(tc.entry) || len(ct.entries) != 2 {
				t.Fatalf("deleted %d entries, left %d; want exactly the matching one", len(ct.deleted), len(ct.entries))
			}
		})
	}
}

// Without socket resets (destroy nil), the deleted entries count as ended:
// the reject rule ends them at the client's next packet.
func TestEndConntrackFlowsWithoutReset(t *testing.T) {
	vip, rs := ap("10.251.0.100:6443"), ap("10.251.1.2:8080")
	ct := &fakeConntrack{}
	for i := range 3 {
		c := netip.AddrPortFrom(netip.MustParseAddr("10.251.1.1"), uint16(40000+i))
		ct.entries = append(ct.entries, ctEntry(unix.IPPROTO_TCP, c, vip, rs, c, uint32(i)))
	}
	if n, err := endConntrackFlows(ct, vip, rs, nil); n != 3 || err != nil || len(ct.entries) != 0 {
		t.Fatalf("ended %d, %v, left %d entries; want 3, nil, 0", n, err, len(ct.entries))
	}
}

// The flush reads the whole conntrack table; its memory must not grow
// with it (the care daemon requests 16 MiB). The fake dumps entries one at
// a time from a generator, so what the table costs to hold is not
// counted: allocations per flush stay flat from 1000 to 100000 entries
// (go test -run '^$' -bench EndConntrackFlows -benchmem ./locallb/).
func BenchmarkEndConntrackFlows(b *testing.B) {
	vip, rs := ap("10.251.0.100:6443"), ap("10.251.1.2:8080")
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			ct := fakeTable(vip, rs, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := endConntrackFlows(ct, vip, rs, func(f []clientFlow) (int, error) { return len(f), nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fakeTable has n entries of other connections and none of vip's: the
// entries are generated into one buffer as dump asks for them.
func fakeTable(vip, rs netip.AddrPort, n int) *fakeConntrack {
	base := ctEntry(unix.IPPROTO_TCP, ap("10.9.0.1:1"), ap("10.9.9.9:443"), ap("10.9.9.9:443"), ap("10.9.0.1:1"), 0)
	e := slices.Clone(base)
	return &fakeConntrack{n: n, gen: func(i int) []byte {
		copy(e, base)
		// Vary the entry's id (its last 4 bytes) as the kernel's differ.
		binary.BigEndian.PutUint32(e[len(e)-4:], uint32(i))
		return e
	}}
}

// TestEndConntrackFlowsMemoryIsFlat asserts what the benchmark shows: the
// allocations of one flush do not grow with the table.
func TestEndConntrackFlowsMemoryIsFlat(t *testing.T) {
	vip, rs := ap("10.251.0.100:6443"), ap("10.251.1.2:8080")
	allocs := func(n int) float64 {
		ct := fakeTable(vip, rs, n)
		return testing.AllocsPerRun(3, func() {
			if _, err := endConntrackFlows(ct, vip, rs, func(f []clientFlow) (int, error) { return len(f), nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(100), allocs(100000)
	if large > small+2 {
		t.Fatalf("a flush over 100000 conntrack entries makes %v allocations, over 100 entries %v: memory grows with the table", large, small)
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

// fakeSockets answers SocketDiagTCP per family.
type fakeSockets map[uint8][]*netlink.Socket

func (f fakeSockets) SocketDiagTCP(fam uint8) ([]*netlink.Socket, error) { return f[fam], nil }

func TestEstablishedToIncludesMappedClients(t *testing.T) {
	sock := func(src, dst string, state uint8) *netlink.Socket {
		s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
		x := &netlink.Socket{State: state}
		x.ID.Source, x.ID.SourcePort = net.IP(s.Addr().AsSlice()), s.Port()
		x.ID.Destination, x.ID.DestinationPort = net.IP(d.Addr().AsSlice()), d.Port()
		return x
	}
	socks := fakeSockets{
		unix.AF_INET: {sock("10.0.0.5:40000", "10.103.97.2:6443", tcpEstablished), sock("10.0.0.5:40001", "10.103.97.2:6444", tcpEstablished)},
		unix.AF_INET6: {
			sock("[::ffff:10.0.0.5]:40002", "[::ffff:10.103.97.2]:6443", tcpEstablished), // a dual-stack client
			sock("[::ffff:10.0.0.5]:40003", "[::ffff:10.103.97.2]:6443", 2),              // SYN_SENT
			sock("[fd00::5]:40004", "[fd00::2]:6443", tcpEstablished),
		},
	}
	got, err := establishedTo(socks, ap("10.103.97.2:6443"))
	if want := []netip.AddrPort{ap("10.0.0.5:40000"), ap("10.0.0.5:40002")}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("establishedTo(IPv4 VIP) = %v, %v; want %v", got, err, want)
	}
	got, err = establishedTo(socks, ap("[fd00::2]:6443"))
	if want := []netip.AddrPort{ap("[fd00::5]:40004")}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("establishedTo(IPv6 VIP) = %v, %v; want %v", got, err, want)
	}
}
