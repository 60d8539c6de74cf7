package app

import (
	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta3"
	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"

	"github.com/sealkube/kubeadm/care"
)

// shutdownDelayArg is the kube-apiserver flag that keeps it serving for a
// while after SIGTERM, with /readyz failing, so load balancers take it out
// of rotation before it stops accepting requests.
const shutdownDelayArg = "shutdown-delay-duration"

// shutdownDelay is the default for shutdownDelayArg: long enough for the
// workers' lvscare, at its default settings, to drain an apiserver that is
// being restarted (care.APIServerShutdownDelay: interval × fall + timeout +
// margin, 4 s). The apiserver static pod has no terminationGracePeriodSeconds,
// so the kubelet allows 30 s; the delay leaves 26 of them for in-flight
// requests.
func shutdownDelay() string { return care.APIServerShutdownDelay().String() }

// setShutdownDelay gives kube-apiserver shutdownDelayArg in a v1beta4
// ClusterConfiguration unless the user passed it.
func setShutdownDelay(cfg *v1beta4.ClusterConfiguration) {
	for _, arg := range cfg.APIServer.ExtraArgs {
		if arg.Name == shutdownDelayArg {
			return
		}
	}
	cfg.APIServer.ExtraArgs = append(cfg.APIServer.ExtraArgs, v1beta4.Arg{Name: shutdownDelayArg, Value: shutdownDelay()})
}

// setShutdownDelayV1beta3 is setShutdownDelay for v1beta3's map of
// arguments.
func setShutdownDelayV1beta3(cfg *v1beta3.ClusterConfiguration) {
	if _, set := cfg.APIServer.ExtraArgs[shutdownDelayArg]; set {
		return
	}
	if cfg.APIServer.ExtraArgs == nil {
		cfg.APIServer.ExtraArgs = map[string]string{}
	}
	cfg.APIServer.ExtraArgs[shutdownDelayArg] = shutdownDelay()
}
