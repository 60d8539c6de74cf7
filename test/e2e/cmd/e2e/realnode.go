package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
)

// The real worker: containerd (Debian's) and a kubelet built from the
// pinned module run inside the worker node's namespaces; the kubelet starts
// the kube-lvscare static pod that our kubeadm join wrote, from the image
// built here and imported into containerd. Nothing stands in for them.

const (
	containerdSocket = "/run/containerd/containerd.sock"
	kubeletConfig    = "/var/lib/kubelet/config.yaml"
	lvscarePodName   = "kube-lvscare-w" // the static pod's mirror pod: <name>-<node>
	lvscareHealth    = "http://127.0.0.1:10296/healthz"
	lvscareMetrics   = "http://127.0.0.1:10296/metrics"
)

// pauseImage is the sandbox image kubeadm names, built here from
// test/e2e/cmd/pause (hack/e2e-build.sh images).
var pauseImage = "registry.k8s.io/pause:" + kubeadmconstants.PauseVersion

// workerHolderArgs give the real worker what a host has and the others do
// not need: its own /var/log (pod logs), an empty /run (containerd's state,
// runc's and the shims' sockets) and private copies of the sysctls the
// kubelet rewrites.
var workerHolderArgs = []string{"--overlay", "/etc,/var/lib,/var/log", "--tmpfs", "/run", "--mask-sysctls"}

// realWorker runs the worker's container runtime and kubelet.
type realWorker struct {
	h          *harness
	cgroupRoot string // e.g. /kubeadm-e2e-1234, created in every cgroup hierarchy
	cgroupDirs []string
	containerd *proc
	kubelet    *proc // the supervisor (our stand-in for systemd's kubelet.service)
	binDir     string
	errsBefore float64 // the daemon's balancer errors counted by containers that were restarted
}

func (h *harness) newRealWorker() *realWorker {
	return &realWorker{h: h, cgroupRoot: h.cgroupRoot()}
}

// cgroupRoot is the worker kubelet's cgroupRoot (in the cluster's
// KubeletConfiguration): unique per run, removed by teardown.
func (h *harness) cgroupRoot() string { return fmt.Sprintf("/kubeadm-e2e-%d", os.Getpid()) }

// prepare makes the cgroup root, starts containerd, imports the images and
// starts the kubelet supervisor, which waits for kubeadm join's config.
func (r *realWorker) prepare() error {
	h, w := r.h, r.h.worker
	if err := r.makeCgroupRoot(); err != nil {
		return err
	}
	// A node's setup (the seeds' init.sh) turns on forwarding; it is per
	// network namespace, and kubeadm's preflight requires it.
	if _, err := w.run(h.log, 10*time.Second, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"); err != nil {
		return err
	}
	// What a node's package manager and admin would have put there.
	r.binDir = filepath.Join(h.work, "worker-bin")
	if err := os.MkdirAll(r.binDir, 0o755); err != nil {
		return err
	}
	if err := os.Symlink(h.o.bins.kubelet, filepath.Join(r.binDir, "kubelet")); err != nil {
		return err
	}
	files := map[string]string{
		// /etc/default/kubelet is where kubeadm's systemd drop-in reads
		// KUBELET_EXTRA_ARGS; the node has no default route to find its IP.
		"/etc/default/kubelet": "KUBELET_EXTRA_ARGS=--node-ip=" + workerAddr + "\n",
		// Only host-network pods run here, but the kubelet reports the node
		// NotReady until the runtime has a network configuration.
		"/etc/cni/net.d/10-e2e.conflist": `{"cniVersion": "0.4.0", "name": "e2e", "plugins": [{"type": "bridge", "bridge": "cni0",
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "100.64.1.0/24"}]]}}]}
`,
	}
	for p, data := range files {
		if err := os.MkdirAll(filepath.Dir(w.path(p)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(w.path(p), []byte(data), 0o644); err != nil {
			return err
		}
	}
	cfg := filepath.Join(w.dir, "containerd.toml")
	if err := os.WriteFile(cfg, []byte(containerdConfig(filepath.Join(w.dir, "containerd"))), 0o644); err != nil {
		return err
	}
	p, err := h.ps.start("w-containerd", w.command(nil, h.o.bins.containerd, "--config", cfg), h.logPath("w-containerd"))
	if err != nil {
		return err
	}
	r.containerd = p
	if err := r.waitContainerd(30 * time.Second); err != nil {
		return err
	}
	for _, img := range h.o.bins.images {
		if _, err := w.run(h.log, 2*time.Minute, h.o.bins.ctr, "--address", containerdSocket, "-n", "k8s.io", "images", "import", img); err != nil {
			return fmt.Errorf("importing %s into the worker's containerd: %w", img, err)
		}
	}
	out, err := w.run(h.log, time.Minute, h.o.bins.ctr, "--address", containerdSocket, "-n", "k8s.io", "images", "ls", "-q")
	if err != nil {
		return err
	}
	h.logf("worker: containerd has %s", strings.Join(strings.Fields(out), ", "))
	kl, err := h.ps.start("w-kubelet", w.command(nil, h.o.bins.self, "kubelet-supervisor", "--kubelet", h.o.bins.kubelet), h.logPath("w-kubelet"))
	if err != nil {
		return err
	}
	r.kubelet = kl
	return nil
}

func (r *realWorker) waitContainerd(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if !r.containerd.alive() {
			return errors.New("containerd exited: see logs/w-containerd.log")
		}
		if _, err := os.Stat(r.h.worker.path(containerdSocket)); err == nil {
			if _, err := r.h.worker.run(r.h.log, 10*time.Second, r.h.o.bins.ctr, "--address", containerdSocket, "version"); err == nil {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("containerd did not serve %s within %s", containerdSocket, within)
}

// containerdConfig keeps everything of this containerd in root and the
// worker's private /run; the CRI plugin uses our locally built pause image
// and cgroupfs (the kubelet's driver here).
func containerdConfig(root string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = "/run/containerd"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # No CAP_SYS_RESOURCE to lower containers' OOM scores below ours.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
`, root, containerdSocket, pauseImage)
}

// makeCgroupRoot creates the kubelet's cgroupRoot in every cgroup v1
// hierarchy (and the v2 one of a hybrid host), so this kubelet's pods live
// under it and teardown can remove them all.
func (r *realWorker) makeCgroupRoot() error {
	mounts, err := cgroupMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		d := filepath.Join(m, r.cgroupRoot)
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating the kubelet's cgroup root %s: %w", d, err)
		}
		r.cgroupDirs = append(r.cgroupDirs, d)
		if filepath.Base(m) == "cpuset" {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, err := os.ReadFile(filepath.Join(m, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
					return fmt.Errorf("copying %s into %s: %w", f, d, err)
				}
			}
		}
	}
	return nil
}

// cgroupMounts lists the mount points of cgroup and cgroup2 filesystems.
func cgroupMounts() ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, x := range fields {
			if x == "-" && i+1 < len(fields) && (fields[i+1] == "cgroup" || fields[i+1] == "cgroup2") {
				out = append(out, fields[4])
			}
		}
	}
	return out, sc.Err()
}

// cgroupProcesses lists the processes in the kubelet's cgroup root, in
// every hierarchy.
func (r *realWorker) cgroupProcesses() []int {
	seen := map[int]bool{}
	var pids []int
	for _, root := range r.cgroupDirs {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
					seen[pid] = true
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// removeCgroupRoot removes the cgroup root and everything the kubelet made
// under it, deepest first (only empty cgroups can be removed).
func (r *realWorker) removeCgroupRoot() error {
	var errs []error
	for _, root := range r.cgroupDirs {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			var err error
			for try := 0; try < 20; try++ {
				if err = syscall.Rmdir(dirs[i]); err == nil || errors.Is(err, fs.ErrNotExist) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", dirs[i], err))
			}
		}
	}
	return errors.Join(errs...)
}

// processesIn lists the processes in the network namespace of the node
// (containerd's shims and the pods run there: the pods use the host
// network), except the node's holder.
func processesIn(n *node) ([]int, error) {
	want, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", n.holder.Process.Pid))
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == n.holder.Process.Pid || pid == os.Getpid() {
			continue
		}
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil && ns == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

func processName(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// lvscarePIDs are the care daemon processes on the worker.
func lvscarePIDs(n *node) []int {
	pids, _ := processesIn(n)
	var out []int
	for _, p := range pids {
		if processName(p) == "lvscare" {
			out = append(out, p)
		}
	}
	return out
}

// teardown stops the kubelet and containerd and kills what they left (the
// shims and the containers' processes), then removes the cgroups.
func (r *realWorker) teardown() {
	if r.kubelet != nil {
		r.kubelet.stop(10 * time.Second)
	}
	if r.containerd != nil {
		r.containerd.stop(10 * time.Second)
	}
	if r.h.worker == nil || r.h.worker.holder == nil {
		return
	}
	r.killAll(r.h.worker)
}

// killAll kills every process of node n (its network namespace and the
// kubelet's cgroups), then removes the cgroups.
func (r *realWorker) killAll(n *node) {
	for try := 0; try < 50; try++ {
		pids, _ := processesIn(n)
		// Pods with their own network (coredns) live in other network
		// namespaces, but in the kubelet's cgroups.
		pids = append(pids, r.cgroupProcesses()...)
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.h.check("teardown removes the kubelet's cgroups", r.removeCgroupRoot())
}

// afterJoin waits until the kubelet runs the static pod: the mirror pod is
// Running in the API and the daemon in it answers its health endpoint.
func (r *realWorker) afterJoin() error {
	cs, err := r.h.adminClient()
	if err != nil {
		return err
	}
	start := time.Now()
	var last string
	for time.Since(start) < 3*time.Minute {
		if !r.kubelet.alive() {
			return errors.New("the kubelet supervisor exited: see logs/w-kubelet.log")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pod, err := cs.CoreV1().Pods("kube-system").Get(ctx, lvscarePodName, metav1.GetOptions{})
		cancel()
		switch {
		case err != nil:
			last = err.Error()
		case pod.Status.Phase == corev1.PodRunning && podReady(pod):
			h := r.h
			h.logf("worker: mirror pod kube-system/%s Running and Ready %s after the join (image %s)", lvscarePodName, time.Since(start).Round(100*time.Millisecond), pod.Spec.Containers[0].Image)
			if len(lvscarePIDs(h.worker)) != 1 {
				return fmt.Errorf("want one lvscare process in the worker, found %v", lvscarePIDs(h.worker))
			}
			return nil
		default:
			last = fmt.Sprintf("phase %s, %s", pod.Status.Phase, containerStates(pod))
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the kube-lvscare static pod is not Running within 3m (last: %s): see logs/w-kubelet.log", last)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func containerStates(p *corev1.Pod) string {
	var s []string
	for _, c := range p.Status.ContainerStatuses {
		switch {
		case c.State.Waiting != nil:
			s = append(s, fmt.Sprintf("%s waiting: %s %s", c.Name, c.State.Waiting.Reason, c.State.Waiting.Message))
		case c.State.Terminated != nil:
			s = append(s, fmt.Sprintf("%s terminated: %s %s", c.Name, c.State.Terminated.Reason, c.State.Terminated.Message))
		default:
			s = append(s, c.Name+" running")
		}
	}
	return strings.Join(s, "; ")
}

// restartCare kills the daemon's process as a crash would; the kubelet
// restarts the container. The kernel rules stay meanwhile.
func (r *realWorker) restartCare() error {
	h := r.h
	pids := lvscarePIDs(h.worker)
	if len(pids) != 1 {
		return fmt.Errorf("want one lvscare process in the worker, found %v", pids)
	}
	errs, err := r.balancerErrors()
	if err != nil {
		return err
	}
	r.errsBefore += errs
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		return err
	}
	start := time.Now()
	c := &http.Client{Transport: &http.Transport{DialContext: dialerIn(h.worker.nsPath(), time.Second)}, Timeout: time.Second}
	for time.Since(start) < time.Minute {
		if now := lvscarePIDs(h.worker); len(now) == 1 && now[0] != pids[0] {
			if resp, err := c.Get(lvscareHealth); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					h.logf("worker: the kubelet restarted the care daemon (pid %d -> %d) in %s", pids[0], now[0], time.Since(start).Round(10*time.Millisecond))
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the kubelet did not restart the care daemon within 1m: see logs/w-kubelet.log")
}

// balancerErrors sums lvscare_balancer_errors_total (one sample per failed
// operation; none while nothing failed) from the daemon's metrics.
func (r *realWorker) balancerErrors() (float64, error) {
	c := &http.Client{Transport: &http.Transport{DialContext: dialerIn(r.h.worker.nsPath(), time.Second)}, Timeout: 2 * time.Second}
	resp, err := c.Get(lvscareMetrics)
	if err != nil {
		return 0, fmt.Errorf("reading the care daemon's metrics: %w", err)
	}
	defer resp.Body.Close()
	return sumMetric(resp.Body, "lvscare_balancer_errors_total")
}

// sumMetric adds up the samples of a metric in Prometheus text format. A
// counter vector without samples is not listed at all, so the text must at
// least show the daemon's other metrics (lvscare_real_server_up): a
// renamed counter or a foreign endpoint then fails instead of reading 0.
func sumMetric(r io.Reader, name string) (float64, error) {
	sum, ours := 0.0, false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "lvscare_real_server_up{") {
			ours = true
		}
		if rest, ok := strings.CutPrefix(l, name); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			f := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
			if len(f) == 0 {
				return 0, fmt.Errorf("malformed sample %q", l)
			}
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, fmt.Errorf("sample %q: %w", l, err)
			}
			sum += v
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !ours {
		return 0, fmt.Errorf("these are not the care daemon's metrics (no lvscare_real_server_up) while looking for %s", name)
	}
	return sum, nil
}

// criContainers lists the containers containerd still knows in the CRI's
// namespace.
func (r *realWorker) criContainers() ([]string, error) {
	out, err := r.h.worker.run(r.h.log, time.Minute, r.h.o.bins.ctr, "--address", containerdSocket, "-n", "k8s.io", "containers", "ls", "-q")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// adminClient talks to the cluster as kubernetes-super-admin through
// whichever master answers, each dialled inside its own namespace, so it
// keeps working while one master is down or cut off.
func (h *harness) adminClient() (*kubernetes.Clientset, error) {
	return h.adminClientVia(h.masters)
}

// adminClientsPerMaster returns one client per master that dials only that
// master. An observer that must not go blind while one master is frozen or
// cut off asks all of them: a client that dials "whichever answers" keeps
// its one HTTP/2 connection to the master it first reached, and through a
// frozen or cut-off master every request times out until client-go's own
// health check (30 s) gives up on it.
func (h *harness) adminClientsPerMaster() ([]*kubernetes.Clientset, error) {
	var out []*kubernetes.Clientset
	for _, m := range h.masters {
		cs, err := h.adminClientVia([]*node{m})
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

// adminClientVia dials the first of masters that accepts a connection.
func (h *harness) adminClientVia(masters []*node) (*kubernetes.Clientset, error) {
	m0 := h.masters[0]
	kc, err := clientcmd.LoadFromFile(m0.path(filepath.Join(kubeDir, "super-admin.conf")))
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Host = "https://" + endpointName + fmt.Sprintf(":%d", apiserverPort)
	cfg.TLSClientConfig.ServerName = endpointName
	cfg.Timeout = 5 * time.Second
	cfg.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var errs []error
		for _, m := range masters {
			c, err := dialerIn(m.nsPath(), time.Second)(ctx, network, fmt.Sprintf("%s:%d", m.addr, apiserverPort))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
	return kubernetes.NewForConfig(cfg)
}

// kubeletSupervisorMain stands in for systemd's kubelet.service with
// kubeadm's drop-in (10-kubeadm.conf): it waits for the config kubeadm join
// writes, runs the kubelet with the drop-in's flags plus
// KUBELET_KUBEADM_ARGS and KUBELET_EXTRA_ARGS, and restarts it when it
// exits (Restart=always). SIGTERM stops the kubelet (systemctl stop).
func kubeletSupervisorMain(args []string) error {
	fsf := flag.NewFlagSet("kubelet-supervisor", flag.ContinueOnError)
	kubelet := fsf.String("kubelet", "kubelet", "the kubelet binary")
	if err := fsf.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	for ctx.Err() == nil {
		if _, err := os.Stat(kubeletConfig); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		a := []string{"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--config=" + kubeletConfig}
		a = append(a, envFileArgs("/var/lib/kubelet/kubeadm-flags.env", "KUBELET_KUBEADM_ARGS")...)
		a = append(a, envFileArgs("/etc/default/kubelet", "KUBELET_EXTRA_ARGS")...)
		fmt.Printf("kubelet-supervisor: %s %s\n", *kubelet, strings.Join(a, " "))
		c := exec.Command(*kubelet, a...)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			fmt.Printf("kubelet-supervisor: kubelet exited: %v; restarting in 2s\n", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		case <-ctx.Done():
			_ = c.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = c.Process.Kill()
				<-done
			}
		}
	}
	return nil
}

// envFileArgs reads NAME="flags…" from a systemd EnvironmentFile.
func envFileArgs(path, name string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), name+"="); ok {
			return strings.Fields(strings.Trim(v, `"'`))
		}
	}
	return nil
}
