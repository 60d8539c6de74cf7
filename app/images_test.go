package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
	utilruntime "k8s.io/kubernetes/cmd/kubeadm/app/util/runtime"

	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/manifests"
)

func TestLvscareImageConstants(t *testing.T) {
	if manifests.UpstreamImageRepository != kubeadmapiv1.DefaultImageRepository {
		t.Errorf("manifests.UpstreamImageRepository = %q, upstream's default imageRepository is %q", manifests.UpstreamImageRepository, kubeadmapiv1.DefaultImageRepository)
	}
	if manifests.ImageTag != binaryVersion() {
		t.Errorf("manifests.ImageTag = %q, want this kubeadm's version %q (the lvscare image ships with it)", manifests.ImageTag, binaryVersion())
	}
	if !strings.Contains(locallbconfig.Example, "# image: "+manifests.DefaultImage+"\n") {
		t.Errorf("the example document does not show the default image %s:\n%s", manifests.DefaultImage, locallbconfig.Example)
	}
}

// TestConfigImagesList: our list is upstream's plus the lvscare image,
// which follows the imageRepository from flags or --config, in every output
// format.
func TestConfigImagesList(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "kubeadm.yaml")
	if err := os.WriteFile(cfgFile, []byte("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nimageRepository: mirror.example:5000/k8s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mirrored := "mirror.example:5000/k8s/lvscare:" + manifests.ImageTag
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"default", nil, manifests.DefaultImage},
		{"upstream's repository", []string{"--image-repository", "registry.k8s.io"}, manifests.DefaultImage},
		{"mirror flag", []string{"--image-repository", "mirror.example:5000/k8s"}, mirrored},
		{"mirror in config", []string{"--config", cfgFile}, mirrored},
		{"json", []string{"-o", "json"}, manifests.DefaultImage},
		{"yaml mirror", []string{"-o", "yaml", "--image-repository", "mirror.example:5000/k8s"}, mirrored},
		{"jsonpath", []string{"-o", "jsonpath={.images}"}, manifests.DefaultImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config", "images", "list", "--kubernetes-version", binaryVersion()}, tc.args...)
			var up, ours bytes.Buffer
			upstream := kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), &up, io.Discard)
			upstream.SetArgs(args)
			if err := upstream.Execute(); err != nil {
				t.Fatalf("upstream: %v", err)
			}
			root, err := NewCommand(strings.NewReader(""), &ours, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			root.SetArgs(args)
			if err := root.Execute(); err != nil {
				t.Fatalf("ours: %v", err)
			}
			upImages, ourImages := parseImages(t, up.Bytes(), tc.args), parseImages(t, ours.Bytes(), tc.args)
			if len(upImages) < 5 {
				t.Fatalf("upstream listed %v", upImages)
			}
			if want := append(upImages, tc.want); !reflect.DeepEqual(ourImages, want) {
				t.Errorf("kubeadm config images list %s:\n got %q\nwant %q (upstream's, then lvscare)", strings.Join(tc.args, " "), ourImages, want)
			}
		})
	}
}

// parseImages reads the image list in the format args asked for.
func parseImages(t *testing.T, out []byte, args []string) []string {
	t.Helper()
	format := "text"
	for i, a := range args {
		if a == "-o" {
			format = args[i+1]
		}
	}
	var v struct {
		Kind   string   `json:"kind"`
		Images []string `json:"images"`
	}
	switch {
	case format == "text":
		return strings.Fields(string(out))
	case format == "json":
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
	case format == "yaml":
		if err := yaml.Unmarshal(out, &v); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
	default: // jsonpath={.images}: a JSON array
		if err := json.Unmarshal(out, &v.Images); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		return v.Images
	}
	if v.Kind != "Images" {
		t.Errorf("kind %q, want Images:\n%s", v.Kind, out)
	}
	return v.Images
}

// pullRecorder is a container runtime that records pulls; only PullImage
// and ImageExists may be called.
type pullRecorder struct {
	utilruntime.ContainerRuntime
	pulled []string
	fail   map[string]error
	have   map[string]bool
}

func (p *pullRecorder) ImageExists(image string) bool { return p.have[image] }

func (p *pullRecorder) PullImage(image string) error {
	p.pulled = append(p.pulled, image)
	return p.fail[image]
}

func TestPullImages(t *testing.T) {
	cp := []string{"registry.k8s.io/kube-apiserver:" + binaryVersion(), "registry.k8s.io/pause:3.10"}
	var out bytes.Buffer
	rt := &pullRecorder{}
	if err := pullImages(rt, cp, manifests.DefaultImage, &out); err != nil {
		t.Fatal(err)
	}
	if want := append(cp, manifests.DefaultImage); !reflect.DeepEqual(rt.pulled, want) {
		t.Errorf("pulled %v, want %v", rt.pulled, want)
	}
	if !strings.Contains(out.String(), "[config/images] Pulled "+manifests.DefaultImage+"\n") {
		t.Errorf("output:\n%s", out.String())
	}

	// Present images (imported offline) are not pulled: a CRI pull would ask
	// the registry for them anyway.
	out.Reset()
	rt = &pullRecorder{have: map[string]bool{cp[0]: true, manifests.DefaultImage: true}}
	if err := pullImages(rt, cp, manifests.DefaultImage, &out); err != nil {
		t.Fatal(err)
	}
	if want := []string{cp[1]}; !reflect.DeepEqual(rt.pulled, want) {
		t.Errorf("with %s and lvscare present pulled %v, want %v", cp[0], rt.pulled, want)
	}
	if !strings.Contains(out.String(), "[config/images] Found "+cp[0]+" in the container runtime, not pulled\n") {
		t.Errorf("output:\n%s", out.String())
	}

	rt = &pullRecorder{fail: map[string]error{manifests.DefaultImage: errors.New("not found")}}
	err := pullImages(rt, cp, manifests.DefaultImage, io.Discard)
	for _, want := range []string{manifests.DefaultImage, "not found", "ctr -n k8s.io images import", "--image-repository"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

// TestRebindFlagsRefusesUnknownFlags: a flag upstream adds to the images
// commands must not be silently ignored by our RunE.
func TestRebindFlagsRefusesUnknownFlags(t *testing.T) {
	up := &cobra.Command{Use: "list"}
	up.Flags().String("config", "", "")
	up.Flags().Bool("new-flag", false, "")
	up.Flags().String("output", "text", "")
	ours := &cobra.Command{Use: "list"}
	ours.Flags().String("config", "", "")
	ours.Flags().String("output", "json", "")
	err := rebindFlags(up, ours)
	for _, want := range []string{"--new-flag is new", `--output is string "text" upstream, string "json" here`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
