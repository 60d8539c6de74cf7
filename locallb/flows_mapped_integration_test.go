package locallb

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dialMapped connects an AF_INET6 socket to the IPv4 address to as
// ::ffff:a.b.c.d from inside ns, as a dual-stack client does (Go's own
// dialer would pick AF_INET).
func dialMapped(t *testing.T, ns netns.NsHandle, to netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	inNetns(t, ns, func() {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Errorf("socket(AF_INET6): %v", err)
			return
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			unix.Close(fd)
			t.Errorf("IPV6_V6ONLY off: %v", err)
			return
		}
		if err := unix.Connect(fd, &unix.SockaddrInet6{Port: int(to.Port()), Addr: netip.AddrFrom16(to.Addr().As16()).As16()}); err != nil {
			unix.Close(fd)
			t.Errorf("connecting to ::ffff:%s: %v", to, err)
			return
		}
		if d, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil || d != unix.AF_INET6 {
			unix.Close(fd)
			t.Errorf("test setup: the client socket's domain is %d (%v), want AF_INET6", d, err)
			return
		}
		f := os.NewFile(uintptr(fd), "mapped")
		defer f.Close()
		c, err = net.FileConn(f)
		if err != nil {
			t.Errorf("FileConn: %v", err)
		}
	})
	if c == nil {
		t.FailNow()
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIntegrationMappedClientsAreFoundAndReset: a client on an AF_INET6
// socket connected to an IPv4 VIP as ::ffff:VIP sits in the kernel's
// AF_INET6 socket table. The orphan flush (IPVS, establishedTo) must list
// it, and the socket reset every flush ends with must reach it.
func TestIntegrationMappedClientsAreFoundAndReset(t *testing.T) {
	requireNetns(t)
	ns, h := newNetns(t)
	addLink(t, h, "eth0", "10.254.1.1/24")
	var ln net.Listener
	inNetns(t, ns, func() {
		var err error
		if ln, err = net.Listen("tcp4", "10.254.1.1:0"); err != nil {
			t.Errorf("listen: %v", err)
		}
	})
	if ln == nil {
		t.FailNow()
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	vip := netip.MustParseAddrPort(ln.Addr().String())
	c := dialMapped(t, ns, vip)
	client := netip.MustParseAddrPort(c.LocalAddr().String())
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())

	diag, err := netlink.NewHandleAt(ns, unix.NETLINK_INET_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer diag.Close()
	clients, err := establishedTo(diag, vip)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range clients {
		found = found || x == client
	}
	if !found {
		t.Fatalf("establishedTo(%s) = %v: misses the v4-mapped client %s", vip, clients, client)
	}

	read := idleRead(c)
	n, err := destroySockets(ns, []clientFlow{{client: client, vip: vip}})
	if errors.Is(err, ErrSocketDestroyUnsupported) {
		t.Skipf("kernel cannot reset sockets: %v", err)
	}
	if err != nil || n != 1 {
		t.Fatalf("destroySockets = %d, %v; want 1 socket reset", n, err)
	}
	select {
	case r := <-read:
		if r.err == nil || errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Fatalf("read on the reset v4-mapped client ended with %v, want a connection error", r.err)
		}
	case <-time.After(flushDeadline):
		t.Fatal("the v4-mapped client was not reset")
	}
}
