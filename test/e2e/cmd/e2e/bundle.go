package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The offline package's test (make bundle-test): a node in its own network,
// mount and UTS namespaces, with private overlays over /etc, /usr, /var/lib,
// /var/log and /root and an empty /run, unpacks the tarball, runs its
// shell/init.sh (twice: the second run must change nothing), then
// `kubeadm config images pull` and the package's master.sh, which runs our
// kubeadm init. The node's only route leads to an address nobody holds, so
// any image pull from a registry fails; the checks say that none happened.

const bundleNodeRoot = "/root" // where the node unpacks the tarball

// bundleHolderArgs: the real worker's view plus /usr (init.sh installs into
// /usr/bin) and /root (the unpacked package, ~/.kube).
var bundleHolderArgs = []string{"--overlay", "/etc,/usr,/var/lib,/var/log,/root", "--tmpfs", "/run", "--mask-sysctls"}

func bundleMain(args []string) error {
	fs := flag.NewFlagSet("bundle", flag.ContinueOnError)
	var o options
	tarball := fs.String("tarball", "", "the package (make bundle): _output/bundle/kubernetes-<version>-linux-amd64.tar.gz (default: the only one there)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (logs) after a passing run")
	noInit := fs.Bool("no-init", false, "stop after init.sh and the image checks (no kubeadm init)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root (network, mount and UTS namespaces): run `sudo make bundle-test`")
	}
	if *tarball == "" {
		m, _ := filepath.Glob("_output/bundle/kubernetes-*-linux-*.tar.gz")
		if len(m) != 1 {
			return fmt.Errorf("found %d packages matching _output/bundle/kubernetes-*-linux-*.tar.gz (%v): run make bundle, or name one with -tarball", len(m), m)
		}
		*tarball = m[0]
	}
	abs, err := filepath.Abs(*tarball)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("the package %s: %w (make bundle builds it)", abs, err)
	}
	// coredns runs in the pod network: the package carries no CNI plugin
	// (the seeds apply one after init), the test uses Debian's bridge.
	for _, tool := range []struct{ path, pkg string }{{"/usr/lib/cni/bridge", "containernetworking-plugins"}, {"/usr/lib/cni/host-local", "containernetworking-plugins"},
		{"/usr/bin/containerd", "containerd"}, {"/usr/sbin/runc", "runc"}, {"/usr/sbin/nft", "nftables"}} {
		if _, err := os.Stat(tool.path); err != nil {
			return fmt.Errorf("%s is missing: apt-get install %s", tool.path, tool.pkg)
		}
	}
	if o.bins.self, err = os.Executable(); err != nil {
		return err
	}
	o.kubelet = "real"
	work, err := os.MkdirTemp("", "kubeadm-bundle-")
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(work, "e2e.log"))
	if err != nil {
		return err
	}
	h := &harness{o: o, work: work, log: logf, t0: time.Now()}
	fmt.Printf("e2e bundle: %s; work directory %s (log: e2e.log; per-process logs: logs/)\n", abs, work)
	b := &bundleRun{h: h, tarball: abs, init: !*noInit}
	return h.runAll(b.run)
}

type bundleRun struct {
	h       *harness
	n       *node
	tarball string
	init    bool
	pkg     string   // the unpacked package in the node
	images  []string // images/images.list
	hostBin map[string]bool
}

func (b *bundleRun) run() error {
	h := b.h
	// What the host has in /usr/bin before: the node's installs must not
	// reach it.
	b.hostBin = map[string]bool{}
	for _, t := range []string{"kubeadm", "kubelet", "kubectl", "crictl"} {
		_, err := os.Stat(filepath.Join("/usr/bin", t))
		b.hostBin[t] = err == nil
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"node", b.node},
		{"unpack", b.unpack},
		{"init.sh refuses", b.initShRefuses},
		{"init.sh", b.initSh},
		{"init.sh again", b.initShAgain},
		{"images pull", b.pull},
	}
	if b.init {
		steps = append(steps, struct {
			name string
			f    func() error
		}{"master.sh", b.master}, struct {
			name string
			f    func() error
		}{"pods", b.pods})
	}
	for _, s := range steps {
		if err := h.step(s.name, s.f); err != nil {
			return err
		}
	}
	var leaked []string
	for t, had := range b.hostBin {
		if _, err := os.Stat(filepath.Join("/usr/bin", t)); (err == nil) != had {
			leaked = append(leaked, "/usr/bin/"+t)
		}
	}
	sort.Strings(leaked)
	if len(leaked) > 0 {
		h.check("the host's /usr/bin is untouched", fmt.Errorf("changed on the host: %s", strings.Join(leaked, ", ")))
	} else {
		h.check("the host's /usr/bin is untouched", nil)
	}
	return nil
}

// node makes the node: its namespaces, a default route to an address no
// one holds (kubeadm and the kubelet find the node's address by it; no
// packet leaves), the kubelet's cgroup root, and containerd's root on a
// real directory (its overlay snapshots cannot live on an overlay).
func (b *bundleRun) node() error {
	h := b.h
	t, err := newTopology(fmt.Sprintf("b%d-", os.Getpid()), h.o.bins.self, h.log)
	if t != nil {
		h.topo = t
	}
	if err != nil {
		return err
	}
	if b.n, err = t.addNode("m0", masterAddrs[0], filepath.Join(h.work, "nodes", "m0"), bundleHolderArgs...); err != nil {
		return err
	}
	h.worker = b.n // the real worker's teardown stops what runs in this node
	if err := ipCmd(h.log, "-n", b.n.netns, "route", "add", "default", "via", "10.103.97.1", "dev", "eth0"); err != nil {
		return err
	}
	h.real = h.newRealWorker()
	if err := h.real.makeCgroupRoot(); err != nil {
		return err
	}
	croot := filepath.Join(b.n.dir, "containerd")
	if err := os.MkdirAll(croot, 0o700); err != nil {
		return err
	}
	if _, err := b.n.run(h.log, 10*time.Second, "sh", "-c", "mkdir -p /var/lib/containerd && mount --bind "+croot+" /var/lib/containerd"); err != nil {
		return err
	}
	// Only host-network pods need no CNI plugin; the runtime reports its
	// network ready once a configuration exists (the package carries no CNI).
	cni := `{"cniVersion": "0.4.0", "name": "bundle", "plugins": [{"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "100.64.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
`
	if err := os.MkdirAll(b.n.path("/etc/cni/net.d"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(b.n.path("/etc/cni/net.d/10-bundle.conflist"), []byte(cni), 0o644)
}

func (b *bundleRun) unpack() error {
	if _, err := b.n.run(b.h.log, 5*time.Minute, "tar", "-xzf", b.tarball, "-C", bundleNodeRoot); err != nil {
		return err
	}
	b.pkg = filepath.Join(bundleNodeRoot, "kube")
	data, err := os.ReadFile(b.n.path(filepath.Join(b.pkg, "images/images.list")))
	if err != nil {
		return fmt.Errorf("the package has no images/images.list: %w", err)
	}
	b.images = strings.Fields(string(data))
	if len(b.images) < 8 {
		return fmt.Errorf("images/images.list names %d images (%v); kubeadm config images list names 8", len(b.images), b.images)
	}
	return nil
}

// initShRefuses: on a host that lacks tools (/usr/sbin hidden from PATH:
// losetup, and runc where it lives there) init.sh stops before changing
// anything and says what to install.
func (b *bundleRun) initShRefuses() error {
	out, err := b.n.runEnv(b.h.log, time.Minute, []string{"PATH=/usr/bin:/bin"}, "/bin/sh", filepath.Join(b.pkg, "shell/init.sh"))
	if err == nil {
		return errors.New("init.sh without /usr/sbin on PATH succeeded; want a refusal")
	}
	if !strings.Contains(out, "ERROR: missing ") || !strings.Contains(out, "apt-get install ") {
		return fmt.Errorf("init.sh without /usr/sbin on PATH: want a refusal naming what is missing and the fix, got:\n%s", out)
	}
	if _, err := os.Stat(b.n.path("/usr/bin/kubeadm")); err == nil && !b.hostBin["kubeadm"] {
		return errors.New("init.sh refused but installed /usr/bin/kubeadm first")
	}
	return nil
}

func (b *bundleRun) initSh() error {
	h := b.h
	out, err := b.n.runEnv(h.log, 5*time.Minute, []string{"HOME=" + bundleNodeRoot}, "sh", filepath.Join(b.pkg, "shell/init.sh"))
	if err != nil {
		return err
	}
	// Every image under the name kubeadm asks for, through the CRI.
	var missing []string
	for _, img := range b.images {
		if _, err := b.n.run(h.log, 30*time.Second, "crictl", "inspecti", img); err != nil {
			missing = append(missing, img)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("after init.sh the CRI lacks %s", strings.Join(missing, ", "))
	}
	v, err := b.n.run(h.log, 30*time.Second, "kubeadm", "version", "-o", "short")
	if err != nil {
		return err
	}
	if want := strings.TrimSpace(kubeVersion); strings.TrimSpace(v) != want {
		return fmt.Errorf("the node's kubeadm is %q, want %q", strings.TrimSpace(v), want)
	}
	for _, f := range []string{"/usr/bin/kubelet", "/usr/bin/kubectl", "/usr/bin/crictl", "/etc/systemd/system/kubelet.service",
		"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "/etc/containerd/config.toml", "/etc/sysctl.d/90-kubernetes.conf"} {
		if _, err := os.Stat(b.n.path(f)); err != nil {
			return fmt.Errorf("init.sh did not install %s: %w", f, err)
		}
	}
	h.logf("init.sh: %s", lastLine(out))
	return nil
}

// initShAgain: a second run converges without changing anything.
func (b *bundleRun) initShAgain() error {
	out, err := b.n.runEnv(b.h.log, 5*time.Minute, []string{"HOME=" + bundleNodeRoot}, "sh", filepath.Join(b.pkg, "shell/init.sh"))
	if err != nil {
		return err
	}
	var changed []string
	for _, l := range strings.Split(out, "\n") {
		for _, w := range []string{"] installed ", "] wrote ", "] set ", "] restarted ", "] started ", "] loaded "} {
			if strings.Contains(l, w) {
				changed = append(changed, l)
			}
		}
	}
	if len(changed) > 0 {
		return fmt.Errorf("the second init.sh changed things again:\n%s", strings.Join(changed, "\n"))
	}
	return nil
}

// pull: `kubeadm config images pull` finds every image; the node has no
// registry to pull from.
func (b *bundleRun) pull() error {
	out, err := b.n.run(b.h.log, 2*time.Minute, "kubeadm", "config", "images", "pull")
	if err != nil {
		return err
	}
	for _, img := range b.images {
		if !strings.Contains(out, "Found "+img+" ") {
			return fmt.Errorf("kubeadm config images pull did not find %s:\n%s", img, out)
		}
	}
	return nil
}

// master runs the package's master.sh (our kubeadm init) with the kubelet
// under the harness's supervisor (the node has no systemd) and a patch
// that gives the kubelet this run's cgroup root.
func (b *bundleRun) master() error {
	h := b.h
	kl, err := h.ps.start("m0-kubelet", b.n.command(nil, h.o.bins.self, "kubelet-supervisor", "--kubelet", "/usr/bin/kubelet"), h.logPath("m0-kubelet"))
	if err != nil {
		return err
	}
	h.real.kubelet = kl
	patches := filepath.Join(b.n.dir, "patches")
	if err := os.MkdirAll(patches, 0o755); err != nil {
		return err
	}
	// The disk is the host's, shared with whatever else runs there: without
	// lower eviction thresholds a fuller disk than 85% taints the node with
	// disk pressure and coredns stays Pending.
	patch := "cgroupRoot: " + h.real.cgroupRoot + "\nevictionHard: {imagefs.available: 1%, nodefs.available: 1%, memory.available: 100Mi}\n"
	if err := os.WriteFile(filepath.Join(patches, "kubeletconfiguration+strategic.yaml"), []byte(patch), 0o644); err != nil {
		return err
	}
	start := time.Now()
	out, err := b.n.runEnv(h.log, 5*time.Minute, []string{"HOME=" + bundleNodeRoot, "PATCHES_DIR=" + patches}, "sh", filepath.Join(b.pkg, "shell/master.sh"))
	if err != nil {
		return err
	}
	if !strings.Contains(out, "Your Kubernetes control-plane has initialized successfully") {
		return fmt.Errorf("master.sh ended without kubeadm init's success line:\n%s", tail(out, 2000))
	}
	h.logf("master.sh (kubeadm init) took %.1fs", time.Since(start).Seconds())
	return nil
}

// pods waits until the control plane's static pods, kube-proxy and coredns
// run from the package's images, then checks that no image was pulled.
func (b *bundleRun) pods() error {
	h := b.h
	want := []string{"etcd-m0", "kube-apiserver-m0", "kube-controller-manager-m0", "kube-scheduler-m0", "kube-proxy-", "coredns-"}
	deadline := time.Now().Add(3 * time.Minute)
	var last string
	for {
		out, err := b.n.run(h.log, 30*time.Second, "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "pods", "-n", "kube-system", "-o", "json")
		if err == nil {
			var list struct {
				Items []struct {
					Metadata struct{ Name string }
					Status   struct {
						Phase             string
						ContainerStatuses []struct {
							Ready        bool
							RestartCount int
						}
					}
				}
			}
			if err = json.Unmarshal([]byte(out), &list); err == nil {
				var notYet []string
				for _, w := range want {
					ok := false
					for _, p := range list.Items {
						if strings.HasPrefix(p.Metadata.Name, w) && p.Status.Phase == "Running" && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].Ready {
							ok = true
						}
					}
					if !ok {
						notYet = append(notYet, w)
					}
				}
				var states []string
				for _, p := range list.Items {
					r := 0
					if len(p.Status.ContainerStatuses) > 0 {
						r = p.Status.ContainerStatuses[0].RestartCount
					}
					states = append(states, fmt.Sprintf("%s %s restarts=%d", p.Metadata.Name, p.Status.Phase, r))
				}
				last = strings.Join(states, "; ")
				if len(notYet) == 0 {
					h.logf("pods: %s", last)
					break
				}
				err = fmt.Errorf("not Running and ready yet: %s", strings.Join(notYet, ", "))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%v (pods: %s)", err, last)
		}
		time.Sleep(2 * time.Second)
	}
	// kube-proxy (nftables mode here: no IPVS) programmed the kernel with
	// the nft in its image.
	if out, err := b.n.run(h.log, 30*time.Second, "nft", "list", "tables"); err != nil || !strings.Contains(out, "kube-proxy") {
		h.check("kube-proxy programmed its nftables table", fmt.Errorf("nft list tables: %q (%v)", out, err))
	} else {
		h.check("kube-proxy programmed its nftables table", nil)
	}
	// No pull reached containerd: every image it has came from the package.
	out, err := b.n.run(h.log, 30*time.Second, "crictl", "images", "-o", "json")
	if err != nil {
		return err
	}
	var imgs struct {
		Images []struct{ RepoTags []string }
	}
	if err := json.Unmarshal([]byte(out), &imgs); err != nil {
		return err
	}
	inPkg := map[string]bool{}
	for _, i := range b.images {
		inPkg[i] = true
	}
	var extra []string
	for _, i := range imgs.Images {
		for _, t := range i.RepoTags {
			if !inPkg[t] {
				extra = append(extra, t)
			}
		}
	}
	log, _ := os.ReadFile(b.n.path("/var/log/containerd.log"))
	if n := strings.Count(string(log), "PullImage "); n > 0 || len(extra) > 0 {
		h.check("no image pulled", fmt.Errorf("containerd logged %d PullImage calls; images not from the package: %v", n, extra))
	} else {
		h.check("no image pulled", nil)
	}
	return nil
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}
