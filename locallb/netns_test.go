package locallb

import (
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"

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
