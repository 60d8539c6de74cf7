package app

import (
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	clientsetfake "k8s.io/client-go/kubernetes/fake"
	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	"k8s.io/kubernetes/cmd/kubeadm/app/phases/controlplane"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
	"k8s.io/kubernetes/cmd/kubeadm/app/util/output"

	"github.com/sealkube/kubeadm/care"
)

// apiserverPod is the kube-apiserver static pod kubeadm writes for cfg.
func apiserverPod(cfg *kubeadmapi.InitConfiguration) corev1.Pod {
	return controlplane.GetStaticPodSpecs(&cfg.ClusterConfiguration, &cfg.LocalAPIEndpoint, nil)[kubeadmconstants.KubeAPIServer]
}

func shutdownDelayArgs(pod corev1.Pod) []string {
	var found []string
	for _, arg := range pod.Spec.Containers[0].Command {
		if strings.HasPrefix(arg, "--"+shutdownDelayArg) {
			found = append(found, arg)
		}
	}
	return found
}

// TestAPIServerShutdownDelay: init (and every phase that writes the
// apiserver manifest) gives kube-apiserver the delay lvscare needs to drain
// it on a planned restart, unless the config sets one.
func TestAPIServerShutdownDelay(t *testing.T) {
	if _, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard); err != nil { // registers our defaults
		t.Fatal(err)
	}
	want := "--shutdown-delay-duration=" + care.APIServerShutdownDelay().String()
	if want != "--shutdown-delay-duration=14s" {
		t.Errorf("default %s, README says 14s: update README (What differs from upstream) and care/README", want)
	}
	for _, tc := range []struct{ name, config, want string }{
		{"v1beta4 default", initConfigV1beta4, want},
		{"v1beta3 default", initConfigV1beta3, want},
		{"v1beta4 user set", initConfigV1beta4 + "apiServer:\n  extraArgs:\n  - name: shutdown-delay-duration\n    value: 10s\n", "--shutdown-delay-duration=10s"},
		{"v1beta4 user set to 0", initConfigV1beta4 + "apiServer:\n  extraArgs:\n  - name: shutdown-delay-duration\n    value: 0s\n", "--shutdown-delay-duration=0s"},
		{"v1beta3 user set", initConfigV1beta3 + "apiServer:\n  extraArgs:\n    shutdown-delay-duration: 15s\n", "--shutdown-delay-duration=15s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configutil.BytesToInitConfiguration([]byte(tc.config), true)
			if err != nil {
				t.Fatal(err)
			}
			if found := shutdownDelayArgs(apiserverPod(cfg)); len(found) != 1 || found[0] != tc.want {
				t.Errorf("kube-apiserver shutdown delay args %v, want exactly [%s]", found, tc.want)
			}
		})
	}
}

// TestAPIServerShutdownDelayFitsThePod: the delay must end well inside the
// time the kubelet gives the apiserver pod to stop, and the kubelet must not
// kill the apiserver while /readyz fails during the delay.
func TestAPIServerShutdownDelayFitsThePod(t *testing.T) {
	if _, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg, err := configutil.BytesToInitConfiguration([]byte(initConfigV1beta4), true)
	if err != nil {
		t.Fatal(err)
	}
	pod := apiserverPod(cfg)
	grace := time.Duration(corev1.DefaultTerminationGracePeriodSeconds) * time.Second
	if p := pod.Spec.TerminationGracePeriodSeconds; p != nil {
		grace = time.Duration(*p) * time.Second
	}
	delay := care.APIServerShutdownDelay()
	// After the delay the apiserver still finishes in-flight requests
	// (milliseconds for almost all; watches are closed): leave them at
	// least half the grace period. The delay grew from 4 s to 14 s when
	// healthy apiservers got /readyz every 10 s instead of every second
	// (care.DefaultReadyInterval, for the probe cost).
	if delay > grace/2 {
		t.Errorf("shutdown delay %v takes more than half the apiserver pod's %v termination grace period", delay, grace)
	}
	t.Logf("shutdown delay %v of the pod's %v grace period (%v left for in-flight requests)", delay, grace, grace-delay)
	live := pod.Spec.Containers[0].LivenessProbe
	if live == nil || live.HTTPGet == nil || live.HTTPGet.Path != "/livez" {
		t.Fatalf("apiserver liveness probe %+v: want /livez, which keeps passing during the shutdown delay", live)
	}
}

// TestAPIServerShutdownDelayFromCluster: a control-plane join (and upgrade)
// writes the apiserver manifest from the cluster's stored configuration:
// a cluster set up by upstream kubeadm gets the default, a stored value wins.
func TestAPIServerShutdownDelayFromCluster(t *testing.T) {
	if _, err := NewCommand(strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	stored := "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.36.3\n"
	for _, tc := range []struct{ name, cluster, want string }{
		{"unset in cluster", stored, "--shutdown-delay-duration=" + care.APIServerShutdownDelay().String()},
		{"stored in cluster", stored + "apiServer:\n  extraArgs:\n  - name: shutdown-delay-duration\n    value: 20s\n", "--shutdown-delay-duration=20s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := clientsetfake.NewSimpleClientset(clusterConfigMap(tc.cluster))
			cfg, err := configutil.FetchInitConfigurationFromCluster(client, &output.TextPrinter{}, "test", false, false, false, true)
			if err != nil {
				t.Fatal(err)
			}
			if found := shutdownDelayArgs(apiserverPod(cfg)); len(found) != 1 || found[0] != tc.want {
				t.Errorf("kube-apiserver shutdown delay args %v, want exactly [%s]", found, tc.want)
			}
		})
	}
}
