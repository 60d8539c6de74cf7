package main

import (
	"github.com/sealkube/kubeadm/locallb"
)

// newBalancer opens the chosen backend (--backend). locallb.NewBalancer
// checks that the kernel supports it first (for IPVS before it touches
// moby/ipvs, which would otherwise report success on a kernel without it),
// and its error names the other backend.
func newBalancer(backend locallb.Backend) (locallb.Balancer, error) {
	lb, err := locallb.NewBalancer(backend, locallb.BalancerOptions{})
	if err != nil {
		return nil, err // not a typed nil inside a non-nil interface
	}
	return lb, nil
}
