package locallb

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string // substring; "" means success
	}{
		{in: "10.0.0.1:6443", want: "10.0.0.1:6443"},
		{in: " 10.0.0.1:443 ", want: "10.0.0.1:443"},
		{in: "10.0.0.1", want: "10.0.0.1:6443"},
		{in: "[fd00::1]:6443", want: "[fd00::1]:6443"},
		{in: "[fd00::1]", want: "[fd00::1]:6443"},
		{in: "fd00::1", want: "[fd00::1]:6443"},
		{in: "[::ffff:10.0.0.1]:80", want: "10.0.0.1:80"},
		{in: "10.0.0.1:65535", want: "10.0.0.1:65535"},
		{in: "", wantErr: "empty value"},
		{in: "   ", wantErr: "empty value"},
		{in: "master0:6443", wantErr: `"master0:6443" is not an IP address`},
		{in: "example.com", wantErr: "hostnames are not resolved"},
		{in: "10.0.0.1:0", wantErr: "port 0; expected a port 1-65535"},
		{in: "10.0.0.1:65536", wantErr: "port 65536; expected a port 1-65535"},
		{in: "10.0.0.1:99999999999999999999", wantErr: "not a number"},
		{in: "10.0.0.1:http", wantErr: `port "http", not a number`},
		{in: "10.0.0.1:+80", wantErr: "not a number"},
		{in: "10.0.0.1:", wantErr: "no port"},
		{in: "[fd00::1]:", wantErr: "no port"},
		{in: "[fd00::1", wantErr: "no closing ']'"},
		{in: "[fd00::1]x", wantErr: `"x" after ']'`},
		{in: "[10.0.0.1]:80", wantErr: "IPv4 address in brackets"},
		{in: "[fe80::1%eth0]:6443", wantErr: "IPv6 zone"},
		{in: "300.0.0.1:6443", wantErr: "not an IP address"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseEndpoint(%q) = %v, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidEndpoint) {
					t.Fatalf("ParseEndpoint(%q) error = %q, want it to contain %q and wrap ErrInvalidEndpoint", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEndpoint(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Fatalf("ParseEndpoint(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func aps(ss ...string) []netip.AddrPort {
	out := make([]netip.AddrPort, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddrPort(s)
	}
	return out
}

func TestParseEndpoints(t *testing.T) {
	tests := []struct {
		name         string
		vip          string
		masters      []string
		wantVIP      string
		wantMasters  []netip.AddrPort
		wantWarnings []string // substrings, one per warning
		wantErr      string
	}{
		{
			name: "ipv4 three masters", vip: "10.103.97.2:6443",
			masters: []string{"192.168.0.10:6443", "192.168.0.11:6443", "192.168.0.12"},
			wantVIP: "10.103.97.2:6443", wantMasters: aps("192.168.0.10:6443", "192.168.0.11:6443", "192.168.0.12:6443"),
		},
		{
			name: "ipv6", vip: "[fd00::100]:6443", masters: []string{"[fd00::1]:6443", "fd00::2"},
			wantVIP: "[fd00::100]:6443", wantMasters: aps("[fd00::1]:6443", "[fd00::2]:6443"),
		},
		{
			name: "same host other port is not a duplicate", vip: "10.0.0.100", masters: []string{"10.0.0.1:6443", "10.0.0.1:7443"},
			wantVIP: "10.0.0.100:6443", wantMasters: aps("10.0.0.1:6443", "10.0.0.1:7443"),
		},
		{
			name: "duplicates dropped with warnings, order kept", vip: "10.0.0.100:6443",
			masters:      []string{"10.0.0.2:6443", "10.0.0.1", "10.0.0.2:6443", "10.0.0.1:6443"},
			wantVIP:      "10.0.0.100:6443",
			wantMasters:  aps("10.0.0.2:6443", "10.0.0.1:6443"),
			wantWarnings: []string{"master #3 (10.0.0.2:6443) repeats master #1", "master #4 (10.0.0.1:6443) repeats master #2"},
		},
		{name: "empty list", vip: "10.0.0.100:6443", masters: nil, wantErr: "no masters given"},
		{name: "empty master", vip: "10.0.0.100:6443", masters: []string{"10.0.0.1", ""}, wantErr: "master #2: invalid endpoint: empty value"},
		{name: "hostname master", vip: "10.0.0.100:6443", masters: []string{"m0:6443"}, wantErr: `master #1: invalid endpoint: "m0:6443" is not an IP address`},
		{name: "hostname vip", vip: "lb.example:6443", masters: []string{"10.0.0.1"}, wantErr: `VIP: invalid endpoint: "lb.example:6443" is not an IP address`},
		{name: "port zero", vip: "10.0.0.100:6443", masters: []string{"10.0.0.1:0"}, wantErr: "master #1: invalid endpoint: \"10.0.0.1:0\" has port 0"},
		{name: "port too big", vip: "10.0.0.100:70000", masters: []string{"10.0.0.1"}, wantErr: "VIP: invalid endpoint: \"10.0.0.100:70000\" has port 70000"},
		{name: "vip equals master", vip: "10.0.0.1:6443", masters: []string{"10.0.0.2", "10.0.0.1:7443"}, wantErr: "master #2: invalid endpoint: 10.0.0.1:7443 has the VIP's address 10.0.0.1"},
		{name: "loopback vip", vip: "127.0.0.1:6443", masters: []string{"10.0.0.1"}, wantErr: "127.0.0.1:6443 is a loopback address"},
		{name: "loopback vip6", vip: "[::1]:6443", masters: []string{"fd00::1"}, wantErr: "[::1]:6443 is a loopback address"},
		{name: "unspecified vip", vip: "0.0.0.0:6443", masters: []string{"10.0.0.1"}, wantErr: "0.0.0.0:6443 is the unspecified address"},
		{name: "unspecified vip6", vip: "[::]:6443", masters: []string{"fd00::1"}, wantErr: "[::]:6443 is the unspecified address"},
		{name: "multicast vip", vip: "224.0.0.1:6443", masters: []string{"10.0.0.1"}, wantErr: "224.0.0.1:6443 is a multicast address"},
		{name: "multicast vip6", vip: "[ff02::1]:6443", masters: []string{"fd00::1"}, wantErr: "[ff02::1]:6443 is a multicast address"},
		{name: "loopback master", vip: "10.0.0.100", masters: []string{"127.0.0.1:6443"}, wantErr: "master #1: invalid endpoint: 127.0.0.1:6443 is not a unicast address"},
		{name: "mixed families v4 vip", vip: "10.0.0.100:6443", masters: []string{"10.0.0.1", "[fd00::1]:6443"}, wantErr: "master #2: invalid endpoint: [fd00::1]:6443 is IPv6 but the VIP 10.0.0.100:6443 is IPv4"},
		{name: "mixed families v6 vip", vip: "[fd00::100]:6443", masters: []string{"10.0.0.1"}, wantErr: "10.0.0.1:6443 is IPv4 but the VIP [fd00::100]:6443 is IPv6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := ParseEndpoints(tt.vip, tt.masters)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("got %+v, want error containing %q", got, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidEndpoint) {
					t.Fatalf("error = %q, want it to contain %q and wrap ErrInvalidEndpoint", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.VIP.String() != tt.wantVIP {
				t.Errorf("VIP = %s, want %s", got.VIP, tt.wantVIP)
			}
			if !reflect.DeepEqual(got.Masters, tt.wantMasters) {
				t.Errorf("Masters = %v, want %v", got.Masters, tt.wantMasters)
			}
			if len(warnings) != len(tt.wantWarnings) {
				t.Fatalf("warnings = %q, want %d matching %q", warnings, len(tt.wantWarnings), tt.wantWarnings)
			}
			for i, w := range tt.wantWarnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestEndpointsVirtualServer(t *testing.T) {
	e := Endpoints{VIP: netip.MustParseAddrPort("10.0.0.100:6443"), Masters: aps("10.0.0.1:6443", "10.0.0.2:6443")}
	want := VirtualServer{VIP: e.VIP, RealServers: []RealServer{
		{Addr: netip.MustParseAddrPort("10.0.0.1:6443"), Weight: 1},
		{Addr: netip.MustParseAddrPort("10.0.0.2:6443"), Weight: 1},
	}}
	if got := e.VirtualServer(); !reflect.DeepEqual(got, want) {
		t.Fatalf("VirtualServer() = %+v, want %+v", got, want)
	}
}

// FuzzParseEndpoints checks the invariants any accepted input must keep:
// same family everywhere, no duplicates, valid ports, VIP not a master, and
// that the result re-parses to itself. Run: go test -fuzz FuzzParseEndpoints ./locallb/
func FuzzParseEndpoints(f *testing.F) {
	seeds := [][2]string{
		{"10.103.97.2:6443", "192.168.0.10:6443,192.168.0.11"},
		{"[fd00::100]:6443", "[fd00::1]:6443,fd00::2"},
		{"10.0.0.1", "10.0.0.1:6443"},
		{"127.0.0.1:6443", "10.0.0.1"},
		{"10.0.0.100:0", "10.0.0.1"},
		{"10.0.0.100:65536", "10.0.0.1"},
		{"[::ffff:10.0.0.100]:6443", "10.0.0.1,10.0.0.1"},
		{"[fe80::1%eth0]:6443", "fe80::2"},
		{"master:6443", ""},
		{"[fd00::1", "[fd00::2]x"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, vip, masterList string) {
		var masters []string
		if masterList != "" {
			masters = strings.Split(masterList, ",")
		}
		e, warnings, err := ParseEndpoints(vip, masters)
		if err != nil {
			if !errors.Is(err, ErrInvalidEndpoint) {
				t.Fatalf("error %q does not wrap ErrInvalidEndpoint", err)
			}
			return
		}
		if len(e.Masters)+len(warnings) != len(masters) {
			t.Fatalf("%d masters + %d warnings != %d inputs", len(e.Masters), len(warnings), len(masters))
		}
		if len(e.Masters) == 0 {
			t.Fatal("accepted an empty master list")
		}
		v := e.VIP.Addr()
		if v.IsLoopback() || v.IsUnspecified() || v.IsMulticast() || v.Zone() != "" || v.Is4In6() || e.VIP.Port() == 0 {
			t.Fatalf("accepted bad VIP %s", e.VIP)
		}
		seen := map[netip.AddrPort]bool{}
		for _, m := range e.Masters {
			if seen[m] {
				t.Fatalf("duplicate master %s kept", m)
			}
			seen[m] = true
			if m.Addr().Is4() != v.Is4() || m.Addr() == v || m.Port() == 0 || m.Addr().Is4In6() {
				t.Fatalf("accepted bad master %s for VIP %s", m, e.VIP)
			}
		}
		again := make([]string, len(e.Masters))
		for i, m := range e.Masters {
			again[i] = m.String()
		}
		e2, w2, err := ParseEndpoints(e.VIP.String(), again)
		if err != nil || len(w2) != 0 || !reflect.DeepEqual(e, e2) {
			t.Fatalf("re-parse of %+v gave %+v, %q, %v", e, e2, w2, err)
		}
	})
}
