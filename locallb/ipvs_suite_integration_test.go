package locallb

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netns"
)

// The shared behaviour suite (balancer_suite_test.go) on IPVS, in the VM:
// hack/vm-test.sh ./locallb/

var ipvsSuite = suiteBackend{
	name: "ipvs",
	open: func(t *testing.T, ns netns.NsHandle) Balancer {
		b, err := NewIPVS(IPVSOptions{NetnsPath: nsPath(ns)})
		if err != nil {
			t.Fatalf("NewIPVS in the client namespace: %v", err)
		}
		t.Cleanup(b.Close)
		return b
	},
	// Another program's virtual server on the VIP's address, next port.
	foreign: func(t *testing.T, ns netns.NsHandle, vip netip.AddrPort) func() error {
		h, err := ipvs.New(nsPath(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		svc := toService(netip.AddrPortFrom(vip.Addr(), vip.Port()+1), "")
		if err := h.NewService(svc); err != nil {
			t.Fatalf("creating the foreign virtual server: %v", err)
		}
		return func() error {
			if _, err := h.GetService(svc); err != nil {
				return fmt.Errorf("foreign virtual server %s:%d: %w", vip.Addr(), vip.Port()+1, err)
			}
			return nil
		}
	},
}

func TestIntegrationIPVSBalancer(t *testing.T) {
	requireIPVS(t) // skips (or fails in the VM) without IPVS
	runBalancerSuite(t, ipvsSuite)
}
