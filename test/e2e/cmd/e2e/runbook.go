package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The seeds' HA runbook on four real nodes (issue 16, make e2e-runbook):
// m0, m1, m2 (10.103.97.200-202) and w (10.103.97.100), each a network
// namespace with a private view (bundleHolderArgs), installed from the
// offline package (tarball unpacked, shell/init.sh: containerd, kubelet,
// images) with the kubelet under the harness's supervisor. Then the seeds'
// commands, run by a shell in each node: the hosts line, kubeadm init with
// the seeds' kubeadm-config.yaml and --experimental-upload-certs on m0, the
// control-plane joins with --experimental-control-plane and the sed on m1
// and m2, the worker join through the VIP with --master. The edits are
// listed in runbookEdits and printed; nothing else differs.

const runbookHome = "/root" // the seeds run everything as root in ~

// runbookAddrs: the seeds' masters, then a worker.
var runbookNodes = []struct{ name, addr string }{
	{"m0", masterAddrs[0]}, {"m1", masterAddrs[1]}, {"m2", masterAddrs[2]}, {"w", workerAddr},
}

// runbookPreflight: kubeadm's SystemVerification fails on this cgroup v1
// host (upstream says to skip it explicitly there); not one of the seeds'
// flags, so it is an edit, added to every init and join.
const runbookPreflight = "--ignore-preflight-errors=SystemVerification"

type rbNode struct {
	n       *node
	r       *realWorker // its cgroupRoot; the harness's single-worker fields stay unused
	kubelet *proc
	podNet  string // the node's pod range (bridge CNI), routed by the other nodes
}

type runbook struct {
	h                    *harness
	tarball, seedsConfig string
	proxyMode, backend   string
	faults               bool
	nodes                []*rbNode
	token, hash, certKey string
	edits                []string
	idle                 time.Duration
}

func runbookMain(args []string) error {
	fs := flag.NewFlagSet("runbook", flag.ContinueOnError)
	var o options
	rb := &runbook{}
	fs.StringVar(&rb.tarball, "tarball", "", "the package (make bundle): _output/bundle/kubernetes-<version>-linux-amd64.tar.gz (default: the only one there)")
	fs.StringVar(&rb.seedsConfig, "seeds-config", "app/testdata/seeds-kubeadm-config.yaml", "the seeds' kubeadm-config.yaml (kubernetesVersion already v1.36.3)")
	fs.StringVar(&rb.proxyMode, "kube-proxy-mode", "", "kube-proxy's mode in the seeds' config: ipvs (the seeds') where the kernel has IPVS, else nftables (default: by /proc/net/ip_vs)")
	fs.BoolVar(&rb.faults, "faults", true, "measure the faults from the worker after the cluster is up")
	fs.DurationVar(&rb.idle, "idle", 30*time.Second, "how long the idle cluster's CPU is sampled")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (logs) after a passing run")
	fs.DurationVar(&o.faultFor, "fault-duration", 12*time.Second, "how long a master stays frozen and cut off (longer than the persistent client's 10 s timeout)")
	fs.DurationVar(&o.settle, "settle", 4*time.Second, "observation time after a fault is applied or undone")
	fs.IntVar(&o.repeat, "repeat", 1, "run every fault this many times")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.interval, o.reqTimeout = 50*time.Millisecond, 500*time.Millisecond
	if os.Geteuid() != 0 {
		return errors.New("needs root (network, mount and UTS namespaces): run `sudo make e2e-runbook`")
	}
	if rb.tarball == "" {
		m, _ := filepath.Glob("_output/bundle/kubernetes-*-linux-*.tar.gz")
		if len(m) != 1 {
			return fmt.Errorf("found %d packages matching _output/bundle/kubernetes-*-linux-*.tar.gz (%v): run make bundle, or name one with -tarball", len(m), m)
		}
		rb.tarball = m[0]
	}
	var err error
	if rb.tarball, err = filepath.Abs(rb.tarball); err != nil {
		return err
	}
	for _, tool := range []struct{ path, pkg string }{{"/usr/lib/cni/bridge", "containernetworking-plugins"}, {"/usr/lib/cni/host-local", "containernetworking-plugins"},
		{"/usr/bin/containerd", "containerd"}, {"/usr/sbin/runc", "runc"}, {"/usr/sbin/nft", "nftables"}, {rb.tarball, "make bundle"}, {rb.seedsConfig, "the repository root as working directory"}} {
		if _, err := os.Stat(tool.path); err != nil {
			return fmt.Errorf("%s is missing: %s", tool.path, tool.pkg)
		}
	}
	if rb.proxyMode == "" {
		rb.proxyMode = "nftables"
		if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
			rb.proxyMode = "ipvs"
		}
	}
	// The worker's balancer follows kube-proxy: the seeds' IPVS where the
	// kernel has it, nftables otherwise (kube-proxy in nftables mode
	// flushes IPVS rules).
	rb.backend = rb.proxyMode
	if o.bins.self, err = os.Executable(); err != nil {
		return err
	}
	o.kubelet = "real"
	work, err := os.MkdirTemp("", "kubeadm-runbook-")
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(work, "e2e.log"))
	if err != nil {
		return err
	}
	h := &harness{o: o, work: work, log: logf, faults: map[string][]window{}, pfaults: map[string][]window{}, t0: time.Now(), faultNames: runbookFaults}
	rb.h = h
	h.extraTeardown = append(h.extraTeardown, rb.teardown)
	fmt.Printf("e2e runbook: %s; work directory %s (log: e2e.log; per-process logs: logs/)\n", rb.tarball, work)
	return h.runAll(rb.run)
}

func (rb *runbook) run() error {
	h := rb.h
	steps := []struct {
		name string
		f    func() error
	}{
		{"nodes", rb.makeNodes},
		{"install (package)", rb.install},
		{"master0: init", rb.initMaster0},
		{"master1, master2: join", rb.joinMasters},
		{"worker: join", rb.joinWorker},
		{"cluster checks", rb.checks},
		{"resources", rb.resources},
	}
	if rb.faults {
		steps = append(steps, struct {
			name string
			f    func() error
		}{"faults", rb.faultsAll})
	}
	steps = append(steps, struct {
		name string
		f    func() error
	}{"reset", rb.reset})
	for _, s := range steps {
		if err := h.step(s.name, s.f); err != nil {
			return err
		}
	}
	return nil
}

func (rb *runbook) node(name string) *rbNode {
	for _, n := range rb.nodes {
		if n.n.name == name {
			return n
		}
	}
	return nil
}

// makeNodes creates the four nodes on the switch: namespaces, a default
// route to an address nobody holds (kubeadm and the kubelet find the
// node's address by it), the kubelet's own cgroup root, containerd's root
// on a real directory (overlay snapshots cannot live on an overlay), and
// the pod network: Debian's bridge CNI with a /24 per node and static
// routes to the other nodes' /24s (host-gw style, no overlay, no daemon).
func (rb *runbook) makeNodes() error {
	h := rb.h
	t, err := newTopology(fmt.Sprintf("rb%d-", os.Getpid()), h.o.bins.self, h.log)
	if t != nil {
		h.topo = t
	}
	if err != nil {
		return err
	}
	for i, x := range runbookNodes {
		n, err := t.addNode(x.name, x.addr, filepath.Join(h.work, "nodes", x.name), bundleHolderArgs...)
		if err != nil {
			return err
		}
		r := &realWorker{h: h, cgroupRoot: fmt.Sprintf("%s-%s", h.cgroupRoot(), x.name)}
		rn := &rbNode{n: n, r: r, podNet: fmt.Sprintf("100.64.%d.0/24", i)}
		rb.nodes = append(rb.nodes, rn)
		if i < 3 {
			h.masters = append(h.masters, n)
		} else {
			h.worker = n
		}
		if err := ipCmd(h.log, "-n", n.netns, "route", "add", "default", "via", "10.103.97.1", "dev", "eth0"); err != nil {
			return err
		}
		if err := r.makeCgroupRoot(); err != nil {
			return err
		}
		croot := filepath.Join(n.dir, "containerd")
		if err := os.MkdirAll(croot, 0o700); err != nil {
			return err
		}
		// A fresh machine has no ~/.kube (the seeds' `mkdir ~/.kube` fails
		// on one that has): hide the host's in the node's /root overlay.
		if _, err := n.run(h.log, 10*time.Second, "sh", "-c", "mkdir -p /var/lib/containerd && mount --bind "+croot+" /var/lib/containerd && rm -rf /root/.kube"); err != nil {
			return err
		}
		cni := fmt.Sprintf(`{"cniVersion": "0.4.0", "name": "runbook", "plugins": [{"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
`, rn.podNet)
		// What a node's admin sets for the kubelet on this host (the seeds'
		// package generated its kubelet drop-in for the host's cgroup
		// driver): cgroup v1 allowed, cgroupfs (no systemd), and a cgroup
		// root of its own so four kubelets on one host do not reap each
		// other's pods; low eviction thresholds, since the disk is the host's
		// (shared: above ~85% full the defaults taint the nodes with disk
		// pressure, see the bundle test) and no image garbage collection:
		// above 85% disk use the kubelet deletes unused images, and an
		// offline node cannot pull them again (seen: after the reboot fault
		// the pause image was gone and no pod could start). A drop-in, not
		// the cluster's config: the seeds' kubeadm-config.yaml has no
		// KubeletConfiguration.
		dropin := fmt.Sprintf("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailCgroupV1: false\ncgroupDriver: cgroupfs\ncgroupRoot: %s\n"+
			"evictionHard: {imagefs.available: 1%%, nodefs.available: 1%%, memory.available: 100Mi}\nimageGCHighThresholdPercent: 100\nimageGCLowThresholdPercent: 99\n", r.cgroupRoot)
		for p, data := range map[string]string{
			"/etc/cni/net.d/10-runbook.conflist":  cni,
			"/etc/default/kubelet":                "KUBELET_EXTRA_ARGS=--config-dir=/etc/default/kubelet.d\n",
			"/etc/default/kubelet.d/10-node.conf": dropin,
		} {
			if err := os.MkdirAll(filepath.Dir(n.path(p)), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(n.path(p), []byte(data), 0o644); err != nil {
				return err
			}
		}
	}
	for _, a := range rb.nodes {
		for _, b := range rb.nodes {
			if a != b {
				if err := ipCmd(h.log, "-n", a.n.netns, "route", "add", b.podNet, "via", b.n.addr, "dev", "eth0"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// install: on every node (in parallel) what the seeds' package does:
// unpack, shell/init.sh; then the kubelet under the supervisor, which waits
// for kubeadm's config as systemd's unit would.
func (rb *runbook) install() error {
	h := rb.h
	var wg sync.WaitGroup
	errs := make([]error, len(rb.nodes))
	for i, rn := range rb.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := rn.n
			start := time.Now()
			if _, err := n.run(h.log, 5*time.Minute, "tar", "-xzf", rb.tarball, "-C", runbookHome); err != nil {
				errs[i] = err
				return
			}
			out, err := n.runEnv(h.log, 5*time.Minute, []string{"HOME=" + runbookHome}, "sh", filepath.Join(runbookHome, "kube/shell/init.sh"))
			if err != nil {
				errs[i] = err
				return
			}
			h.logf("%s: unpacked and init.sh in %s: %s", n.name, time.Since(start).Round(100*time.Millisecond), lastLine(out))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, rn := range rb.nodes {
		if err := rb.startKubelet(rn); err != nil {
			return err
		}
	}
	return nil
}

func (rb *runbook) startKubelet(rn *rbNode) error {
	h := rb.h
	kl, err := h.ps.start(rn.n.name+"-kubelet", rn.n.command(nil, h.o.bins.self, "kubelet-supervisor", "--kubelet", "/usr/bin/kubelet"), h.logPath(rn.n.name+"-kubelet"))
	if err != nil {
		return err
	}
	rn.kubelet = kl
	return nil
}

// sh runs a piece of the runbook in the node as root in ~, with bash -e.
func (rb *runbook) sh(n *node, timeout time.Duration, script string) (string, error) {
	return n.runEnv(rb.h.log, timeout, []string{"HOME=" + runbookHome}, "bash", "-ec", "cd "+runbookHome+"\n"+script)
}

// seedsConfig is the seeds' kubeadm-config.yaml with kube-proxy's mode as
// this kernel allows (the one edit of the file besides kubernetesVersion).
func (rb *runbook) seedsConfigText() (string, error) {
	data, err := os.ReadFile(rb.seedsConfig)
	if err != nil {
		return "", err
	}
	s := string(data)
	if !strings.Contains(s, `mode: "ipvs"`) || !strings.Contains(s, "kubernetesVersion: "+kubeVersion) {
		return "", fmt.Errorf("%s is not the seeds' config (no mode: \"ipvs\" or kubernetesVersion %s)", rb.seedsConfig, kubeVersion)
	}
	// kube-proxy sets the host-wide nf_conntrack_max to maxPerCore × cores
	// (32768 × 2 here, below this host's 262144: it would lower it) and
	// fails where the file is read-only, as in every network namespace but
	// the host's: "open /proc/sys/net/netfilter/nf_conntrack_max: permission
	// denied", kube-proxy crash-looping on every node. 0 leaves it alone.
	const modeLine = "mode: \"ipvs\"\n"
	s = strings.Replace(s, modeLine, modeLine+"conntrack:\n        maxPerCore: 0\n", 1)
	rb.edit("kubeadm-config.yaml: kube-proxy conntrack.maxPerCore: 0 (nodes are network namespaces of one host: kube-proxy may not set the host-wide nf_conntrack_max)")
	if rb.proxyMode != "ipvs" {
		s = strings.Replace(s, `mode: "ipvs"`, fmt.Sprintf("mode: %q", rb.proxyMode), 1)
		rb.edit(fmt.Sprintf(`kubeadm-config.yaml: kube-proxy mode "ipvs" -> %q (this kernel has no IPVS)`, rb.proxyMode))
	}
	return s, nil
}

func (rb *runbook) edit(s string) {
	rb.edits = append(rb.edits, s)
	rb.h.logf("EDIT of the runbook: %s", s)
}

var (
	reToken   = regexp.MustCompile(`--token ([a-z0-9]{6}\.[a-z0-9]{16})`)
	reHash    = regexp.MustCompile(`--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})`)
	reCertKey = regexp.MustCompile(`--certificate-key ([0-9a-f]{64})`)
)

// initMaster0 runs the seeds' master0 section.
func (rb *runbook) initMaster0() error {
	h := rb.h
	m0 := rb.node("m0").n
	cfg, err := rb.seedsConfigText()
	if err != nil {
		return err
	}
	if err := os.WriteFile(m0.path(filepath.Join(runbookHome, "kubeadm-config.yaml")), []byte(cfg), 0o644); err != nil {
		return err
	}
	rb.edit("kubeadm init and every kubeadm join: " + runbookPreflight + " (cgroup v1 host)")
	start := time.Now()
	out, err := rb.sh(m0, 8*time.Minute, `echo "10.103.97.200 apiserver.cluster.local" >> /etc/hosts
kubeadm init --config=kubeadm-config.yaml --experimental-upload-certs `+runbookPreflight+`
mkdir ~/.kube && cp /etc/kubernetes/admin.conf ~/.kube/config`)
	if err != nil {
		return err
	}
	h.logf("m0: kubeadm init took %s", time.Since(start).Round(100*time.Millisecond))
	h.check("init accepts --experimental-upload-certs with v1.15's notice", contains(out, "Flag --experimental-upload-certs has been deprecated, use --upload-certs instead"))
	h.check("init converts the seeds' v1beta1 config", contains(out, "kubeadm config migrate"))
	h.check("init says the control plane is up", contains(out, "Your Kubernetes control-plane has initialized successfully"))
	for _, x := range []struct {
		re  *regexp.Regexp
		dst *string
	}{{reToken, &rb.token}, {reHash, &rb.hash}, {reCertKey, &rb.certKey}} {
		m := x.re.FindStringSubmatch(out)
		if m == nil {
			return fmt.Errorf("kubeadm init's output has no %s", x.re)
		}
		*x.dst = m[1]
	}
	ca, err := os.ReadFile(m0.path(filepath.Join(pkiDir, "ca.crt")))
	if err != nil {
		return err
	}
	h.ca = ca
	rb.edit("skipped: kubectl apply -f https://docs.projectcalico.org/…/calico.yaml (no network; the pod network is Debian's bridge CNI on each node with static routes between the nodes)")
	return nil
}

// joinMasters runs the seeds' master1 and master2 sections, in turn. The
// seeds' master2 section seds to 10.103.97.201 (copied from master1's):
// run as written, master2's own kubelet and kube-proxy use master1.
func (rb *runbook) joinMasters() error {
	h := rb.h
	for _, name := range []string{"m1", "m2"} {
		n := rb.node(name).n
		start := time.Now()
		out, err := rb.sh(n, 8*time.Minute, fmt.Sprintf(`echo "10.103.97.200 apiserver.cluster.local" >> /etc/hosts
kubeadm join 10.103.97.200:6443 --token %s \
    --discovery-token-ca-cert-hash %s \
    --experimental-control-plane \
    --certificate-key %s %s

sed "s/10.103.97.200/10.103.97.201/g" -i /etc/hosts`, rb.token, rb.hash, rb.certKey, runbookPreflight))
		if err != nil {
			return err
		}
		h.logf("%s: kubeadm join --experimental-control-plane took %s", name, time.Since(start).Round(100*time.Millisecond))
		h.check(name+": join accepts --experimental-control-plane with v1.15's notice", contains(out, "Flag --experimental-control-plane has been deprecated, use --control-plane instead"))
		h.check(name+": joined as a control-plane node", contains(out, "This node has joined the cluster and a new control plane instance was created"))
	}
	return nil
}

// joinWorker runs the seeds' node section.
func (rb *runbook) joinWorker() error {
	h := rb.h
	w := rb.node("w").n
	extra := runbookPreflight
	if rb.backend != "ipvs" {
		extra = "--locallb-backend " + rb.backend + " " + extra
		rb.edit("worker join: --locallb-backend " + rb.backend + " (this kernel has no IPVS)")
	}
	start := time.Now()
	out, err := rb.sh(w, 8*time.Minute, fmt.Sprintf(`echo "10.103.97.2 apiserver.cluster.local" >> /etc/hosts   # using vip
kubeadm join 10.103.97.2:6443 --token %s \
    --master 10.103.97.200:6443 \
    --master 10.103.97.201:6443 \
    --master 10.103.97.202:6443 \
    --discovery-token-ca-cert-hash %s %s`, rb.token, rb.hash, extra))
	if err != nil {
		return err
	}
	h.logf("w: kubeadm join --master … took %s", time.Since(start).Round(100*time.Millisecond))
	h.check("w: joined", contains(out, "This node has joined the cluster"))
	h.check("w: join ran the locallb phase", contains(out, "[locallb]"))
	return nil
}

// checks: every node Ready, the worker's kube-lvscare pod Running, the
// system pods' state, and the worker's kubelet and kube-proxy connected to
// the cluster only through the VIP.
func (rb *runbook) checks() error {
	h := rb.h
	cs, err := h.adminClient()
	if err != nil {
		return err
	}
	for _, rn := range rb.nodes {
		h.check("node "+rn.n.name+" is Ready", waitNodeReady(cs, rn.n.name, 4*time.Minute))
	}
	h.real = nil
	if err := rb.waitPod(cs, lvscarePodName, 3*time.Minute); err != nil {
		h.check("the worker's kube-lvscare pod is Running and Ready", err)
	} else {
		h.check("the worker's kube-lvscare pod is Running and Ready", nil)
	}
	if pids := lvscarePIDs(h.worker); len(pids) != 1 {
		h.check("one lvscare process on the worker", fmt.Errorf("found %v", pids))
	} else {
		h.check("one lvscare process on the worker", nil)
	}
	// kube-proxy on every node; coredns reaches the apiservers through the
	// kubernetes Service (kube-proxy's DNAT) over the pod network.
	deadline := time.Now().Add(3 * time.Minute)
	var last string
	var perr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pods, err := cs.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		cancel()
		notReady := 0
		var states []string
		if err == nil {
			for i := range pods.Items {
				p := &pods.Items[i]
				ready := p.Status.Phase == "Running" && podReady(p)
				if !ready {
					notReady++
				}
				states = append(states, fmt.Sprintf("%s %s/%s ready=%v", p.Name, p.Spec.NodeName, p.Status.Phase, ready))
			}
			last = strings.Join(states, "; ")
		} else {
			last = err.Error()
		}
		if err == nil && notReady == 0 && len(pods.Items) >= 3*4+4+2+1 {
			break
		}
		if time.Now().After(deadline) {
			perr = fmt.Errorf("not all kube-system pods Running and ready within 3m: %s", last)
			break
		}
		time.Sleep(2 * time.Second)
	}
	h.logf("kube-system pods: %s", last)
	h.check("every kube-system pod Running and ready (4 static pods × 3 masters, kube-proxy × 4, coredns × 2, kube-lvscare)", perr)
	h.check("the worker maps "+endpointName+" to the VIP", hostsMaps(h.worker, endpointName, vip))
	h.check("the worker's kubelet and kube-proxy reach the apiservers only through the VIP", rb.onlyThroughVIP())
	return nil
}

// waitPod waits until kube-system/name is Running and Ready.
func (rb *runbook) waitPod(cs *kubernetes.Clientset, name string, within time.Duration) error {
	start := time.Now()
	last := "not found"
	for time.Since(start) < within {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pod, err := cs.CoreV1().Pods("kube-system").Get(ctx, name, metav1.GetOptions{})
		cancel()
		switch {
		case err != nil:
			last = err.Error()
		case pod.Status.Phase == corev1.PodRunning && podReady(pod):
			return nil
		default:
			last = fmt.Sprintf("phase %s, %s", pod.Status.Phase, containerStates(pod))
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("%s not Running and Ready within %s (last: %s)", name, within, last)
}
