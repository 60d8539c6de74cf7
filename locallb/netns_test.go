package locallb

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Helpers for the gated integration tests: everything they create lives in
// network namespaces they create, and is gone when those close.

// requireNetns skips unless we can create network namespaces.
func requireNetns(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces: run as root, or in the VM with hack/vm-test.sh")
	}
}

// newNetns creates a network namespace with lo up and returns a netlink
// handle in it. The calling goroutine's namespace is unchanged.
func newNetns(t testing.TB) (netns.NsHandle, *netlink.Handle) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Skipf("network namespaces not available (%v): run as root, or in the VM with hack/vm-test.sh", err)
	}
	ns, err := netns.New()
	if err != nil {
		orig.Close()
		runtime.UnlockOSThread()
		t.Skipf("cannot create a network namespace (%v): run as root, or in the VM with hack/vm-test.sh", err)
	}
	if err := netns.Set(orig); err != nil {
		// The thread is stuck in the new namespace: keep it locked so Go
		// discards it when the goroutine exits.
		t.Fatalf("returning to the original namespace: %v", err)
	}
	orig.Close()
	runtime.UnlockOSThread()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		t.Fatalf("netlink handle in the new namespace: %v", err)
	}
	t.Cleanup(func() { h.Close(); ns.Close() })
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	return ns, h
}

// inNetns runs f on a thread inside ns.
func inNetns(t testing.TB, ns netns.NsHandle, f func()) {
	t.Helper()
	done := make(chan struct{})
	var setErr error
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			setErr = err
			runtime.UnlockOSThread()
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			setErr = err
			runtime.UnlockOSThread()
			return
		}
		f()
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		} // else: the locked thread dies with this goroutine
	}()
	<-done
	if setErr != nil {
		t.Fatalf("entering namespace: %v", setErr)
	}
}

// addLink adds a veth pair name/name+"p" inside h's namespace (veth is
// built in where dummy may not be), both up, addresses on name (no DAD).
func addLink(t testing.TB, h *netlink.Handle, name string, addrs ...string) netlink.Link {
	t.Helper()
	if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}); err != nil {
		t.Fatalf("adding veth %s: %v", name, err)
	}
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := h.LinkByName(name + "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		addAddr(t, h, l, a)
	}
	for _, x := range []netlink.Link{l, peer} {
		if err := h.LinkSetUp(x); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func addAddr(t testing.TB, h *netlink.Handle, l netlink.Link, cidr string) {
	t.Helper()
	p := netip.MustParsePrefix(cidr)
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if p.Addr().Is6() {
		addr.Flags = unix.IFA_F_NODAD // usable at once, no duplicate detection wait
	}
	if err := h.AddrAdd(l, addr); err != nil {
		t.Fatalf("adding %s to %s: %v", cidr, l.Attrs().Name, err)
	}
}

// disableDAD turns off duplicate address detection on link name, in the
// namespace of the thread that runs it (use inNetns for another one). Call
// it before the link goes up: the link-local address the kernel then adds
// is usable at once. IFA_F_NODAD only covers the addresses we add
// ourselves, and while the link-local is tentative (about 1-2 s) the
// kernel sends no neighbour solicitation on that link for packets whose
// source address belongs to another link (ndisc_send_ns needs a
// non-tentative link-local then), so the first packets there are lost.
func disableDAD(name string) error {
	return os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/accept_dad", []byte("0"), 0)
}

// waitAddrsSettled polls until no IPv6 address on l is tentative (the
// kernel finishes the DAD-less start asynchronously) and fails on a
// duplicate.
func waitAddrsSettled(t *testing.T, h *netlink.Handle, l netlink.Link) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		addrs, err := h.AddrList(l, netlink.FAMILY_V6)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			t.Fatalf("listing addresses of %s: %v", l.Attrs().Name, err)
		}
		tentative := []string{}
		if err != nil {
			// The list changed while being dumped (the kernel is still
			// adding addresses): look again.
			tentative = append(tentative, "(dump interrupted)")
		}
		for _, a := range addrs {
			if a.Flags&unix.IFA_F_DADFAILED != 0 {
				t.Fatalf("address %s on %s failed duplicate address detection", a.IPNet, l.Attrs().Name)
			}
			if a.Flags&unix.IFA_F_TENTATIVE != 0 {
				tentative = append(tentative, a.IPNet.String())
			}
		}
		if len(tentative) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("addresses %v on %s still tentative after 5s (is accept_dad off?)", tentative, l.Attrs().Name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
