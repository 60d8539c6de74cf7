package app

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/cluster-bootstrap/token/jws"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
	"k8s.io/kubernetes/cmd/kubeadm/app/util/pubkeypin"

	"github.com/sealkube/kubeadm/app/cmd/phases"
)

// fakeAPIServer serves cluster-info (signed for the token) and
// kubeadm-config on loopback with httptest's certificate, whose SANs are
// 127.0.0.1 and example.com. cluster-info publishes
// https://example.com:6443 the way the seeds publish
// apiserver.cluster.local, a name this machine cannot resolve.
type fakeAPIServer struct {
	*httptest.Server
	mu   sync.Mutex
	auth map[string][]string // path -> Authorization headers seen
}

const (
	testTokenID     = "abcdef"
	testTokenSecret = "0123456789abcdef"
	storedCluster   = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\nnetworking:\n  serviceSubnet: 10.96.0.0/14\n  podSubnet: 100.64.0.0/10\n"
)

func newFakeAPIServer(t *testing.T) *fakeAPIServer {
	t.Helper()
	f := &fakeAPIServer{auth: map[string][]string{}}
	f.Server = httptest.NewUnstartedServer(nil)
	f.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.auth[r.URL.Path] = append(f.auth[r.URL.Path], r.Header.Get("Authorization"))
		f.mu.Unlock()
		var cm corev1.ConfigMap
		switch r.URL.Path {
		case "/api/v1/namespaces/kube-public/configmaps/cluster-info":
			kc := clientcmdapi.NewConfig()
			kc.Clusters[""] = &clientcmdapi.Cluster{Server: "https://example.com:6443", CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.Certificate().Raw})}
			b, err := clientcmd.Write(*kc)
			if err != nil {
				t.Error(err)
			}
			sig, err := jws.ComputeDetachedSignature(string(b), testTokenID, testTokenSecret)
			if err != nil {
				t.Error(err)
			}
			cm = corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cluster-info", Namespace: "kube-public"},
				Data: map[string]string{"kubeconfig": string(b), "jws-kubeconfig-" + testTokenID: sig}}
		case "/api/v1/namespaces/kube-system/configmaps/kubeadm-config":
			cm = corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kubeadm-config", Namespace: "kube-system"},
				Data: map[string]string{"ClusterConfiguration": storedCluster}}
		default:
			http.NotFound(w, r)
			return
		}
		cm.APIVersion, cm.Kind = "v1", "ConfigMap"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&cm)
	})
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPIServer) seen(path string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auth[path]
}

func (f *fakeAPIServer) via() string { return strings.TrimPrefix(f.URL, "https://") }

// joinFlagSet parses args with upstream's join flags.
func joinFlagSet(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	root := kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), io.Discard, io.Discard)
	join, _, _ := root.Find([]string{"join"})
	if err := join.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return join.Flags()
}

func TestClusterNetworkingThroughAMaster(t *testing.T) {
	srv := newFakeAPIServer(t)
	hash := pubkeypin.Hash(srv.Certificate())
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"pinned CA", []string{"--token", testTokenID + "." + testTokenSecret, "--discovery-token-ca-cert-hash", hash}},
		{"unsafe skip CA verification", []string{"--token", testTokenID + "." + testTokenSecret, "--discovery-token-unsafe-skip-ca-verification"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := joinFlagSet(t, tc.args...)
			c := &clusterInfo{fs: fs, joinEndpoint: "10.103.97.2:6443", kubeletConf: filepath.Join(t.TempDir(), "kubelet.conf"), tempDir: t.TempDir()}
			n, err := c.networking(srv.via())
			if err != nil {
				t.Fatal(err)
			}
			reads := len(srv.seen("/api/v1/namespaces/kube-system/configmaps/kubeadm-config"))
			// The stored config is decoded with upstream's defaults, as its join sees it.
			if n != (phases.Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "100.64.0.0/10", ImageRepository: "registry.k8s.io"}) {
				t.Errorf("networking %+v", n)
			}
			// kubeadm-config was read with the bootstrap token, through the
			// master, verified against example.com (cluster-info's server).
			if got := srv.seen("/api/v1/namespaces/kube-system/configmaps/kubeadm-config"); len(got) == 0 || got[len(got)-1] != "Bearer "+testTokenID+"."+testTokenSecret {
				t.Errorf("kubeadm-config read with %q, want the bootstrap token", got)
			}
			// The same read serves the lvscare image: the cluster is not asked again.
			if repo, err := c.imageRepository(netip.MustParseAddrPort("10.103.97.2:6443")); err != nil || repo != "registry.k8s.io" {
				t.Errorf("imageRepository after the read = %q, %v", repo, err)
			}
			if got := len(srv.seen("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")); got != reads {
				t.Errorf("kubeadm-config read %d times, want once", got)
			}
		})
	}

	t.Run("wrong CA pin", func(t *testing.T) {
		fs := joinFlagSet(t, "--token", testTokenID+"."+testTokenSecret, "--discovery-token-ca-cert-hash", "sha256:"+strings.Repeat("0", 64))
		c := &clusterInfo{fs: fs, joinEndpoint: "10.103.97.2:6443", tempDir: t.TempDir()}
		if _, err := c.networking(srv.via()); err == nil {
			t.Error("discovery with a wrong CA pin must fail")
		}
	})

	t.Run("joined node: kubelet credentials, no discovery", func(t *testing.T) {
		before := len(srv.seen("/api/v1/namespaces/kube-public/configmaps/cluster-info"))
		kc := clientcmdapi.NewConfig()
		kc.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://example.com:6443", CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
		kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "node-credential"}
		kc.Contexts["x"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
		kc.CurrentContext = "x"
		p := filepath.Join(t.TempDir(), "kubelet.conf")
		if err := clientcmd.WriteToFile(*kc, p); err != nil {
			t.Fatal(err)
		}
		// "localhost" is not in the certificate: the connection must keep
		// the kubeconfig's host (example.com) as the TLS server name.
		via := strings.Replace(srv.via(), "127.0.0.1", "localhost", 1)
		c := &clusterInfo{fs: joinFlagSet(t), joinEndpoint: "10.103.97.2:6443", kubeletConf: p, tempDir: t.TempDir()}
		n, err := c.networking(via)
		if err != nil || n.ServiceSubnet != "10.96.0.0/14" {
			t.Fatalf("%+v %v", n, err)
		}
		got := srv.seen("/api/v1/namespaces/kube-system/configmaps/kubeadm-config")
		if got[len(got)-1] != "Bearer node-credential" || len(srv.seen("/api/v1/namespaces/kube-public/configmaps/cluster-info")) != before {
			t.Errorf("kubeadm-config read with %q; discovery ran again", got)
		}
		if b, _ := os.ReadFile(p); !strings.Contains(string(b), "https://example.com:6443") {
			t.Errorf("kubelet.conf was changed:\n%s", b)
		}
	})
}

func TestJoinChecksMastersBeforeChanging(t *testing.T) {
	f := newFakeJoin(t)
	f.networking = phases.Networking{ServiceSubnet: "10.96.0.0/12", PodSubnet: "100.64.0.0/10"}
	err := f.run(seedsJoin...)
	if err == nil || !strings.Contains(err.Error(), "10.103.97.202 (the master 10.103.97.202:6443) lie inside the cluster's service subnet 10.96.0.0/12") {
		t.Fatalf("error = %v", err)
	}
	if f.upstreamRan || f.touched(t) || f.kernelWrites() != 0 || len(f.backends) != 0 {
		t.Errorf("upstream ran %v, node touched %v, kernel writes %d, kernel opened %v: the check must come first", f.upstreamRan, f.touched(t), f.kernelWrites(), f.backends)
	}
	if len(f.networkingVia) != 1 || f.networkingVia[0] != "10.103.97.200:6443" {
		t.Errorf("subnets read through %q, want the first master", f.networkingVia)
	}

	// The cluster this kubeadm's init makes for the seeds: the join proceeds.
	f = newFakeJoin(t)
	if err := f.run(seedsJoin...); err != nil || !f.upstreamRan {
		t.Fatalf("%v (upstream ran %v)\n%s", err, f.upstreamRan, f.out)
	}
	if len(f.networkingVia) != 1 {
		t.Errorf("subnets read %d times", len(f.networkingVia))
	}

	// --skip-phases locallb skips the check with the phase.
	f = newFakeJoin(t)
	f.networking.ServiceSubnet = "10.96.0.0/12"
	if err := f.run(append(seedsJoin, "--skip-phases", "locallb")...); err != nil || len(f.networkingVia) != 0 {
		t.Errorf("with --skip-phases locallb: %v, read through %q", err, f.networkingVia)
	}
}

func TestJoinChecksControlPlaneAdvertiseAddress(t *testing.T) {
	cfg := "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: apiserver.cluster.local:6443\n    token: abcdef.0123456789abcdef\n    unsafeSkipCAVerification: true\ncontrolPlane:\n  localAPIEndpoint:\n    advertiseAddress: 10.103.97.201\n"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"flags", []string{"join", "apiserver.cluster.local:6443", "--token", "abcdef.0123456789abcdef", "--discovery-token-unsafe-skip-ca-verification", "--control-plane", "--apiserver-advertise-address", "10.103.97.201"},
			"10.103.97.201 (this node's advertise address, --apiserver-advertise-address) lies inside the cluster's service subnet 10.96.0.0/12"},
		{"config", []string{"join", "--config", writeConfig(t, cfg)},
			"10.103.97.201 (this node's advertise address, controlPlane.localAPIEndpoint.advertiseAddress in "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			f.networking = phases.Networking{ServiceSubnet: "10.96.0.0/12"}
			err := f.run(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || f.upstreamRan {
				t.Fatalf("error = %v (upstream ran %v), want %q before upstream", err, f.upstreamRan, tc.want)
			}
			if len(f.networkingVia) != 1 || f.networkingVia[0] != "" {
				t.Errorf("subnets read through %q, want the join endpoint", f.networkingVia)
			}

			f = newFakeJoin(t)
			f.networking = phases.Networking{ServiceSubnet: "10.96.0.0/14"}
			if err := f.run(tc.args...); err != nil || !f.upstreamRan {
				t.Errorf("outside the stored subnet: %v (upstream ran %v)", err, f.upstreamRan)
			}
		})
	}
}
