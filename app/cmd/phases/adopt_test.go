package phases

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

func sealosManifest(vip string, masters []string, extra ...string) string {
	return testenv.SealosLvscareManifest(vip, "192.168.64.10", masters, extra...)
}

func sealosArgv(vip string, masters []string, extra ...string) []string {
	return testenv.SealosLvscareArgv(vip, masters, extra...)
}

// sealosNode is a test node sealos set up: its lvscare manifest, lvscare.node.ip
// in /etc/hosts, the IPVS virtual server its lvscare keeps (one master
// drained) and its route VIP via the node's address.
type sealosNode struct {
	*testNode
	manifest string // path
	content  string
	vs       locallb.VirtualServer
	route    locallb.HostRoute
	// running is the sealos lvscare's process; the kubelet stops it
	// stopAfter checks after its manifest is gone (-1: never).
	running   atomic.Bool
	stopAfter int
	checks    int
}

const sealosHosts = seedsHosts + "\n192.168.64.10 lvscare.node.ip\n"

func newSealosNode(t *testing.T, fileName, vip string, extra ...string) *sealosNode {
	t.Helper()
	tn := newTestNode(t)
	sn := &sealosNode{testNode: tn, manifest: filepath.Join(tn.ManifestDir, fileName), content: sealosManifest(vip, seeds.Masters, extra...)}
	if err := os.MkdirAll(tn.ManifestDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sn.manifest, []byte(sn.content), 0o755); err != nil { // sealctl writes it 0755
		t.Fatal(err)
	}
	if err := os.WriteFile(tn.HostsPath, []byte(sealosHosts), 0o644); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort(vip)
	sn.vs = locallb.VirtualServer{VIP: a, RealServers: []locallb.RealServer{
		{Addr: netip.MustParseAddrPort(seeds.Masters[0]), Weight: 1}, {Addr: netip.MustParseAddrPort(seeds.Masters[1]), Weight: 0},
	}}
	if err := tn.balancer.Ensure(sn.vs); err != nil {
		t.Fatal(err)
	}
	sn.route = locallb.HostRoute{Dst: netip.PrefixFrom(a.Addr(), 32), Gateway: netip.MustParseAddr("192.168.64.10"), Metric: 50, Protocol: 3}
	tn.routes.AddHostRoute(sn.route)
	tn.routes.Covered = true // sealos' route covers the VIP
	sn.running.Store(true)
	sn.stopAfter = 2
	argv := sealosArgv(vip, seeds.Masters, extra...)
	tn.CommandRunning = func(got []string) bool {
		if !slices.Equal(got, argv) {
			t.Errorf("waited for %q, want sealos' lvscare %q", got, argv)
			return false
		}
		if _, err := os.Stat(sn.manifest); err == nil {
			return sn.running.Load() // the kubelet keeps it while the manifest is there
		}
		sn.checks++
		if sn.stopAfter >= 0 && sn.checks > sn.stopAfter {
			sn.running.Store(false)
		}
		return sn.running.Load()
	}
	tn.CareStopTimeout = 200 * time.Millisecond
	return sn
}

func (sn *sealosNode) manifestContent(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(sn.manifest)
	if err != nil {
		return ""
	}
	return string(b)
}

// untouched checks that the node is as sealos left it.
func (sn *sealosNode) untouched(t *testing.T) {
	t.Helper()
	if got := sn.manifestContent(t); got != sn.content {
		t.Errorf("sealos' manifest %s changed:\n%s", sn.manifest, got)
	}
	if st, err := os.Stat(sn.manifest); err == nil && st.Mode().Perm() != 0o755 {
		t.Errorf("sealos' manifest mode %v, want 0755 as it was", st.Mode().Perm())
	}
	vs, found, _ := sn.balancer.Get(sn.vs.VIP)
	want := slices.Clone(sn.vs.RealServers)
	locallb.SortRealServers(want)
	if !found || !slices.Equal(vs.RealServers, want) {
		t.Errorf("sealos' virtual server changed: %+v found=%v, want %+v", vs, found, sn.vs)
	}
	if hs, _ := sn.routes.HostRoutes(sn.vs.VIP.Addr()); len(hs) != 1 {
		t.Errorf("sealos' route changed: %v", hs)
	}
	if _, err := os.Stat(sn.StatePath); err == nil {
		t.Errorf("a record %s was left", sn.StatePath)
	}
	if sn.manifestExists() {
		t.Errorf("our manifest was left")
	}
}

func adopt(c LocalLBConfig) LocalLBConfig { c.AdoptSealos = true; return c }

func TestSealosTakeOverRefusals(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		vip      string
		extra    []string
		cfg      LocalLBConfig
		setup    func(*sealosNode)
		wantErr  []string
		wantOpen bool // the kernel was read (the refusal needs it)
	}{
		{
			name: "without --adopt-sealos: names the flag and the file", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, cfg: seeds,
			wantErr: []string{"--adopt-sealos", "kube-sealos-lvscare.yaml", "adoptSealos: true", "lvscare care --vs 10.103.97.2:6443"},
		},
		{
			name: "without --adopt-sealos, sealos v3's file name", file: "kube-sealyun-lvscare.yaml", vip: seeds.VIP, cfg: seeds,
			wantErr: []string{"--adopt-sealos", "kube-sealyun-lvscare.yaml"},
		},
		{
			name: "another VIP", file: "kube-sealos-lvscare.yaml", vip: "10.103.97.3:6443", cfg: adopt(seeds),
			wantErr: []string{"balances 10.103.97.3:6443, not this join's VIP 10.103.97.2:6443"},
		},
		{
			name: "link mode", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, extra: []string{"--mode", "link"}, cfg: adopt(seeds),
			wantErr: []string{"link mode", "--mode link -C"},
		},
		{
			name: "nftables backend", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, cfg: func() LocalLBConfig { c := adopt(seeds); c.Backend = locallb.BackendNFTables; return c }(),
			wantErr: []string{"--locallb-backend nftables", "use --locallb-backend ipvs"},
		},
		{
			name: "a real server sealos does not list", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, cfg: adopt(seeds), wantOpen: true,
			setup: func(sn *sealosNode) {
				sn.vs.RealServers = append(sn.vs.RealServers, locallb.RealServer{Addr: netip.MustParseAddrPort("10.9.9.9:6443"), Weight: 1})
				_ = sn.balancer.Ensure(sn.vs)
			},
			wantErr: []string{"real servers 10.9.9.9:6443", "its --rs: 10.103.97.200:6443, 10.103.97.201:6443, 10.103.97.202:6443", "ipvsadm -D -t 10.103.97.2:6443"},
		},
		{
			name: "its lvscare never stops", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, cfg: adopt(seeds), wantOpen: true,
			setup:   func(sn *sealosNode) { sn.stopAfter = -1 },
			wantErr: []string{"still runs 200ms after its static pod", "is the kubelet running", "(undone: restored the previous " + "%MANIFEST%"},
		},
		{
			name: "no masters", file: "kube-sealos-lvscare.yaml", vip: seeds.VIP, cfg: LocalLBConfig{VIP: seeds.VIP, AdoptSealos: true},
			wantErr: []string{"--adopt-sealos needs the masters", "--master"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := newSealosNode(t, tt.file, tt.vip, tt.extra...)
			if tt.setup != nil {
				tt.setup(sn)
			}
			c, err := RunLocalLB(tt.cfg, sn.Node)
			if err == nil {
				c.Close()
				t.Fatalf("RunLocalLB succeeded; output:\n%s", sn.out)
			}
			for _, w := range tt.wantErr {
				w = strings.ReplaceAll(w, "%MANIFEST%", sn.manifest)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if (sn.opened > 0) != tt.wantOpen {
				t.Errorf("kernel opened %d times, want opened=%v", sn.opened, tt.wantOpen)
			}
			sn.untouched(t)
		})
	}
}

func TestSealosTakeOverAndReset(t *testing.T) {
	for _, file := range SealosManifests {
		t.Run(file, func(t *testing.T) {
			sn := newSealosNode(t, file, seeds.VIP)
			c, err := RunLocalLB(adopt(seeds), sn.Node)
			if err != nil {
				t.Fatalf("%v\n%s", err, sn.out)
			}
			c.Close()
			out := sn.out.String()
			for _, w := range []string{
				"Removed sealos' lvscare static pod " + sn.manifest,
				"sealos' lvscare has stopped",
				"Taking over from sealos: the IPVS virtual server 10.103.97.2:6443 (real servers 10.103.97.200:6443 weight 1, 10.103.97.201:6443 weight 0) and the route 10.103.97.2/32 via 192.168.64.10 metric 50 proto 3",
				"Wrote the static pod manifest",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if _, err := os.Stat(sn.manifest); err == nil {
				t.Error("sealos' manifest is still there")
			}
			if sn.running.Load() {
				t.Error("the take-over did not wait for sealos' lvscare to stop")
			}
			vs, _, _ := sn.balancer.Get(sn.vs.VIP)
			if len(vs.RealServers) != 3 || vs.RealServers[1].Weight != 1 {
				t.Errorf("virtual server not rewritten to our masters: %+v", vs)
			}
			st, found, err := (locallb.Installer{StatePath: sn.StatePath}).ReadState()
			if err != nil || !found || st.Adopted != "sealos ("+sn.manifest+")" || !slices.Equal(st.AdoptedRoutes, []locallb.HostRoute{sn.route}) {
				t.Fatalf("record %+v found=%v err=%v", st, found, err)
			}
			if !sn.manifestExists() {
				t.Error("our manifest was not written")
			}

			// A re-run (the way to change the masters) needs no flag now.
			if c, err := RunLocalLB(seeds, sn.Node); err != nil {
				t.Fatalf("re-run after the take-over: %v", err)
			} else {
				c.Close()
			}

			sn.out.Reset()
			if err := ResetLocalLB(sn.Node, false); err != nil {
				t.Fatal(err)
			}
			if _, found, _ := sn.balancer.Get(sn.vs.VIP); found {
				t.Error("reset left the adopted virtual server")
			}
			if hs, _ := sn.routes.HostRoutes(sn.vs.VIP.Addr()); len(hs) != 0 {
				t.Errorf("reset left sealos' route: %v", hs)
			}
			if sn.manifestExists() {
				t.Error("reset left our manifest")
			}
			if !strings.Contains(sn.out.String(), "and the route 10.103.97.2/32 via 192.168.64.10 metric 50 proto 3 that came with it from sealos (") {
				t.Errorf("reset does not say it removed sealos' route:\n%s", sn.out)
			}
		})
	}
}

// A failed join after the take-over gives sealos its load balancer back:
// our manifest goes, the virtual server gets sealos' real servers back, the
// record goes, and sealos' manifest returns byte for byte, last.
func TestSealosTakeOverUndo(t *testing.T) {
	sn := newSealosNode(t, SealosManifests[0], seeds.VIP)
	c, err := RunLocalLB(adopt(seeds), sn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	undone, err := c.Undo()
	if err != nil {
		t.Fatal(err)
	}
	sn.untouched(t)
	if last := undone[len(undone)-1]; last != "restored the previous "+sn.manifest {
		t.Errorf("sealos' manifest should come back last (after our rules are gone): %q", undone)
	}
}

// A failure after the take-over (here: the route) undoes it at once.
func TestSealosTakeOverFailureRestores(t *testing.T) {
	sn := newSealosNode(t, SealosManifests[0], seeds.VIP)
	sn.balancer.FailNext("Ensure", fmt.Errorf("netlink: boom"))
	_, err := RunLocalLB(adopt(seeds), sn.Node)
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "restored the previous "+sn.manifest) {
		t.Fatalf("err = %v", err)
	}
	sn.untouched(t)
}

func TestSealosTakeOverDryRun(t *testing.T) {
	sn := newSealosNode(t, SealosManifests[0], seeds.VIP)
	cfg := adopt(seeds)
	cfg.DryRun = true
	if _, err := RunLocalLB(cfg, sn.Node); err != nil {
		t.Fatal(err)
	}
	want := "[locallb] Would take over sealos' load balancer: check that the IPVS virtual server 10.103.97.2:6443 is the one its lvscare keeps (real servers among 10.103.97.200:6443, 10.103.97.201:6443, 10.103.97.202:6443, scheduler rr, masquerade), " +
		"remove its static pod " + sn.manifest + ", wait at most 200ms until its process `/usr/bin/lvscare care --vs 10.103.97.2:6443 --health-path /healthz --health-schem https --rs 10.103.97.200:6443 --rs 10.103.97.201:6443 --rs 10.103.97.202:6443` has stopped, " +
		"and record the virtual server and sealos' route for 10.103.97.2 via 192.168.64.10 (lvscare.node.ip in " + sn.HostsPath + ") as kubeadm's in " + sn.StatePath + ", so kubeadm reset removes them\n"
	if !strings.HasPrefix(sn.out.String(), want) {
		t.Errorf("dry run output:\n%s\nwant it to start with\n%s", sn.out, want)
	}
	if sn.opened != 0 {
		t.Error("the dry run opened the kernel")
	}
	sn.untouched(t)
}

func TestCommandRunning(t *testing.T) {
	proc := t.TempDir()
	argv := sealosArgv(seeds.VIP, seeds.Masters)
	write := func(pid, cmdline string) {
		if err := os.MkdirAll(filepath.Join(proc, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(proc, pid, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1", "/sbin/init\x00")
	write("self", strings.Join(argv, "\x00")+"\x00") // not a PID
	write("42", strings.Join(append(slices.Clone(argv), "--run-once"), "\x00")+"\x00")
	if commandRunningIn(proc, argv) {
		t.Fatal("matched a different command line")
	}
	// Our own lvscare for the same VIP is a different command line.
	write("43", strings.Join([]string{"lvscare", "care", "--vs", seeds.VIP, "--rs", seeds.Masters[0]}, "\x00")+"\x00")
	if commandRunningIn(proc, argv) {
		t.Fatal("matched our own lvscare")
	}
	write("44", strings.Join(argv, "\x00")+"\x00")
	if !commandRunningIn(proc, argv) {
		t.Fatal("did not find the running command")
	}
	if commandRunningIn(filepath.Join(proc, "absent"), argv) {
		t.Fatal("an unreadable /proc reports a process")
	}
}

func TestParseSealos(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte(sealosHosts), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		manifest   string
		wantTarget string
		wantSched  string
		wantErr    string
	}{
		{name: "sealos v4/v5", manifest: sealosManifest("10.103.97.2:6443", seeds.Masters), wantTarget: "192.168.64.10", wantSched: "rr"},
		{name: "--ip wins over lvscare.node.ip", manifest: sealosManifest("10.103.97.2:6443", seeds.Masters, "--ip", "192.168.64.11"), wantTarget: "192.168.64.11", wantSched: "rr"},
		{name: "scheduler and no route", manifest: sealosManifest("10.103.97.2:6443", seeds.Masters, "--scheduler", "wlc", "--mode", ""), wantSched: "wlc"},
		{name: "not a pod", manifest: "kind: [", wantErr: "is not a static pod manifest"},
		{name: "not lvscare", manifest: strings.ReplaceAll(sealosManifest("10.103.97.2:6443", seeds.Masters), "/usr/bin/lvscare", "/bin/sh"), wantErr: "runs no `lvscare care` container"},
		{name: "bad --vs", manifest: sealosManifest("apiserver:6443", seeds.Masters), wantErr: `--vs "apiserver:6443", not an IP:port`},
		{name: "unknown flag", manifest: sealosManifest("10.103.97.2:6443", seeds.Masters, "--aa"), wantErr: "cannot read its lvscare command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseSealos("/m/kube-sealos-lvscare.yaml", []byte(tt.manifest), hosts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "/m/kube-sealos-lvscare.yaml") {
					t.Fatalf("err = %v, want %q naming the file", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.vip.String() != "10.103.97.2:6443" || len(p.masters) != 3 || p.scheduler != tt.wantSched {
				t.Errorf("parsed %+v", p)
			}
			if got := p.target.String(); (tt.wantTarget == "" && p.target.IsValid()) || (tt.wantTarget != "" && got != tt.wantTarget) {
				t.Errorf("route target %s (%s), want %q", got, p.targetFrom, tt.wantTarget)
			}
		})
	}
}
