package locallbconfig

import (
	"strings"
	"testing"
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
