package app

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/internal/testenv"
	"github.com/sealkube/kubeadm/manifests"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files (testdata/locallb-defaults.golden)")

const joinConfigCare = `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.103.97.2:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
skipPhases:
- preflight
---
apiVersion: locallb.sealkube.io/v1alpha1
kind: LocalLoadBalancerConfiguration
masters: [10.103.97.200:6443, 10.103.97.201:6443]
`

// The document's care section reaches the lvscare manifest; a combination
// the image cannot run stops the join before it changes anything, naming
// the value and the fix.
func TestJoinCareSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		doc     string
		want    []string // substrings of the manifest
		wantErr []string
	}{
		{"settings rendered", "care:\n  healthPath: /livez\n  healthStatus: [401]\n  interval: 2s\n  healthTimeout: 3s\n  extraArgs: [--scheduler=wrr]\n",
			[]string{"- /livez\n", "- --health-status\n    - \"401\"\n", "- --interval\n    - 2s\n", "- --health-timeout\n    - 3s\n", "- --scheduler=wrr\n"}, nil},
		{"public image + nftables", "image: ghcr.io/labring/lvscare:v5.0.1\nbackend: nftables\n", nil,
			[]string{"ghcr.io/labring/lvscare:v5.0.1", "no --backend", manifests.DefaultImage}},
		{"scheduler the backend lacks", "backend: nftables\ncare:\n  extraArgs: [--scheduler, lc]\n", nil,
			[]string{"--scheduler lc", "--backend nftables", "--scheduler rr"}},
		{"bad duration", "care:\n  interval: 5\n", nil, []string{"LocalLoadBalancerConfiguration document"}},
		{"unknown care field", "care:\n  intervall: 5s\n", nil, []string{"unknown field \"intervall\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJoin(t)
			err := f.run("join", "--config", writeConfig(t, joinConfigCare+tc.doc))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("join succeeded")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if f.touched(t) || f.kernelWrites() > 0 {
					t.Error("the refused join changed the node")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, f.out)
			}
			m, err := os.ReadFile(filepath.Join(f.node.ManifestDir, manifests.FileName))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(m), w) {
					t.Errorf("manifest lacks %q:\n%s", w, m)
				}
			}
		})
	}
}

// `kubeadm config print locallb-defaults` prints the golden document, which
// parses strictly and whose care section renders the default manifest.
func TestConfigPrintLocalLBDefaultsGolden(t *testing.T) {
	var out strings.Builder
	root, err := NewCommand(strings.NewReader(""), &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	root.SetArgs([]string{"config", "print", "locallb-defaults"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	f, err := locallbconfig.Parse("defaults.yaml", []byte(out.String()))
	if err != nil || f.Ours == nil || f.Ours.Care == nil {
		t.Fatalf("the printed document does not parse with a care section: %v %+v", err, f)
	}
	// The printed care section is the defaults: the join renders it as it
	// renders a document without one.
	render := func(c *locallbconfig.Care) string {
		t.Helper()
		b, err := manifests.Render(manifests.Options{VIP: netip.MustParseAddrPort(f.Ours.VIP), Masters: []netip.AddrPort{netip.MustParseAddrPort(f.Ours.Masters[0])}, Care: c.Manifest()})
		if err != nil {
			t.Fatalf("care section %+v does not render: %v", c, err)
		}
		return string(b)
	}
	if printed, empty := render(f.Ours.Care), render(nil); printed != empty {
		t.Errorf("the printed care section %+v is not the defaults: its pod\n%s\ndiffers from the default pod\n%s", *f.Ours.Care, printed, empty)
	}
	testenv.Golden(t, filepath.Join("testdata", "locallb-defaults.golden"), []byte(out.String()), *updateGolden, "./app/")
}
