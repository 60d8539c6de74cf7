package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/locallb"
)

// multiNICScenarioEnv marks the child process that runs the multi-NIC
// scenario inside its own network namespace (made by unshare(1)).
const multiNICScenarioEnv = "SEALKUBE_TEST_MULTINIC_SCENARIO"

// TestIntegrationJoinMultiNICOnHost: a worker with two links whose default
// route leaves through the one that does not lead to the masters. The join
// must route the VIP on the masters' link with that link's source address
// (else the masters' answers to the other link's address never come back),
// and the care daemon must restore that route when it is deleted. nftables
// backend, in a network namespace of the test's own.
func TestIntegrationJoinMultiNICOnHost(t *testing.T) {
	runScenarioInPrivateNetns(t, "^TestJoinMultiNICScenario$", multiNICScenarioEnv)
}

// TestJoinMultiNICScenario is the child of TestIntegrationJoinMultiNICOnHost.
func TestJoinMultiNICScenario(t *testing.T) {
	nftScenarioChild(t, multiNICScenarioEnv, "TestIntegrationJoinMultiNICOnHost")
	multiNICScenario(t, locallb.BackendNFTables)
}

// TestIntegrationJoinMultiNICOnIPVS is the same scenario with the IPVS
// backend, in the test VM (it changes the VM's default route).
func TestIntegrationJoinMultiNICOnIPVS(t *testing.T) {
	requireIPVSVM(t, "IPVS and default route")
	multiNICScenario(t, locallb.BackendIPVS)
}

// multiNICScenario runs in the current network namespace, which it changes:
// the master behind link lbm0 (10.251.8.0/24), a second link lbw0
// (172.31.250.0/24) carrying the default route.
func multiNICScenario(t *testing.T, backend locallb.Backend) {
	const vip = "10.251.0.100:6443"
	master := newNamespacedServer(t, "lbm0", "10.251.8.1/24", "10.251.8.2/24", "10.251.8.2:6443")
	wrong := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lbw0"}, PeerName: "lbw0p"}
	if err := netlink.LinkAdd(wrong); err != nil {
		t.Fatalf("adding veth lbw0: %v", err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(wrong) })
	addr, _ := netlink.ParseAddr("172.31.250.1/24")
	if err := netlink.AddrAdd(wrong, addr); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lbw0", "lbw0p"} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	wrongLink, _ := netlink.LinkByName("lbw0")
	masterLink, err := netlink.LinkByName("lbm0")
	if err != nil {
		t.Fatal(err)
	}
	def := &netlink.Route{LinkIndex: wrongLink.Attrs().Index, Gw: net.ParseIP("172.31.250.254")}
	if err := netlink.RouteReplace(def); err != nil {
		t.Fatalf("default route via lbw0: %v", err)
	}
	t.Cleanup(func() { _ = netlink.RouteDel(def) })
	vipIP := net.ParseIP("10.251.0.100")
	viaLink := func() (string, string) {
		t.Helper()
		got, err := netlink.RouteGet(vipIP)
		if err != nil || len(got) == 0 {
			return "", ""
		}
		l, err := netlink.LinkByIndex(got[0].LinkIndex)
		if err != nil {
			return "", ""
		}
		return l.Attrs().Name, got[0].Src.String()
	}
	if dev, _ := viaLink(); dev != "lbw0" {
		t.Fatalf("before the join the VIP should follow the default route via lbw0, goes via %q", dev)
	}

	var out bytes.Buffer
	_, run := scenarioKubeadm(t, &out)

	run("join", "phase", "locallb", vip, "--master", master, "--locallb-backend", string(backend), "--skip-etc-hosts")
	t.Logf("join phase locallb:\n%s", out.String())
	if dev, src := viaLink(); dev != "lbm0" || src != "10.251.8.1" {
		t.Fatalf("after the join the VIP goes via %q src %s, want the masters' link lbm0 src 10.251.8.1", dev, src)
	}
	if got := greeting(t, vip); got != "master" {
		t.Fatalf("through the VIP got %q, want the master's greeting", got)
	}

	// The care daemon (route mode, its default) keeps that route.
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	daemon := care.NewCommand("test", func(b locallb.Backend) (locallb.Balancer, error) {
		return locallb.NewBalancer(b, locallb.BalancerOptions{})
	}, &logs, &logs)
	daemon.SetArgs([]string{"care", "--vs", vip, "--rs", master, "--backend", string(backend), "--metrics-address", "", "--restore-period", "100ms"})
	done := make(chan error, 1)
	go func() { done <- daemon.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
		t.Logf("daemon log:\n%s", logs.String())
	}()
	waitFor(t, 5*time.Second, "the daemon to start", func() bool { return strings.Contains(logs.String(), "VIP route in place") })

	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: &net.IPNet{IP: vipIP, Mask: net.CIDRMask(32, 32)}, Protocol: locallb.RouteProtocol}, netlink.RT_FILTER_DST|netlink.RT_FILTER_PROTOCOL)
	if err != nil || len(routes) != 1 || routes[0].LinkIndex != masterLink.Attrs().Index {
		t.Fatalf("want one route of ours for the VIP on lbm0, got %+v (%v)", routes, err)
	}
	if err := netlink.RouteDel(&routes[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the daemon to restore the VIP route on lbm0", func() bool {
		dev, src := viaLink()
		return dev == "lbm0" && src == "10.251.8.1"
	})
	if got := greeting(t, vip); got != "master" {
		t.Fatalf("through the VIP after the restore got %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("daemon: %v", err)
	}
	done <- nil // for the deferred stop

	out.Reset()
	run("reset", "--force")
	t.Logf("reset:\n%s", out.String())
	if dev, _ := viaLink(); dev != "lbw0" {
		t.Errorf("after reset the VIP goes via %q: our route is left", dev)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waited %s for %s", limit, what)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
