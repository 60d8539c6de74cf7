package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/locallb"
)

// The daemon image must stay small: no k8s.io/kubernetes in its link graph.
func TestDoesNotLinkKubernetes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped under -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH; run: go list -deps ./cmd/lvscare | grep k8s.io/kubernetes")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	var bad []string
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "k8s.io/kubernetes") {
			bad = append(bad, pkg)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("cmd/lvscare links %d k8s.io/kubernetes packages, e.g. %v", len(bad), bad[0])
	}
	if !strings.Contains(string(out), "github.com/sealkube/kubeadm/care") {
		t.Fatalf("go list -deps output does not include the care package; the check is not looking at the right graph:\n%s", out)
	}
}

// On a kernel without IPVS the daemon must refuse to start with the reason,
// not run on moby/ipvs's silent no-ops.
func TestNoIPVSSaysSo(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS; the refusal path needs a kernel without it")
	}
	lb, err := newBalancer(locallb.BackendIPVS)
	if lb != nil || !errors.Is(err, locallb.ErrIPVSUnavailable) || !strings.Contains(err.Error(), "modprobe ip_vs") {
		t.Fatalf("newBalancer(ipvs) = %v, %v; want no balancer and ErrIPVSUnavailable naming the fix", lb, err)
	}
}
