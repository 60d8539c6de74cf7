package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The runbook cluster's faults, measured from the worker by the harness's
// clients (fresh connections and one persistent HTTP/2 connection through
// the VIP) and its Lease watcher, and its resources and reset.

const (
	rbFaultKill     = "kill m1's apiserver container"
	rbFaultFreeze   = "freeze and cut off m2 (node)"
	rbFaultReboot   = "reboot m0 (all processes)"
	rbFaultUpgrade  = "upgrade-style restart, each"
	apiserverComm   = "kube-apiserver"
	rbMasterTimeout = 4 * time.Minute // a master's apiserver back after a fault
)

var runbookFaults = []string{rbFaultKill, rbFaultFreeze, rbFaultReboot, rbFaultUpgrade}

// nodePIDs are the processes of a node: its network namespace (host-network
// pods, the kubelet, containerd and its shims) and its kubelet's cgroups
// (pods with their own network).
func (rn *rbNode) pids() []int {
	pids, _ := processesIn(rn.n)
	for _, p := range rn.r.cgroupProcesses() {
		if !slices.Contains(pids, p) {
			pids = append(pids, p)
		}
	}
	return pids
}

func (rn *rbNode) pidsNamed(comm string) []int {
	var out []int
	for _, p := range rn.pids() {
		if processName(p) == comm {
			out = append(out, p)
		}
	}
	return out
}

// onlyThroughVIP: every TCP connection of the worker's kubelet and
// kube-proxy processes to port 6443 goes to the VIP (the socket keeps the
// address it connected to; the balancer's DNAT is invisible to it), and
// each has one.
func (rb *runbook) onlyThroughVIP() error {
	w := rb.node("w")
	var errs []string
	for _, comm := range []string{"kubelet", "kube-proxy"} {
		pids := w.pidsNamed(comm)
		if len(pids) != 1 {
			errs = append(errs, fmt.Sprintf("want one %s process on the worker, found %v", comm, pids))
			continue
		}
		remotes, err := tcpRemotes(pids[0])
		if err != nil {
			return err
		}
		via := 0
		for _, r := range remotes {
			if r.Port != apiserverPort {
				continue
			}
			if r.IP.Equal(net.ParseIP(vip)) {
				via++
			} else {
				errs = append(errs, fmt.Sprintf("%s (pid %d) is connected to %s directly", comm, pids[0], r))
			}
		}
		if via == 0 {
			errs = append(errs, fmt.Sprintf("%s (pid %d) has no connection to %s:%d (its connections: %v)", comm, pids[0], vip, apiserverPort, remotes))
		}
		rb.h.logf("w: %s (pid %d) has %d connection(s) to %s:%d and none to a master directly", comm, pids[0], via, vip, apiserverPort)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// tcpRemotes lists the remote ends of pid's established TCP sockets.
func tcpRemotes(pid int) ([]*net.TCPAddr, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []*net.TCPAddr
	for _, file := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, file))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fld := strings.Fields(sc.Text())
			// sl local rem st … inode (field 9); 01 is ESTABLISHED.
			if len(fld) < 10 || fld[3] != "01" || !inodes[fld[9]] {
				continue
			}
			if a := parseProcAddr(fld[2]); a != nil {
				out = append(out, a)
			}
		}
		f.Close()
	}
	return out, nil
}

// parseProcAddr parses /proc/net/tcp{,6}'s HEXIP:HEXPORT (little-endian
// 32-bit words).
func parseProcAddr(s string) *net.TCPAddr {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return nil
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return nil
	}
	var ip net.IP
	for i := 0; i+8 <= len(h); i += 8 {
		w, err := strconv.ParseUint(h[i:i+8], 16, 32)
		if err != nil {
			return nil
		}
		ip = append(ip, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	if len(ip) != 4 && len(ip) != 16 {
		return nil
	}
	return &net.TCPAddr{IP: ip, Port: int(port)}
}

// resources samples every node's processes: the sum of their PSS (shared
// pages split among the processes that map them) and their CPU over -idle.
func (rb *runbook) resources() error {
	h := rb.h
	type usage struct {
		pss, rss int64 // KiB
		ticks    int64
	}
	sample := func(rn *rbNode) usage {
		var u usage
		for _, p := range rn.pids() {
			if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", p)); err == nil {
				for _, l := range strings.Split(string(data), "\n") {
					f := strings.Fields(l)
					if len(f) >= 2 && (f[0] == "Pss:" || f[0] == "Rss:") {
						v, _ := strconv.ParseInt(f[1], 10, 64)
						if f[0] == "Pss:" {
							u.pss += v
						} else {
							u.rss += v
						}
					}
				}
			}
			if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil {
				// After the command's closing parenthesis: state is field 3,
				// utime and stime are fields 14 and 15.
				s := string(data)
				f := strings.Fields(s[strings.LastIndex(s, ")")+1:])
				if len(f) > 12 {
					ut, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					u.ticks += ut + st
				}
			}
		}
		return u
	}
	before := map[string]usage{}
	for _, rn := range rb.nodes {
		before[rn.n.name] = sample(rn)
	}
	t0 := time.Now()
	time.Sleep(rb.idle)
	el := time.Since(t0).Seconds()
	var totPSS, totRSS int64
	var totCores float64
	var lines []string
	for _, rn := range rb.nodes {
		a := sample(rn)
		// Processes that exited in between would make this negative.
		cores := max(0, float64(a.ticks-before[rn.n.name].ticks)/100/el)
		disk, _ := rn.n.run(h.log, time.Minute, "du", "-sm", "/var/lib/containerd")
		diskMB := strings.Fields(disk + " ?")[0]
		totPSS, totRSS, totCores = totPSS+a.pss, totRSS+a.rss, totCores+cores
		lines = append(lines, fmt.Sprintf("resources node %-3s processes %3d  PSS %5d MiB  RSS %5d MiB  idle CPU %.2f cores  containerd disk %s MiB",
			rn.n.name, len(rn.pids()), a.pss/1024, a.rss/1024, cores, diskMB))
	}
	lines = append(lines, fmt.Sprintf("resources cluster (4 nodes): PSS %d MiB, RSS %d MiB, idle CPU %.2f cores (over %.0f s)", totPSS/1024, totRSS/1024, totCores, el))
	for _, l := range lines {
		h.logf("%s", l)
	}
	h.extraReport = append(h.extraReport, lines...)
	return nil
}

// faultsAll starts the worker's clients and the Lease watcher, then runs
// the faults.
func (rb *runbook) faultsAll() error {
	h := rb.h
	perMaster, err := h.adminClientsPerMaster()
	if err != nil {
		return err
	}
	h.nodes = startNodeWatch(perMaster, "w", 500*time.Millisecond)
	if err := h.startClients(); err != nil {
		return err
	}
	for r := 1; r <= h.o.repeat; r++ {
		for _, name := range runbookFaults {
			if err := rb.fault(r, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// holderName names the master whose apiserver holds the persistent
// client's connection (by the worker's address and the client's port).
func (rb *runbook) holderName() string {
	port := int(rb.h.pconn.port.Load())
	remote4 := fmt.Sprintf("%s:%04X", hexIPv4(net.ParseIP(workerAddr)), port)
	remote6 := "0000000000000000FFFF0000" + remote4
	for _, rn := range rb.nodes[:3] {
		for _, p := range rn.pidsNamed(apiserverComm) {
			for _, file := range []string{"tcp", "tcp6"} {
				if established(fmt.Sprintf("/proc/%d/net/%s", p, file), remote4, remote6) {
					return rn.n.name
				}
			}
		}
	}
	return "none found"
}

func (rb *runbook) fault(run int, name string) error {
	h := rb.h
	if err := h.waitHealthy(30 * time.Second); err != nil {
		return fmt.Errorf("before %q: %w", name, err)
	}
	var apply func() error
	switch name {
	case rbFaultKill:
		apply = func() error { return rb.killAPIServer(rb.node("m1")) }
	case rbFaultFreeze:
		apply = func() error { return rb.freezeCut(rb.node("m2")) }
	case rbFaultReboot:
		apply = func() error { return rb.reboot(rb.node("m0")) }
	case rbFaultUpgrade:
		apply = func() error {
			for _, rn := range rb.nodes[:3] {
				if err := rb.upgradeRestart(rn, run); err != nil {
					return err
				}
			}
			return nil
		}
	default:
		return fmt.Errorf("unknown fault %q", name)
	}
	h.logf("fault %q: the persistent client's connection is held by %s", name, rb.holderName())
	time.Sleep(rand.N(time.Second)) // de-correlate from the care daemon's probe ticks
	start := time.Now()
	if err := apply(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	time.Sleep(h.o.settle)
	rerr := h.waitHealthy(30 * time.Second)
	w := summarize(h.probe.since(start), h.o.interval)
	w.from, w.to = start, time.Now()
	h.faults[name] = append(h.faults[name], w)
	ps := h.persist.since(start)
	pw := summarize(ps, persistentInterval)
	pw.from, pw.to = start, w.to
	pw.recovery = recovery(ps, start)
	h.pfaults[name] = append(h.pfaults[name], pw)
	h.logf("fault %-30s run %d: fresh client %d/%d failed, window %s (first error: %s); persistent client %d/%d failed, recovered %s (first error: %s); lease gap %s",
		name, run, w.failed, w.total, w.span.Round(time.Millisecond), tail(w.firstErr, 160), pw.failed, pw.total, pw.recovery.Round(time.Millisecond), tail(pw.firstErr, 160),
		h.nodes.longestGap(w.from, w.to).Round(10*time.Millisecond))
	h.logf("fault %s run %d: failed requests at (s after the fault began) fresh %s; persistent %s", name, run, failedAt(h.probe.since(start), start), failedAt(ps, start))
	h.check(fmt.Sprintf("run %d: requests through the VIP succeed again after %q", run, name), rerr)
	return nil
}

// failedAt lists when the failed samples started, relative to start.
func failedAt(ss []sample, start time.Time) string {
	var at []string
	for _, s := range ss {
		if !s.ok {
			at = append(at, fmt.Sprintf("%.2f", s.at.Sub(start).Seconds()))
		}
	}
	if len(at) == 0 {
		return "none"
	}
	return strings.Join(at, " ")
}

// waitAPIServer waits until a kube-apiserver other than old runs on the
// master and its /readyz answers.
func (rb *runbook) waitAPIServer(rn *rbNode, old []int) error {
	h := rb.h
	c, err := httpsClient(rn.n.nsPath(), h.ca, 2*time.Second)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(rbMasterTimeout)
	for time.Now().Before(deadline) {
		pids := rn.pidsNamed(apiserverComm)
		if len(pids) == 1 && !slices.Contains(old, pids[0]) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return waitHTTP(c, fmt.Sprintf("https://%s:%d/readyz", rn.n.addr, apiserverPort), time.Until(deadline), nil)
}

// killAPIServer kills the apiserver container's process; the kubelet
// starts the container again.
func (rb *runbook) killAPIServer(rn *rbNode) error {
	pids := rn.pidsNamed(apiserverComm)
	if len(pids) != 1 {
		return fmt.Errorf("want one kube-apiserver on %s, found %v", rn.n.name, pids)
	}
	start := time.Now()
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		return err
	}
	if err := rb.waitAPIServer(rn, pids); err != nil {
		return err
	}
	rb.h.logf("%s: the kubelet restarted the apiserver container; /readyz after %s", rn.n.name, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// freezeCut stops every process of the node (SIGSTOP) and takes its link
// down for -fault-duration, then undoes both.
func (rb *runbook) freezeCut(rn *rbNode) error {
	h := rb.h
	pids := rn.pids()
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGSTOP)
	}
	if err := ipCmd(h.log, "-n", rn.n.netns, "link", "set", "eth0", "down"); err != nil {
		return err
	}
	h.logf("%s: %d processes frozen, eth0 down", rn.n.name, len(pids))
	time.Sleep(h.o.faultFor)
	if err := ipCmd(h.log, "-n", rn.n.netns, "link", "set", "eth0", "up"); err != nil {
		return err
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
	start := time.Now()
	if err := rb.waitAPIServer(rn, nil); err != nil {
		return err
	}
	h.logf("%s: thawed, eth0 up; /readyz after %s", rn.n.name, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// reboot kills every process of the node, drops what a reboot drops (the
// mounts and files under /run), then starts containerd and the kubelet as
// the node's boot would; the kubelet starts the static pods again.
func (rb *runbook) reboot(rn *rbNode) error {
	h := rb.h
	old := rn.pidsNamed(apiserverComm)
	start := time.Now()
	if rn.kubelet != nil {
		rn.kubelet.kill()
	}
	for try := 0; try < 50; try++ {
		pids := rn.pids()
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := rb.sh(rn.n, time.Minute, `awk '$5 ~ "^/run/" {print $5}' /proc/self/mountinfo | sort -r | xargs -r umount -l || true
rm -rf /run/containerd /run/netns`); err != nil {
		return err
	}
	// A booted machine has no cgroups of the killed containers either; left
	// there, the new kubelet's cAdvisor spends ~3 s on each (90 s here)
	// before it syncs any pod.
	if err := rn.r.removeCgroupRoot(); err != nil {
		return err
	}
	rn.r.cgroupDirs = nil
	if err := rn.r.makeCgroupRoot(); err != nil {
		return err
	}
	h.logf("%s: every process killed, /run and the kubelet's cgroups cleared (%s)", rn.n.name, time.Since(start).Round(100*time.Millisecond))
	time.Sleep(2 * time.Second)
	// Boot: containerd (systemd's containerd.service on a real node), then
	// the kubelet.
	if _, err := h.ps.start(rn.n.name+"-containerd", rn.n.command(nil, "containerd", "--config", "/etc/containerd/config.toml"), h.logPath(rn.n.name+"-containerd")); err != nil {
		return err
	}
	if err := rb.startKubelet(rn); err != nil {
		return err
	}
	if err := rb.waitAPIServer(rn, old); err != nil {
		return err
	}
	h.logf("%s: booted again; its apiserver answers /readyz %s after the kill", rn.n.name, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// upgradeRestart changes the master's kube-apiserver manifest as kubeadm
// upgrade apply does (here: one annotation), so the kubelet stops the old
// pod (SIGTERM, its grace period) and starts the new one; then it waits
// for the new apiserver's /readyz.
func (rb *runbook) upgradeRestart(rn *rbNode, run int) error {
	h := rb.h
	p := rn.n.path(filepath.Join(manifestDirPath, "kube-apiserver.yaml"))
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	s := string(data)
	const key = "  annotations:\n"
	if !strings.Contains(s, key) {
		return fmt.Errorf("%s: no metadata.annotations in the apiserver manifest", rn.n.name)
	}
	// One annotation, replaced each time: a repeated key makes the
	// manifest invalid and the kubelet keeps the old pod.
	s = regexp.MustCompile(`(?m)^    e2e\.sealkube\.io/restart: .*\n`).ReplaceAllString(s, "")
	s = strings.Replace(s, key, fmt.Sprintf("%s    e2e.sealkube.io/restart: \"%d-%d\"\n", key, run, time.Now().UnixNano()), 1)
	old := rn.pidsNamed(apiserverComm)
	start := time.Now()
	// Written beside and renamed, as kubeadm writes manifests.
	tmp := filepath.Join(filepath.Dir(p), ".kube-apiserver.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	if err := rb.waitAPIServer(rn, old); err != nil {
		return err
	}
	h.logf("%s: the kubelet replaced the apiserver pod after its manifest changed; /readyz %s after the change", rn.n.name, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// reset: kubeadm reset --force on every node, the worker first, each after
// its kubelet stopped (systemctl stop kubelet on a systemd host); then
// nothing of ours may be left on any node.
func (rb *runbook) reset() error {
	h := rb.h
	h.stopClients()
	for i := len(rb.nodes) - 1; i >= 0; i-- {
		rn := rb.nodes[i]
		if rn.kubelet != nil {
			rn.kubelet.stop(10 * time.Second)
		}
		start := time.Now()
		if _, err := rb.sh(rn.n, 3*time.Minute, "kubeadm reset --force"); err != nil {
			return err
		}
		h.logf("%s: kubeadm reset took %s", rn.n.name, time.Since(start).Round(100*time.Millisecond))
		h.check(rn.n.name+": kubeadm reset leaves nothing of ours", rb.leftovers(rn))
	}
	return nil
}

// leftovers: what kubeadm (upstream's part and ours) wrote on the node and
// reset must remove. The seeds' own hosts line is the user's and stays.
func (rb *runbook) leftovers(rn *rbNode) error {
	h, n := rb.h, rn.n
	var left []string
	for _, p := range []string{filepath.Join(manifestDirPath, lvscareFile), filepath.Join(manifestDirPath, "kube-apiserver.yaml"),
		filepath.Join(manifestDirPath, "etcd.yaml"), locallbState, kubeletConf, "/etc/kubernetes/admin.conf",
		"/etc/modules-load.d/kubeadm-locallb.conf", "/var/lib/etcd/member", "/var/lib/kubelet/config.yaml"} {
		if _, err := os.Stat(n.path(p)); err == nil {
			left = append(left, p)
		}
	}
	// Upstream's reset empties these directories and keeps them.
	for _, d := range []string{pkiDir, manifestDirPath, "/var/lib/kubelet"} {
		if ents, err := os.ReadDir(n.path(d)); err == nil && len(ents) > 0 {
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			left = append(left, d+"/{"+strings.Join(names, ",")+"}")
		}
	}
	if data, err := os.ReadFile(n.path(hostsFile)); err == nil && strings.Contains(string(data), hostsMarker) {
		left = append(left, "/etc/hosts line ending in # "+hostsMarker)
	}
	if out, err := n.run(h.log, 10*time.Second, "nft", "list", "ruleset"); err == nil && mentionsAddr(out, vip) {
		left = append(left, "nftables rules mentioning "+vip)
	}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/ip_vs", n.holder.Process.Pid)); err == nil {
		if strings.Contains(string(data), fmt.Sprintf("%02X%02X%02X%02X:%04X", 10, 103, 97, 2, apiserverPort)) {
			left = append(left, "IPVS virtual server "+vipAddrPort().String())
		}
	}
	if out, err := n.run(h.log, time.Minute, "ctr", "-n", "k8s.io", "containers", "ls", "-q"); err != nil {
		left = append(left, "CRI containers: "+err.Error())
	} else if ids := strings.Fields(out); len(ids) > 0 {
		left = append(left, fmt.Sprintf("%d CRI containers", len(ids)))
	}
	if pids := rn.pidsNamed("lvscare"); len(pids) > 0 {
		left = append(left, fmt.Sprintf("lvscare processes %v", pids))
	}
	if len(left) > 0 {
		return fmt.Errorf("left: %s", strings.Join(left, "; "))
	}
	return nil
}

// teardown kills whatever runs in each node and removes its cgroups
// (harness.teardown then removes the namespaces), and lists the edits.
func (rb *runbook) teardown() {
	for _, rn := range rb.nodes {
		if rn.kubelet != nil {
			rn.kubelet.stop(10 * time.Second)
		}
		rn.r.killAll(rn.n)
	}
	if len(rb.edits) > 0 {
		rb.h.extraReport = append(rb.h.extraReport, "edits of the seeds' runbook (everything else ran verbatim):")
		for _, e := range rb.edits {
			rb.h.extraReport = append(rb.h.extraReport, "  - "+e)
		}
	}
}
