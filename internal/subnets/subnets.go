// Package subnets checks node addresses against a cluster's service and pod
// subnets. kube-proxy in nftables mode drops traffic to every address of the
// service range that no Service holds ("ip daddr <serviceSubnet> drop", in
// filter output and forward, after DNAT), so a control-plane address inside
// the service subnet is unreachable; an address inside the pod subnet is
// routed to pods. Upstream kubeadm checks neither.
package subnets

import (
	"fmt"
	"net/netip"
	"strings"
)

// Address is a node address and what it is, for messages
// ("the API server advertise address", "the master 10.103.97.200:6443").
type Address struct {
	IP   netip.Addr
	What string
}

// String is "10.103.97.200 (the API server advertise address)".
func (a Address) String() string {
	if a.What == "" {
		return a.IP.String()
	}
	return fmt.Sprintf("%s (%s)", a.IP, a.What)
}

// Parse reads a comma-separated list of CIDRs, as kubeadm's serviceSubnet
// and podSubnet are written (one per IP family); "" is no subnet. setting
// names where the list came from, for errors.
func Parse(setting, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR like 10.96.0.0/12: %w", setting, s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Join formats prefixes as kubeadm writes them: comma-separated.
func Join(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// usable reports whether a is an address a subnet can contain: not the
// zero Addr, not 0.0.0.0 or :: (upstream's fallback when no default route
// exists).
func usable(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() }

// Overlap is one address inside one subnet.
type Overlap struct {
	Address Address
	Subnet  netip.Prefix
}

// Find returns every address that lies inside one of subnets, in the order
// of addrs (an address is reported once, with the first subnet holding it).
// IPv4-mapped IPv6 addresses compare as IPv4.
func Find(addrs []Address, subnets []netip.Prefix) []Overlap {
	var out []Overlap
	for _, a := range addrs {
		ip := a.IP.Unmap()
		if !usable(ip) {
			continue
		}
		for _, s := range subnets {
			if s.Contains(ip) {
				out = append(out, Overlap{Address: a, Subnet: s})
				break
			}
		}
	}
	return out
}

// Describe lists overlaps for a message: "10.103.97.200 (the API server
// advertise address) and 10.103.97.2 (the VIP)".
func Describe(os []Overlap) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = o.Address.String()
	}
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// Lie is the verb for Describe's subject: "lies" for one overlap, "lie"
// for more.
func Lie(os []Overlap) string {
	if len(os) == 1 {
		return "lies"
	}
	return "lie"
}

// SmallestDefaultBits is the smallest block LargestFreeBlock offers in place
// of a default subnet: a /24 still holds 254 Services.
const SmallestDefaultBits = 24

// LargestFreeBlock returns the largest block that starts at base's first
// address, is at most as large as base and at least a /maxBits, and holds
// none of addrs: base itself when it is free, else base's address with the
// prefix grown one bit at a time (/12, /13, /14 …). Blocks keep base's
// first address, so the addresses kubeadm derives from it (the first for
// the kubernetes Service, the tenth for cluster DNS) stay the same. ok is
// false when even the /maxBits block holds one of addrs.
func LargestFreeBlock(base netip.Prefix, maxBits int, addrs []Address) (block netip.Prefix, ok bool) {
	base = base.Masked()
	if maxBits > base.Addr().BitLen() {
		maxBits = base.Addr().BitLen()
	}
	for bits := base.Bits(); bits <= maxBits; bits++ {
		p := netip.PrefixFrom(base.Addr(), bits)
		if len(Find(addrs, []netip.Prefix{p})) == 0 {
			return p, true
		}
	}
	return netip.Prefix{}, false
}
