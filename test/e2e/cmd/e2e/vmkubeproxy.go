package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// kube-proxy v1.36.3 beside the care daemon on the VM worker, one mode
// after the other, with the configuration our init generates (kubeadm
// init phase addon kube-proxy with a KubeProxyConfiguration in ipvs mode:
// our init adds the VIP to ipvs.excludeCIDRs):
//   - ipvs: kube-proxy deletes every virtual server it does not own unless
//     its address is excluded (labring/lvscare #7); ours must survive;
//   - nftables: at start kube-proxy flushes all of IPVS (its cleanup of the
//     other modes); the care daemon must restore ours within 1 s;
//   - ipvs-noexclude: excludeCIDRs removed on purpose: every sync deletes
//     ours and the daemon restores it; we count the fights and what the
//     clients see.
// While each runs, a Service is created every few seconds (a cluster's
// normal churn), each making kube-proxy sync.

const (
	vmKubeProxyDir        = "/var/lib/kube-proxy"
	kubeProxyMetrics      = 10249
	kubeProxySyncWithin   = 150 * time.Second
	kubeProxyChurnEvery   = 4 * time.Second
	kubeProxyRepairTarget = time.Second
)

// kubeProxyRun is what one mode's run measured.
type kubeProxyRun struct {
	mode     string
	observed time.Duration
	synced   time.Duration // its first completed sync, after its start
	syncs    int           // successful syncs seen (its last-sync timestamp changed)
	churn    int           // Services created during the run
	gaps     []time.Duration
	fresh    window
	persist  window
	// persistRecovered: the persistent client's first success after its
	// first failure, from kube-proxy's start (0: none failed; -1: never).
	persistRecovered time.Duration
	ownVS            bool // kube-proxy's own virtual server for the kubernetes Service (ipvs modes)
	ownTable         bool // kube-proxy's nftables table (nftables mode)
	startedAt        time.Time
}

var kubeProxyModesAll = []string{"ipvs", "nftables", "ipvs-noexclude"}

// kubeProxyConfigFromInit runs our init's kube-proxy addon phase on m0 with
// an ipvs-mode KubeProxyConfiguration and returns the config.conf it
// uploaded, as a map.
func (h *harness) kubeProxyConfigFromInit(cs *kubernetes.Clientset) (map[string]any, error) {
	m0 := h.masters[0]
	cfg := filepath.Join(m0.dir, "kubeadm-kube-proxy.yaml")
	doc := kubeadmConfig(0, h.token, h.cgroupRoot()) + `---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
`
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		return nil, err
	}
	if _, err := h.kubeadm(m0, "init", "phase", "addon", "kube-proxy", "--config", cfg, "--kubeconfig", filepath.Join(kubeDir, "super-admin.conf")); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "kube-proxy", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	// Its DaemonSet has no kubelet to run it here: the harness runs
	// kube-proxy in the VM itself.
	_ = cs.AppsV1().DaemonSets("kube-system").Delete(ctx, "kube-proxy", metav1.DeleteOptions{})
	var m map[string]any
	if err := yaml.Unmarshal([]byte(cm.Data["config.conf"]), &m); err != nil {
		return nil, fmt.Errorf("the kube-proxy ConfigMap's config.conf: %w", err)
	}
	return m, nil
}

func (h *harness) kubeProxyModes() error {
	v := h.vm
	cs, err := h.adminClient()
	if err != nil {
		return err
	}
	base, err := h.kubeProxyConfigFromInit(cs)
	if err != nil {
		return fmt.Errorf("our init's kube-proxy configuration: %w", err)
	}
	ipvsCfg, _ := base["ipvs"].(map[string]any)
	excl, _ := ipvsCfg["excludeCIDRs"].([]any)
	var exclErr error
	if !slices.Contains(excl, any(vip+"/32")) {
		exclErr = fmt.Errorf("ipvs.excludeCIDRs is %v, want it to hold %s/32", excl, vip)
	}
	h.check("our init's KubeProxyConfiguration (ipvs mode) excludes the VIP from kube-proxy's IPVS cleanup", exclErr)
	// The DaemonSet's kubeconfig (its service account) is the admin's here;
	// it names the cluster endpoint, which the worker maps to the VIP.
	admin, err := os.ReadFile(h.masters[0].path(filepath.Join(kubeDir, "super-admin.conf")))
	if err != nil {
		return err
	}
	if err := v.post("/write", vmWrite{Path: vmKubeProxyDir + "/kubeconfig.conf", Data: admin}, nil); err != nil {
		return err
	}
	for _, mode := range strings.Split(h.o.vmKubeProxy, ",") {
		cfg := deepCopyMap(base)
		// Reachable from the harness: its sync counter says when it synced.
		cfg["metricsBindAddress"] = fmt.Sprintf("0.0.0.0:%d", kubeProxyMetrics)
		switch mode {
		case "ipvs":
		case "nftables":
			cfg["mode"] = "nftables"
		case "ipvs-noexclude":
			if m, ok := cfg["ipvs"].(map[string]any); ok {
				delete(m, "excludeCIDRs")
			}
		default:
			return fmt.Errorf("-vm-kube-proxy: unknown mode %q (use %s)", mode, strings.Join(kubeProxyModesAll, ", "))
		}
		r, err := h.kubeProxyRun(cs, mode, cfg)
		if err != nil {
			return fmt.Errorf("kube-proxy in %s mode: %w", mode, err)
		}
		h.kpWindows = append(h.kpWindows, r)
	}
	return nil
}

func deepCopyMap(m map[string]any) map[string]any {
	data, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

func (h *harness) kubeProxyRun(cs *kubernetes.Clientset, mode string, cfg map[string]any) (kubeProxyRun, error) {
	v := h.vm
	r := kubeProxyRun{mode: mode}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return r, err
	}
	path := vmKubeProxyDir + "/config-" + mode + ".conf"
	fmt.Fprintf(h.log, "kube-proxy configuration (%s mode):\n%s\n", mode, data)
	if err := v.post("/write", vmWrite{Path: path, Data: data}, nil); err != nil {
		return r, err
	}
	if err := h.waitHealthy(30 * time.Second); err != nil {
		return r, fmt.Errorf("before kube-proxy: %w", err)
	}
	name := "kube-proxy-" + mode
	r.startedAt = time.Now()
	// The DaemonSet's command line: --config and --hostname-override.
	if err := v.start(name, vmBinDir+"/kube-proxy", "--config="+path, "--hostname-override="+workerName, "--v="+fmt.Sprint(h.o.kubeProxyV)); err != nil {
		return r, err
	}
	h.logf("worker VM: kube-proxy started in %s mode", mode)
	// Synced: its metrics count a completed sync of its rules (its
	// /healthz answers 200 before the first one; under TCG a sync of the
	// ipvs mode's ipsets and iptables takes 10–20 s).
	deadline := r.startedAt.Add(kubeProxySyncWithin)
	n := 0
	var last float64
	for {
		if ok, _ := v.alive(name); !ok {
			return r, fmt.Errorf("kube-proxy exited: see logs/w-vm-%s.log", name)
		}
		// Each new timestamp is one more successful sync (they take
		// seconds; this polls twice a second).
		if ts, err := v.kubeProxyLastSync(); err == nil && ts > 0 && ts != last {
			last = ts
			r.syncs++
			if r.synced == 0 {
				r.synced = time.Since(r.startedAt)
				h.logf("worker VM: kube-proxy (%s) completed its first sync %s after start", mode, r.synced.Round(10*time.Millisecond))
			}
		}
		if r.synced == 0 && time.Now().After(deadline) {
			return r, fmt.Errorf("kube-proxy completed no sync within %s (see logs/w-vm-%s.log)", kubeProxySyncWithin, name)
		}
		if r.synced > 0 && time.Since(r.startedAt) > r.synced+h.o.kubeProxyObserve {
			break
		}
		// A cluster's churn: every Service change makes kube-proxy sync.
		if time.Since(r.startedAt) > time.Duration(n+1)*kubeProxyChurnEvery {
			if err := churnService(cs, fmt.Sprintf("e2e-churn-%s-%d", mode, n)); err != nil {
				h.logf("creating a Service: %v", err)
			} else {
				r.churn++
			}
			n++
		}
		time.Sleep(500 * time.Millisecond)
	}
	end := time.Now()
	r.observed = end.Sub(r.startedAt)
	gaps, err := v.ipvsGaps()
	if err != nil {
		return r, err
	}
	for _, g := range gaps {
		if g.to.IsZero() {
			g.to = end
		}
		if g.to.After(r.startedAt) && g.from.Before(end) {
			r.gaps = append(r.gaps, g.to.Sub(g.from))
		}
	}
	r.fresh = summarize(h.probe.since(r.startedAt), h.o.interval)
	for c, p := range map[string]sampler{"fresh": h.probe, "persistent": h.persist} {
		for _, x := range p.since(r.startedAt) {
			if !x.ok {
				fmt.Fprintf(h.log, "  %s client failed at +%s after kube-proxy's start: %s\n", c, x.at.Sub(r.startedAt).Round(time.Millisecond), tail(x.err, 200))
			}
		}
	}
	ps := h.persist.since(r.startedAt)
	r.persist = summarize(ps, persistentInterval)
	r.persistRecovered = recovery(ps, r.startedAt)
	if ipvs, err := v.file("/proc/net/ip_vs"); err == nil {
		// The kubernetes Service 10.96.0.1:443, programmed by kube-proxy.
		r.ownVS = strings.Contains(string(ipvs), ipvsHex(kubernetesServiceIP, 443))
	}
	if out, err := v.run(20*time.Second, "/usr/sbin/nft", "list", "tables"); err == nil {
		r.ownTable = strings.Contains(out, "kube-proxy")
	}
	if err := v.stop(name, 5*time.Second); err != nil {
		return r, err
	}
	h.logf("worker VM: kube-proxy (%s): synced %s after start, observed %s, %d Services created, %d syncs; our virtual server missing %d times %v; fresh client %d/%d failed (window %s), persistent %d/%d failed",
		mode, r.synced.Round(10*time.Millisecond), r.observed.Round(100*time.Millisecond), r.churn, r.syncs, len(r.gaps), roundAll(r.gaps), r.fresh.failed, r.fresh.total, r.fresh.span.Round(time.Millisecond), r.persist.failed, r.persist.total)
	switch mode {
	case "ipvs":
		var err error
		if len(r.gaps) > 0 {
			err = fmt.Errorf("kube-proxy deleted our virtual server %d times (%v) although the VIP is in excludeCIDRs", len(r.gaps), roundAll(r.gaps))
		}
		h.check("kube-proxy in ipvs mode (VIP in excludeCIDRs): our virtual server survives its syncs", err)
		h.check("kube-proxy in ipvs mode programs its own virtual server for the kubernetes Service", boolErr(r.ownVS, "no virtual server "+kubernetesServiceIP+":443 in /proc/net/ip_vs"))
	case "nftables", "ipvs-noexclude":
		var err error
		if mode == "nftables" && len(r.gaps) == 0 {
			err = fmt.Errorf("kube-proxy in nftables mode did not flush IPVS at start (was its modprobe check skipped?)")
		}
		for _, g := range r.gaps {
			if g > kubeProxyRepairTarget {
				err = fmt.Errorf("our virtual server was missing for %s (target ≤ %s); all: %v", g.Round(time.Millisecond), kubeProxyRepairTarget, roundAll(r.gaps))
			}
		}
		what := map[string]string{"nftables": "kube-proxy in nftables mode: its start-up IPVS flush is repaired within 1 s",
			"ipvs-noexclude": "kube-proxy in ipvs mode without excludeCIDRs: every deletion of our virtual server is repaired within 1 s"}[mode]
		h.check(what, err)
		if mode == "nftables" {
			h.check("kube-proxy in nftables mode programs its table beside our IPVS rules", boolErr(r.ownTable, "no kube-proxy table in nft list tables"))
		} else {
			h.check("kube-proxy in ipvs mode programs its own virtual server for the kubernetes Service", boolErr(r.ownVS, "no virtual server "+kubernetesServiceIP+":443 in /proc/net/ip_vs"))
		}
	}
	return r, nil
}

func boolErr(ok bool, msg string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("%s", msg)
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func churnService(cs *kubernetes.Clientset, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	_, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	return err
}

// stopKubeProxyVM stops whichever kube-proxy still runs (a failed run).
func (h *harness) stopKubeProxyVM() {
	for _, mode := range kubeProxyModesAll {
		_ = h.vm.stop("kube-proxy-"+mode, 5*time.Second)
	}
}

// reportKubeProxy prints the kube-proxy runs' figures.
func (h *harness) reportKubeProxy(w io.Writer) {
	if len(h.kpWindows) == 0 {
		return
	}
	fmt.Fprintf(w, "kube-proxy v1.36.3 beside the care daemon in the VM (a Service created every %s; gaps = our virtual server missing from IPVS, sampled every 10 ms):\n", kubeProxyChurnEvery)
	for _, r := range h.kpWindows {
		var longest time.Duration
		for _, g := range r.gaps {
			longest = max(longest, g)
		}
		fmt.Fprintf(w, "  %-15s first sync %5.1fs  observed %5.1fs  services %2d  syncs %2d  our VS missing %2d times, longest %5dms  fresh failed %3d/%-4d (window %5dms)  persistent failed %d/%d (%s)\n",
			r.mode, r.synced.Seconds(), r.observed.Seconds(), r.churn, r.syncs, len(r.gaps), longest.Milliseconds(), r.fresh.failed, r.fresh.total, r.fresh.span.Milliseconds(), r.persist.failed, r.persist.total, persistNote(r))
	}
}

// kubeProxyLastSync is when kube-proxy last synced its IPv4 rules
// successfully (kubeproxy_sync_proxy_rules_last_timestamp_seconds; the
// duration metric also counts failed syncs).
func (v *workerVM) kubeProxyLastSync() (float64, error) {
	c := &http.Client{Transport: v.c.Transport, Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%s:%d/metrics", workerAddr, kubeProxyMetrics))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, `kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"}`) {
			var n float64
			_, err := fmt.Sscan(strings.Fields(l)[1], &n)
			return n, err
		}
	}
	return 0, nil
}

// persistNote says when the persistent client recovered after kube-proxy's
// start: a deleted virtual server leaves its IPVS connection without a
// real server, so its requests time out until it reconnects.
func persistNote(r kubeProxyRun) string {
	switch {
	case r.persist.failed == 0:
		return "never failed"
	case r.persistRecovered < 0:
		return "not recovered when kube-proxy stopped"
	}
	return fmt.Sprintf("recovered %.1fs after kube-proxy's start", r.persistRecovered.Seconds())
}
