package locallb

import (
	"errors"
	"fmt"
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

// ErrUnknownBackend is wrapped by ParseBackend's error.
var ErrUnknownBackend = errors.New("unknown load balancer backend")

// ParseBackend accepts "ipvs" or "nftables" (any case, surrounding space
// ignored); "" is DefaultBackend.
func ParseBackend(s string) (Backend, error) {
	switch b := Backend(strings.ToLower(strings.TrimSpace(s))); b {
	case "":
		return DefaultBackend, nil
	case BackendIPVS, BackendNFTables:
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
	switch backend {
	case BackendIPVS, "":
		b, err := NewIPVS(IPVSOptions(opts))
		if err != nil {
			return nil, err
		}
		return b, nil
	case BackendNFTables:
		b, err := NewNFTables(NFTablesOptions(opts))
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w %q: use %q (default) or %q", ErrUnknownBackend, backend, BackendIPVS, BackendNFTables)
}
