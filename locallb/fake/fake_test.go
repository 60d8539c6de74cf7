package fake

import (
	"errors"
	"net/netip"
	"reflect"
	"sync"
	"testing"

	"github.com/sealkube/kubeadm/locallb"
)

var (
	vip = netip.MustParseAddrPort("10.103.97.2:6443")
	m0  = netip.MustParseAddrPort("10.0.0.1:6443")
	m1  = netip.MustParseAddrPort("10.0.0.2:6443")
)

func TestBalancerSemantics(t *testing.T) {
	var b Balancer
	if _, found, err := b.Get(vip); found || err != nil {
		t.Fatalf("empty Get: found=%v err=%v", found, err)
	}
	vs := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}, {Addr: m0, Weight: 1}}}
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	if b.Writes() != 1 {
		t.Fatalf("writes after create + no-op = %d, want 1", b.Writes())
	}
	if err := b.SetWeight(vip, m0, 0); err != nil {
		t.Fatal(err)
	}
	got, found, err := b.Get(vip)
	want := []locallb.RealServer{{Addr: m0, Weight: 0}, {Addr: m1, Weight: 1}}
	if err != nil || !found || !reflect.DeepEqual(got.RealServers, want) {
		t.Fatalf("Get = %v %v %v, want %v", got, found, err, want)
	}
	if err := b.SetWeight(vip, netip.MustParseAddrPort("10.0.0.9:6443"), 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetWeight on missing real server: %v", err)
	}
	if err := b.Ensure(locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}, {Addr: m0, Weight: 1}}}); err == nil {
		t.Fatal("Ensure accepted a duplicate real server")
	}
	if err := b.Delete(vip); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(vip); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.Get(vip); found {
		t.Fatal("found after Delete")
	}
	var methods []string
	for _, c := range b.Calls() {
		methods = append(methods, c.Method)
	}
	wantMethods := []string{"Get", "Ensure", "Ensure", "SetWeight", "Get", "SetWeight", "Ensure", "Delete", "Delete", "Get"}
	if !reflect.DeepEqual(methods, wantMethods) {
		t.Fatalf("calls = %v, want %v", methods, wantMethods)
	}
}

func TestBalancerFailNext(t *testing.T) {
	var b Balancer
	boom := errors.New("boom")
	b.FailNext("Ensure", boom)
	if err := b.Ensure(locallb.VirtualServer{VIP: vip}); !errors.Is(err, boom) {
		t.Fatalf("first Ensure: %v", err)
	}
	if err := b.Ensure(locallb.VirtualServer{VIP: vip}); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
}

func TestBalancerConcurrent(t *testing.T) {
	var b Balancer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Ensure(locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: i % 2}}})
			_, _, _ = b.Get(vip)
		}()
	}
	wg.Wait()
	if n := len(b.Calls()); n != 16 {
		t.Fatalf("recorded %d calls, want 16", n)
	}
}

func TestBalancerFlushRealServer(t *testing.T) {
	var b Balancer
	if err := b.Ensure(locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m0, Weight: 1}, {Addr: m1, Weight: 0}}}); err != nil {
		t.Fatal(err)
	}
	b.SetFlows(vip, m0, 2)
	b.SetFlows(vip, m1, 3)
	tests := []struct {
		name    string
		rs      netip.AddrPort
		want    int
		wantErr error
	}{
		{"in rotation: refused", m0, 0, ErrStillServing},
		{"drained: flushed", m1, 3, nil},
		{"again: nothing left", m1, 0, nil},
		{"not in the virtual server", netip.MustParseAddrPort("10.0.0.9:6443"), 0, nil},
	}
	for _, tc := range tests {
		n, err := b.FlushRealServer(vip, tc.rs)
		if n != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: FlushRealServer(%s) = %d, %v; want %d, %v", tc.name, tc.rs, n, err, tc.want, tc.wantErr)
		}
	}
	if got := b.Flows(vip, m0); got != 2 {
		t.Errorf("flows of the refused server = %d, want 2 (kept)", got)
	}
}
