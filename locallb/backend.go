package locallb

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Backend names the kernel mechanism a Balancer programs.
type Backend string

const (
	// BackendIPVS is the default: an IPVS virtual server, as public lvscare
	// and kube-proxy's ipvs mode use.
	BackendIPVS Backend = "ipvs"
	// BackendNFTables is our own nftables table with a DNAT rule per
	// virtual server: for kernels without IPVS and for clusters whose
	// kube-proxy runs in nftables mode (which flushes IPVS when it starts).
	BackendNFTables Backend = "nftables"
	// DefaultBackend is used when none is chosen.
	DefaultBackend = BackendIPVS
)

// Backends lists the valid names, default first.
func Backends() []Backend { return []Backend{BackendIPVS, BackendNFTables} }

// backendInfo is everything that differs between the backends outside
// their Balancer implementations: one descriptor per backend instead of a
// switch on the name wherever it matters.
type backendInfo struct {
	// title is how messages name the mechanism.
	title string
	// modules are the kernel modules to load at boot.
	modules func() []string
	open    func(BalancerOptions) (KernelBalancer, error)
	// removeHint is the command that removes vip by hand.
	removeHint func(vip netip.AddrPort) string
	// describe says what Ensure programs for vip over masters.
	describe func(vip netip.AddrPort, masters string) string
}

var backendInfos = map[Backend]backendInfo{
	BackendIPVS: {
		title:   "IPVS",
		modules: IPVSModules,
		open: func(o BalancerOptions) (KernelBalancer, error) {
			b, err := NewIPVS(IPVSOptions(o))
			if err != nil {
				return nil, err
			}
			return b, nil
		},
		removeHint: func(vip netip.AddrPort) string { return fmt.Sprintf("ipvsadm -D -t %s", vip) },
		describe: func(vip netip.AddrPort, masters string) string {
			return fmt.Sprintf("the IPVS virtual server %s (round-robin, masquerade) with real servers %s", vip, masters)
		},
	},
	BackendNFTables: {
		title:   "nftables",
		modules: NFTablesModules,
		open: func(o BalancerOptions) (KernelBalancer, error) {
			b, err := NewNFTables(NFTablesOptions(o))
			if err != nil {
				return nil, err
			}
			return b, nil
		},
		removeHint: func(vip netip.AddrPort) string {
			fam := "ip"
			if vip.Addr().Is6() {
				fam = "ip6"
			}
			return fmt.Sprintf("nft delete table %s %s", fam, NFTablesTable)
		},
		describe: func(vip netip.AddrPort, masters string) string {
			return fmt.Sprintf("the nftables table %s: DNAT of TCP to %s over real servers %s", NFTablesTable, vip, masters)
		},
	},
}

// info is b's descriptor; "" is DefaultBackend's. An unknown name gets the
// default's, which only messages see: ParseBackend and NewBalancer reject
// unknown names.
func (b Backend) info() backendInfo {
	if i, ok := backendInfos[b]; ok {
		return i
	}
	return backendInfos[DefaultBackend]
}

// ErrUnknownBackend is wrapped by ParseBackend's error.
var ErrUnknownBackend = errors.New("unknown load balancer backend")

// ParseBackend accepts "ipvs" or "nftables" (any case, surrounding space
// ignored); "" is DefaultBackend.
func ParseBackend(s string) (Backend, error) {
	b := Backend(strings.ToLower(strings.TrimSpace(s)))
	if b == "" {
		return DefaultBackend, nil
	}
	if _, ok := backendInfos[b]; ok {
		return b, nil
	}
	return "", fmt.Errorf("%w %q: use %q (default) or %q", ErrUnknownBackend, s, BackendIPVS, BackendNFTables)
}

// String implements fmt.Stringer and pflag.Value.
func (b Backend) String() string { return string(b) }

// Set implements pflag.Value, so a *Backend can be a command-line flag.
func (b *Backend) Set(s string) error {
	v, err := ParseBackend(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// Type implements pflag.Value.
func (b *Backend) Type() string { return "ipvs|nftables" }

// BalancerOptions configures NewBalancer for either backend.
type BalancerOptions struct {
	// NetnsPath is the network namespace to program, e.g.
	// /var/run/netns/x; empty means the caller's.
	NetnsPath string
	// Modules loads the kernel modules the backend needs; the zero value
	// uses the running kernel's /lib/modules.
	Modules KernelModules
}

// KernelBalancer is a Balancer that holds kernel handles; Close releases
// them (the kernel state stays).
type KernelBalancer interface {
	Balancer
	FlowFlusher
	Close()
}

// NewBalancer opens the named backend after checking that the kernel
// supports it; the error says so, and names the other backend, when it
// does not.
func NewBalancer(backend Backend, opts BalancerOptions) (KernelBalancer, error) {
	if backend == "" {
		backend = DefaultBackend
	}
	if i, ok := backendInfos[backend]; ok {
		return i.open(opts)
	}
	return nil, fmt.Errorf("%w %q: use %q (default) or %q", ErrUnknownBackend, backend, BackendIPVS, BackendNFTables)
}

// Title is how messages name the backend: "IPVS" or "nftables".
func (b Backend) Title() string { return b.info().title }

// Modules are the kernel modules b needs, to load at boot.
func (b Backend) Modules() []string { return b.info().modules() }

// RemoveHint is the command that removes the virtual server at vip by hand.
func (b Backend) RemoveHint(vip netip.AddrPort) string { return b.info().removeHint(vip) }

// Describe says what Ensure programs for vip over masters (a list for
// people), e.g. for a dry run.
func (b Backend) Describe(vip netip.AddrPort, masters string) string {
	return b.info().describe(vip, masters)
}
