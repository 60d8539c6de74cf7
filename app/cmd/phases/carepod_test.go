package phases

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

// fakeCare is the CRI as CareRuntime sees it: the images' users and the
// kube-lvscare pod, which pod returns at each call.
type fakeCare struct {
	mu     sync.Mutex
	users  map[string]manifests.ImageUser
	pod    func() CarePod
	asked  []string
	closed int
}

func (f *fakeCare) ImageUser(image string) (manifests.ImageUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, image)
	return f.users[image], nil
}

func (f *fakeCare) CarePod() (CarePod, error) {
	if f.pod == nil {
		return CarePod{}, nil
	}
	return f.pod(), nil
}

func (f *fakeCare) Close(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
}

func (tn *testNode) useCare(f *fakeCare) {
	tn.CareRuntime = func(string) (CareRuntime, error) { return f, nil }
}

// runningWhile lists one running lvscare container while sc runs.
func runningWhile(sc *simulatedCare) func() CarePod {
	return func() CarePod {
		if sc.running.Load() {
			return CarePod{Sandboxes: []string{"5a4d"}, Containers: []CareContainer{{ID: "0123456789abcdef0123", Image: "ghcr.io/labring/lvscare:v4.3.7", State: "running"}}}
		}
		return CarePod{Containers: []CareContainer{{ID: "0123456789abcdef0123", State: "exited"}}}
	}
}

// TestResetWaitsForTheCareDaemon (issue 22.3): reset removes the manifest
// first and removes the rules only once the daemon stopped, so a daemon
// that outlives upstream's cleanup (containerd down, --skip-phases
// cleanup-node) cannot restore them unrecorded.
func TestResetWaitsForTheCareDaemon(t *testing.T) {
	vip := netip.MustParseAddrPort(seeds.VIP)
	for _, tt := range []struct {
		name   string
		health bool // the daemon answers on its health endpoint (ours)
		cri    bool // the CRI lists its container
	}{
		{"our daemon, no CRI", true, false},
		{"public lvscare seen by the CRI", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			c, err := RunLocalLB(seeds, tn.Node)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			vs, _, _ := tn.balancer.Get(vip)
			sc := startSimulatedCare(t, tn, vs, 100*time.Millisecond)
			tn.CareRunning = func() bool { return tt.health && sc.running.Load() }
			if tt.cri {
				tn.useCare(&fakeCare{pod: runningWhile(sc)})
			}
			tn.CareStopTimeout = 10 * time.Second
			if err := ResetLocalLB(tn.Node, false); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if sc.running.Load() {
				t.Error("reset returned while the care daemon still ran")
			}
			time.Sleep(20 * time.Millisecond)
			if _, found, _ := tn.balancer.Get(vip); found {
				t.Errorf("the virtual server is back after reset: the daemon restored it unrecorded\n%s", tn.out)
			}
			if tn.manifestExists() {
				t.Error("reset left the manifest")
			}
			// The next join is accepted (no "kubeadm did not create it").
			tn.CareRunning, tn.CareRuntime = nil, nil
			c, err = RunLocalLB(seeds, tn.Node)
			if err != nil {
				t.Fatalf("join after reset: %v", err)
			}
			c.Close()
		})
	}
}

// TestResetKeepsRulesWhileTheCareDaemonRuns: a daemon that does not stop
// (the kubelet is down) leaves the rules recorded, and reset says which
// container to stop and to run reset again.
func TestResetKeepsRulesWhileTheCareDaemonRuns(t *testing.T) {
	vip := netip.MustParseAddrPort(seeds.VIP)
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	vs, _, _ := tn.balancer.Get(vip)
	sc := startSimulatedCare(t, tn, vs, -1)
	tn.useCare(&fakeCare{pod: runningWhile(sc)})
	tn.CareStopTimeout = 50 * time.Millisecond
	err = ResetLocalLB(tn.Node, false)
	for _, want := range []string{"still runs 50ms", "crictl stop 0123456789abc", "kubeadm reset` again", tn.StatePath} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("reset: %v; want an error containing %q", err, want)
		}
	}
	st, found, rerr := locallb.Installer{StatePath: tn.StatePath}.ReadState()
	if rerr != nil || !found || st.VIP != vip {
		t.Errorf("record %+v found=%v err=%v: the next reset would leave the rules behind", st, found, rerr)
	}
	if tn.manifestExists() {
		t.Error("reset left the manifest")
	}
}

// TestUndoWaitsForNoLvscareContainer (issue 22.5): a daemon without a
// health endpoint (the public lvscare) is waited for through the CRI, not
// by a quiet watch shorter than its re-create tick.
func TestUndoWaitsForNoLvscareContainer(t *testing.T) {
	vip := netip.MustParseAddrPort(seeds.VIP)
	tn := newTestNode(t)
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vs, _, _ := tn.balancer.Get(vip)
	sc := startSimulatedCare(t, tn, vs, 150*time.Millisecond)
	c.node.CareRunning = func() bool { return false } // no health endpoint
	c.node.CareRuntime = func(string) (CareRuntime, error) { return &fakeCare{pod: runningWhile(sc)}, nil }
	c.node.CareStopTimeout = 10 * time.Second
	c.node.CareQuiet = 20 * time.Millisecond
	undone, err := c.Undo()
	if err != nil {
		t.Fatalf("undo: %v (undone %q)", err, undone)
	}
	time.Sleep(20 * time.Millisecond)
	if _, found, _ := tn.balancer.Get(vip); found {
		t.Errorf("the virtual server came back after undo (undone %q)", undone)
	}
	if _, err := os.Stat(tn.StatePath); !os.IsNotExist(err) {
		t.Errorf("record left after undo: %v", err)
	}
}

// TestLocalLBImageUserDecidesThePod (issue 22.4): a mirrored public
// lvscare under the cluster's imageRepository runs as root, so the pod is
// the public lvscare's (no runAsNonRoot, which the kubelet refuses for it).
func TestLocalLBImageUserDecidesThePod(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	for _, tc := range []struct {
		name, image string
		user        manifests.ImageUser
		wantOurs    bool
	}{
		{"mirrored public lvscare", mirror + "/lvscare:v4.3.7", manifests.ImageUserRoot, false},
		{"our image under another name", "registry.example/ops/care:v1", manifests.ImageUserNonRoot, true},
		{"not on the node: the name decides", mirror + "/lvscare:" + manifests.ImageTag, manifests.ImageUserUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTestNode(t)
			tn.ImageRepository = func(netip.AddrPort) (string, error) { return mirror, nil }
			f := &fakeCare{users: map[string]manifests.ImageUser{tc.image: tc.user}}
			tn.useCare(f)
			cfg := seeds
			cfg.Image = tc.image
			c, err := RunLocalLB(cfg, tn.Node)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			m := tn.manifest(t)
			if ours := strings.Contains(m, "runAsNonRoot: true") && !strings.Contains(m, "SYS_MODULE"); ours != tc.wantOurs {
				t.Errorf("run as our daemon: %v, want %v:\n%s", ours, tc.wantOurs, m)
			}
			if len(f.asked) == 0 || f.asked[0] != tc.image {
				t.Errorf("the runtime was asked about %v, want %s", f.asked, tc.image)
			}
		})
	}
}

// TestLocalLBSaysWhenThePodCannotStart: on a joined node (the kubelet
// runs) the phase waits for the pod's container and, when it does not run,
// says why from what the CRI shows and undoes its changes.
func TestLocalLBSaysWhenThePodCannotStart(t *testing.T) {
	vip := netip.MustParseAddrPort(seeds.VIP)
	for _, tc := range []struct {
		name string
		pod  CarePod
		want []string
	}{
		{"no container (CreateContainerConfigError)", CarePod{Sandboxes: []string{"5a4d0123456789abcdef"}},
			[]string{"did not create its container", "CreateContainerConfigError", "runAsNonRoot", "kubectl -n kube-system describe pod kube-lvscare-"}},
		{"container exits", CarePod{Sandboxes: []string{"5a4d"}, Containers: []CareContainer{{ID: "c0ffee0123456789", Image: manifests.DefaultImage, State: "exited", ExitCode: 1, Reason: "Error", Message: "care: --vs: address in use"}}},
			[]string{"c0ffee0123456 (" + manifests.DefaultImage + ") exited with code 1 (Error): care: --vs: address in use", "crictl logs c0ffee0123456"}},
		{"no pod", CarePod{}, []string{"the kubelet has not started it", "staticPodPath"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := newTestNode(t)
			if err := os.MkdirAll(filepath.Dir(tn.KubeletKubeconfig), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tn.KubeletKubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tn.useCare(&fakeCare{pod: func() CarePod { return tc.pod }})
			tn.CareStartTimeout = 50 * time.Millisecond
			_, err := RunLocalLB(seeds, tn.Node)
			if err == nil {
				t.Fatal("the phase succeeded with a pod that does not start")
			}
			for _, w := range append([]string{"did not start within 50ms"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if _, found, _ := tn.balancer.Get(vip); found || tn.manifestExists() {
				t.Errorf("not undone: virtual server found=%v, manifest exists=%v", found, tn.manifestExists())
			}
		})
	}
	// A running container passes; CheckCareStarted is the join's check.
	tn := newTestNode(t)
	running := CarePod{Containers: []CareContainer{{ID: "c1", State: "running"}}}
	tn.useCare(&fakeCare{pod: func() CarePod { return running }})
	c, err := RunLocalLB(seeds, tn.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CheckCareStarted(); err != nil {
		t.Errorf("CheckCareStarted with a running container: %v", err)
	}
	running.Containers[0].State = "exited"
	tn.CareStartTimeout = 10 * time.Millisecond
	c.node.CareStartTimeout = 10 * time.Millisecond
	if err := c.CheckCareStarted(); err == nil || !strings.Contains(err.Error(), "exited with code 0") {
		t.Errorf("CheckCareStarted with an exited container: %v", err)
	}
	var nilChanges *Changes
	if err := nilChanges.CheckCareStarted(); err != nil {
		t.Errorf("CheckCareStarted of a run that changed nothing: %v", err)
	}
}
