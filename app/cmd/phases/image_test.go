package phases

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/manifests"
)

// fakeRuntime is the node's container runtime: it has the images in have
// and pulls with pullErr, or blocks until Close when block is set.
type fakeRuntime struct {
	mu      sync.Mutex
	have    map[string]bool
	pullErr error
	block   bool
	pulled  []string
	closed  bool
	unblock chan struct{}
}

func newFakeRuntime(have ...string) *fakeRuntime {
	r := &fakeRuntime{have: map[string]bool{}, unblock: make(chan struct{})}
	for _, i := range have {
		r.have[i] = true
	}
	return r
}

func (r *fakeRuntime) ImageExists(image string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.have[image]
}

func (r *fakeRuntime) PullImage(image string) error {
	r.mu.Lock()
	r.pulled = append(r.pulled, image)
	block, err := r.block, r.pullErr
	r.mu.Unlock()
	if block {
		<-r.unblock
		return errors.New("rpc error: code = Canceled desc = grpc: the client connection is closing")
	}
	if err == nil {
		r.mu.Lock()
		r.have[image] = true
		r.mu.Unlock()
	}
	return err
}

func (r *fakeRuntime) Close(context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.unblock)
	}
}

func (tn *testNode) manifest(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tn.ManifestDir, manifests.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLocalLBImageFollowsImageRepository: without an explicit image the
// pod's image follows the cluster's imageRepository; an explicit image wins;
// a failed lookup is a warning and the default image.
func TestLocalLBImageFollowsImageRepository(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	lookupErr := errors.New(`configmaps "kubeadm-config" is forbidden`)
	for _, tc := range []struct {
		name, image  string
		repo         string
		repoErr      error
		wantAsked    bool
		wantImage    string
		wantOurs     bool
		wantWarnings []string
	}{
		{name: "mirror", repo: mirror, wantAsked: true, wantImage: mirror + "/lvscare:" + manifests.ImageTag, wantOurs: true},
		{name: "upstream default", repo: "registry.k8s.io", wantAsked: true, wantImage: manifests.DefaultImage, wantOurs: true},
		{name: "empty", repo: "", wantAsked: true, wantImage: manifests.DefaultImage, wantOurs: true},
		{name: "lookup fails", repoErr: lookupErr, wantAsked: true, wantImage: manifests.DefaultImage, wantOurs: true,
			wantWarnings: []string{"WARNING: could not read the cluster's imageRepository", "forbidden", manifests.DefaultImage, "--lvscare-image"}},
		{name: "explicit ours", image: "ghcr.io/sealkube/lvscare:v1.36.2", repo: mirror, wantImage: "ghcr.io/sealkube/lvscare:v1.36.2", wantOurs: true},
		{name: "explicit under the cluster's mirror", image: mirror + "/lvscare:v1.36.2", repo: mirror, wantAsked: true, wantImage: mirror + "/lvscare:v1.36.2", wantOurs: true},
		{name: "explicit public", image: "ghcr.io/labring/lvscare:v4.3.7", repo: mirror, wantAsked: true, wantImage: "ghcr.io/labring/lvscare:v4.3.7"},
		{name: "explicit, lookup fails", image: mirror + "/lvscare:v1.36.2", repoErr: lookupErr, wantAsked: true, wantImage: mirror + "/lvscare:v1.36.2",
			wantWarnings: []string{"treating " + mirror + "/lvscare:v1.36.2 as the public lvscare"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTestNode(t)
			var asked []netip.AddrPort
			tn.ImageRepository = func(vip netip.AddrPort) (string, error) {
				asked = append(asked, vip)
				return tc.repo, tc.repoErr
			}
			cfg := seeds
			cfg.Image = tc.image
			c, err := RunLocalLB(cfg, tn.Node)
			if err != nil {
				t.Fatalf("a join must not fail for the image: %v", err)
			}
			defer c.Close()
			if got := len(asked) > 0; got != tc.wantAsked {
				t.Errorf("asked the cluster for its imageRepository: %v, want %v", asked, tc.wantAsked)
			}
			if len(asked) > 0 && asked[0] != netip.MustParseAddrPort(seeds.VIP) {
				t.Errorf("asked through %v, want the VIP", asked[0])
			}
			m := tn.manifest(t)
			if !strings.Contains(m, "image: "+tc.wantImage+"\n") {
				t.Errorf("manifest does not use %s:\n%s", tc.wantImage, m)
			}
			if ours := !strings.Contains(m, "SYS_MODULE"); ours != tc.wantOurs {
				t.Errorf("treated as our image: %v, want %v:\n%s", ours, tc.wantOurs, m)
			}
			out := tn.out.String()
			for _, w := range tc.wantWarnings {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if len(tc.wantWarnings) == 0 && strings.Contains(out, "WARNING") {
				t.Errorf("unexpected warning:\n%s", out)
			}
		})
	}
}

// TestLocalLBChecksImage: before writing the manifest the phase asks the
// CRI for the image, pulls it once when missing, and only warns (with the
// image, the CRI's error and the fix) when the node cannot get it.
func TestLocalLBChecksImage(t *testing.T) {
	fix := []string{"ctr -n k8s.io images import", "imageRepository", "--lvscare-image"}
	for _, tc := range []struct {
		name       string
		runtime    *fakeRuntime
		connectErr error
		wantPull   bool
		wantOut    []string
		wantWarn   bool
	}{
		{name: "present", runtime: newFakeRuntime(manifests.DefaultImage)},
		{name: "pulled", runtime: newFakeRuntime(), wantPull: true, wantOut: []string{"Pulled the lvscare image " + manifests.DefaultImage}},
		{name: "pull fails", runtime: func() *fakeRuntime {
			r := newFakeRuntime()
			r.pullErr = errors.New("dial tcp: lookup ghcr.io: no such host")
			return r
		}(), wantPull: true, wantWarn: true, wantOut: append([]string{"the container runtime does not have and could not pull the lvscare image", "no such host"}, fix...)},
		{name: "pull hangs", runtime: func() *fakeRuntime {
			r := newFakeRuntime()
			r.block = true
			return r
		}(), wantPull: true, wantWarn: true, wantOut: append([]string{"did not finish within 50ms"}, fix...)},
		{name: "no runtime", connectErr: errors.New("no CRI socket found"), wantWarn: true,
			wantOut: append([]string{"could not ask the container runtime about the lvscare image", "no CRI socket found"}, fix...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTestNode(t)
			tn.ImagePullTimeout = 50 * time.Millisecond
			tn.ContainerRuntime = func() (ImageRuntime, error) {
				if tc.connectErr != nil {
					return nil, tc.connectErr
				}
				if tn.manifestExists() {
					t.Error("the runtime was asked after the manifest was written: the image's user must decide the pod")
				}
				return tc.runtime, nil
			}
			start := time.Now()
			c, err := RunLocalLB(seeds, tn.Node)
			if err != nil {
				t.Fatalf("a join must not fail for the image: %v", err)
			}
			defer c.Close()
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the phase took %s", d)
			}
			out := tn.out.String()
			if r := tc.runtime; r != nil {
				if pulled := len(r.pulled) > 0; pulled != tc.wantPull || len(r.pulled) > 1 {
					t.Errorf("pulled %v, want a pull: %v (at most one)", r.pulled, tc.wantPull)
				}
				if !r.closed {
					t.Error("the runtime connection was not closed")
				}
			}
			if warned := strings.Contains(out, "[locallb] WARNING: ") && strings.Contains(out, " "+manifests.DefaultImage+": "); warned != tc.wantWarn {
				t.Errorf("warned: %v, want %v:\n%s", warned, tc.wantWarn, out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if !tn.manifestExists() {
				t.Error("the manifest is gone")
			}
		})
	}
}
