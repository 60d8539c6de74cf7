package subnets

import (
	"net/netip"
	"strings"
	"testing"
)

func addrs(ss ...string) []Address {
	var out []Address
	for _, s := range ss {
		out = append(out, Address{IP: netip.MustParseAddr(s), What: "a" + s})
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"", "", ""},
		{"10.96.0.0/12", "10.96.0.0/12", ""},
		{"10.96.0.1/12", "10.96.0.0/12", ""}, // masked, as the apiserver uses it
		{"10.96.0.0/16, fd00:10:96::/112", "10.96.0.0/16,fd00:10:96::/112", ""},
		{"10.96.0.0/16,,", "10.96.0.0/16", ""},
		{"10.96.0.0", "", `networking.serviceSubnet: "10.96.0.0" is not a CIDR`},
		{"10.96.0.0/12,bogus", "", `"bogus"`},
	}
	for _, tt := range tests {
		got, err := Parse("networking.serviceSubnet", tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || Join(got) != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, Join(got), err, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		subnets string
		addrs   []Address
		want    string // Describe of the result, "" for none
	}{
		{"seeds in the default service subnet", "10.96.0.0/12", addrs("10.103.97.200", "10.103.97.2", "192.168.1.1"), "10.103.97.200 (a10.103.97.200) and 10.103.97.2 (a10.103.97.2)"},
		{"first and last address", "10.96.0.0/12", addrs("10.96.0.0", "10.111.255.255", "10.112.0.0", "10.95.255.255"), "10.96.0.0 (a10.96.0.0) and 10.111.255.255 (a10.111.255.255)"},
		{"outside", "10.96.0.0/14", addrs("10.103.97.200", "10.103.97.2"), ""},
		{"IPv6", "fd00:10:96::/108", addrs("fd00:10:96::5", "fd00:10:97::5"), "fd00:10:96::5 (afd00:10:96::5)"},
		{"dual-stack: the IPv6 half", "10.96.0.0/16,fd00:10:96::/108", addrs("192.168.1.10", "fd00:10:96::a"), "fd00:10:96::a (afd00:10:96::a)"},
		{"dual-stack: the IPv4 half", "fd00:10:96::/108,10.96.0.0/16", addrs("10.96.3.4", "fd00::1"), "10.96.3.4 (a10.96.3.4)"},
		{"IPv4-mapped IPv6 compares as IPv4", "10.96.0.0/12", addrs("::ffff:10.100.0.1"), "::ffff:10.100.0.1 (a::ffff:10.100.0.1)"},
		{"unspecified and zero addresses are skipped", "0.0.0.0/0", []Address{{IP: netip.MustParseAddr("0.0.0.0")}, {}}, ""},
		{"no subnets", "", addrs("10.96.0.1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Parse("subnets", tt.subnets)
			if err != nil {
				t.Fatal(err)
			}
			if got := Describe(Find(tt.addrs, ps)); got != tt.want {
				t.Errorf("Find = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLargestFreeBlock(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		maxBits int
		addrs   []Address
		want    string // "" when no block works
	}{
		{"nothing inside: the default itself", "10.96.0.0/12", 24, addrs("192.168.1.10", "10.112.0.1"), "10.96.0.0/12"},
		{"seeds: masters and VIP in 10.103.97.0/24", "10.96.0.0/12", 24, addrs("10.103.97.200", "10.103.97.201", "10.103.97.202", "10.103.97.2"), "10.96.0.0/14"},
		{"an address in the upper half of the /12", "10.96.0.0/12", 24, addrs("10.104.0.1"), "10.96.0.0/13"},
		{"an address at 10.96.1.0", "10.96.0.0/12", 24, addrs("10.96.1.0"), "10.96.0.0/24"},
		{"the last /24 start is taken", "10.96.0.0/12", 24, addrs("10.96.0.200"), ""},
		{"the kubernetes Service address itself", "10.96.0.0/12", 24, addrs("10.96.0.1"), ""},
		{"a smaller limit allows a /25", "10.96.0.0/12", 25, addrs("10.96.0.200"), "10.96.0.0/25"},
		{"unmasked base", "10.96.5.5/12", 24, addrs("10.103.97.2"), "10.96.0.0/14"},
		{"IPv6", "fd00:10:96::/108", 120, addrs("fd00:10:96::8:1"), "fd00:10:96::/109"},
		{"limit beyond the address length", "10.96.0.0/30", 40, addrs("10.96.0.2"), "10.96.0.0/31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LargestFreeBlock(netip.MustParsePrefix(tt.base), tt.maxBits, tt.addrs)
			if tt.want == "" {
				if ok {
					t.Errorf("got %s, want no block", got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Errorf("got %s (ok %v), want %s", got, ok, tt.want)
			}
			if len(Find(tt.addrs, []netip.Prefix{got})) != 0 || got.Addr() != netip.MustParsePrefix(tt.base).Masked().Addr() {
				t.Errorf("%s holds an address or moved its start", got)
			}
		})
	}
}
