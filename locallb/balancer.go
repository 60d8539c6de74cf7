// Package locallb is the node-local load balancer that lets a worker reach
// every control-plane node through one virtual address (VIP:port). It parses
// and validates the VIP and master list, programs the kernel (IPVS by
// default, or nftables) and cleans up what it created.
//
// It must not import k8s.io/kubernetes: the care daemon links it and stays small.
package locallb

import "net/netip"

// RealServer is one backend (a control-plane apiserver) of a virtual server.
type RealServer struct {
	Addr netip.AddrPort
	// Weight 0 drains the server: established connections stay, new ones
	// go elsewhere.
	Weight int
}

// VirtualServer is a TCP virtual server VIP:port balanced round-robin over
// its real servers.
type VirtualServer struct {
	VIP         netip.AddrPort
	RealServers []RealServer
	// Deviations, filled by Get, name the settings that differ from what
	// Ensure writes (round-robin, no persistence, masquerade), e.g.
	// "scheduler wlc"; nil when there are none. Ensure ignores the field
	// and resets them, so a caller that finds any should call Ensure.
	Deviations []string
}

// Balancer is the narrow seam to the kernel. Implementations: IPVS (default),
// nftables (NewNFTables; choose with NewBalancer), a fake for unit tests.
type Balancer interface {
	// Ensure makes vs exist with exactly its real servers and weights: it
	// creates the virtual server if missing, adds missing real servers,
	// removes extra ones and fixes weights. A call that changes nothing must
	// be cheap: the care daemon calls it every tick.
	Ensure(vs VirtualServer) error
	// SetWeight changes the weight of one existing real server.
	SetWeight(vip, rs netip.AddrPort, weight int) error
	// Delete removes the virtual server at vip. Absent is not an error.
	Delete(vip netip.AddrPort) error
	// Get reads the virtual server at vip; found is false when it is absent.
	Get(vip netip.AddrPort) (vs VirtualServer, found bool, err error)
}
