package app

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientsetfake "k8s.io/client-go/kubernetes/fake"

	"github.com/sealkube/kubeadm/app/locallbconfig"
)

// advertiseAt resolves advertise addresses for tests: "" is auto, any
// other string must be an IP.
func advertiseAt(auto string) func(string) (netip.Addr, bool) {
	return func(s string) (netip.Addr, bool) {
		if s == "" {
			s = auto
		}
		a, err := netip.ParseAddr(s)
		return a, err == nil
	}
}

func TestAmendInitConfig(t *testing.T) {
	const cluster = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncontrolPlaneEndpoint: apiserver.cluster.local:6443\n"
	tests := []struct {
		name, in    string
		wantSANs    []string
		wantExclude []string // nil: no KubeProxyConfiguration edits expected
		wantVIP     string
		wantErr     string
		inService   bool
		// wantServices is networking.serviceSubnet in upstream's copy ("" unset).
		wantServices string
	}{
		{"seeds", cluster + "apiServer:\n  certSANs: [127.0.0.1, apiserver.cluster.local, 172.20.241.205, 10.103.97.2]\n---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  excludeCIDRs: [10.103.97.2/32]\n",
			[]string{"127.0.0.1", "apiserver.cluster.local", "172.20.241.205", "10.103.97.2"}, []string{"10.103.97.2/32"}, "10.103.97.2", "", false, "10.96.0.0/14"},
		{"defaults added", cluster + "---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  excludeCIDRs: [10.0.0.0/24]\n",
			[]string{"10.103.97.2", "127.0.0.1", "apiserver.cluster.local"}, []string{"10.0.0.0/24", "10.103.97.2/32"}, "10.103.97.2", "", false, "10.96.0.0/14"},
		{"iptables proxy untouched", cluster + "---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n",
			[]string{"10.103.97.2", "127.0.0.1", "apiserver.cluster.local"}, nil, "10.103.97.2", "", false, "10.96.0.0/14"},
		{"custom VIP outside the service subnet: the default stays", cluster + "---\n" + strings.Replace(locallbconfig.Example, "vip: 10.103.97.2:6443", "vip: 169.254.100.2:6443", 1),
			[]string{"169.254.100.2", "127.0.0.1", "apiserver.cluster.local"}, nil, "169.254.100.2", "", false, ""},
		{"no ClusterConfiguration", "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n",
			[]string{"10.103.97.2", "127.0.0.1"}, nil, "10.103.97.2", "", false, "10.96.0.0/14"},
		{"VIP in an explicit service subnet is reserved, not an error", cluster + "networking:\n  serviceSubnet: 10.96.0.0/12\n",
			[]string{"10.103.97.2", "127.0.0.1", "apiserver.cluster.local"}, nil, "10.103.97.2", "", true, "10.96.0.0/12"},
		{"VIP in the pod subnet", cluster + "networking:\n  podSubnet: 10.100.0.0/14\n  serviceSubnet: 10.96.0.0/16\n", nil, nil, "", "10.103.97.2 (the node-local load balancer's VIP) lies inside the pod subnet 10.100.0.0/14 (networking.podSubnet in init.yaml)", false, ""},
		{"IPv6 control plane endpoint", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncontrolPlaneEndpoint: \"[fd00::10]:6443\"\nnetworking:\n  serviceSubnet: 10.96.0.0/16\n",
			[]string{"10.103.97.2", "127.0.0.1", "fd00::10"}, nil, "10.103.97.2", "", false, "10.96.0.0/16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := locallbconfig.Parse("init.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := AmendInitConfig(f, advertiseAt("192.0.2.10"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.vip.String() != tt.wantVIP || plan.inServiceSubnet() != tt.inService {
				t.Errorf("vip %s in service subnet %v, want %s %v", plan.vip, plan.inServiceSubnet(), tt.wantVIP, tt.inService)
			}
			again, err := locallbconfig.Parse("copy.yaml", f.UpstreamBytes())
			if err != nil {
				t.Fatal(err)
			}
			i := again.Find("ClusterConfiguration")
			if i < 0 {
				t.Fatalf("no ClusterConfiguration in\n%s", f.UpstreamBytes())
			}
			if strings.HasPrefix(tt.in, "apiVersion: kubeadm.k8s.io/v1beta3") && again.Others[i].GVK.Version != "v1beta3" {
				t.Errorf("added ClusterConfiguration has version %s, want the InitConfiguration's", again.Others[i].GVK.Version)
			}
			m, _ := again.Fields(i)
			if got := locallbconfig.StringSlice(m, "apiServer", "certSANs"); !slices.Equal(got, tt.wantSANs) {
				t.Errorf("certSANs = %q, want %q", got, tt.wantSANs)
			}
			if got := locallbconfig.String(m, "networking", "serviceSubnet"); got != tt.wantServices {
				t.Errorf("networking.serviceSubnet = %q, want %q", got, tt.wantServices)
			}
			if k := again.Find("KubeProxyConfiguration"); k >= 0 {
				m, _ := again.Fields(k)
				if got := locallbconfig.StringSlice(m, "ipvs", "excludeCIDRs"); !slices.Equal(got, tt.wantExclude) {
					t.Errorf("excludeCIDRs = %q, want %q", got, tt.wantExclude)
				}
			}
			if strings.Contains(string(f.UpstreamBytes()), locallbconfig.Kind) {
				t.Errorf("our document reached upstream")
			}
		})
	}
}

// apiserverCert runs `kubeadm init phase certs apiserver` and returns the
// SANs of the certificate it wrote.
func apiserverSANs(t *testing.T, pki string, args ...string) []string {
	t.Helper()
	kubeadm(t, append([]string{"init", "phase", "certs", "ca"}, args[:2]...)...) // --config or --cert-dir
	kubeadm(t, append([]string{"init", "phase", "certs", "apiserver"}, args...)...)
	b, err := os.ReadFile(filepath.Join(pki, "apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	c := parseCert(t, b, "apiserver.crt")
	sans := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		sans = append(sans, ip.String())
	}
	return sans
}

func TestInitAddsLocalLBSANs(t *testing.T) {
	want := []string{"10.103.97.2", "127.0.0.1", "apiserver.cluster.local"}
	t.Run("config", func(t *testing.T) {
		cfg, pki := pkiConfig(t, initConfigV1beta4+"apiServer:\n  certSANs: [extra.example]\n")
		sans := apiserverSANs(t, pki, "--config", cfg)
		for _, w := range append(want, "extra.example") {
			if !slices.Contains(sans, w) {
				t.Errorf("apiserver certificate SANs %q lack %q", sans, w)
			}
		}
	})
	t.Run("flags", func(t *testing.T) {
		pki := t.TempDir()
		sans := apiserverSANs(t, pki, "--cert-dir", pki, "--control-plane-endpoint", "apiserver.cluster.local:6443", "--apiserver-cert-extra-sans", "extra.example,10.103.97.2",
			"--apiserver-advertise-address", "192.0.2.10")
		if n := strings.Count(strings.Join(sans, " ")+" ", "10.103.97.2 "); n != 1 {
			t.Errorf("10.103.97.2 appears %d times in %q", n, sans)
		}
		for _, w := range append(want, "extra.example") {
			if !slices.Contains(sans, w) {
				t.Errorf("apiserver certificate SANs %q lack %q", sans, w)
			}
		}
	})
}

func TestReserveVIP(t *testing.T) {
	vip := netip.MustParseAddr("10.103.97.2")
	client := clientsetfake.NewSimpleClientset()
	var out bytes.Buffer
	for i := 0; i < 2; i++ {
		if err := ReserveVIP(context.Background(), client, vip, &out); err != nil {
			t.Fatalf("ReserveVIP #%d: %v", i+1, err)
		}
	}
	svc, err := client.CoreV1().Services(metav1.NamespaceSystem).Get(context.Background(), ReservationName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP != "10.103.97.2" || svc.Spec.Selector != nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port == 6443 {
		t.Errorf("reservation: %+v", svc.Spec)
	}
	if !strings.Contains(out.String(), "[locallb] Reserved the VIP 10.103.97.2") || !strings.Contains(out.String(), "already reserved") {
		t.Errorf("output:\n%s", out.String())
	}
	eps, _ := client.DiscoveryV1().EndpointSlices(metav1.NamespaceSystem).List(context.Background(), metav1.ListOptions{})
	if len(eps.Items) != 0 {
		t.Errorf("the reservation must have no endpoints: %+v", eps.Items)
	}

	taken := clientsetfake.NewSimpleClientset(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       corev1.ServiceSpec{ClusterIP: "10.103.97.2"},
	})
	if err := ReserveVIP(context.Background(), taken, vip, &out); err == nil || !strings.Contains(err.Error(), "ClusterIP of Service default/web") {
		t.Errorf("VIP taken by another Service: %v", err)
	}
}

func TestEndpointHost(t *testing.T) {
	for in, want := range map[string]string{"apiserver.cluster.local:6443": "apiserver.cluster.local", "apiserver.cluster.local": "apiserver.cluster.local", "[fd00::1]:6443": "fd00::1", "10.0.0.1": "10.0.0.1", "": ""} {
		if got := endpointHost(in); got != want || (got != "" && net.ParseIP(got) == nil && strings.ContainsAny(got, ":[]")) {
			t.Errorf("endpointHost(%q) = %q, want %q", in, got, want)
		}
	}
}
