package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kube-proxy on the real worker, in nftables mode (the mode the IPVS
// deprecation points to; issue 17): it drops traffic to service-range
// addresses that no Service holds, in filter output after DNAT, so with the
// seeds' masters inside the service subnet it would cut the worker off from
// them. Our kubeadm init keeps the masters outside the subnet; this shows
// the worker working beside a real kube-proxy, and the kubernetes Service
// reaching the masters through kube-proxy's own rules.

const (
	kubeProxyConfigPath     = "/etc/kubernetes/kube-proxy.yaml"
	kubeProxyKubeconfigPath = "/etc/kubernetes/kube-proxy.conf"
	kubernetesServiceIP     = "10.96.0.1" // first address of the service subnet
	// serviceRange is the service subnet our init chooses for the seeds'
	// addresses (issue 17): the largest block at 10.96.0.0 without them.
	serviceRange = "10.96.0.0/14"
)

// kubeProxyConfig: nftables mode; conntrack left as the kernel has it (the
// host-wide nf_conntrack_max must not change, and there is no
// CAP_SYS_RESOURCE-free way to set it here).
func kubeProxyConfig() string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: w
clusterCIDR: 100.64.0.0/10
clientConnection:
  kubeconfig: %s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, kubeProxyKubeconfigPath)
}

// startKubeProxy runs kube-proxy in the worker with the cluster's admin
// credentials (standing in for its DaemonSet's service account) and the
// cluster endpoint, which the worker resolves to the VIP.
func (h *harness) startKubeProxy() error {
	w := h.worker
	if _, err := exec.LookPath("nft"); err != nil {
		return errors.New("kube-proxy's nftables mode needs the nft command: apt-get install nftables")
	}
	admin, err := os.ReadFile(h.masters[0].path(filepath.Join(kubeDir, "super-admin.conf")))
	if err != nil {
		return err
	}
	// The admin kubeconfig names the cluster endpoint; on the worker that
	// is the VIP.
	for p, data := range map[string][]byte{kubeProxyKubeconfigPath: admin, kubeProxyConfigPath: []byte(kubeProxyConfig())} {
		if err := os.WriteFile(w.path(p), data, 0o600); err != nil {
			return err
		}
	}
	// A node's default route covers the service range; this one has none
	// (it must not send anything beyond the test's bridge), so it gets a
	// route for the range only: kube-proxy's DNAT happens after routing.
	if err := ipCmd(h.log, "-n", w.netns, "route", "replace", serviceRange, "dev", "eth0"); err != nil {
		return err
	}
	p, err := h.ps.start("w-kube-proxy", w.command(nil, h.o.bins.kubeProxy, "--config", kubeProxyConfigPath), h.logPath("w-kube-proxy"))
	if err != nil {
		return err
	}
	h.kubeProxy = p
	// kube-proxy has synced once the kubernetes Service answers through
	// its rules.
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(h.ca)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		DialContext:       dialerIn(w.nsPath(), time.Second),
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "kubernetes.default.svc"},
		DisableKeepAlives: true,
	}}
	start := time.Now()
	if err := waitHTTP(c, "https://"+kubernetesServiceIP+":443/readyz", time.Minute, p.alive); err != nil {
		return fmt.Errorf("the kubernetes Service %s:443 through kube-proxy's rules: %w (see logs/w-kube-proxy.log)", kubernetesServiceIP, err)
	}
	h.logf("worker: kube-proxy (nftables mode) serves the kubernetes Service %s:443 %s after start", kubernetesServiceIP, time.Since(start).Round(10*time.Millisecond))
	return nil
}

// kubeProxyChecks: kube-proxy's table and ours side by side, and kube-proxy
// reaching the cluster through the VIP (its connection is to the cluster
// endpoint, which the worker maps to the VIP).
func (h *harness) kubeProxyChecks() {
	out, err := h.worker.run(h.log, 10*time.Second, "nft", "list", "tables")
	if err == nil {
		for _, want := range []string{"kube-proxy", "sealkube-locallb"} {
			if !strings.Contains(out, want) {
				err = fmt.Errorf("nft list tables lacks %s:\n%s", want, out)
			}
		}
	}
	h.check("kube-proxy's nftables table and the load balancer's coexist on the worker", err)
	cs, cerr := h.adminClient()
	if cerr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var svc string
		if s, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{}); err == nil {
			svc = s.Spec.ClusterIP
		}
		if svc != kubernetesServiceIP {
			cerr = fmt.Errorf("the kubernetes Service's ClusterIP is %q, want %s (the service subnet our init chose starts at 10.96.0.0)", svc, kubernetesServiceIP)
		}
	}
	h.check("the kubernetes Service is "+kubernetesServiceIP, cerr)
}
