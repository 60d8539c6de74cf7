package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The join, the care daemon and reset on the VM worker (-worker vm). The
// VM runs no kubelet or containerd: under TCG they would not fit CI's time
// (see test/e2e/README.md), so the kubelet stand-in (e2e kubelet) does the
// TLS bootstrap and the agent runs our lvscare with exactly the command
// line of the manifest the join wrote.

// joinVM is join for the VM worker.
func (h *harness) joinVM() error {
	v := h.vm
	start := time.Now()
	if err := v.ready(3 * time.Minute); err != nil {
		return err
	}
	h.logf("worker VM: agent answers %s after the control plane was up", time.Since(start).Round(100*time.Millisecond))
	h.lb = &vmLB{h: h}
	if err := v.start("kubelet-standin", vmBinDir+"/e2e", "kubelet"); err != nil {
		return err
	}
	args := []string{vmBinDir + "/kubeadm", "join", vipAddrPort().String(), "--token", h.token, "--discovery-token-ca-cert-hash", h.hash}
	for _, m := range masterAddrPorts() {
		args = append(args, "--master", m.String())
	}
	// No container runtime and no kubelet binary in the VM: their
	// preflight checks cannot pass; the CRI socket is named so kubeadm
	// does not look for one.
	args = append(args, "--cri-socket", criSocket, "--ignore-preflight-errors=all", "-v=1")
	args = append(args, strings.Fields(h.o.joinFlags)...)
	start = time.Now()
	out, err := v.run(5*time.Minute, args...)
	if err != nil {
		return err
	}
	h.logf("kubeadm join (in the VM) took %s", time.Since(start).Round(time.Millisecond))
	h.check("kubeadm join reports the node joined", contains(out, "This node has joined the cluster"))
	h.check("join ran the locallb phase", contains(out, "[locallb]"))
	h.check("the VM's IPVS table has the virtual server over the three masters", h.vmIPVSComplete())
	if err := h.lb.afterJoin(); err != nil {
		return err
	}
	hosts, err := v.file(hostsFile)
	if err == nil {
		err = hostsMapsIn(hosts, endpointName, vip)
	}
	h.check("the worker maps "+endpointName+" to the VIP", err)
	who, err := v.run(time.Minute, vmBinDir+"/e2e", "whoami", kubeletConf)
	if err == nil && strings.TrimSpace(who) != "system:node:w" {
		err = fmt.Errorf("kubelet.conf authenticates as %q, want system:node:w", strings.TrimSpace(who))
	}
	h.check("TLS bootstrap: kubelet.conf authenticates as system:node:w through the VIP", err)
	// The stand-in does not register the node; the persistent client asks
	// for Node w like a kubelet does.
	cs, err := h.adminClient()
	if err != nil {
		return err
	}
	if err := registerNode(cs); err != nil {
		return fmt.Errorf("registering Node w: %w", err)
	}
	if err := v.post("/probers", vmProbeSpec{CA: h.ca, Interval: h.o.interval.Seconds(), Timeout: h.o.reqTimeout.Seconds()}, nil); err != nil {
		return err
	}
	h.pconn = &persistentConn{}
	h.probe = &remoteProber{v: v, which: "fresh"}
	h.persist = &remoteProber{v: v, which: "persistent", conn: h.pconn}
	return h.waitHealthy(60 * time.Second)
}

func registerNode(cs *kubernetes.Clientset) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: workerName}, Status: corev1.NodeStatus{
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: workerAddr}}}}
	_, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	return err
}

// vmIPVSComplete checks /proc/net/ip_vs in the VM: the VIP's virtual
// server with every master as a real server.
func (h *harness) vmIPVSComplete() error {
	data, err := h.vm.file("/proc/net/ip_vs")
	if err != nil {
		return err
	}
	if data == nil {
		return errors.New("no /proc/net/ip_vs in the VM: ip_vs is not loaded")
	}
	if !strings.Contains(string(data), ipvsHex(vip, apiserverPort)) {
		return fmt.Errorf("no virtual server %s:\n%s", vipAddrPort(), data)
	}
	for _, m := range masterAddrs {
		if !strings.Contains(string(data), "-> "+ipvsHex(m, apiserverPort)) {
			return fmt.Errorf("real server %s missing:\n%s", m, data)
		}
	}
	return nil
}

// ipvsHex is addr:port as /proc/net/ip_vs prints it.
func ipvsHex(addr string, port int) string {
	var a [4]int
	_, _ = fmt.Sscanf(addr, "%d.%d.%d.%d", &a[0], &a[1], &a[2], &a[3])
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", a[0], a[1], a[2], a[3], port)
}

func hostsMapsIn(data []byte, name, addr string) error {
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		for _, x := range f[min(1, len(f)):] {
			if x == name {
				if f[0] == addr {
					return nil
				}
				return fmt.Errorf("%s maps %s to %s, want %s", hostsFile, name, f[0], addr)
			}
		}
	}
	return fmt.Errorf("%s has no line for %s", hostsFile, name)
}

// resetVM is reset for the VM worker.
func (h *harness) resetVM() error {
	v := h.vm
	if h.probe != nil {
		_ = v.post("/probers/stop", nil, nil)
		h.probe, h.persist = nil, nil
	}
	h.stopKubeProxyVM()
	// The kubelet would stop the care daemon's static pod before kubeadm
	// reset's locallb cleanup runs; a running daemon would restore the
	// virtual server.
	h.lb.stop()
	_ = v.stop("kubelet-standin", 5*time.Second)
	if _, err := v.run(3*time.Minute, vmBinDir+"/kubeadm", "reset", "--force", "--cri-socket", criSocket, "-v=1"); err != nil {
		return err
	}
	left := h.lb.leftovers()
	if len(left) > 0 {
		h.check("kubeadm reset leaves nothing behind (VS, route, VIP address, manifest, state, kubelet.conf, hosts line)", fmt.Errorf("left: %s", strings.Join(left, "; ")))
	} else {
		h.check("kubeadm reset leaves nothing behind (VS, route, VIP address, manifest, state, kubelet.conf, hosts line)", nil)
	}
	return nil
}

// vmLB is the kernel load balancer in the VM: our join's locallb phase
// programs IPVS, the agent runs our lvscare with the manifest's command
// line.
type vmLB struct {
	h   *harness
	cmd []string
	// restoresBefore is the daemon's restore count when the last
	// deleteRules began.
	restoresBefore int
}

func (l *vmLB) beforeJoin() error  { return nil }
func (l *vmLB) joinArgs() []string { return nil }

func (l *vmLB) afterJoin() error {
	data, err := l.h.vm.file(manifestDirPath + "/" + lvscareFile)
	if err == nil && data == nil {
		err = errors.New("the join wrote no " + lvscareFile)
	}
	if err != nil {
		return err
	}
	cmd, err := podCommand(data, lvscareFile)
	if err != nil {
		return err
	}
	l.cmd = withBinary(cmd, vmBinDir+"/lvscare")
	l.h.logf("worker VM: care daemon with the manifest's command line: %s", strings.Join(cmd, " "))
	return l.start()
}

func (l *vmLB) start() error {
	if err := l.h.vm.start("lvscare", l.cmd...); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	if ok, err := l.h.vm.alive("lvscare"); err != nil || !ok {
		return fmt.Errorf("lvscare exited at once (%v): see logs/w-vm-lvscare.log", err)
	}
	return nil
}

func (l *vmLB) deleteRules() error {
	n, err := l.h.vm.restoreCount()
	if err != nil {
		return err
	}
	l.restoresBefore = n
	_, err = l.h.vm.run(30*time.Second, append(append([]string{}, l.cmd...), "--clean")...)
	return err
}

// restoreCount is how many restores the care daemon in the VM has logged.
func (v *workerVM) restoreCount() (int, error) {
	data, err := v.file(path.Join(vmLogDir, "lvscare.log"))
	if err != nil {
		return 0, fmt.Errorf("reading the care daemon's log in the VM: %w", err)
	}
	return strings.Count(string(data), "restored it"), nil
}

func (l *vmLB) restartCare() error {
	if err := l.h.vm.stop("lvscare", 5*time.Second); err != nil {
		return err
	}
	return l.start()
}

func (l *vmLB) stop() { _ = l.h.vm.stop("lvscare", 5*time.Second) }

func (l *vmLB) leftovers() []string {
	v := l.h.vm
	var left []string
	for _, p := range []string{manifestDirPath + "/" + lvscareFile, locallbState, kubeletConf} {
		if data, err := v.file(p); err != nil || data != nil {
			left = append(left, p)
		}
	}
	if data, err := v.file(hostsFile); err != nil || strings.Contains(string(data), hostsMarker) {
		left = append(left, "/etc/hosts line ending in # "+hostsMarker)
	}
	if data, err := v.file("/proc/net/ip_vs"); err != nil || strings.Contains(string(data), ipvsHex(vip, apiserverPort)) {
		left = append(left, "IPVS virtual server "+vipAddrPort().String())
	}
	// /proc/net/route: destination in little-endian hex, mask FFFFFFFF.
	if data, err := v.file("/proc/net/route"); err != nil || strings.Contains(string(data), hexIPv4ForRoute(vip)) {
		left = append(left, "a route to "+vip)
	}
	if as, err := v.addrs(); err != nil {
		left = append(left, "interface addresses: "+err.Error())
	} else {
		for _, a := range as {
			if strings.Contains(a, " "+vip+"/") {
				left = append(left, "address "+a)
			}
		}
	}
	if l.h.o.vmKubeProxy != "" {
		if out, err := v.run(10*time.Second, "/usr/sbin/nft", "list", "ruleset"); err == nil && mentionsAddr(out, vip) {
			left = append(left, "nftables rules mentioning "+vip)
		}
	}
	return left
}

func hexIPv4ForRoute(addr string) string {
	var a [4]int
	_, _ = fmt.Sscanf(addr, "%d.%d.%d.%d", &a[0], &a[1], &a[2], &a[3])
	return fmt.Sprintf("\t%02X%02X%02X%02X\t", a[3], a[2], a[1], a[0])
}

// whoAmIMain (e2e whoami KUBECONFIG) prints the user the apiserver sees
// for a kubeconfig, through the server it names.
func whoAmIMain(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: e2e whoami KUBECONFIG")
	}
	kc, err := clientcmd.LoadFromFile(args[0])
	if err != nil {
		return err
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err != nil {
		return err
	}
	cfg.Timeout = 20 * time.Second
	u, err := selfSubject(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, u)
	return nil
}

// selfSubject is the user name the apiserver sees for cfg.
func selfSubject(cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return r.Status.UserInfo.Username, nil
}

// The care daemon's targets (care/README.md), checked on the VM worker
// (issue 14): a refused master is out of rotation within 0.5 s, a black
// hole within 2 s, deleted rules are back within 1 s. The fresh client's
// window measures the first two; the agent's IPVS watcher the third.
var faultTargets = map[string]struct {
	what  string
	limit time.Duration
}{
	"kill apiserver m1":             {"refused", 500 * time.Millisecond},
	"restart apiserver m1":          {"refused", 500 * time.Millisecond},
	"restart the care daemon":       {"refused", 500 * time.Millisecond},
	faultHolderKill:                 {"refused", 500 * time.Millisecond},
	"freeze apiserver m2 (SIGSTOP)": {"black hole", 2 * time.Second},
	"cut m0 off (link down/up)":     {"black hole", 2 * time.Second},
	faultHolderFreeze:               {"black hole", 2 * time.Second},
	faultHolderCut:                  {"black hole", 2 * time.Second},
	"delete the LB's rules":         {"rules restored", time.Second},
}

func (h *harness) checkTarget(run int, name string, start, undoAt time.Time, w window) {
	t, ok := faultTargets[name]
	if !ok {
		return
	}
	// The daemon's detection is the first burst of failures; a master
	// that comes back (re-added after its probes pass) can still answer a
	// request slowly under this machine's load: reported, not counted.
	ss := h.probe.since(start)
	if t.what == "refused" {
		// A refusing master resets or refuses; a timed-out request is a
		// slow healthy one (see isTimeout): reported, not counted.
		slow := 0
		for i := range ss {
			if !ss[i].ok && isTimeout(ss[i].err) {
				ss[i].ok = true
				slow++
			}
		}
		if slow > 0 {
			h.logf("fault %-30s run %d: %d requests timed out (not counted for the refused target)", name, run, slow)
			h.lateFailures[name] += slow
		}
	}
	got, late := firstBurst(ss, h.o.interval, undoAt)
	if late > 0 {
		h.logf("fault %-30s run %d: %d failed requests after the first burst (%s), see e2e.log", name, run, late, got.Round(time.Millisecond))
		h.lateFailures[name] += late
	}
	if t.what == "rules restored" {
		gaps, err := h.vm.ipvsGaps()
		if err != nil {
			h.check(fmt.Sprintf("run %d: %s: %s ≤ %s", run, name, t.what, t.limit), err)
			return
		}
		got = -1
		for _, g := range gaps {
			if !g.from.Before(start) && !g.to.IsZero() {
				got = g.to.Sub(g.from)
				break
			}
		}
		if got < 0 {
			// The deletion and the restore both fell between two of the
			// watcher's samples (10 ms apart, more when the VM is
			// starved): the daemon's log says whether it restored (it
			// logs up to 5 restores a minute; this fault makes one).
			l, _ := h.lb.(*vmLB)
			if n, err := h.vm.restoreCount(); err == nil && l != nil && n > l.restoresBefore {
				h.logf("fault %-30s run %d: the virtual server was back before the agent's IPVS watcher saw it missing (the daemon logged the restore)", name, run)
				got = 0
			}
		}
		h.logf("fault %-30s run %d: the virtual server was back after %s (the agent's IPVS watcher)", name, run, got.Round(time.Millisecond))
		if got < 0 {
			h.check(fmt.Sprintf("run %d: %s: %s ≤ %s", run, name, t.what, t.limit), errors.New("the agent saw no deletion and restore of the virtual server"))
			return
		}
		h.restores = append(h.restores, got)
	}
	var err error
	if got > t.limit {
		err = fmt.Errorf("%s (the fresh client's failure window, or the virtual server's absence)", got.Round(time.Millisecond))
	}
	h.check(fmt.Sprintf("run %d: %s: %s ≤ %s", run, name, t.what, t.limit), err)
}

// burstGap separates two bursts of failed requests.
const burstGap = time.Second

// firstBurst is the span of the first burst of failed requests (from the
// first failure's start to the end of the burst's last one; bursts are
// separated by burstGap without failures) and how many failed later. A
// burst starts before until (the fault's undo; zero: any time): what fails
// after a master came back is not the daemon's detection.
func firstBurst(ss []sample, interval time.Duration, until time.Time) (time.Duration, int) {
	var first, end time.Time
	late := 0
	for i, s := range ss {
		if s.ok {
			continue
		}
		if (!first.IsZero() && s.at.Sub(end) > burstGap) || (first.IsZero() && !until.IsZero() && !s.at.Before(until)) {
			late++
			continue
		}
		if first.IsZero() {
			first = s.at
		}
		end = s.at.Add(interval)
		if i+1 < len(ss) {
			end = ss[i+1].at
		}
	}
	if first.IsZero() {
		return 0, late
	}
	return end.Sub(first), late
}
