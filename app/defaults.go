package app

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/component-base/version"

	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta3"
	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"

	"github.com/sealkube/kubeadm/certs"
)

// registerConfigDefaults installs this distribution's defaults into kubeadm's
// config scheme: 100-year certificates (package certs), a kube-apiserver
// --shutdown-delay-duration that lets lvscare drain a restarting apiserver
// (shutdowndelay.go) and, for an empty
// kubernetesVersion, the binary's own version instead of upstream's
// "stable-1" label, which costs an internet lookup (up to 10 s behind a
// silent proxy) on clusters that are mostly installed offline.
//
// A scheme holds one defaulting function per type, so each one below
// replaces upstream's and then calls it.
func registerConfigDefaults(scheme *runtime.Scheme, binaryVersion string) error {
	offlineVersion := func(v *string) {
		if *v == "" && isReleaseVersion(binaryVersion) {
			*v = binaryVersion
		}
	}
	scheme.AddTypeDefaultingFunc(&v1beta4.ClusterConfiguration{}, func(obj interface{}) {
		cfg := obj.(*v1beta4.ClusterConfiguration)
		offlineVersion(&cfg.KubernetesVersion)
		certs.SetDefaults(cfg)
		setShutdownDelay(cfg)
		v1beta4.SetObjectDefaults_ClusterConfiguration(cfg)
	})
	scheme.AddTypeDefaultingFunc(&v1beta3.ClusterConfiguration{}, func(obj interface{}) {
		cfg := obj.(*v1beta3.ClusterConfiguration)
		offlineVersion(&cfg.KubernetesVersion)
		certs.SetDefaultsV1beta3(cfg)
		setShutdownDelayV1beta3(cfg)
		v1beta3.SetObjectDefaults_ClusterConfiguration(cfg)
	})
	return certs.RegisterV1beta3Conversion(scheme)
}

// isReleaseVersion reports whether v is a stamped version. An unstamped
// development build reports "v0.0.0-master+…", which kubeadm cannot use as a
// Kubernetes version; such a build keeps upstream's default.
func isReleaseVersion(v string) bool {
	return strings.HasPrefix(v, "v") && !strings.HasPrefix(v, "v0.0.0")
}

// binaryVersion is the version this binary was stamped with at build time.
func binaryVersion() string {
	return version.Get().GitVersion
}
