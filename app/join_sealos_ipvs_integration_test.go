package app

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

// TestIntegrationJoinAdoptsSealosOnIPVS sets a worker up the way sealos v4/v5
// does (the IPVS virtual server `sealctl ipvs … --run-once` creates, its
// route-mode route `VIP via <node address> metric 50`, the node address as
// lvscare.node.ip in /etc/hosts, and the kube-sealos-lvscare.yaml static
// pod), then runs our kubeadm binary: `join phase locallb` without
// --adopt-sealos must refuse and change nothing, with it take everything
// over, and `kubeadm reset --force` must then leave nothing behind. It
// changes the real node, so it runs only inside the VM of hack/vm-test.sh.
func TestIntegrationJoinAdoptsSealosOnIPVS(t *testing.T) {
	requireIPVSVM(t, "IPVS, routes, /etc/hosts and /etc/kubernetes")
	const nodeIP = "10.250.6.1"
	vethUp(t, "lbs0", nodeIP+"/24")

	vip := netip.MustParseAddrPort("10.250.0.110:6443")
	m1, m2, m3 := netip.MustParseAddrPort("10.250.6.2:6443"), netip.MustParseAddrPort("10.250.6.3:6443"), netip.MustParseAddrPort("10.250.6.4:6443")
	masters := []string{m1.String(), m2.String(), m3.String()}

	// sealos: lvscare.node.ip in /etc/hosts …
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile("/etc/hosts", append(append([]byte{}, hosts...), []byte("\n"+nodeIP+" lvscare.node.ip\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.WriteFile("/etc/hosts", hosts, 0o644) })
	// … the virtual server lvscare's run-once creates (TCP, rr, masquerade,
	// every master at weight 1; one drained since) …
	lb, err := locallb.NewIPVS(locallb.IPVSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	if err := lb.Ensure(locallb.VirtualServer{VIP: vip, RealServers: []locallb.RealServer{{Addr: m1, Weight: 1}, {Addr: m2, Weight: 0}, {Addr: m3, Weight: 1}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lb.Delete(vip) })
	// … its route-mode route (netlink defaults: protocol boot) …
	sealosRoute := &netlink.Route{Dst: &net.IPNet{IP: net.IP(vip.Addr().AsSlice()), Mask: net.CIDRMask(32, 32)}, Gw: net.ParseIP(nodeIP), Priority: 50}
	if err := netlink.RouteAdd(sealosRoute); err != nil {
		t.Fatalf("adding sealos' route %s via %s metric 50: %v", vip.Addr(), nodeIP, err)
	}
	t.Cleanup(func() { _ = netlink.RouteDel(sealosRoute) })
	// … and the static pod.
	sealosManifest := filepath.Join("/etc/kubernetes/manifests", phases.SealosManifests[0])
	content := testenv.SealosLvscareManifest(vip.String(), nodeIP, masters)
	if err := os.MkdirAll(filepath.Dir(sealosManifest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sealosManifest, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(sealosManifest) })

	join := []string{"join", "phase", "locallb", vip.String(), "--master", m1.String() + "," + m2.String(), "--skip-etc-hosts"}
	out, err := runOurKubeadmErr(t, join...)
	if err == nil || !strings.Contains(out, "--adopt-sealos") || !strings.Contains(out, sealosManifest) {
		t.Fatalf("without --adopt-sealos the join should refuse, naming the flag and %s (err %v)", sealosManifest, err)
	}
	requireFile(t, sealosManifest, true, "--vs")
	requireFile(t, locallb.DefaultStatePath, false)
	if n := vipRoutes(t, vip.Addr()); n != 1 {
		t.Errorf("the refused join changed the VIP's routes: %d, want sealos' one", n)
	}

	out = runOurKubeadm(t, append(join, "--adopt-sealos")...)
	for _, w := range []string{"Removed sealos' lvscare static pod " + sealosManifest, "Taking over from sealos: the IPVS virtual server " + vip.String(), "via " + nodeIP + " metric 50"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	requireFile(t, sealosManifest, false)
	requireRealServers(t, vip, m1, m2)
	requireFile(t, filepath.Join("/etc/kubernetes/manifests", manifests.FileName), true, "--rs", m2.String())
	requireFile(t, locallb.DefaultStatePath, true, `"adopted":"sealos (`+sealosManifest+`)"`, `"gateway":"`+nodeIP+`"`)

	runOurKubeadm(t, "reset", "--force", "--cri-socket", "unix:///run/containerd/containerd.sock")
	requireRealServers(t, vip)
	requireFile(t, filepath.Join("/etc/kubernetes/manifests", manifests.FileName), false)
	requireFile(t, locallb.DefaultStatePath, false)
	requireFile(t, phases.DefaultModulesLoadPath, false)
	if n := vipRoutes(t, vip.Addr()); n != 0 {
		t.Errorf("reset left %d route(s) for the VIP (sealos' or ours)", n)
	}
}

func runOurKubeadmErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsKubeadmEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("kubeadm %s:\n%s", strings.Join(args, " "), out.String())
	return out.String(), err
}

// vipRoutes counts the main table's routes whose destination is vip/32,
// of any protocol.
func vipRoutes(t *testing.T, vip netip.Addr) int {
	t.Helper()
	rs, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: &net.IPNet{IP: net.IP(vip.AsSlice()), Mask: net.CIDRMask(32, 32)}}, netlink.RT_FILTER_DST)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}
