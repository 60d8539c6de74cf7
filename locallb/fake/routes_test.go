package fake

import (
	"net/netip"
	"testing"
)

func TestRoutes(t *testing.T) {
	var r Routes
	vip, via := netip.MustParseAddr("10.103.97.2"), netip.MustParseAddr("10.103.97.200")
	if added, err := r.Ensure(vip, via); !added || err != nil {
		t.Fatalf("first Ensure: added=%v err=%v", added, err)
	}
	if added, _ := r.Ensure(vip, netip.MustParseAddr("10.103.97.201")); added {
		t.Errorf("second Ensure added a route again")
	}
	if got, ok := r.Via(vip); !ok || got != via || r.Len() != 1 {
		t.Errorf("Via = %v %v, Len = %d; want %v true 1", got, ok, r.Len(), via)
	}
	if err := r.Remove(vip); err != nil || r.Len() != 0 {
		t.Errorf("Remove: err=%v Len=%d", err, r.Len())
	}
	if err := r.Remove(vip); err != nil {
		t.Errorf("removing an absent route: %v", err)
	}
}
