package app

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// runAsKubeadmEnv makes the test binary behave as kubeadm (see TestMain), so
// a test can run kubeadm in a process with its own proxy environment: Go's
// HTTP clients read the proxy variables once per process.
const runAsKubeadmEnv = "SEALKUBE_TEST_RUN_KUBEADM"

// clusterEndpoint is the controlPlaneEndpoint of the test configuration.
// `init --dry-run` dials it (upstream's dry-run client tries the real cluster
// first); that is the cluster, not the internet, and is allowed.
const clusterEndpoint = "apiserver.cluster.local:6443"

// connectionRecorder is a local HTTP proxy that records the target of every
// connection kubeadm opens through HTTP_PROXY/HTTPS_PROXY and refuses it, so a
// lookup fails at once instead of stalling.
type connectionRecorder struct {
	ln      net.Listener
	mu      sync.Mutex
	targets []string
}

func (r *connectionRecorder) record(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req, err := http.ReadRequest(bufio.NewReader(c))
	target := "unreadable request"
	if err == nil {
		target = req.Host
	}
	r.mu.Lock()
	r.targets = append(r.targets, target)
	r.mu.Unlock()
	_, _ = c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
}

// since returns the targets recorded after the first n.
func (r *connectionRecorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.targets[n:]...)
}

func (r *connectionRecorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.targets)
}

func newConnectionRecorder(t *testing.T) *connectionRecorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &connectionRecorder{ln: ln}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); r.record(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return r
}

// runKubeadm runs kubeadm in a child process whose every proxied connection
// goes to the recorder. It returns combined output and the targets of the
// connections it attempted, other than the cluster's own endpoint.
func (r *connectionRecorder) runKubeadm(t *testing.T, env []string, args ...string) (string, []string) {
	t.Helper()
	before := r.len()
	proxy := "http://" + r.ln.Addr().String()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runAsKubeadmEnv+"=1",
		"HTTPS_PROXY="+proxy, "https_proxy="+proxy, "HTTP_PROXY="+proxy, "http_proxy="+proxy, "NO_PROXY=", "no_proxy=")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubeadm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	var outside []string
	for _, target := range r.since(before) {
		if target != clusterEndpoint {
			outside = append(outside, target)
		}
	}
	return out.String(), outside
}

func TestOfflineByDefault(t *testing.T) {
	rec := newConnectionRecorder(t)
	cfg, _ := pkiConfig(t, initConfigV1beta4)

	// Control: upstream's "stable-1" label does go to the internet, and the
	// recorder sees it. Without this the zero counts below would prove nothing.
	if _, targets := rec.runKubeadm(t, nil, "config", "images", "list", "--kubernetes-version", "stable-1"); len(targets) == 0 {
		t.Fatalf("the recorder saw no connection for --kubernetes-version stable-1: the proxy trap does not work")
	}

	out, targets := rec.runKubeadm(t, nil, "config", "images", "list")
	if len(targets) != 0 {
		t.Errorf("config images list connected to %v; want no connection", targets)
	}
	if strings.Contains(out, "Certificates are valid") {
		t.Errorf("config images list issues no certificate but printed the validity line:\n%s", out)
	}
	if !strings.Contains(out, "registry.k8s.io/kube-apiserver:"+binaryVersion()) {
		t.Errorf("config images list should list kube-apiserver:%s:\n%s", binaryVersion(), out)
	}

	out, targets = rec.runKubeadm(t, []string{"KUBEADM_INIT_DRYRUN_DIR=" + t.TempDir()},
		"init", "--dry-run", "--config", cfg, "--skip-phases", "preflight")
	if len(targets) != 0 {
		t.Errorf("init --dry-run connected to %v; want no connection beyond the cluster endpoint %s", targets, clusterEndpoint)
	}
	if !strings.Contains(out, "[init] Using Kubernetes version: "+binaryVersion()) {
		t.Errorf("init --dry-run should use %s:\n%s", binaryVersion(), out)
	}
	if got := strings.Count(out, "[certs] Certificates are valid for longer"); got != 1 {
		t.Errorf("init --dry-run printed the validity line %d times, want once:\n%s", got, out)
	}
	if strings.Contains(out, "more than the recommended default") {
		t.Errorf("upstream's validity warning leaked through:\n%s", out)
	}
}
