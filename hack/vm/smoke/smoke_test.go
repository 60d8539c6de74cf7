package smoke

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// requireIPVS skips unless the kernel really has IPVS. moby/ipvs reports
// success on kernels without it, so /proc/net/ip_vs is the witness. Inside
// the harness's VM (VMTEST=1) a missing IPVS is a harness bug: fail.
func requireIPVS(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	_, err := os.Stat("/proc/net/ip_vs")
	switch {
	case err == nil:
	case os.Getenv("VMTEST") == "1":
		t.Fatalf("inside the test VM but the kernel has no IPVS (/proc/net/ip_vs: %v): the harness failed to load ip_vs", err)
	default:
		t.Skipf("this kernel has no IPVS (/proc/net/ip_vs: %v); run on a real kernel with: hack/vm-test.sh ./hack/vm/smoke", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN) to create a network namespace and program IPVS; run with: hack/vm-test.sh ./hack/vm/smoke")
	}
}

// inNewNetns runs fn on a locked thread inside a fresh network namespace so
// the test never touches the host's IPVS table, then returns the thread to
// its original namespace.
func inNewNetns(t *testing.T, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("reading current netns: %v", err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("creating netns: %v", err)
	}
	defer ns.Close()
	defer func() {
		if err := netns.Set(orig); err != nil {
			// The thread is stuck in the test namespace: leave it locked so
			// the runtime discards it instead of reusing it.
			runtime.LockOSThread()
			t.Errorf("returning to the original netns: %v", err)
		}
	}()
	fn()
}

type ipvsCase struct {
	name string
	vip  net.IP
	rs   net.IP
	fam  uint16
}

func TestIntegrationIPVSModule(t *testing.T) {
	requireIPVS(t)
	cases := []ipvsCase{
		{"ipv4", net.ParseIP("127.0.0.1").To4(), net.ParseIP("127.0.0.2").To4(), syscall.AF_INET},
		{"ipv6", net.ParseIP("::1"), net.ParseIP("::1"), syscall.AF_INET6},
	}
	// No t.Run here: a subtest runs on another goroutine, hence possibly
	// another thread outside the namespace.
	inNewNetns(t, func() {
		// IPVS rejects (EINVAL) an IPv4 real server whose address is not
		// local or unicast in the namespace: 127.0.0.2 needs lo up.
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatalf("finding lo in the test netns: %v", err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatalf("bringing lo up in the test netns: %v", err)
		}
		h, err := ipvs.New("")
		if err != nil {
			t.Fatalf("ipvs.New: %v", err)
		}
		defer h.Close()
		for _, tc := range cases {
			roundTrip(t, h, tc)
		}
	})
}

// roundTrip creates a service with one destination, reads both back through
// netlink and through /proc, and deletes the service. It must run on the
// thread that is inside the test namespace.
func roundTrip(t *testing.T, h *ipvs.Handle, tc ipvsCase) {
	t.Helper()
	svc := &ipvs.Service{Address: tc.vip, Protocol: syscall.IPPROTO_TCP, Port: 6443, AddressFamily: tc.fam, SchedName: ipvs.RoundRobin, Netmask: 0xffffffff}
	if tc.fam == syscall.AF_INET6 {
		svc.Netmask = 128
	}
	if err := h.NewService(svc); err != nil {
		t.Errorf("%s: NewService(%s:6443): %v", tc.name, tc.vip, err)
		return
	}
	defer func() {
		if err := h.DelService(svc); err != nil {
			t.Errorf("%s: DelService(%s:6443): %v", tc.name, tc.vip, err)
		}
	}()
	dst := &ipvs.Destination{Address: tc.rs, Port: 7443, Weight: 1, AddressFamily: tc.fam, ConnectionFlags: ipvs.ConnectionFlagMasq}
	if err := h.NewDestination(svc, dst); err != nil {
		t.Errorf("%s: NewDestination(%s:7443): %v", tc.name, tc.rs, err)
		return
	}
	svcs, err := h.GetServices()
	if err != nil {
		t.Errorf("%s: GetServices: %v", tc.name, err)
		return
	}
	var found *ipvs.Service
	for _, s := range svcs {
		if s.Address.Equal(tc.vip) && s.Port == 6443 && s.Protocol == syscall.IPPROTO_TCP {
			found = s
		}
	}
	if found == nil {
		t.Errorf("%s: GetServices() = %d services, none is %s:6443", tc.name, len(svcs), tc.vip)
		return
	}
	if found.SchedName != ipvs.RoundRobin {
		t.Errorf("%s: scheduler = %q, want %q", tc.name, found.SchedName, ipvs.RoundRobin)
	}
	dsts, err := h.GetDestinations(found)
	if err != nil {
		t.Errorf("%s: GetDestinations: %v", tc.name, err)
		return
	}
	if len(dsts) != 1 || !dsts[0].Address.Equal(tc.rs) || dsts[0].Port != 7443 || dsts[0].Weight != 1 {
		t.Errorf("%s: GetDestinations() = %+v, want one %s:7443 weight 1", tc.name, dsts, tc.rs)
	}
	// Independent witness: the kernel's own table for this thread's namespace.
	table, err := os.ReadFile("/proc/thread-self/net/ip_vs")
	if err != nil {
		t.Errorf("%s: reading /proc/thread-self/net/ip_vs: %v", tc.name, err)
		return
	}
	if want := procVIP(tc.vip, 6443); !strings.Contains(string(table), want) {
		t.Errorf("%s: /proc/net/ip_vs does not list %s (%s):\n%s", tc.name, want, tc.vip, table)
	}
}

// procVIP formats addr:port the way /proc/net/ip_vs prints it: IPv4 as 8
// hex digits, IPv6 fully expanded in brackets, port as 4 hex digits.
func procVIP(ip net.IP, port uint16) string {
	if v4 := ip.To4(); v4 != nil {
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", v4[0], v4[1], v4[2], v4[3], port)
	}
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = fmt.Sprintf("%02x%02x", ip[2*i], ip[2*i+1])
	}
	return fmt.Sprintf("[%s]:%04X", strings.Join(groups, ":"), port)
}

func TestProcVIP(t *testing.T) {
	tests := []struct {
		ip   string
		want string
	}{
		{"127.0.0.1", "7F000001:192B"},
		{"::1", "[0000:0000:0000:0000:0000:0000:0000:0001]:192B"},
		{"fd00::a", "[fd00:0000:0000:0000:0000:0000:0000:000a]:192B"},
	}
	for _, tc := range tests {
		if got := procVIP(net.ParseIP(tc.ip), 6443); got != tc.want {
			t.Errorf("procVIP(%s) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}
