package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	bins       bins
	lb         string
	kubelet    string
	joinFlags  string
	stopAfter  string
	repeat     int
	keep       bool
	interval   time.Duration
	reqTimeout time.Duration
	faultFor   time.Duration
	// longFaultFor is how long the faults on the persistent client's
	// master last: longer than its 10 s request timeout.
	longFaultFor time.Duration
	settle       time.Duration
	// worker: "ns" (a network namespace on this kernel) or "vm" (a qemu VM
	// with Debian's kernel: IPVS).
	worker      string
	vm          vmOptions
	vmKubeProxy string
	// kubeProxyObserve: how long each kube-proxy mode runs after its sync.
	kubeProxyObserve time.Duration
	// faults: the faults to run (nil: all of faultOrder).
	faults map[string]bool
	// kubeProxyV: kube-proxy's log level in the VM (4 logs its deletions).
	kubeProxyV int
	// maxPersistentRecovery bounds the persistent client's recovery after
	// its master dies: detection (interval × fall + timeout = 2.4 s at the
	// daemon's defaults) plus slack for a busy CI machine.
	maxPersistentRecovery time.Duration
	// maxGracefulRequest bounds each of the persistent client's requests
	// during the graceful restarts.
	maxGracefulRequest time.Duration
}

// harness is one end-to-end run: what it created, in creation order.
type harness struct {
	o         options
	work      string
	log       *os.File
	topo      *topology
	ps        procs
	etcd      *node
	masters   []*node
	worker    *node
	etcdP     *proc
	api       []*proc
	apiCmd    [][]string
	kcm       *proc
	ca        []byte
	token     string
	hash      string
	lb        workerLB
	kubelet   *proc // the stand-in (-kubelet standin)
	real      *realWorker
	kubeProxy *proc
	nodes     *nodeWatch
	probe     sampler
	// persist is the kubelet-like client: one HTTP/2 connection (pconn).
	persist   sampler
	vm        *workerVM
	kpWindows []kubeProxyRun
	restores  []time.Duration // "delete the LB's rules": the VS's absence (VM)
	// lateFailures: fresh requests failed after a fault's first burst (VM).
	lateFailures map[string]int
	pconn        *persistentConn
	pfaults      map[string][]window
	oneBackAt    time.Time
	oneBack      []oneBack
	checks       []check
	faults       map[string][]window
	t0           time.Time
	steps        []stepTime
	// Set by other scenarios (runbook): their fault names in report order,
	// teardown work before the namespaces go, and summary lines.
	faultNames    []string
	extraTeardown []func()
	extraReport   []string
}

type check struct {
	name string
	err  error
}

type stepTime struct {
	name string
	d    time.Duration
}

func runMain(args []string) error {
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	var o options
	out := envOr("E2E_BIN", "_output/e2e/bin")
	fs.StringVar(&o.bins.kubeadm, "kubeadm", "_output/bin/kubeadm", "our kubeadm binary (make build)")
	fs.StringVar(&o.bins.lvscare, "lvscare", "_output/bin/lvscare", "our care daemon (make lvscare), used with -lb kernel")
	fs.StringVar(&o.bins.apiserver, "kube-apiserver", filepath.Join(out, "kube-apiserver"), "kube-apiserver binary (hack/e2e-build.sh)")
	fs.StringVar(&o.bins.kcm, "kube-controller-manager", filepath.Join(out, "kube-controller-manager"), "kube-controller-manager binary")
	fs.StringVar(&o.bins.etcd, "etcd", filepath.Join(out, "etcd"), "etcd binary (test/e2e/cmd/etcd)")
	fs.StringVar(&o.bins.kubelet, "kubelet-binary", filepath.Join(out, "kubelet"), "kubelet binary (hack/e2e-build.sh), with -kubelet real")
	fs.StringVar(&o.bins.kubeProxy, "kube-proxy-binary", filepath.Join(out, "kube-proxy"), "kube-proxy binary (hack/e2e-build.sh), run on the real worker in nftables mode")
	images := fs.String("images", filepath.Join(out, "..", "images", "pause.tar")+","+"_output/lvscare-image.tar", "comma-separated image archives imported into the worker's containerd, with -kubelet real (hack/e2e-build.sh, make image)")
	fs.StringVar(&o.kubelet, "kubelet", "real", "the worker's kubelet: real (containerd and a kubelet run the kube-lvscare static pod) or standin (a TLS-bootstrap stub; the harness runs lvscare from the manifest)")
	fs.StringVar(&o.lb, "lb", "userspace", "worker load balancer: userspace (stand-in: the care daemon over an in-process TCP balancer; kubeadm join --skip-phases locallb) or kernel (kubeadm join's locallb phase programs the kernel, our lvscare runs from its manifest)")
	fs.StringVar(&o.joinFlags, "join-flags", "", "extra flags for kubeadm join, space separated (e.g. the backend choice once kubeadm has one)")
	fs.StringVar(&o.stopAfter, "stop-after", "", "stop after this step: controlplane, join")
	fs.IntVar(&o.repeat, "repeat", 1, "run every fault this many times (p50/p99 of the failure windows)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (logs) after a passing run")
	fs.DurationVar(&o.interval, "interval", 50*time.Millisecond, "the worker client's request interval")
	fs.DurationVar(&o.reqTimeout, "request-timeout", 500*time.Millisecond, "the worker client's per-request timeout")
	fs.DurationVar(&o.faultFor, "fault-duration", 6*time.Second, "how long a fault (freeze, link down) lasts before it is undone")
	fs.DurationVar(&o.longFaultFor, "long-fault-duration", 12*time.Second, "how long the faults on the persistent client's master last")
	fs.DurationVar(&o.maxPersistentRecovery, "max-persistent-recovery", 5*time.Second, "fail when the persistent client needs longer than this to recover after its master dies")
	fs.DurationVar(&o.maxGracefulRequest, "max-graceful-request", 3*time.Second, "fail when one of the persistent client's requests takes longer than this during the graceful restarts")
	fs.DurationVar(&o.settle, "settle", 4*time.Second, "observation time after a fault is applied or undone")
	fs.StringVar(&o.worker, "worker", "ns", "the worker: ns (a network namespace on this kernel) or vm (a qemu VM booting Debian's kernel, which has IPVS: needs -lb kernel; runs the kubelet stand-in and our lvscare with the manifest's command line)")
	vmKernel, vmModules := defaultVMKernel()
	fs.StringVar(&o.vm.kernel, "vm-kernel", vmKernel, "with -worker vm: the uncompressed vmlinux (hack/vm-test.sh caches it)")
	fs.StringVar(&o.vm.modulesDir, "vm-modules", vmModules, "with -worker vm: that kernel's lib/modules/<version>")
	fs.StringVar(&o.vm.mem, "vm-mem", "2G", "with -worker vm: VM memory (the initramfs holds kubeadm, lvscare, kube-proxy and this binary)")
	fs.IntVar(&o.vm.smp, "vm-smp", 2, "with -worker vm: virtual CPUs")
	fs.StringVar(&o.vmKubeProxy, "vm-kube-proxy", "ipvs,nftables,ipvs-noexclude", "with -worker vm: kube-proxy runs, in these modes one after the other, beside the care daemon (empty: none)")
	fs.DurationVar(&o.kubeProxyObserve, "vm-kube-proxy-observe", 30*time.Second, "with -worker vm: how long each kube-proxy mode runs after it synced")
	fs.StringVar(&o.vm.userland, "vm-userland", filepath.Join(envOr("VMTEST_CACHE", "_output/vm"), "userland", "root"), "with -worker vm: Debian's iptables and ipset unpacked (hack/e2e-vm-userland.sh), for kube-proxy's ipvs mode")
	fs.IntVar(&o.kubeProxyV, "vm-kube-proxy-v", 2, "with -worker vm: kube-proxy's --v (4 logs each virtual server it deletes)")
	faultList := fs.String("faults", "", "run only these faults, comma-separated by their number in the scenario (1–11, see test/e2e/README.md) or \"none\"; empty: all")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *faultList != "" {
		o.faults = map[string]bool{}
		for _, f := range splitList(*faultList) {
			var i int
			if f == "none" {
				continue
			}
			if _, err := fmt.Sscan(f, &i); err != nil || i < 1 || i > len(faultOrder) {
				return fmt.Errorf("-faults: %q is not a fault number 1..%d", f, len(faultOrder))
			}
			o.faults[faultOrder[i-1]] = true
		}
	}
	switch o.worker {
	case "ns":
	case "vm":
		if o.lb != "kernel" {
			return errors.New("-worker vm needs -lb kernel")
		}
		o.kubelet = "standin"
	default:
		return fmt.Errorf("-worker %q: use ns or vm", o.worker)
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root (network, mount and UTS namespaces): run `sudo make e2e`")
	}
	if o.lb != "userspace" && o.lb != "kernel" {
		return fmt.Errorf("-lb %q: use userspace or kernel", o.lb)
	}
	if o.kubelet != "real" && o.kubelet != "standin" {
		return fmt.Errorf("-kubelet %q: use real or standin", o.kubelet)
	}
	if o.repeat < 1 || o.repeat > 20 {
		return fmt.Errorf("-repeat %d: use 1..20", o.repeat)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.bins.self = self
	o.bins.images = splitList(*images)
	for _, p := range []*string{&o.bins.kubeadm, &o.bins.lvscare, &o.bins.apiserver, &o.bins.kcm, &o.bins.etcd, &o.bins.kubelet, &o.bins.kubeProxy, &o.vm.userland, &o.vm.kernel, &o.vm.modulesDir} {
		if a, err := filepath.Abs(*p); err == nil && *p != "" {
			*p = a
		}
	}
	for i := range o.bins.images {
		if a, err := filepath.Abs(o.bins.images[i]); err == nil {
			o.bins.images[i] = a
		}
	}
	if err := o.bins.check(o.kubelet == "real"); err != nil {
		return err
	}
	for _, tool := range []string{"ip", "nsenter", "unshare"} {
		if _, err := lookPath(tool); err != nil {
			return fmt.Errorf("needs %s (iproute2, util-linux): %w", tool, err)
		}
	}

	work, err := os.MkdirTemp("", "kubeadm-e2e-")
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(work, "e2e.log"))
	if err != nil {
		return err
	}
	h := &harness{o: o, work: work, log: logf, faults: map[string][]window{}, pfaults: map[string][]window{}, lateFailures: map[string]int{}, t0: time.Now()}
	fmt.Printf("e2e: work directory %s (log: e2e.log; per-process logs: logs/)\n", work)
	return h.runAll(h.run)
}

// runAll runs run, then tears down and reports; the work directory stays
// when something failed or with -keep.
func (h *harness) runAll(run func() error) error {
	// Tear down on Ctrl-C/SIGTERM too: every process we start has
	// Pdeathsig, and the namespaces are deleted by teardown.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	runErr := make(chan error, 1)
	go func() { runErr <- run() }()
	var rerr error
	select {
	case rerr = <-runErr:
	case s := <-sig:
		rerr = fmt.Errorf("interrupted by %s", s)
		h.check("not interrupted", rerr)
	}
	h.teardown()
	h.report(rerr)
	h.log.Close()
	failed := h.failed()
	if rerr == nil && failed == 0 && !h.o.keep {
		os.RemoveAll(h.work)
	} else {
		fmt.Printf("e2e: logs kept in %s\n", h.work)
	}
	if rerr != nil || failed > 0 {
		return fmt.Errorf("FAIL")
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (h *harness) logf(format string, args ...any) {
	line := fmt.Sprintf("e2e [%6.1fs] ", time.Since(h.t0).Seconds()) + fmt.Sprintf(format, args...)
	fmt.Println(line)
	fmt.Fprintln(h.log, line)
}

// check records a named check; err nil passes.
func (h *harness) check(name string, err error) {
	h.checks = append(h.checks, check{name, err})
	if err != nil {
		h.logf("FAIL %s: %v", name, err)
	} else {
		h.logf("ok   %s", name)
	}
}

func (h *harness) failed() int {
	n := 0
	for _, c := range h.checks {
		if c.err != nil {
			n++
		}
	}
	return n
}

func (h *harness) step(name string, f func() error) error {
	start := time.Now()
	h.logf("step %s …", name)
	err := f()
	h.steps = append(h.steps, stepTime{name, time.Since(start)})
	h.check("step "+name, err)
	return err
}

func (h *harness) run() error {
	for _, s := range []struct {
		name string
		f    func() error
		last string
	}{
		{"network", h.setupNetwork, ""},
		{"etcd", h.startEtcd, ""},
		{"control plane", h.setupControlPlane, "controlplane"},
		{"join", h.join, "join"},
		{"faults", h.faultsAll, ""},
		{"kube-proxy", h.kubeProxyModes, ""},
		{"reset", h.reset, ""},
	} {
		if s.name == "kube-proxy" && (h.vm == nil || h.o.vmKubeProxy == "") {
			continue
		}
		if err := h.step(s.name, s.f); err != nil {
			return err
		}
		if s.last != "" && s.last == h.o.stopAfter {
			h.logf("stopping after %s (-stop-after)", s.last)
			return nil
		}
	}
	return nil
}

func (h *harness) logPath(name string) string {
	d := filepath.Join(h.work, "logs")
	_ = os.MkdirAll(d, 0o755)
	return filepath.Join(d, name+".log")
}

func (h *harness) setupNetwork() error {
	t, err := newTopology(fmt.Sprintf("e2e%d-", os.Getpid()), h.o.bins.self, h.log)
	if t != nil {
		h.topo = t
	}
	if err != nil {
		return err
	}
	add := func(name, addr string) (*node, error) {
		return t.addNode(name, addr, filepath.Join(h.work, "nodes", name))
	}
	if h.etcd, err = add("etcd", etcdAddr); err != nil {
		return err
	}
	for i, a := range masterAddrs {
		m, err := add(fmt.Sprintf("m%d", i), a)
		if err != nil {
			return err
		}
		h.masters = append(h.masters, m)
	}
	if h.o.worker == "vm" {
		h.vm, err = h.startVM()
		return err
	}
	var extra []string
	if h.o.kubelet == "real" {
		extra = workerHolderArgs
	}
	h.worker, err = t.addNode("w", workerAddr, filepath.Join(h.work, "nodes", "w"), extra...)
	return err
}

func (h *harness) startEtcd() error {
	c := h.etcd.command(nil, h.o.bins.etcd, "--data-dir", filepath.Join(h.etcd.dir, "data"),
		"--listen-client-url", "http://"+etcdAddr+":2379", "--listen-peer-url", "http://127.0.0.1:2380")
	p, err := h.ps.start("etcd", c, h.logPath("etcd"))
	if err != nil {
		return err
	}
	h.etcdP = p
	return waitTCP(h.masters[0].nsPath(), etcdAddr+":2379", 60*time.Second, p.alive)
}

func (h *harness) kubeadm(n *node, args ...string) (string, error) {
	return n.run(h.log, 3*time.Minute, h.o.bins.kubeadm, args...)
}

func (h *harness) setupControlPlane() error {
	tok, err := randToken()
	if err != nil {
		return err
	}
	h.token = tok
	m0 := h.masters[0]
	for i, m := range h.masters {
		cfg := filepath.Join(m.dir, "kubeadm.yaml")
		if err := os.WriteFile(cfg, []byte(kubeadmConfig(i, tok, h.cgroupRoot())), 0o600); err != nil {
			return err
		}
		if i > 0 {
			for _, f := range sharedPKI {
				if err := copyFile(m0.path(filepath.Join(pkiDir, f)), m.path(filepath.Join(pkiDir, f))); err != nil {
					return fmt.Errorf("sharing %s with %s: %w", f, m.name, err)
				}
			}
		}
		for _, phase := range [][]string{{"certs", "all"}, {"kubeconfig", "all"}, {"control-plane", "all"}} {
			args := append(append([]string{"init", "phase"}, phase...), "--config", cfg)
			if _, err := h.kubeadm(m, args...); err != nil {
				return err
			}
		}
		// The node resolves the cluster endpoint to itself, as a
		// control-plane node's kubelet would.
		if err := appendHosts(m, m.addr, endpointName); err != nil {
			return err
		}
		cmd, err := staticPodCommand(m.path(filepath.Join(manifestDirPath, "kube-apiserver.yaml")))
		if err != nil {
			return err
		}
		if v, _ := flagValue(cmd, "advertise-address"); v != m.addr {
			return fmt.Errorf("%s: the generated kube-apiserver manifest advertises %q, want %s", m.name, v, m.addr)
		}
		cmd = withBinary(cmd, h.o.bins.apiserver)
		h.apiCmd = append(h.apiCmd, cmd)
		p, err := h.ps.start(m.name+"-apiserver", m.command(nil, cmd[0], cmd[1:]...), h.logPath(m.name+"-apiserver"))
		if err != nil {
			return err
		}
		h.api = append(h.api, p)
	}
	ca, err := os.ReadFile(m0.path(filepath.Join(pkiDir, "ca.crt")))
	if err != nil {
		return err
	}
	h.ca = ca
	for i, m := range h.masters {
		c, err := httpsClient(m.nsPath(), ca, 2*time.Second)
		if err != nil {
			return err
		}
		if err := waitHTTP(c, fmt.Sprintf("https://%s:%d/readyz", m.addr, apiserverPort), 3*time.Minute, h.api[i].alive); err != nil {
			return fmt.Errorf("%s apiserver: %w", m.name, err)
		}
		h.logf("%s: kube-apiserver (hostname %s, %s) serves /readyz", m.name, m.name, m.addr)
	}

	// CSR approval and signing, and the bootstrap signer that signs
	// cluster-info for token discovery, are kube-controller-manager's.
	cmd, err := staticPodCommand(m0.path(filepath.Join(manifestDirPath, "kube-controller-manager.yaml")))
	if err != nil {
		return err
	}
	cmd = withBinary(cmd, h.o.bins.kcm)
	if h.kcm, err = h.ps.start("m0-kcm", m0.command(nil, cmd[0], cmd[1:]...), h.logPath("m0-kube-controller-manager")); err != nil {
		return err
	}
	cfg := filepath.Join(m0.dir, "kubeadm.yaml")
	kc := filepath.Join(kubeDir, "super-admin.conf")
	for _, phase := range [][]string{{"upload-config", "all"}, {"bootstrap-token"}} {
		args := append(append([]string{"init", "phase"}, phase...), "--config", cfg, "--kubeconfig", kc)
		if _, err := h.kubeadm(m0, args...); err != nil {
			return err
		}
	}
	if h.hash, err = caCertHash(m0.path(filepath.Join(pkiDir, "ca.crt"))); err != nil {
		return err
	}
	if !h.kcm.alive() {
		return errors.New("kube-controller-manager exited: see logs/m0-kube-controller-manager.log")
	}
	return nil
}

// teardown stops everything in reverse dependency order: the worker's
// processes, kube-controller-manager, the apiservers, then etcd, then the
// namespaces.
func (h *harness) teardown() {
	start := time.Now()
	if h.probe != nil {
		h.probe.stop()
	}
	if h.persist != nil {
		h.persist.stop()
	}
	if h.lb != nil {
		h.lb.stop()
	}
	if h.nodes != nil {
		h.nodes.stop()
	}
	if h.kubeProxy != nil {
		h.kubeProxy.stop(5 * time.Second)
	}
	if h.kubelet != nil {
		h.kubelet.stop(5 * time.Second)
	}
	if h.real != nil {
		h.real.teardown()
	}
	for _, f := range h.extraTeardown {
		f()
	}
	if h.vm != nil {
		h.vm.shutdown()
	}
	if h.kcm != nil {
		h.kcm.stop(10 * time.Second)
	}
	for _, p := range h.api {
		if p != nil {
			p.stop(15 * time.Second)
		}
	}
	if h.etcdP != nil {
		h.etcdP.stop(10 * time.Second)
	}
	h.ps.mu.Lock()
	rest := append([]*proc(nil), h.ps.list...)
	h.ps.mu.Unlock()
	for _, p := range rest {
		p.stop(5 * time.Second)
	}
	if h.topo != nil {
		h.topo.destroy()
		left := leftoverNetns(h.topo.prefix)
		h.check("teardown removes every namespace", left)
	}
	h.logf("teardown took %s", time.Since(start).Round(time.Millisecond))
}

func leftoverNetns(prefix string) error {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return nil
	}
	var left []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			left = append(left, e.Name())
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("namespaces left behind: %s (remove with ip netns del)", strings.Join(left, ", "))
	}
	return nil
}

func (h *harness) report(rerr error) {
	w := io.MultiWriter(os.Stdout, h.log)
	fmt.Fprintln(w, "\n==== e2e summary ====")
	if h.o.lb != "" {
		fmt.Fprintf(w, "load balancer on the worker: %s; kubelet: %s; worker: %s\n", h.o.lb, h.o.kubelet, h.o.worker)
	}
	for _, s := range h.steps {
		fmt.Fprintf(w, "step %-14s %8.1fs\n", s.name, s.d.Seconds())
	}
	if len(h.faults) > 0 {
		fmt.Fprintf(w, "fault windows (client GET %s via %s:%d every %s, timeout %s, fresh connection each; window = first failed request to end of last failed):\n", freshPath, vip, apiserverPort, h.o.interval, h.o.reqTimeout)
		reportWindows(w, h.order(), h.faults, func(x window) time.Duration { return x.span }, func(p50, p99 time.Duration) string {
			return fmt.Sprintf("window p50 %6dms  p99 %6dms", p50.Milliseconds(), p99.Milliseconds())
		})
	}
	if len(h.pfaults) > 0 {
		fmt.Fprintf(w, "persistent client (one HTTP/2 connection through the VIP like a kubelet's: node certificate, ReadIdleTimeout %s, PingTimeout %s, GET %s every %s, timeout %s); recovered = first success after its first failure, from the fault's start:\n",
			persistentReadIdle, persistentPing, persistentPath, persistentInterval, persistentTimeout)
		reportWindows(w, h.order(), h.pfaults, func(x window) time.Duration { return x.recovery }, func(p50, p99 time.Duration) string {
			return fmt.Sprintf("recovered p50 %7.2fs  p99 %7.2fs", p50.Seconds(), p99.Seconds())
		})
	}
	for _, name := range faultOrder {
		if n := h.lateFailures[name]; n > 0 {
			fmt.Fprintf(w, "%s: %d fresh requests failed outside the first burst or timed out on a refusing fault (reported, not counted by the target; e2e.log lists them)\n", name, n)
		}
	}
	if len(h.restores) > 0 {
		fmt.Fprintf(w, "delete the LB's rules: the virtual server was missing for %v (the VM agent's IPVS watcher, 10 ms samples)\n", roundAll(h.restores))
	}
	h.reportKubeProxy(w)
	for i, x := range h.oneBack {
		fmt.Fprintf(w, "all masters down, m0 back (run %d): first success through the VIP %s after m0's /readyz, %d failed requests later than 1 s after it\n", i+1, x.first.Round(time.Millisecond), x.late)
	}
	if h.nodes != nil && len(h.faults) > 0 {
		fmt.Fprintf(w, "node w's own connection (kubelet): longest gap between its Lease renewals during each fault (normal: 10s), polls that saw it not Ready:\n")
		for _, name := range h.order() {
			ws := h.faults[name]
			if len(ws) == 0 {
				continue
			}
			var gaps []time.Duration
			notReady := 0
			for _, x := range ws {
				gaps = append(gaps, h.nodes.longestGap(x.from, x.to))
				notReady += h.nodes.notReadyIn(x.from, x.to)
			}
			fmt.Fprintf(w, "  %-30s runs %d  lease gap p50 %6.1fs  max %6.1fs  not-Ready polls %d\n", name, len(ws),
				percentile(gaps, 50).Seconds(), percentile(gaps, 100).Seconds(), notReady)
		}
		fmt.Fprintf(w, "  over the whole run: %s\n", h.nodes.summary())
	}
	for _, pre := range []string{"etcd", "m0-apiserver", "m1-apiserver", "m2-apiserver", "m0-kcm", "w-"} {
		cpu, rss, n := h.ps.usage(pre)
		if n > 0 {
			fmt.Fprintf(w, "resources %-14s processes %d  cpu %6.1fs  max RSS %5d MiB\n", pre, n, cpu.Seconds(), rss/1024)
		}
	}
	for _, l := range h.extraReport {
		fmt.Fprintln(w, l)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		fmt.Fprintf(w, "resources all children: cpu %.1fs (user %.1fs, sys %.1fs), largest max RSS %d MiB\n",
			float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9, float64(ru.Utime.Nano())/1e9, float64(ru.Stime.Nano())/1e9, ru.Maxrss/1024)
	}
	passed := len(h.checks) - h.failed()
	if rerr != nil {
		fmt.Fprintf(w, "stopped early: %v\n", rerr)
	}
	fmt.Fprintf(w, "total e2e time %.1fs\n", time.Since(h.t0).Seconds())
	fmt.Fprintf(w, "e2e: %d passed, %d failed\n", passed, h.failed())
}

// reportWindows prints one line per fault: runs, failed/total requests and
// the p50/p99 of what measure takes from each run's window.
func reportWindows(w io.Writer, order []string, byFault map[string][]window, measure func(window) time.Duration, format func(p50, p99 time.Duration) string) {
	for _, name := range order {
		ws := byFault[name]
		if len(ws) == 0 {
			continue
		}
		var ds []time.Duration
		failed, total := 0, 0
		for _, x := range ws {
			ds = append(ds, measure(x))
			failed += x.failed
			total += x.total
		}
		fmt.Fprintf(w, "  %-30s runs %d  failed %4d/%-5d  %s\n", name, len(ws), failed, total, format(percentile(ds, 50), percentile(ds, 99)))
	}
}

// order is the scenario's faults in report order.
func (h *harness) order() []string {
	if h.faultNames != nil {
		return h.faultNames
	}
	return faultOrder
}
