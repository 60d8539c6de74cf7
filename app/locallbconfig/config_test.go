package locallbconfig

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/manifests"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Configuration
		others   int
		wantErr  string
	}{
		{"no document", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n", nil, 1, ""},
		{"ours", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n---\n" + Example, &Configuration{VIP: DefaultVIP, Masters: []string{"10.103.97.200:6443", "10.103.97.201:6443", "10.103.97.202:6443"}}, 1, ""},
		{"unknown field", "apiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nvips: [x]\n", nil, 0, `unknown field "vips"`},
		{"duplicate field", "apiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nvip: a\nvip: b\n", nil, 0, `"vip"`},
		{"wrong type", "apiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nmasters: 10.0.0.1\n", nil, 0, "LocalLoadBalancerConfiguration document"},
		{"our kind, other group", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: LocalLoadBalancerConfiguration\n", nil, 0, "this kubeadm knows apiVersion locallb.sealkube.io/v1alpha1"},
		{"our group, other kind", "apiVersion: locallb.sealkube.io/v1alpha1\nkind: Balancer\n", nil, 0, `kind "Balancer"`},
		{"twice", Example + "---\n" + Example, nil, 0, "more than one"},
		{"our document not YAML", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n---\napiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nmasters: [10.0.0.1\n", nil, 0,
			"the LocalLoadBalancerConfiguration document (document 2 of the file) is not valid YAML: error converting YAML to JSON"},
		{"another document not YAML", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: [\n---\n" + Example, nil, 0, "document 1 of the file is not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("join.yaml", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "join.yaml") {
					t.Fatalf("error = %v, want it to name join.yaml and contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Others) != tt.others {
				t.Errorf("%d other documents, want %d", len(f.Others), tt.others)
			}
			if (f.Ours == nil) != (tt.want == nil) {
				t.Fatalf("ours = %+v, want %+v", f.Ours, tt.want)
			}
			if tt.want != nil {
				got := *f.Ours
				got.TypeMeta = tt.want.TypeMeta
				if got.VIP != tt.want.VIP || strings.Join(got.Masters, ",") != strings.Join(tt.want.Masters, ",") || got.Image != tt.want.Image || got.SkipEtcHosts {
					t.Errorf("ours = %+v, want %+v", got, *tt.want)
				}
			}
			if strings.Contains(string(f.UpstreamBytes()), Kind) {
				t.Errorf("UpstreamBytes keeps our document:\n%s", f.UpstreamBytes())
			}
		})
	}
}

func TestEditKeepsOtherDocuments(t *testing.T) {
	in := "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  certSANs: [Foo.example, 10.103.97.2]\n"
	f, err := Parse("c.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	i := f.Find("ClusterConfiguration")
	m, _ := f.Fields(i)
	sans := AppendMissing(StringSlice(m, "apiServer", "certSANs"), "10.103.97.2", "127.0.0.1", "foo.example")
	SetStringSlice(m, sans, "apiServer", "certSANs")
	if err := f.SetFields(i, m); err != nil {
		t.Fatal(err)
	}
	out := string(f.UpstreamBytes())
	if !strings.HasPrefix(out, "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\n") {
		t.Errorf("first document changed:\n%s", out)
	}
	if !strings.Contains(out, "certSANs:\n  - Foo.example\n  - 10.103.97.2\n  - 127.0.0.1\n") {
		t.Errorf("SANs not appended once each, in order:\n%s", out)
	}
}

// The printed document is the defaults, not an example that changes them:
// its care section renders the same pod as a document without one (for our
// image and a public one), and every default it shows commented out, once
// uncommented, gives the daemon the configuration an empty document gives
// it. A default that drifts from what the daemon or the manifest does fails
// here.
func TestExampleIsTheDefaults(t *testing.T) {
	f, err := Parse("defaults.yaml", []byte(Example))
	if err != nil || f.Ours == nil {
		t.Fatalf("the printed document does not parse: %v", err)
	}
	opts := func(c *Care, image string) manifests.Options {
		return manifests.Options{
			Image: image, VIP: netip.MustParseAddrPort(f.Ours.VIP),
			Masters: []netip.AddrPort{netip.MustParseAddrPort(f.Ours.Masters[0])}, Care: c.Manifest(),
		}
	}
	render := func(t *testing.T, o manifests.Options) []byte {
		t.Helper()
		b, err := manifests.Render(o)
		if err != nil {
			t.Fatalf("rendering %+v: %v", o.Care, err)
		}
		return b
	}
	for _, image := range []string{"", "ghcr.io/labring/lvscare:v4.3.7"} {
		t.Run("printed care renders as none, image "+image, func(t *testing.T) {
			if f.Ours.Care == nil {
				t.Fatal("the printed document has no care section")
			}
			printed, empty := render(t, opts(f.Ours.Care, image)), render(t, opts(nil, image))
			if !bytes.Equal(printed, empty) {
				t.Errorf("the printed care section %+v renders a pod that differs from the defaults:\n%s", f.Ours.Care.Manifest(), lineDiff(string(empty), string(printed)))
			}
		})
	}

	// The care lines shown as "# field: value" that are defaults (the
	// others are examples that change something).
	defaults := []string{"interval", "healthTimeout"}
	doc := Example
	for _, field := range defaults {
		commented := "\n  # " + field + ": "
		if !strings.Contains(doc, commented) {
			t.Fatalf("the printed document does not show the default care.%s as %q", field, strings.TrimSpace(commented))
		}
		doc = strings.Replace(doc, commented, "\n  "+field+": ", 1)
	}
	u, err := Parse("defaults.yaml", []byte(doc))
	if err != nil {
		t.Fatalf("the printed document with its defaults uncommented does not parse: %v\n%s", err, doc)
	}
	daemon := func(c *Care) care.Config {
		t.Helper()
		cmd := manifests.Command(opts(c, ""))
		cfg, err := care.CheckArgs(cmd[2:])
		if err != nil {
			t.Fatalf("the daemon refuses %q: %v", cmd, err)
		}
		return cfg
	}
	if got, want := daemon(u.Ours.Care), daemon(nil); !reflect.DeepEqual(got, want) {
		t.Errorf("the printed defaults %v, uncommented, give the daemon\n%+v\nbut an empty document gives it\n%+v", defaults, got, want)
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	var plus []string
	for _, l := range strings.Split(got, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		plus = append(plus, "+ "+l)
	}
	var minus []string
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			count[l]--
			minus = append(minus, "- "+l)
		}
	}
	return strings.Join(append(minus, plus...), "\n")
}
