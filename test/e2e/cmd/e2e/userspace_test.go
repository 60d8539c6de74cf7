package main

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

// backend answers every connection with its id and closes it.
func backend(t *testing.T, id string) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(id))
			c.Close()
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

func freeAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return netip.MustParseAddrPort(l.Addr().String())
}

func fetch(t *testing.T, vip netip.AddrPort) (string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", vip.String(), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestUserspaceLB(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	vip := freeAddr(t)
	lb := newUserspaceLB()
	vs := locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: a, Weight: 1}, {Addr: b, Weight: 1}}}
	if err := lb.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lb.Delete(vip) })
	seen := map[string]int{}
	for range 4 {
		got, err := fetch(t, vip)
		if err != nil {
			t.Fatal(err)
		}
		seen[got]++
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Errorf("round robin over a and b gave %v, want 2 each", seen)
	}
	if err := lb.SetWeight(vip, a, 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got, err := fetch(t, vip); err != nil || got != "b" {
			t.Errorf("with a drained: got %q, %v; want b", got, err)
		}
	}
	if err := lb.SetWeight(vip, freeAddr(t), 1); err == nil {
		t.Error("SetWeight of an unknown real server: no error")
	}
	got, found, err := lb.Get(vip)
	if err != nil || !found || len(got.RealServers) != 2 || got.RealServers[0].Weight != 0 {
		t.Errorf("Get = %+v, %v, %v", got, found, err)
	}
	if err := lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := lb.Get(vip); found {
		t.Error("Get after Delete: still found")
	}
	if _, err := fetch(t, vip); err == nil {
		t.Error("connecting after Delete succeeded; want refused")
	}
	// Ensure again re-creates it (what the care daemon's restore does).
	if err := lb.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(t, vip); err != nil {
		t.Errorf("after re-Ensure: %v", err)
	}
}
