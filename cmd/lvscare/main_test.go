package main

import (
	"github.com/sealkube/kubeadm/locallb"
	"os/exec"
	"strings"
	"testing"
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

func TestNoBackendSaysSo(t *testing.T) {
	lb, err := newBalancer(locallb.BackendIPVS)
	if lb != nil || err == nil || !strings.Contains(err.Error(), "IPVS") {
		t.Fatalf("newBalancer() = %v, %v; want no balancer and an error saying the IPVS backend is missing", lb, err)
	}
}
