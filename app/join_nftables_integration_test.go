package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

// nftScenarioEnv marks the child process that runs the scenario inside its
// own network namespace (made by unshare(1)).
const nftScenarioEnv = "SEALKUBE_TEST_NFT_JOIN_SCENARIO"

// TestIntegrationJoinNFTablesOnHost: on this kind of kernel (nf_tables, no
// IPVS), `kubeadm join phase locallb --locallb-backend nftables` leaves a
// working VIP: a TCP connection to VIP:6443 reaches the master. Then our
// reset removes it. Everything happens in a network namespace of the test's
// own; the node's files are temporary paths.
func TestIntegrationJoinNFTablesOnHost(t *testing.T) {
	runScenarioInPrivateNetns(t, "^TestJoinNFTablesScenario$", nftScenarioEnv)
}

// runScenarioInPrivateNetns runs the test binary's scenario test (run is
// its -test.run pattern) as a child in a network namespace of its own
// (unshare --net), marked by env=1, and fails or skips as the child did.
func runScenarioInPrivateNetns(t *testing.T, run, env string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root for a private network namespace: run `make unit` as root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testenv.Unavailable(t, "needs unshare(1) from util-linux for a private network namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "--net", os.Args[0], "-test.run", run, "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("scenario in a private network namespace:\n%s", out.String())
	if err != nil {
		t.Fatalf("scenario failed: %v", err)
	}
	if strings.Contains(out.String(), "--- SKIP") {
		testenv.Unavailable(t, "scenario skipped (see its output above)")
	}
}

// nftScenarioChild is the start of a scenario child: it runs only under
// env=1 (as the child of parent), needs nf_tables, and brings lo up in its
// fresh namespace.
func nftScenarioChild(t *testing.T, env, parent string) {
	t.Helper()
	if os.Getenv(env) != "1" {
		t.Skip("runs only as the child of " + parent)
	}
	if probe, err := locallb.NewNFTables(locallb.NFTablesOptions{}); err != nil {
		testenv.Unavailable(t, "this kernel has no usable nf_tables: %v", err)
	} else {
		probe.Close()
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
}

// TestJoinNFTablesScenario is the child of TestIntegrationJoinNFTablesOnHost.
func TestJoinNFTablesScenario(t *testing.T) {
	nftScenarioChild(t, nftScenarioEnv, "TestIntegrationJoinNFTablesOnHost")

	// The master: a TCP server in a namespace of its own behind a veth.
	master := newNamespacedServer(t, "lbn0", "10.251.7.1/24", "10.251.7.2/24", "10.251.7.2:6443")

	var out bytes.Buffer
	node, run := scenarioKubeadm(t, &out)

	run("join", "phase", "locallb", "10.251.0.100:6443", "--master", master, "--locallb-backend", "nftables", "--skip-etc-hosts")
	t.Logf("join phase locallb:\n%s", out.String())
	if got := greeting(t, "10.251.0.100:6443"); got != "master" {
		t.Fatalf("through the VIP got %q, want the master's greeting", got)
	}
	if mods, err := os.ReadFile(node.ModulesLoadPath); err != nil || !strings.Contains(string(mods), "\nnf_tables\n") || strings.Contains(string(mods), "ip_vs") {
		t.Errorf("the nftables backend should list its own modules for boot: %v\n%s", err, mods)
	}
	manifest, err := os.ReadFile(filepath.Join(node.ManifestDir, "kube-lvscare.yaml"))
	if err != nil || !strings.Contains(string(manifest), "- nftables") {
		t.Errorf("the lvscare manifest should run the nftables backend: %v\n%s", err, manifest)
	}

	out.Reset()
	run("reset", "--force")
	t.Logf("reset:\n%s", out.String())
	c, err := net.DialTimeout("tcp", "10.251.0.100:6443", time.Second)
	if err == nil {
		c.Close()
		t.Errorf("the VIP still answers after reset")
	}
	nft, err := locallb.NewNFTables(locallb.NFTablesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer nft.Close()
	if _, found, err := nft.Get(netip.MustParseAddrPort("10.251.0.100:6443")); err != nil || found {
		t.Errorf("after reset: virtual server found=%v err=%v", found, err)
	}
	if mods, err := os.ReadFile(node.ModulesLoadPath); err == nil {
		t.Errorf("reset left %s:\n%s", node.ModulesLoadPath, mods)
	}
	if _, err := os.Stat(node.StatePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reset left the state file: %v", err)
	}
}

// newNamespacedServer creates a network namespace joined to the current one
// by a veth (hostCIDR here, nsCIDR there) and a TCP server at listen in it
// that greets every connection with "master". It returns listen.
func newNamespacedServer(t *testing.T, link, hostCIDR, nsCIDR, listen string) string {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	ns, err := netns.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("returning to the test's namespace: %v", err) // the thread stays locked and dies
	}
	orig.Close()
	runtime.UnlockOSThread()
	t.Cleanup(func() { ns.Close() })

	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: link}, PeerName: link + "p", PeerNamespace: netlink.NsFd(int(ns))}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth %s: %v", link, err)
	}
	hostSide, err := netlink.LinkByName(link)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr(hostCIDR)
	if err := netlink.AddrAdd(hostSide, addr); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(hostSide); err != nil {
		t.Fatal(err)
	}

	var ln net.Listener
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		peer, err := netlink.LinkByName(link + "p")
		if err != nil {
			errc <- err
			return
		}
		nsAddr, _ := netlink.ParseAddr(nsCIDR)
		if err := netlink.AddrAdd(peer, nsAddr); err != nil {
			errc <- err
			return
		}
		if err := netlink.LinkSetUp(peer); err != nil {
			errc <- err
			return
		}
		ln, err = net.Listen("tcp", listen)
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("setting up the master's namespace: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, "master")
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return listen
}

func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading from %s: %v", addr, err)
	}
	return string(b)
}

// scenarioKubeadm is our command tree on a node whose files are under a
// temporary directory (the kernel is the real one of the current netns),
// with upstream's reset stubbed out; run executes kubeadm with args and
// fails the test on an error. The masters are TCP servers, not apiservers:
// the cluster's subnets are given.
func scenarioKubeadm(t *testing.T, out *bytes.Buffer) (node phases.Node, run func(args ...string)) {
	t.Helper()
	dir := t.TempDir()
	node = phases.DefaultNode(out, nil)
	node.ManifestDir = filepath.Join(dir, "manifests")
	node.HostsPath = filepath.Join(dir, "hosts")
	node.StatePath = filepath.Join(dir, "state.json")
	node.ModulesLoadPath = filepath.Join(dir, "modules-load.conf")
	node.KubeletKubeconfig = filepath.Join(dir, "kubelet.conf")
	// No container runtime in this test: nothing runs the lvscare pod,
	// so the quiet watch after a removal need not outlast public
	// lvscare's 5 s tick.
	node.CareRuntime, node.CareQuiet = nil, time.Second
	node.ClusterNetworking = func(string) (phases.Networking, error) {
		return phases.Networking{ServiceSubnet: "10.96.0.0/16"}, nil
	}
	host := Host{Node: node, TempDir: dir}
	root := kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), out, out)
	reset, _, _ := root.Find([]string{"reset"})
	reset.RunE = func(*cobra.Command, []string) error { return nil } // upstream's reset would clean the real /etc/kubernetes
	if err := extendJoin(root, host); err != nil {
		t.Fatal(err)
	}
	if err := extendReset(root, host); err != nil {
		t.Fatal(err)
	}
	return node, func(args ...string) {
		t.Helper()
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("kubeadm %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}
