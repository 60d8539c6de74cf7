package locallb

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPort is used when an endpoint is written without a port: it is
// kube-apiserver's default secure port, the one `kubeadm join VIP:6443` and
// `--master m0:6443` almost always name.
const DefaultPort = 6443

// ErrInvalidEndpoint is wrapped by every validation error of ParseEndpoints
// and ParseEndpoint, so callers can tell bad input from kernel failures.
var ErrInvalidEndpoint = errors.New("invalid endpoint")

// Endpoints is a validated VIP and its masters (control-plane apiservers).
type Endpoints struct {
	VIP     netip.AddrPort
	Masters []netip.AddrPort
}

// VirtualServer is the IPVS virtual server for e: every master with weight 1.
func (e Endpoints) VirtualServer() VirtualServer {
	vs := VirtualServer{VIP: e.VIP, RealServers: make([]RealServer, 0, len(e.Masters))}
	for _, m := range e.Masters {
		vs.RealServers = append(vs.RealServers, RealServer{Addr: m, Weight: 1})
	}
	return vs
}

const endpointForms = "IPv4 \"10.0.0.1:6443\", IPv6 \"[fd00::1]:6443\", or an address alone for port 6443"

// ParseEndpoint parses one "IP:port", "[IPv6]:port", "IP" or "[IPv6]"
// (port DefaultPort). It needs a literal IP: hostnames are rejected, not
// resolved, because the balancer is programmed into the kernel once and
// must not silently follow (or wait for) DNS on a node that is still
// joining; resolve names before calling if you must.
func ParseEndpoint(s string) (netip.AddrPort, error) {
	raw := s
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.AddrPort{}, fmt.Errorf("%w: empty value; expected %s", ErrInvalidEndpoint, endpointForms)
	}
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return netip.AddrPort{}, fmt.Errorf("%w: %q has no closing ']'; expected %s", ErrInvalidEndpoint, raw, endpointForms)
		}
		host = s[1:end]
		rest := s[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return netip.AddrPort{}, fmt.Errorf("%w: %q has %q after ']'; expected %s", ErrInvalidEndpoint, raw, rest, endpointForms)
			}
			port = rest[1:]
			if port == "" {
				return netip.AddrPort{}, fmt.Errorf("%w: %q ends in ':' with no port; expected %s", ErrInvalidEndpoint, raw, endpointForms)
			}
		}
	case strings.Count(s, ":") == 1:
		i := strings.LastIndexByte(s, ':')
		host, port = s[:i], s[i+1:]
		if port == "" {
			return netip.AddrPort{}, fmt.Errorf("%w: %q ends in ':' with no port; expected %s", ErrInvalidEndpoint, raw, endpointForms)
		}
	}
	// More than one colon without brackets: a bare IPv6 address, no port.
	if strings.Contains(host, "%") {
		return netip.AddrPort{}, fmt.Errorf("%w: %q has an IPv6 zone; IPVS cannot use zoned addresses: use a global or unique-local address", ErrInvalidEndpoint, raw)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not an IP address (hostnames are not resolved); expected %s", ErrInvalidEndpoint, raw, endpointForms)
	}
	if strings.HasPrefix(s, "[") && addr.Is4() {
		return netip.AddrPort{}, fmt.Errorf("%w: %q puts an IPv4 address in brackets; expected %s", ErrInvalidEndpoint, raw, endpointForms)
	}
	// An IPv4-mapped IPv6 address is the IPv4 host: treat it as one so the
	// family checks and duplicate detection see through the spelling.
	addr = addr.Unmap()
	p := uint64(DefaultPort)
	if port != "" {
		p, err = strconv.ParseUint(port, 10, 64)
		if err != nil || strings.HasPrefix(port, "+") {
			return netip.AddrPort{}, fmt.Errorf("%w: %q has port %q, not a number; expected a port 1-65535", ErrInvalidEndpoint, raw, port)
		}
		if p == 0 || p > 65535 {
			return netip.AddrPort{}, fmt.Errorf("%w: %q has port %d; expected a port 1-65535", ErrInvalidEndpoint, raw, p)
		}
	}
	return netip.AddrPortFrom(addr, uint16(p)), nil
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// ParseEndpoints parses and validates the VIP and the master list.
//
// Rules: every value is a literal IP with an optional port (DefaultPort when
// missing, see ParseEndpoint); the list must not be empty; the VIP must not be
// loopback, unspecified, multicast, nor the address of a master (the node
// would hijack its own traffic to that master); masters must not be loopback,
// unspecified or multicast; the VIP and all masters must be of one family
// (IPVS masquerade cannot translate between families). Masters that repeat an
// earlier one (same address and port, after defaulting) are dropped and
// reported in warnings, which the caller prints; the order is kept.
func ParseEndpoints(vip string, masters []string) (Endpoints, []string, error) {
	v, err := ParseEndpoint(vip)
	if err != nil {
		return Endpoints{}, nil, fmt.Errorf("VIP: %w", err)
	}
	switch a := v.Addr(); {
	case a.IsLoopback():
		return Endpoints{}, nil, fmt.Errorf("VIP: %w: %s is a loopback address, which IPVS cannot balance for this node's clients; pick an unused address outside 127.0.0.0/8 and ::1, e.g. 10.103.97.2:6443", ErrInvalidEndpoint, v)
	case a.IsUnspecified():
		return Endpoints{}, nil, fmt.Errorf("VIP: %w: %s is the unspecified address; pick an unused unicast address, e.g. 10.103.97.2:6443", ErrInvalidEndpoint, v)
	case a.IsMulticast():
		return Endpoints{}, nil, fmt.Errorf("VIP: %w: %s is a multicast address; pick an unused unicast address, e.g. 10.103.97.2:6443", ErrInvalidEndpoint, v)
	}
	if len(masters) == 0 {
		return Endpoints{}, nil, fmt.Errorf("%w: no masters given; pass at least one --master IP:port", ErrInvalidEndpoint)
	}
	var warnings []string
	out := Endpoints{VIP: v, Masters: make([]netip.AddrPort, 0, len(masters))}
	seen := make(map[netip.AddrPort]int, len(masters))
	for i, raw := range masters {
		m, err := ParseEndpoint(raw)
		if err != nil {
			return Endpoints{}, nil, fmt.Errorf("master #%d: %w", i+1, err)
		}
		a := m.Addr()
		switch {
		case a.IsLoopback(), a.IsUnspecified(), a.IsMulticast():
			return Endpoints{}, nil, fmt.Errorf("master #%d: %w: %s is not a unicast address another node can reach; give the master's node IP, e.g. 192.168.0.10:6443", i+1, ErrInvalidEndpoint, m)
		case a == v.Addr():
			return Endpoints{}, nil, fmt.Errorf("master #%d: %w: %s has the VIP's address %s; the VIP must be an address no node owns", i+1, ErrInvalidEndpoint, m, v.Addr())
		case a.Is4() != v.Addr().Is4():
			return Endpoints{}, nil, fmt.Errorf("master #%d: %w: %s is %s but the VIP %s is %s; use one family for the VIP and all masters", i+1, ErrInvalidEndpoint, m, family(a), v, family(v.Addr()))
		}
		if first, dup := seen[m]; dup {
			warnings = append(warnings, fmt.Sprintf("master #%d (%s) repeats master #%d; ignoring the duplicate", i+1, m, first))
			continue
		}
		seen[m] = i + 1
		out.Masters = append(out.Masters, m)
	}
	return out, warnings, nil
}
