package main

import (
	"github.com/sealkube/kubeadm/locallb"
)

// newBalancer opens the IPVS backend. locallb.NewIPVS checks that the kernel
// has IPVS (loading the modules when it can) before it touches moby/ipvs,
// which would otherwise report success on a kernel without it.
func newBalancer() (locallb.Balancer, error) {
	lb, err := locallb.NewIPVS(locallb.IPVSOptions{})
	if err != nil {
		return nil, err // not a nil *IPVS inside a non-nil interface
	}
	return lb, nil
}
