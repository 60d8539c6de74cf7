package phases

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/etchosts"
	"github.com/sealkube/kubeadm/locallb"
)

// Taking over a node that sealos set up (issue 12). sealos gives every
// worker an IPVS virtual server VIP:6443 over the masters (`sealctl ipvs
// … --run-once` before the join), a static pod running the public lvscare
// `care` command that keeps it (written by `sealctl static-pod lvscare`),
// and in route mode (public lvscare's default) a route `VIP/32 via <node
// address> metric 50`, the node address taken from the lvscare.node.ip line
// sealos puts in /etc/hosts. kubeadm refuses a virtual server it did not
// create; with --adopt-sealos it takes these over instead.

// FlagAdoptSealos is the join flag that asks for the take-over.
const FlagAdoptSealos = "adopt-sealos"

// SealosManifests are the file names of sealos' lvscare static pod in the
// kubelet's static pod directory: sealos v4 and v5 (pod
// kube-sealos-lvscare), then sealos v3 and the seeds' 2019 fork
// (kube-sealyun-lvscare).
var SealosManifests = []string{"kube-sealos-lvscare.yaml", "kube-sealyun-lvscare.yaml"}

// sealosPod is a sealos lvscare static pod found on the node.
type sealosPod struct {
	path string
	data []byte
	perm fs.FileMode
	// argv is the container's command line (command, then args), which
	// is exactly its process's /proc/PID/cmdline while it runs.
	argv []string

	vip       netip.AddrPort
	masters   []netip.AddrPort
	scheduler string
	mode      string
	// target is route mode's gateway: --ip, else lvscare.node.ip in the
	// node's hosts file (the pod uses the host network, so the kubelet
	// gives it the node's /etc/hosts); zero when neither is set, and then
	// public lvscare writes no route.
	target     netip.Addr
	targetFrom string
}

func (p *sealosPod) command() string { return strings.Join(p.argv, " ") }

func (p *sealosPod) mastersString() string { return joinAddrs(p.masters) }

// findSealos reads the sealos lvscare manifests in the node's static pod
// directory. A file that exists but is not an lvscare pod is an error
// naming it: kubeadm cannot tell what runs there.
func findSealos(n Node) ([]*sealosPod, error) {
	var pods []*sealosPod
	for _, name := range SealosManifests {
		path := filepath.Join(n.ManifestDir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading sealos' lvscare static pod %s: %w", path, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		p, err := parseSealos(path, data, n.HostsPath)
		if err != nil {
			return nil, err
		}
		p.perm = st.Mode().Perm()
		pods = append(pods, p)
	}
	return pods, nil
}

// parseSealos reads a sealos lvscare static pod: its container runs
// `lvscare care --vs VIP --rs … [options]` (public lvscare's flags, which
// our care package parses with their public meaning).
func parseSealos(path string, data []byte, hostsPath string) (*sealosPod, error) {
	var pod corev1.Pod
	if err := yaml.Unmarshal(data, &pod); err != nil {
		return nil, fmt.Errorf("%s is not a static pod manifest (%v): move it out of the static pod directory or fix it, then run this again", path, err)
	}
	var argv []string
	var env []corev1.EnvVar
	for _, c := range pod.Spec.Containers {
		cmd := append(slices.Clone(c.Command), c.Args...)
		if len(cmd) >= 2 && filepath.Base(cmd[0]) == "lvscare" && cmd[1] == "care" {
			argv, env = cmd, c.Env
			break
		}
	}
	if argv == nil {
		return nil, fmt.Errorf("%s (pod %s) runs no `lvscare care` container, so it is not sealos' lvscare: move it out of the static pod directory if it is not needed, then run this again", path, pod.Name)
	}
	p := &sealosPod{path: path, data: data, argv: argv}
	fs := pflag.NewFlagSet("care", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := care.NewOptions()
	o.RegisterFlags(fs)
	if err := fs.Parse(argv[2:]); err != nil {
		return nil, fmt.Errorf("%s: cannot read its lvscare command %q: %v", path, p.command(), err)
	}
	if err := care.ApplyEnv(fs, func(name string) string {
		for _, e := range env {
			if e.Name == name {
				return e.Value
			}
		}
		return ""
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	vip, err := netip.ParseAddrPort(o.VirtualServer)
	if err != nil {
		return nil, fmt.Errorf("%s: its lvscare has --vs %q, not an IP:port (%v): fix or remove the file", path, o.VirtualServer, err)
	}
	p.vip = netip.AddrPortFrom(vip.Addr().Unmap(), vip.Port())
	for _, rs := range o.RealServers {
		a, err := netip.ParseAddrPort(rs)
		if err != nil {
			return nil, fmt.Errorf("%s: its lvscare has --rs %q, not an IP:port (%v): fix or remove the file", path, rs, err)
		}
		p.masters = append(p.masters, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
	}
	p.scheduler, p.mode = o.Scheduler, o.Mode
	if p.mode == care.ModeRoute {
		if o.TargetIP != "" {
			if a, err := netip.ParseAddr(o.TargetIP); err == nil {
				p.target, p.targetFrom = a.Unmap(), "--ip"
			}
		} else if hostsPath != "" {
			entries, err := etchosts.File{Path: hostsPath, Marker: HostsMarker}.Lookup(care.NodeIPHostname)
			if err == nil && len(entries) > 0 {
				p.target, p.targetFrom = entries[0].Addr.Unmap(), care.NodeIPHostname+" in "+hostsPath
			}
		}
	}
	return p, nil
}

// sealosFor picks the pod that balances vip.
func sealosFor(pods []*sealosPod, vip netip.AddrPort) *sealosPod {
	for _, p := range pods {
		if p.vip == vip {
			return p
		}
	}
	return nil
}

// checkSealos decides, before anything changes, what to do about sealos'
// lvscare on this node: nothing (none for this VIP and no take-over asked),
// refuse (found, not asked: the error names the flag and the file), or take
// over pod (asked; nil when there is nothing to take over). It reads
// files only.
func checkSealos(cfg LocalLBConfig, n Node, e locallb.Endpoints) (*sealosPod, error) {
	pods, err := findSealos(n)
	if err != nil {
		return nil, err
	}
	pod := sealosFor(pods, e.VIP)
	if !cfg.AdoptSealos {
		if pod == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("sealos' lvscare static pod %s keeps an IPVS virtual server for this VIP %s (`%s`), and kubeadm takes that over only when asked: "+
			"run again with --%s (adoptSealos: true in the %s document). kubeadm then checks the virtual server is sealos', removes %s, waits for that lvscare to stop "+
			"and records the virtual server (and sealos' route for %s) as its own, so `kubeadm reset` removes them; or remove sealos' load balancer yourself (rm %s; ipvsadm -D -t %s)",
			pod.path, e.VIP, pod.command(), FlagAdoptSealos, documentKind, pod.path, e.VIP.Addr(), pod.path, e.VIP)
	}
	if pod == nil {
		if len(pods) > 0 {
			return nil, fmt.Errorf("--%s: sealos' lvscare static pod %s balances %s, not this join's VIP %s: join with that VIP (kubeadm join phase locallb %s --master …), or remove the file if that load balancer is no longer used",
				FlagAdoptSealos, pods[0].path, pods[0].vip, e.VIP, pods[0].vip)
		}
		return nil, nil
	}
	switch {
	case pod.mode == care.ModeLink:
		return nil, fmt.Errorf("--%s: sealos' lvscare %s runs in link mode (--mode link: the VIP on the dummy interface %q, iptables chains VIRTUAL-* and the ipset VIRTUAL-IP), which kubeadm does not take over: "+
			"remove it with public lvscare (`lvscare care --vs %s --mode link -C`, which deletes the virtual server too) and rm %s, then join without --%s", FlagAdoptSealos, pod.path, care.DefaultIface, e.VIP, pod.path, FlagAdoptSealos)
	case cfg.Backend != locallb.BackendIPVS:
		return nil, fmt.Errorf("--%s with --locallb-backend %s: sealos' load balancer is an IPVS virtual server, which kubeadm takes over with the ipvs backend only: use --locallb-backend ipvs (backend: ipvs)", FlagAdoptSealos, cfg.Backend)
	}
	return pod, nil
}

// documentKind names our config document in messages.
const documentKind = "LocalLoadBalancerConfiguration"

// sealosVirtualServer checks that the virtual server at the VIP, if any, is
// the one pod keeps: TCP, masquerade, no persistence, the pod's scheduler,
// real servers among the pod's --rs (lvscare removes unhealthy ones and
// drains with weight 0).
func sealosVirtualServer(pod *sealosPod, cur locallb.VirtualServer) error {
	var foreign []string
	for _, rs := range cur.RealServers {
		if !slices.Contains(pod.masters, rs.Addr) {
			foreign = append(foreign, rs.Addr.String())
		}
	}
	var odd []string
	for _, d := range cur.Deviations {
		if d != "scheduler "+pod.scheduler {
			odd = append(odd, d)
		}
	}
	switch {
	case len(foreign) > 0:
		return fmt.Errorf("--%s: the IPVS virtual server %s has real servers %s that sealos' lvscare %s does not list (its --rs: %s), so it is not the one sealos made: "+
			"find out who programs it (ipvsadm -Ln -t %s); if nothing needs it, remove it (ipvsadm -D -t %s) and run again",
			FlagAdoptSealos, pod.vip, strings.Join(foreign, ", "), pod.path, pod.mastersString(), pod.vip, pod.vip)
	case len(odd) > 0:
		return fmt.Errorf("--%s: the IPVS virtual server %s differs from what sealos' lvscare %s writes (scheduler %s, masquerade, no persistence): %s; "+
			"find out who programs it (ipvsadm -Ln -t %s); if nothing needs it, remove it (ipvsadm -D -t %s) and run again",
			FlagAdoptSealos, pod.vip, pod.path, pod.scheduler, strings.Join(odd, ", "), pod.vip, pod.vip)
	}
	return nil
}

// takeOverSealos removes sealos' lvscare and hands its virtual server and
// route to Install: it checks the virtual server, picks sealos' routes,
// removes the manifest (Undo puts it back) and waits, bounded, until the
// old daemon has stopped, since it would otherwise restore its settings
// under ours.
func (c *Changes) takeOverSealos(e locallb.Endpoints, pod *sealosPod) (*locallb.Adoption, error) {
	n := c.node
	cur, exists, err := c.kernel.Balancer.Get(e.VIP)
	if err != nil {
		return nil, fmt.Errorf("reading the virtual server %s sealos set up: %w", e.VIP, err)
	}
	if exists {
		if err := sealosVirtualServer(pod, cur); err != nil {
			return nil, err
		}
	}
	hostRoutes, err := c.kernel.Routes.HostRoutes(e.VIP.Addr())
	if err != nil {
		return nil, err
	}
	var routes []locallb.HostRoute
	for _, h := range hostRoutes {
		if pod.target.IsValid() && h.Gateway == pod.target {
			routes = append(routes, h)
		} else {
			n.printf("Leaving the route %s alone: sealos' lvscare %s", h, sealosRouteWords(pod))
		}
	}

	if err := os.Remove(pod.path); err != nil {
		return nil, fmt.Errorf("removing sealos' lvscare static pod %s: %w", pod.path, err)
	}
	c.undo = append(c.undo, restoreFileStep(pod.path, pod.data, pod.perm))
	n.printf("Removed sealos' lvscare static pod %s", pod.path)
	switch {
	case n.CommandRunning == nil:
	case !n.CommandRunning(pod.argv):
		n.printf("sealos' lvscare is not running (no process runs `%s`)", pod.command())
	default:
		start := time.Now()
		if !n.waitStopped(func() bool { return n.CommandRunning(pod.argv) }) {
			return nil, fmt.Errorf("sealos' lvscare (`%s`) still runs %s after its static pod %s was removed: is the kubelet running (systemctl status kubelet)? "+
				"Stop that pod (crictl pods --name kube-sealos-lvscare; crictl stopp POD-ID) and run this again",
				pod.command(), n.careStopTimeout(), pod.path)
		}
		n.printf("sealos' lvscare has stopped (after %s)", time.Since(start).Round(100*time.Millisecond))
	}
	from := "sealos (" + pod.path + ")"
	what := "no IPVS virtual server (its lvscare had not created one)"
	if exists {
		what = fmt.Sprintf("the IPVS virtual server %s (real servers %s)", e.VIP, realServers(cur.RealServers))
	}
	if len(routes) > 0 {
		what += " and the route " + hostRoutesString(routes)
	}
	n.printf("Taking over from sealos: %s", what)
	return &locallb.Adoption{From: from, Routes: routes}, nil
}

func sealosRouteWords(pod *sealosPod) string {
	if !pod.target.IsValid() {
		return "writes no route (route mode without --ip or " + care.NodeIPHostname + ")"
	}
	return "routes the VIP via " + pod.target.String() + " (" + pod.targetFrom + "), not this way"
}

func hostRoutesString(hs []locallb.HostRoute) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, ", ")
}

func realServers(rs []locallb.RealServer) string {
	if len(rs) == 0 {
		return "none"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.Addr.String() + " weight " + strconv.Itoa(r.Weight)
	}
	return strings.Join(s, ", ")
}

// dryRunSealos says what the take-over would do.
func dryRunSealos(n Node, e locallb.Endpoints, pod *sealosPod) {
	route := ""
	if pod.target.IsValid() {
		route = fmt.Sprintf(" and sealos' route for %s via %s (%s)", e.VIP.Addr(), pod.target, pod.targetFrom)
	}
	n.printf("Would take over sealos' load balancer: check that the IPVS virtual server %s is the one its lvscare keeps (real servers among %s, scheduler %s, masquerade), "+
		"remove its static pod %s, wait at most %s until its process `%s` has stopped, and record the virtual server%s as kubeadm's in %s, so kubeadm reset removes them",
		e.VIP, pod.mastersString(), pod.scheduler, pod.path, n.careStopTimeout(), pod.command(), route, n.statePath())
}

// CommandRunning reports whether a process on this node runs exactly argv
// (its /proc/PID/cmdline). Public lvscare has no health endpoint; a
// container's process runs its command and args exactly as the manifest
// gives them, so this is how kubeadm knows sealos' lvscare has stopped.
func CommandRunning(argv []string) bool { return commandRunningIn("/proc", argv) }

func commandRunningIn(proc string, argv []string) bool {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return false
	}
	want := strings.Join(argv, "\x00")
	for _, en := range entries {
		if _, err := strconv.Atoi(en.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(proc, en.Name(), "cmdline"))
		if err != nil {
			continue // gone, or not ours to read
		}
		if strings.TrimSuffix(string(data), "\x00") == want {
			return true
		}
	}
	return false
}
