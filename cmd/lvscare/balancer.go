package main

import (
	"errors"

	"github.com/sealkube/kubeadm/locallb"
)

// newBalancer opens the kernel backend. The IPVS implementation of
// locallb.Balancer is written on another branch; until it is merged here this
// says so instead of pretending to program the kernel.
func newBalancer() (locallb.Balancer, error) {
	return nil, errors.New("this lvscare build has no kernel backend yet: the IPVS implementation of locallb.Balancer is not merged; wire it in cmd/lvscare/balancer.go")
}
