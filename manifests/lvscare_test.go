package manifests

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/locallb"
)

var update = flag.Bool("update", false, "rewrite testdata/*.yaml golden files")

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

var goldenCases = []struct {
	file string
	opts Options
}{
	{"ipv4.yaml", Options{
		VIP:     ap("10.103.97.2:6443"),
		Masters: []netip.AddrPort{ap("192.168.0.10:6443"), ap("192.168.0.11:6443"), ap("192.168.0.12:6443")},
	}},
	// No image: the cluster's imageRepository names ours.
	{"ipv4-mirror.yaml", Options{
		ImageRepository: "mirror.example:5000/k8s",
		VIP:             ap("10.103.97.2:6443"),
		Masters:         []netip.AddrPort{ap("192.168.0.10:6443")},
		Backend:         locallb.BackendNFTables,
	}},
	// A foreign image (the public lvscare's shape: root, may load modules).
	{"ipv6-custom.yaml", Options{
		Image:        "registry.example/lvscare:v2.0.1",
		VIP:          ap("[fd00::100]:6443"),
		Masters:      []netip.AddrPort{ap("[fd00::1]:6443"), ap("[fd00::2]:7443")},
		HealthPath:   "/readyz",
		HealthScheme: "http",
		LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host: "127.0.0.1", Path: "/healthz", Port: intstr.FromInt32(10259), Scheme: corev1.URISchemeHTTP,
		}}, PeriodSeconds: 10},
	}},
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Render(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, filepath.Join("testdata", tc.file), got, *update, "./manifests/")
		})
	}
}

// TestRoundTrip decodes the YAML through a Kubernetes scheme, as kubelet
// would, and checks it is the Pod we built.
func TestRoundTrip(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	for _, tc := range goldenCases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := Render(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			obj, gvk, err := decoder.Decode(data, nil, nil)
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if gvk.Kind != "Pod" || gvk.Version != "v1" {
				t.Fatalf("decoded %v", gvk)
			}
			want, _ := Pod(tc.opts)
			got := obj.(*corev1.Pod)
			if !reflect.DeepEqual(got.Spec, want.Spec) || !reflect.DeepEqual(got.ObjectMeta, want.ObjectMeta) {
				t.Fatalf("round trip changed the pod:\n got %+v\nwant %+v", got.Spec, want.Spec)
			}
		})
	}
}

func TestPodShape(t *testing.T) {
	p, err := Pod(goldenCases[0].opts)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Spec.Containers[0]
	wantCmd := "lvscare care --vs 10.103.97.2:6443 --rs 192.168.0.10:6443 --rs 192.168.0.11:6443 --rs 192.168.0.12:6443 --health-path /readyz --health-schem https"
	switch {
	case strings.Join(c.Command, " ") != wantCmd:
		t.Errorf("command = %q\nwant      %q", strings.Join(c.Command, " "), wantCmd)
	case p.Namespace != "kube-system" || !p.Spec.HostNetwork || p.Spec.PriorityClassName != "system-node-critical":
		t.Errorf("namespace/hostNetwork/priority = %s %v %s", p.Namespace, p.Spec.HostNetwork, p.Spec.PriorityClassName)
	case c.Image != DefaultImage || strings.HasSuffix(c.Image, ":latest"):
		t.Errorf("image = %s", c.Image)
	case *c.SecurityContext.Privileged || !*c.SecurityContext.ReadOnlyRootFilesystem:
		t.Errorf("security context = %+v", c.SecurityContext)
	case !reflect.DeepEqual(c.SecurityContext.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}):
		t.Errorf("capabilities = %v", c.SecurityContext.Capabilities.Add)
	case len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/etc/kubernetes/pki" || !c.VolumeMounts[0].ReadOnly:
		t.Errorf("mounts = %+v, want /etc/kubernetes/pki, read-only", c.VolumeMounts)
	case c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Port.IntValue() != 10296 || c.LivenessProbe.HTTPGet.Host != "127.0.0.1":
		t.Errorf("our image should get the daemon's /healthz liveness probe on 127.0.0.1:10296, got %+v", c.LivenessProbe)
	}

	// The public lvscare image has no health endpoint: no default probe.
	public := goldenCases[0].opts
	public.Image = "ghcr.io/labring/lvscare:v4.3.7"
	p, err = Pod(public)
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.Containers[0].LivenessProbe != nil {
		t.Errorf("public lvscare image got a liveness probe it cannot answer: %+v", p.Spec.Containers[0].LivenessProbe)
	}
}

// TestPodPrivileges: our image (non-root, file capability) gets NET_ADMIN
// only and no /lib/modules (a node without it failed the pod's hostPath
// check); the public lvscare (root) keeps SYS_MODULE and the modules mount.
// Every pod falls back to its logs for the termination message.
func TestPodPrivileges(t *testing.T) {
	for _, tc := range []struct {
		name, image string
		ours        bool
	}{
		{"default", "", true},
		{"ours pinned", "ghcr.io/sealkube/lvscare:v1.36.2", true},
		{"ours by digest", "ghcr.io/sealkube/lvscare@sha256:" + strings.Repeat("b", 64), true},
		{"public lvscare", "ghcr.io/labring/lvscare:v4.3.7", false},
		{"other registry", "registry.example/lvscare:v2.0.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := goldenCases[0].opts
			o.Image = tc.image
			p, err := Pod(o)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Spec.Containers[0]
			caps := []corev1.Capability{"NET_ADMIN"}
			mounts := []string{"/etc/kubernetes/pki"}
			volumes := []string{"/etc/kubernetes/pki"}
			if !tc.ours {
				caps = append(caps, "SYS_MODULE")
				mounts = append([]string{"/lib/modules"}, mounts...)
				volumes = append([]string{"/lib/modules"}, volumes...)
			}
			var gotMounts, gotVolumes []string
			for _, m := range c.VolumeMounts {
				gotMounts = append(gotMounts, m.MountPath)
			}
			for _, v := range p.Spec.Volumes {
				gotVolumes = append(gotVolumes, v.HostPath.Path)
			}
			if got := c.SecurityContext.Capabilities.Add; !reflect.DeepEqual(got, caps) {
				t.Errorf("capabilities add = %v, want %v", got, caps)
			}
			if !reflect.DeepEqual(c.SecurityContext.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("capabilities drop = %v, want ALL", c.SecurityContext.Capabilities.Drop)
			}
			if !reflect.DeepEqual(gotMounts, mounts) || !reflect.DeepEqual(gotVolumes, volumes) {
				t.Errorf("mounts %v, volumes %v; want %v", gotMounts, gotVolumes, mounts)
			}
			if nonRoot := c.SecurityContext.RunAsNonRoot != nil && *c.SecurityContext.RunAsNonRoot; nonRoot != tc.ours {
				t.Errorf("runAsNonRoot = %v, want %v", nonRoot, tc.ours)
			}
			if (c.LivenessProbe != nil) != tc.ours {
				t.Errorf("liveness probe = %+v, want one only for our image", c.LivenessProbe)
			}
			if c.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError {
				t.Errorf("terminationMessagePolicy = %q, want FallbackToLogsOnError", c.TerminationMessagePolicy)
			}
		})
	}
}

func TestOptionsRejected(t *testing.T) {
	good := goldenCases[0].opts
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"latest", func(o *Options) { o.Image = "ghcr.io/sealkube/lvscare:latest" }, "uses :latest"},
		{"untagged", func(o *Options) { o.Image = "ghcr.io/sealkube/lvscare" }, "has no tag"},
		{"registry port untagged", func(o *Options) { o.Image = "localhost:5000/lvscare" }, "has no tag"},
		{"no masters", func(o *Options) { o.Masters = nil }, "no masters"},
		{"no vip", func(o *Options) { o.VIP = netip.AddrPort{} }, "must be IP:port"},
		{"bad scheme", func(o *Options) { o.HealthScheme = "tcp" }, `health scheme "tcp"`},
		{"bad path", func(o *Options) { o.HealthPath = "healthz" }, "must start with /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			tt.mod(&o)
			if _, err := Render(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	o := good
	o.Image = "localhost:5000/lvscare@sha256:" + strings.Repeat("a", 64)
	if _, err := Render(o); err != nil {
		t.Fatalf("digest-pinned image rejected: %v", err)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path, changed, err := Write(dir, goldenCases[0].opts)
	if err != nil || !changed || path != filepath.Join(dir, FileName) {
		t.Fatalf("first Write: %s %v %v", path, changed, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v (%v), want 0600", st.Mode().Perm(), err)
	}
	old := st.ModTime().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := Write(dir, goldenCases[0].opts); err != nil || changed {
		t.Fatalf("second Write: changed=%v err=%v, want unchanged", changed, err)
	}
	if st, _ := os.Stat(path); !st.ModTime().Equal(old) {
		t.Fatal("unchanged manifest was rewritten")
	}
	if _, changed, err := Write(dir, goldenCases[1].opts); err != nil || !changed {
		t.Fatalf("Write of new content: changed=%v err=%v", changed, err)
	}
	want, _ := Render(goldenCases[1].opts)
	if got, _ := os.ReadFile(path); string(got) != string(want) {
		t.Fatal("file does not hold the new manifest")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d entries in the manifest dir, want 1 (temporary files left?)", len(entries))
	}
	if _, _, err := Write(filepath.Join(dir, "missing"), goldenCases[0].opts); err == nil || !strings.Contains(err.Error(), "lvscare static pod manifest") {
		t.Fatalf("Write into a missing dir: %v", err)
	}
}

func TestCommandBackend(t *testing.T) {
	base := Options{VIP: ap("10.103.97.2:6443"), Masters: []netip.AddrPort{ap("192.168.0.10:6443")}}
	public := []string{"lvscare", "care", "--vs", "10.103.97.2:6443", "--rs", "192.168.0.10:6443", "--health-path", "/readyz", "--health-schem", "https"}
	for _, tc := range []struct {
		backend locallb.Backend
		want    []string
	}{
		{"", public},
		{locallb.BackendIPVS, public},
		{locallb.BackendNFTables, append(append([]string{}, public...), "--backend", "nftables")},
	} {
		o := base
		o.Backend = tc.backend
		if got := Command(o); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Command(backend %q) = %q, want %q", tc.backend, got, tc.want)
		}
		if _, err := Render(o); err != nil {
			t.Errorf("Render(backend %q): %v", tc.backend, err)
		}
	}
	o := base
	o.Backend = "iptables"
	if _, err := Render(o); err == nil || !strings.Contains(err.Error(), `"iptables"`) {
		t.Fatalf("Render with backend iptables: %v, want an error naming it", err)
	}
}
