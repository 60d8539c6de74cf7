package app

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestIntegrationJoinDryRunInEmptyNetns runs the seeds' worker join with
// --dry-run through upstream's real code path. kubeadm join dials its
// endpoint even in dry-run, so it runs in a network namespace of its own
// with only lo: the dial to 10.103.97.2 fails at once, upstream's dry-run
// falls back to its fake cluster-info, and nothing leaves the machine.
func TestIntegrationJoinDryRunInEmptyNetns(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace (unshare --net): run `sudo make test`")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) from util-linux to create a network namespace")
	}
	watched := []string{"/etc/hosts", "/etc/kubernetes/manifests/kube-lvscare.yaml", "/var/lib/kubeadm-locallb/state.json"}
	before := snapshotFiles(t, watched)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--net", os.Args[0]}, seedsJoinReal...)
	cmd := exec.CommandContext(ctx, unshare, append(args, "--dry-run", "--ignore-preflight-errors=all")...)
	cmd.Env = append(os.Environ(), runAsKubeadmEnv+"=1", "KUBEADM_JOIN_DRYRUN_DIR="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubeadm join --dry-run in an empty netns: %v\n%s", err, out.String())
	}
	s := out.String()
	lb := strings.Index(s, "[locallb] Would program the IPVS virtual server 10.103.97.2:6443")
	pre := strings.Index(s, "[preflight] Running pre-flight checks")
	if lb < 0 || pre < 0 || lb > pre {
		t.Errorf("want the locallb phase before preflight (at %d, %d):\n%s", lb, pre, s)
	}
	if !strings.Contains(s, "This node has joined the cluster") {
		t.Errorf("upstream's dry-run did not finish:\n%s", s)
	}
	if after := snapshotFiles(t, watched); after != before {
		t.Errorf("the dry run changed the node's files")
	}
}

// seedsJoinReal is the seeds' worker join; token ID other than the
// dry-run's fake "abcdef", so upstream swaps in its fake discovery data.
var seedsJoinReal = []string{"join", "10.103.97.2:6443", "--token", "9vr73a.a8uxyaju799qwdjv",
	"--discovery-token-ca-cert-hash", "sha256:7c2e69131a36ae2a042a339b33381c6d0d43887e2de83720eff5359e26aec866",
	"--master", "10.103.97.200:6443", "--master", "10.103.97.201:6443", "--master", "10.103.97.202:6443"}

func snapshotFiles(t *testing.T, paths []string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			b.WriteString(p + ": absent\n")
		case err != nil:
			t.Fatal(err)
		default:
			b.WriteString(p + ":\n" + string(data) + "\n")
		}
	}
	return b.String()
}
