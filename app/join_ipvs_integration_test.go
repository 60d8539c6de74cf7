package app

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

// TestIntegrationJoinPhaseAndResetOnIPVS runs our kubeadm binary's
// `join phase locallb` against the kernel's IPVS, changes the master list by
// running it again, then `kubeadm reset` and checks that nothing of ours is
// left. It changes the real node (IPVS, routes, /etc/kubernetes,
// /var/lib/kubeadm-locallb), so it runs only inside the VM of hack/vm-test.sh.
func TestIntegrationJoinPhaseAndResetOnIPVS(t *testing.T) {
	requireIPVSVM(t, "IPVS, routes and /etc/kubernetes")

	// A link towards the masters, so the node has a route to them as a
	// worker would. Only addresses on this link are used; nothing answers.
	vethUp(t, "lbj0", "10.250.5.1/24")

	vip := netip.MustParseAddrPort("10.250.0.100:6443")
	m1, m2, m3 := netip.MustParseAddrPort("10.250.5.2:6443"), netip.MustParseAddrPort("10.250.5.3:6443"), netip.MustParseAddrPort("10.250.5.4:6443")
	manifest := filepath.Join("/etc/kubernetes/manifests", manifests.FileName)

	runOurKubeadm(t, "join", "phase", "locallb", vip.String(), "--master", m1.String()+","+m2.String(), "--skip-etc-hosts")
	requireRealServers(t, vip, m1, m2)
	requireFile(t, manifest, true, "--rs", m2.String())
	requireFile(t, locallb.DefaultStatePath, true, vip.String())
	requireFile(t, phases.DefaultModulesLoadPath, true, "ip_vs\nip_vs_rr\nnf_conntrack\n")
	if n := ourRoutes(t); n != 1 {
		t.Errorf("want 1 route of ours (protocol %d) for the VIP, found %d", locallb.RouteProtocol, n)
	}

	// Running the phase again is how a worker's master list changes.
	runOurKubeadm(t, "join", "phase", "locallb", vip.String(), "--master", m1.String(), "--master", m2.String(), "--master", m3.String(), "--skip-etc-hosts")
	requireRealServers(t, vip, m1, m2, m3)
	requireFile(t, manifest, true, "--rs", m3.String())

	runOurKubeadm(t, "reset", "--force", "--cri-socket", "unix:///run/containerd/containerd.sock")
	requireRealServers(t, vip)
	requireFile(t, manifest, false)
	requireFile(t, locallb.DefaultStatePath, false)
	requireFile(t, phases.DefaultModulesLoadPath, false)
	if n := ourRoutes(t); n != 0 {
		t.Errorf("reset left %d route(s) of ours", n)
	}
}

func runOurKubeadm(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsKubeadmEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("kubeadm %s:\n%s", strings.Join(args, " "), out.String())
	if err != nil {
		t.Fatalf("kubeadm %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// requireRealServers checks the kernel: no virtual server at vip when want
// is empty, else exactly want at weight 1.
func requireRealServers(t *testing.T, vip netip.AddrPort, want ...netip.AddrPort) {
	t.Helper()
	lb, err := locallb.NewIPVS(locallb.IPVSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	vs, found, err := lb.Get(vip)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		if found {
			t.Errorf("virtual server %s still exists: %+v", vip, vs)
		}
		return
	}
	if !found {
		t.Fatalf("virtual server %s is missing", vip)
	}
	got := map[netip.AddrPort]int{}
	for _, rs := range vs.RealServers {
		got[rs.Addr] = rs.Weight
	}
	if len(got) != len(want) {
		t.Errorf("real servers %v, want %v", got, want)
	}
	for _, w := range want {
		if got[w] != 1 {
			t.Errorf("real server %s: weight %d (present: %v), want 1", w, got[w], got)
		}
	}
}

func requireFile(t *testing.T, path string, exists bool, contains ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	switch {
	case !exists && errors.Is(err, fs.ErrNotExist):
		return
	case !exists:
		t.Errorf("%s should be gone (err %v)", path, err)
		return
	case err != nil:
		t.Errorf("%s: %v", path, err)
		return
	}
	for _, c := range contains {
		if !strings.Contains(string(data), c) {
			t.Errorf("%s lacks %q:\n%s", path, c, data)
		}
	}
}

func ourRoutes(t *testing.T) int {
	t.Helper()
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: locallb.RouteProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range routes {
		if r.Dst != nil && r.Dst.IP.Equal(net.ParseIP("10.250.0.100")) {
			n++
		}
	}
	return n
}

// requireIPVSVM skips outside the test VM of hack/vm-test.sh (the test
// changes the real node: what lists what) and fails inside it when the
// kernel has no IPVS.
func requireIPVSVM(t *testing.T, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Getenv("VMTEST") != "1" {
		t.Skip("changes the node's " + what + ": runs only in the test VM; run with: make vm-test")
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		t.Fatalf("inside the test VM but the kernel has no IPVS: %v", err)
	}
}

// vethUp adds the veth pair name/name+"p" with cidr on name, brings both up
// and deletes the pair when the test ends.
func vethUp(t *testing.T, name, cidr string) *netlink.Veth {
	t.Helper()
	link := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatalf("adding veth: %v", err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(link) })
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(link, addr); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{name, name + "p"} {
		l, err := netlink.LinkByName(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	return link
}
