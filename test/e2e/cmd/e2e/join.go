package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sealkube/kubeadm/manifests"
)

const (
	hostsMarker   = "added by kubeadm join (locallb)"
	lvscareFile   = "kube-lvscare.yaml"
	locallbState  = "/var/lib/kubeadm-locallb/state.json"
	kubeletConf   = "/etc/kubernetes/kubelet.conf"
	okRunRequired = 10 // consecutive successful requests that mean "recovered"
)

func vipAddrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(vip), apiserverPort)
}

func masterAddrPorts() []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range masterAddrs {
		out = append(out, netip.AddrPortFrom(netip.MustParseAddr(a), apiserverPort))
	}
	return out
}

// workerLB is the worker's node-local load balancer as the harness sees it,
// so the same scenario runs on a kernel backend (programmed by our kubeadm
// join and kept by our lvscare) or on the userspace stand-in.
type workerLB interface {
	// beforeJoin prepares what kubeadm join's locallb phase does not.
	beforeJoin() error
	// joinArgs are extra kubeadm join flags.
	joinArgs() []string
	// afterJoin starts the care daemon.
	afterJoin() error
	// deleteRules removes the balancer's virtual server behind the care
	// daemon's back.
	deleteRules() error
	// restartCare stops the care daemon and starts it again.
	restartCare() error
	// stop stops the care daemon (as the kubelet would when the node is reset).
	stop()
	// leftovers lists what kubeadm reset should have removed but did not.
	leftovers() []string
}

func (h *harness) newWorkerLB() workerLB {
	if h.o.lb == "kernel" {
		return &kernelLB{h: h, pod: h.o.kubelet == "real"}
	}
	return &userspaceWorkerLB{h: h}
}

// userspaceWorkerLB: kubeadm join runs with --skip-phases locallb (its
// locallb phase would program a kernel backend this machine lacks) and the
// harness does that phase's work: VIP on lo, our care daemon over the
// userspace balancer with the manifest's command line, and the /etc/hosts
// mapping of the cluster endpoint to the VIP.
type userspaceWorkerLB struct {
	h   *harness
	p   *proc
	cmd []string
}

func (u *userspaceWorkerLB) beforeJoin() error {
	h := u.h
	if err := ipCmd(h.log, "-n", h.worker.netns, "addr", "add", vip+"/32", "dev", "lo"); err != nil {
		return err
	}
	cmd := manifests.Command(manifests.Options{VIP: vipAddrPort(), Masters: masterAddrPorts()})
	u.cmd = cmd[1:] // "care", flags…: what the static pod runs
	if err := appendHosts(h.worker, vip, endpointName); err != nil {
		return err
	}
	return u.start()
}

func (u *userspaceWorkerLB) start() error {
	h := u.h
	c := h.worker.command(nil, h.o.bins.self, append([]string{"lb-userspace"}, u.cmd...)...)
	p, err := h.ps.start("w-lb-userspace", c, h.logPath("w-lb-userspace"))
	if err != nil {
		return err
	}
	u.p = p
	return waitTCP(h.worker.nsPath(), vipAddrPort().String(), 20*time.Second, p.alive)
}

func (u *userspaceWorkerLB) joinArgs() []string { return []string{"--skip-phases", "locallb"} }
func (u *userspaceWorkerLB) afterJoin() error   { return nil }

func (u *userspaceWorkerLB) deleteRules() error {
	return u.p.cmd.Process.Signal(syscall.SIGUSR1)
}

func (u *userspaceWorkerLB) restartCare() error {
	u.p.stop(5 * time.Second)
	return u.start()
}

func (u *userspaceWorkerLB) stop() {
	if u.p != nil {
		u.p.stop(5 * time.Second)
	}
}

func (u *userspaceWorkerLB) leftovers() []string {
	// Nothing of the stand-in is kubeadm's to remove; remove our own line
	// and VIP so the checks below see only kubeadm's artifacts.
	return commonLeftovers(u.h)
}

// kernelLB: our kubeadm join's locallb phase programs the kernel (the
// backend kubeadm chooses, see -join-flags) and writes the lvscare static
// pod. With the real kubelet (pod) the kubelet runs that pod from our image;
// with the stand-in the harness runs our lvscare binary with the manifest's
// command line in the worker's namespaces.
type kernelLB struct {
	h   *harness
	pod bool
	p   *proc
	cmd []string
}

func (k *kernelLB) beforeJoin() error  { return nil }
func (k *kernelLB) joinArgs() []string { return nil }

func (k *kernelLB) afterJoin() error {
	cmd, err := staticPodCommand(k.h.worker.path(filepath.Join(manifestDirPath, lvscareFile)))
	if err != nil {
		return fmt.Errorf("the locallb phase's manifest: %w", err)
	}
	// The host's build of the same daemon: "delete the rules" runs it with
	// --clean; without the real kubelet it also stands in for the pod.
	k.cmd = withBinary(cmd, k.h.o.bins.lvscare)
	if k.pod {
		return k.h.real.afterJoin()
	}
	return k.start()
}

func (k *kernelLB) start() error {
	p, err := k.h.ps.start("w-lvscare", k.h.worker.command(nil, k.cmd[0], k.cmd[1:]...), k.h.logPath("w-lvscare"))
	if err != nil {
		return err
	}
	k.p = p
	time.Sleep(300 * time.Millisecond)
	if !p.alive() {
		return errors.New("lvscare exited at once: see logs/w-lvscare.log")
	}
	return nil
}

func (k *kernelLB) deleteRules() error {
	// The daemon's own --clean deletes the virtual server in whatever
	// backend the manifest names, then exits; the running daemon must
	// restore it.
	_, err := k.h.worker.run(k.h.log, 30*time.Second, k.cmd[0], append(append([]string{}, k.cmd[1:]...), "--clean")...)
	return err
}

func (k *kernelLB) restartCare() error {
	if k.pod {
		return k.h.real.restartCare()
	}
	k.p.stop(5 * time.Second)
	return k.start()
}

func (k *kernelLB) stop() {
	if !k.pod && k.p != nil {
		k.p.stop(5 * time.Second)
	}
}

func (k *kernelLB) leftovers() []string {
	left := commonLeftovers(k.h)
	// Rules: IPVS's table or the nftables ruleset must not mention the VIP.
	w := k.h.worker
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/ip_vs", w.holder.Process.Pid)); err == nil {
		hex := fmt.Sprintf("%02X%02X%02X%02X:%04X", 10, 103, 97, 2, apiserverPort)
		if strings.Contains(string(data), hex) {
			left = append(left, "IPVS virtual server "+vipAddrPort().String())
		}
	}
	if nft, err := exec.LookPath("nft"); err == nil {
		if out, err := w.run(k.h.log, 10*time.Second, nft, "list", "ruleset"); err == nil && mentionsAddr(out, vip) {
			left = append(left, "nftables rules mentioning "+vip)
		}
	}
	return left
}

func commonLeftovers(h *harness) []string {
	var left []string
	w := h.worker
	for _, p := range []string{filepath.Join(manifestDirPath, lvscareFile), locallbState, kubeletConf} {
		if _, err := os.Stat(w.path(p)); err == nil {
			left = append(left, p)
		}
	}
	if data, err := os.ReadFile(w.path(hostsFile)); err == nil && bytes.Contains(data, []byte(hostsMarker)) {
		left = append(left, "/etc/hosts line ending in # "+hostsMarker)
	}
	return left
}

// joinPreflightIgnores are the preflight checks the real worker cannot
// pass on this machine: SystemVerification fails on cgroup v1 (upstream
// says to skip it explicitly there).
var joinPreflightIgnores = []string{"SystemVerification"}

func (h *harness) join() error {
	if h.vm != nil {
		return h.joinVM()
	}
	w := h.worker
	h.lb = h.newWorkerLB()
	if err := h.lb.beforeJoin(); err != nil {
		return fmt.Errorf("preparing the worker's load balancer: %w", err)
	}
	args := []string{"join", vipAddrPort().String(), "--token", h.token, "--discovery-token-ca-cert-hash", h.hash}
	for _, m := range masterAddrPorts() {
		args = append(args, "--master", m.String())
	}
	var env []string
	if h.o.kubelet == "real" {
		h.real = h.newRealWorker()
		if err := h.real.prepare(); err != nil {
			return fmt.Errorf("the worker's containerd and kubelet: %w", err)
		}
		// kubeadm finds containerd's socket itself; kubelet must be on PATH
		// for preflight's version check.
		env = []string{"PATH=" + h.real.binDir + ":" + os.Getenv("PATH")}
		args = append(args, "--ignore-preflight-errors="+strings.Join(joinPreflightIgnores, ","), "-v=1")
	} else {
		kl, err := h.ps.start("w-kubelet", w.command(nil, h.o.bins.self, "kubelet"), h.logPath("w-kubelet-standin"))
		if err != nil {
			return err
		}
		h.kubelet = kl
		// No kubelet binary and no container runtime: their preflight
		// checks cannot pass; the CRI socket is named so kubeadm does not
		// look for one.
		args = append(args, "--cri-socket", criSocket, "--ignore-preflight-errors=all", "-v=1")
	}
	args = append(args, h.lb.joinArgs()...)
	args = append(args, strings.Fields(h.o.joinFlags)...)
	start := time.Now()
	out, err := w.runEnv(h.log, 5*time.Minute, env, h.o.bins.kubeadm, args...)
	if err != nil {
		return err
	}
	h.logf("kubeadm join took %s", time.Since(start).Round(time.Millisecond))
	h.check("kubeadm join reports the node joined", contains(out, "This node has joined the cluster"))
	if h.o.lb == "kernel" {
		h.check("join ran the locallb phase", contains(out, "[locallb]"))
	}
	if err := h.lb.afterJoin(); err != nil {
		return err
	}
	h.check("the worker maps "+endpointName+" to the VIP", hostsMaps(w, endpointName, vip))
	h.check("TLS bootstrap: kubelet.conf authenticates as system:node:w through the VIP", h.whoAmI())
	if h.real != nil {
		cs, err := h.adminClient()
		if err != nil {
			return err
		}
		h.check("node w is registered and Ready", waitNodeReady(cs, "w", 2*time.Minute))
		perMaster, err := h.adminClientsPerMaster()
		if err != nil {
			return err
		}
		h.nodes = startNodeWatch(perMaster, "w", 500*time.Millisecond)
		if err := h.startKubeProxy(); err != nil {
			return err
		}
		h.kubeProxyChecks()
	}

	return h.startClients()
}

// startClients starts the worker's fresh-connection and persistent clients
// through the VIP and waits until both succeed.
func (h *harness) startClients() error {
	c, err := httpsClient(h.worker.nsPath(), h.ca, h.o.reqTimeout)
	if err != nil {
		return err
	}
	// /livez, not /readyz: a terminating apiserver keeps serving requests
	// during its shutdown delay while its /readyz already fails.
	h.probe = startProber(c, fmt.Sprintf("https://%s%s", vipAddrPort(), freshPath), h.o.interval, 200000, false)
	pc, conn, err := h.newPersistentClient()
	if err != nil {
		return err
	}
	h.pconn = conn
	h.persist = startProber(pc, fmt.Sprintf("https://%s%s", vipAddrPort(), persistentPath), persistentInterval, 200000, true)
	return h.waitHealthy(30 * time.Second)
}

func waitNodeReady(cs *kubernetes.Clientset, name string, within time.Duration) error {
	start := time.Now()
	last := "not registered"
	for time.Since(start) < within {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		cancel()
		if err == nil {
			if nodeReady(n) {
				return nil
			}
			last = "registered, not Ready"
			for _, c := range n.Status.Conditions {
				if c.Type == "Ready" {
					last = fmt.Sprintf("Ready=%s: %s", c.Status, c.Message)
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("node %s not Ready within %s (%s)", name, within, last)
}

func contains(out, s string) error {
	if strings.Contains(out, s) {
		return nil
	}
	return fmt.Errorf("output lacks %q", s)
}

func hostsMaps(n *node, name, addr string) error {
	data, err := os.ReadFile(n.path(hostsFile))
	if err != nil {
		return err
	}
	return hostsMapsIn(data, name, addr)
}

// whoAmI uses the worker's kubelet.conf (the bootstrapped client
// certificate) through the VIP and checks the identity the apiserver sees.
func (h *harness) whoAmI() error {
	kc, err := clientcmd.LoadFromFile(h.worker.path(kubeletConf))
	if err != nil {
		return err
	}
	// Its certificate paths are the worker's: read them through its root
	// (the kubelet's kubelet-client-current.pem is an absolute symlink).
	for _, a := range kc.AuthInfos {
		if a.ClientCertificate != "" {
			a.ClientCertificate = h.worker.resolve(a.ClientCertificate)
		}
		if a.ClientKey != "" {
			a.ClientKey = h.worker.resolve(a.ClientKey)
		}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err != nil {
		return err
	}
	if !strings.Contains(cfg.Host, endpointName) {
		return fmt.Errorf("kubelet.conf's server is %s, want the cluster endpoint %s", cfg.Host, endpointName)
	}
	// The harness process resolves names with the host's /etc/hosts; dial
	// the VIP inside the worker's namespace, as the name resolves there.
	cfg.Host = "https://" + vipAddrPort().String()
	cfg.TLSClientConfig.ServerName = endpointName
	cfg.Dial = dialerIn(h.worker.nsPath(), 5*time.Second)
	cfg.Timeout = 10 * time.Second
	u, err := selfSubject(cfg)
	if err != nil {
		return err
	}
	if u != "system:node:w" {
		return fmt.Errorf("kubelet.conf authenticates as %q, want system:node:w", u)
	}
	return nil
}

// waitHealthy waits until the last okRunRequired requests all succeeded.
func (h *harness) waitHealthy(within time.Duration) error {
	start := time.Now()
	deadline := start.Add(within)
	persistentOK := func() bool { return h.persist == nil || trailingOK(h.persist.since(start)) >= okRunRequired }
	for time.Now().Before(deadline) {
		if trailingOK(h.probe.since(start)) >= okRunRequired && persistentOK() {
			return nil
		}
		time.Sleep(h.o.interval)
	}
	ss := h.probe.since(start)
	if !persistentOK() {
		ss = h.persist.since(start)
	}
	last := "no request"
	if len(ss) > 0 {
		last = ss[len(ss)-1].err
	}
	return fmt.Errorf("requests through the VIP (fresh and persistent clients) did not succeed %d times in a row within %s (last error: %s)", okRunRequired, within, last)
}

func (h *harness) reset() error {
	if h.vm != nil {
		return h.resetVM()
	}
	h.stopClients()
	if h.real != nil && h.o.lb == "kernel" {
		errs, err := h.real.balancerErrors()
		if err == nil {
			errs += h.real.errsBefore
			h.logf("worker: the care daemon counted %.0f balancer errors over the run", errs)
			if errs != 0 {
				err = fmt.Errorf("lvscare_balancer_errors_total = %.0f, want 0 (see logs/w-kubelet.log and the pod's log under the worker's /var/log/pods)", errs)
			}
		}
		h.check("the care daemon in the pod had no balancer errors", err)
	}
	var resetArgs []string
	if h.kubeProxy != nil {
		// Its DaemonSet pod; reset does not remove kube-proxy's rules
		// (upstream says so), and they do not mention the VIP.
		h.kubeProxy.stop(5 * time.Second)
	}
	if h.real != nil {
		// `systemctl stop kubelet`, which upstream's reset would run on a
		// systemd host; reset then stops the pods through the CRI.
		h.real.kubelet.stop(10 * time.Second)
		resetArgs = []string{"reset", "--force", "-v=1"}
	} else {
		// The kubelet would stop the care daemon's static pod before
		// kubeadm reset's locallb cleanup runs; a running daemon would
		// restore the virtual server.
		h.lb.stop()
		h.kubelet.stop(5 * time.Second)
		resetArgs = []string{"reset", "--force", "--cri-socket", criSocket, "-v=1"}
	}
	if _, err := h.worker.run(h.log, 3*time.Minute, h.o.bins.kubeadm, resetArgs...); err != nil {
		return err
	}
	if h.o.lb == "userspace" {
		// The stand-in's own state, which kubeadm reset does not know.
		if err := removeHostsLine(h.worker, vip, endpointName); err != nil {
			return err
		}
		_ = ipCmd(h.log, "-n", h.worker.netns, "addr", "del", vip+"/32", "dev", "lo")
	}
	left := h.lb.leftovers()
	if h.real != nil {
		if ids, err := h.real.criContainers(); err != nil {
			left = append(left, "CRI containers: "+err.Error())
		} else if len(ids) > 0 {
			left = append(left, "CRI containers "+strings.Join(ids, ", "))
		}
		if pids := lvscarePIDs(h.worker); len(pids) > 0 {
			left = append(left, fmt.Sprintf("lvscare processes %v", pids))
		}
	}
	if len(left) > 0 {
		h.check("kubeadm reset leaves nothing behind", fmt.Errorf("left: %s", strings.Join(left, "; ")))
	} else {
		h.check("kubeadm reset leaves nothing behind", nil)
	}
	return nil
}

func removeHostsLine(n *node, addr, name string) error {
	p := n.path(hostsFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, bytes.ReplaceAll(data, []byte(addr+" "+name+"\n"), nil), 0o644)
}

// mentionsAddr reports whether text holds addr as a whole address (the VIP
// 10.103.97.2 must not match kube-proxy's rules for 10.103.97.200).
func mentionsAddr(text, addr string) bool {
	return regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(addr) + `([^0-9.]|\.[^0-9]|$)`).MatchString(text)
}

// stopClients stops the worker's clients and the Lease watcher before
// reset, and logs what the watcher saw.
func (h *harness) stopClients() {
	if h.probe != nil {
		h.probe.stop()
		h.probe = nil
	}
	if h.persist != nil {
		h.persist.stop()
		h.persist = nil
	}
	if h.nodes != nil {
		h.nodes.stop()
		h.logf("worker node over the run: %s", h.nodes.summary())
	}
}
