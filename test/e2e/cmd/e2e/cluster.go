package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	etcdAddr        = "10.103.97.10"
	workerAddr      = "10.103.97.100"
	vip             = "10.103.97.2"
	endpointName    = "apiserver.cluster.local"
	criSocket       = "unix:///run/containerd/containerd.sock"
	kubeVersion     = "v1.36.3"
	apiserverPort   = 6443
	kubeDir         = "/etc/kubernetes"
	pkiDir          = "/etc/kubernetes/pki"
	hostsFile       = "/etc/hosts"
	manifestDirPath = "/etc/kubernetes/manifests"
)

var masterAddrs = []string{"10.103.97.200", "10.103.97.201", "10.103.97.202"}

// bins are the programs (and image archives) the harness runs.
type bins struct {
	kubeadm, lvscare, apiserver, kcm, etcd, self string
	kubelet, kubeProxy, containerd, ctr          string // -kubelet real
	images                                       []string
}

func (b *bins) check(realKubelet bool) error {
	var errs []error
	need := map[string]string{"kubeadm": b.kubeadm, "kube-apiserver": b.apiserver, "kube-controller-manager": b.kcm, "etcd": b.etcd, "lvscare": b.lvscare}
	if realKubelet {
		need["kubelet"] = b.kubelet
		need["kube-proxy"] = b.kubeProxy
		for _, tool := range []struct{ name, pkg string }{{"containerd", "containerd"}, {"ctr", "containerd"}, {"runc", "runc"}, {"nft", "nftables"}} {
			p, err := exec.LookPath(tool.name)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s is not installed: apt-get install %s (or run with -kubelet standin)", tool.name, tool.pkg))
			}
			switch tool.name {
			case "containerd":
				b.containerd = p
			case "ctr":
				b.ctr = p
			}
		}
		for _, img := range b.images {
			if _, err := os.Stat(img); err != nil {
				errs = append(errs, fmt.Errorf("image archive %s is missing (build it: make image; hack/e2e-build.sh images)", img))
			}
		}
	}
	for name, p := range need {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			errs = append(errs, fmt.Errorf("%s: %s is missing or not executable (build it: make build lvscare; hack/e2e-build.sh)", name, p))
		}
	}
	return errors.Join(errs...)
}

// randToken returns a bootstrap token [a-z0-9]{6}.[a-z0-9]{16}.
func randToken() (string, error) {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 22)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:6]) + "." + string(b[6:]), nil
}

// kubeadmConfig is master i's config: its own advertise address and node
// name, the seeds' controlPlaneEndpoint, and the external etcd. Like the
// seeds' runbook it sets no serviceSubnet: kubeadm then picks 10.96.0.0/14,
// which holds none of the 10.103.97.x masters (an explicit 10.96.0.0/12 is
// an error, issue 17). The KubeletConfiguration is what `init phase
// upload-config kubelet` stores for every node that joins: this machine's
// cgroup v1 needs failCgroupV1 false and the cgroupfs driver (containerd 1.6
// cannot report its driver), and the worker's pods live under cgroupRoot so
// teardown can remove them.
func kubeadmConfig(i int, token, cgroupRoot string) string {
	return fmt.Sprintf(`apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- token: %q
  ttl: 2h
  groups: [system:bootstrappers:kubeadm:default-node-token]
  usages: [signing, authentication]
localAPIEndpoint:
  advertiseAddress: %s
  bindPort: %d
nodeRegistration:
  name: m%d
  criSocket: %s
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: %s
clusterName: e2e
controlPlaneEndpoint: %s:%d
certificatesDir: %s
networking:
  podSubnet: 100.64.0.0/10
etcd:
  external:
    endpoints: [http://%s:2379]
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: %s
`, token, masterAddrs[i], apiserverPort, i, criSocket, kubeVersion, endpointName, apiserverPort, pkiDir, etcdAddr, cgroupRoot)
}

// sharedPKI are the files every control-plane node must share: the CAs and
// the service-account key pair (what `kubeadm init phase upload-certs`
// would carry to a joining control-plane node).
var sharedPKI = []string{"ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key"}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}

// appendHosts maps name to addr in the node's private /etc/hosts.
func appendHosts(n *node, addr, name string) error {
	f, err := os.OpenFile(n.path(hostsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s\n", addr, name)
	return err
}

// caCertHash is the --discovery-token-ca-cert-hash of the CA at path.
func caCertHash(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		return "", fmt.Errorf("%s holds no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", path, err)
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// httpsClient talks to apiservers from inside netns nsPath, trusting ca,
// with ServerName endpointName (every apiserver certificate lists it).
func httpsClient(nsPath string, ca []byte, timeout time.Duration) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("no CA certificate in the cluster CA file")
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:       dialerIn(nsPath, timeout),
			TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: endpointName},
			DisableKeepAlives: true,
		},
	}, nil
}

// waitHTTP polls url with c until it answers 200 or the deadline passes.
func waitHTTP(c *http.Client, url string, within time.Duration, alive func() bool) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		if alive != nil && !alive() {
			return fmt.Errorf("%s: the process exited (see its log)", url)
		}
		resp, err := c.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s (last: %s)", url, within, tail(last, 600))
}

// waitTCP waits until addr accepts a TCP connection from inside nsPath.
func waitTCP(nsPath, addr string, within time.Duration, alive func() bool) error {
	dial := dialerIn(nsPath, time.Second)
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if alive != nil && !alive() {
			return fmt.Errorf("%s: the process exited (see its log)", addr)
		}
		var c net.Conn
		if c, err = dial(context.Background(), "tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not accepting connections within %s: %v", addr, within, err)
}
