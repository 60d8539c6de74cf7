package app

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientsetfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/clientcmd"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	"k8s.io/kubernetes/cmd/kubeadm/app/phases/certs/renewal"
	"k8s.io/kubernetes/cmd/kubeadm/app/phases/controlplane"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
	"k8s.io/kubernetes/cmd/kubeadm/app/util/output"

	"github.com/sealkube/kubeadm/certs"
)

// minValidity is what "100 years" must at least mean for every certificate.
const minValidity = time.Duration(99.9 * 365 * 24 * float64(time.Hour))

const initConfigV1beta4 = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.0.2.10
nodeRegistration:
  name: master0
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: apiserver.cluster.local:6443
`

const initConfigV1beta3 = `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.0.2.10
nodeRegistration:
  name: master0
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
controlPlaneEndpoint: apiserver.cluster.local:6443
`

const explicitValidity = `
certificateValidityPeriod: 8760h
caCertificateValidityPeriod: 87600h
controllerManager:
  extraArgs:
  - name: cluster-signing-duration
    value: 720h
`

// kubeadm runs our command in-process and returns what it printed.
func kubeadm(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Run(strings.NewReader(""), &out, io.Discard, args); err != nil {
		t.Fatalf("kubeadm %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// pkiConfig writes a config whose certificatesDir is a new temporary
// directory (kubeadm refuses --cert-dir together with --config).
func pkiConfig(t *testing.T, content string) (cfg, pki string) {
	t.Helper()
	pki = filepath.Join(t.TempDir(), "pki")
	return writeConfig(t, content+"certificatesDir: "+pki+"\n"), pki
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeadm.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func parseCert(t *testing.T, pemBytes []byte, source string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("%s: no PEM block", source)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	return c
}

// certsIn returns every certificate under dir by relative path.
func certsIn(t *testing.T, dir string) map[string]*x509.Certificate {
	t.Helper()
	found := map[string]*x509.Certificate{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".crt") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		found[rel] = parseCert(t, b, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// kubeconfigCertsIn returns the client certificate of every kubeconfig file in dir.
func kubeconfigCertsIn(t *testing.T, dir string) map[string]*x509.Certificate {
	t.Helper()
	found := map[string]*x509.Certificate{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	for _, f := range files {
		cfg, err := clientcmd.LoadFromFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, auth := range cfg.AuthInfos {
			if len(auth.ClientCertificateData) > 0 {
				found[filepath.Base(f)+"/"+name] = parseCert(t, auth.ClientCertificateData, f)
			}
		}
	}
	return found
}

// validity undoes kubeadm's backdating of NotBefore to get the period it used.
func validity(c *x509.Certificate) time.Duration {
	return c.NotAfter.Sub(c.NotBefore) - kubeadmconstants.CertificateBackdate
}

func requireValidity(t *testing.T, what string, got map[string]*x509.Certificate, wantCount int, check func(time.Duration) bool, want string) {
	t.Helper()
	if len(got) < wantCount {
		t.Fatalf("%s: found %d certificates, want at least %d", what, len(got), wantCount)
	}
	for name, c := range got {
		if !check(validity(c)) {
			t.Errorf("%s: %s is valid for %v (until %v), want %s", what, name, validity(c), c.NotAfter, want)
		}
	}
}

func atLeast100y(d time.Duration) bool { return d >= minValidity }

func TestInitPhasesGenerateHundredYearCertificates(t *testing.T) {
	for _, tc := range []struct{ name, config string }{
		{"v1beta4", initConfigV1beta4},
		{"v1beta3", initConfigV1beta3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, pki := pkiConfig(t, tc.config)
			kubeconfigs := t.TempDir()
			kubeadm(t, "init", "phase", "certs", "all", "--config", cfg)
			kubeadm(t, "init", "phase", "kubeconfig", "all", "--config", cfg, "--kubeconfig-dir", kubeconfigs)

			// 3 CAs and 7 leaf certificates; 5 kubeconfig files with client certificates.
			requireValidity(t, "init phase certs", certsIn(t, pki), 10, atLeast100y, ">= 99.9 years")
			requireValidity(t, "init phase kubeconfig", kubeconfigCertsIn(t, kubeconfigs), 5, atLeast100y, ">= 99.9 years")
		})
	}
}

func TestExplicitValidityWins(t *testing.T) {
	cfg, pki := pkiConfig(t, initConfigV1beta4+explicitValidity)
	kubeadm(t, "init", "phase", "certs", "all", "--config", cfg)
	all := certsIn(t, pki)
	requireValidity(t, "explicit CA validity", map[string]*x509.Certificate{"ca.crt": all["ca.crt"], "etcd/ca.crt": all["etcd/ca.crt"]}, 2,
		func(d time.Duration) bool { return d == 87600*time.Hour }, "87600h")
	requireValidity(t, "explicit validity", map[string]*x509.Certificate{"apiserver.crt": all["apiserver.crt"], "etcd/server.crt": all["etcd/server.crt"]}, 2,
		func(d time.Duration) bool { return d == 8760*time.Hour }, "8760h")
}

func TestCertsRenewWithoutClusterUsesHundredYears(t *testing.T) {
	// Start from one-year certificates, as an upstream-made cluster has.
	oneYear, pki := pkiConfig(t, initConfigV1beta4+explicitValidity)
	kubeadm(t, "init", "phase", "certs", "all", "--config", oneYear)
	renewed := []string{"apiserver", "apiserver-kubelet-client", "apiserver-etcd-client", "front-proxy-client",
		"etcd-server", "etcd-peer", "etcd-healthcheck-client"}
	cfg := writeConfig(t, initConfigV1beta4+"certificatesDir: "+pki+"\n")
	for _, name := range renewed {
		kubeadm(t, "certs", "renew", name, "--config", cfg)
	}
	all := certsIn(t, pki)
	delete(all, "ca.crt")
	delete(all, "etcd/ca.crt")
	delete(all, "front-proxy-ca.crt")
	requireValidity(t, "certs renew", all, len(renewed), atLeast100y, ">= 99.9 years")
}

// clusterConfigMap is the kubeadm-config ConfigMap of a running cluster.
func clusterConfigMap(clusterConfiguration string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: kubeadmconstants.KubeadmConfigConfigMap, Namespace: metav1.NamespaceSystem},
		Data:       map[string]string{kubeadmconstants.ClusterConfigurationConfigMapKey: clusterConfiguration},
	}
}

// TestRenewalFromClusterConfig covers `certs renew` with a cluster and the
// renewal inside `kubeadm upgrade` (and the configuration a control-plane
// join fetches): all read the kubeadm-config ConfigMap. A stored value wins;
// an absent one gets 100 years.
func TestRenewalFromClusterConfig(t *testing.T) {
	if _, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard); err != nil { // registers our defaults
		t.Fatal(err)
	}
	stored := "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\n"
	for _, tc := range []struct {
		name, cluster string
		check         func(time.Duration) bool
		want          string
	}{
		{"unset in cluster", stored, atLeast100y, ">= 99.9 years"},
		{"stored in cluster", stored + "certificateValidityPeriod: 8760h\n", func(d time.Duration) bool { return d == 8760*time.Hour }, "8760h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := clientsetfake.NewSimpleClientset(clusterConfigMap(tc.cluster))
			cfg, err := configutil.FetchInitConfigurationFromCluster(client, &output.TextPrinter{}, "test", false, false, false, true)
			if err != nil {
				t.Fatal(err)
			}
			oneYear, pki := pkiConfig(t, initConfigV1beta4+explicitValidity)
			kubeadm(t, "init", "phase", "certs", "all", "--config", oneYear)
			cfg.ClusterConfiguration.CertificatesDir = pki
			rm, err := renewal.NewManager(&cfg.ClusterConfiguration, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := rm.RenewUsingLocalCA("apiserver"); !ok || err != nil {
				t.Fatalf("renewing apiserver: renewed=%v err=%v", ok, err)
			}
			requireValidity(t, tc.name, map[string]*x509.Certificate{"apiserver.crt": certsIn(t, pki)["apiserver.crt"]}, 1, tc.check, tc.want)
		})
	}
}

func TestKubeconfigUserValidity(t *testing.T) {
	clientCert := func(t *testing.T, args ...string) *x509.Certificate {
		out := kubeadm(t, append([]string{"kubeconfig", "user", "--client-name", "alice"}, args...)...)
		cfg, err := clientcmd.Load([]byte(out))
		if err != nil {
			t.Fatalf("parsing kubeconfig: %v\n%s", err, out)
		}
		return parseCert(t, cfg.AuthInfos["alice"].ClientCertificateData, "kubeconfig user")
	}
	withCA := func(t *testing.T, config string) string {
		cfg, _ := pkiConfig(t, config)
		kubeadm(t, "init", "phase", "certs", "ca", "--config", cfg)
		return cfg
	}
	t.Run("default", func(t *testing.T) {
		if d := validity(clientCert(t, "--config", withCA(t, initConfigV1beta4))); d < minValidity {
			t.Errorf("valid for %v, want >= 99.9 years", d)
		}
	})
	t.Run("flag wins", func(t *testing.T) {
		if d := validity(clientCert(t, "--config", withCA(t, initConfigV1beta4), "--validity-period", "24h")); d != 24*time.Hour {
			t.Errorf("valid for %v, want 24h", d)
		}
	})
	t.Run("config wins over default", func(t *testing.T) {
		if d := validity(clientCert(t, "--config", withCA(t, initConfigV1beta4+"certificateValidityPeriod: 48h\n"))); d != 48*time.Hour {
			t.Errorf("valid for %v, want 48h from the config file", d)
		}
	})
}

func TestPrintInitDefaultsShowsHundredYears(t *testing.T) {
	out := kubeadm(t, "config", "print", "init-defaults")
	for _, want := range []string{"certificateValidityPeriod: 876000h0m0s", "caCertificateValidityPeriod: 876000h0m0s", "name: cluster-signing-duration\n    value: 876000h"} {
		if !strings.Contains(out, want) {
			t.Errorf("config print init-defaults lacks %q:\n%s", want, out)
		}
	}
}

func TestControllerManagerSigningDuration(t *testing.T) {
	if _, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, config, want string }{
		{"default", initConfigV1beta4, "--cluster-signing-duration=876000h"},
		{"v1beta3 default", initConfigV1beta3, "--cluster-signing-duration=876000h"},
		{"user set", initConfigV1beta4 + explicitValidity, "--cluster-signing-duration=720h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configutil.BytesToInitConfiguration([]byte(tc.config), true)
			if err != nil {
				t.Fatal(err)
			}
			pod := controlplane.GetStaticPodSpecs(&cfg.ClusterConfiguration, &cfg.LocalAPIEndpoint, nil)[kubeadmconstants.KubeControllerManager]
			var found []string
			for _, arg := range pod.Spec.Containers[0].Command {
				if strings.HasPrefix(arg, "--"+certs.SigningDurationArg) {
					found = append(found, arg)
				}
			}
			if len(found) != 1 || found[0] != tc.want {
				t.Errorf("kube-controller-manager signing duration args %v, want exactly [%s]", found, tc.want)
			}
		})
	}
}

// TestValidityWarningReplaced: upstream warns about the validity on every
// command; we print one line instead, and keep unrelated warnings.
func TestValidityWarningReplaced(t *testing.T) {
	var out bytes.Buffer
	f := certs.NewWarningFilter(&out, true)
	f.WriteKlogBuffer([]byte("W1121 validation.go:79] WARNING: certificateValidityPeriod: the value 876000h0m0s is more than the recommended default for certificate expiration: 8760h0m0s\n"))
	f.WriteKlogBuffer([]byte("W1121 validation.go:79] WARNING: caCertificateValidityPeriod: the value 876000h0m0s is more than the recommended default for CA certificate expiration: 87600h0m0s\n"))
	f.WriteKlogBuffer([]byte("W1121 kubeconfig.go:95] WARNING: the specified certificate validity period 876000h0m0s is longer than the default duration 8760h0m0s, this may increase security risks.\n"))
	other := "W1121 validation.go:809] WARNING: certificateValidityPeriod: the value 10h is more than the caCertificateValidityPeriod: 1h\n"
	f.WriteKlogBuffer([]byte(other))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "876000h") || lines[1]+"\n" != other {
		t.Errorf("want one replacement line then the unrelated warning, got:\n%s", out.String())
	}

	out.Reset()
	quiet := certs.NewWarningFilter(&out, false)
	quiet.WriteKlogBuffer([]byte("W1121 validation.go:79] WARNING: certificateValidityPeriod: the value 876000h0m0s is more than the recommended default for certificate expiration: 8760h0m0s\n"))
	quiet.WriteKlogBuffer([]byte(other))
	if out.String() != other {
		t.Errorf("a command that issues no certificate should drop the validity warning and keep others, got:\n%s", out.String())
	}
}

func TestIssuesCertificates(t *testing.T) {
	for path, want := range map[string]bool{
		"kubeadm init":                   true,
		"kubeadm init phase certs all":   true,
		"kubeadm join":                   true,
		"kubeadm certs renew apiserver":  true,
		"kubeadm kubeconfig user":        true,
		"kubeadm upgrade apply":          true,
		"kubeadm config images list":     false,
		"kubeadm certs check-expiration": false,
		"kubeadm initialize":             false,
		"kubeadm version":                false,
	} {
		if got := certs.IssuesCertificates(path); got != want {
			t.Errorf("IssuesCertificates(%q) = %v, want %v", path, got, want)
		}
	}
}
