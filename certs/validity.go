// Package certs holds this distribution's certificate policy: every
// certificate kubeadm generates is valid for 100 years unless the user set a
// validity explicitly. It changes kubeadm only through its config scheme
// (defaulting and conversion functions), never by patching constants.
package certs

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"

	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta3"
	"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
)

// Validity is the default lifetime of every certificate, CA or not: 100
// years of 365 days, written 876000h in configuration files.
const Validity = 100 * 365 * 24 * time.Hour

// SigningDurationArg is the kube-controller-manager flag that bounds the
// lifetime of certificates it signs (kubelet client and serving certificates).
const SigningDurationArg = "cluster-signing-duration"

// SetDefaults fills unset validity periods of a v1beta4 ClusterConfiguration
// with Validity and gives kube-controller-manager a matching signing duration
// unless the user passed that argument. Explicit values are kept.
func SetDefaults(cfg *v1beta4.ClusterConfiguration) {
	if cfg.CertificateValidityPeriod == nil {
		cfg.CertificateValidityPeriod = &metav1.Duration{Duration: Validity}
	}
	if cfg.CACertificateValidityPeriod == nil {
		cfg.CACertificateValidityPeriod = &metav1.Duration{Duration: Validity}
	}
	for _, arg := range cfg.ControllerManager.ExtraArgs {
		if arg.Name == SigningDurationArg {
			return
		}
	}
	cfg.ControllerManager.ExtraArgs = append(cfg.ControllerManager.ExtraArgs,
		v1beta4.Arg{Name: SigningDurationArg, Value: signingDuration()})
}

// SetDefaultsV1beta3 gives kube-controller-manager the 100-year signing
// duration in a v1beta3 ClusterConfiguration unless the user set it. v1beta3
// has no validity fields; RegisterV1beta3Conversion handles those.
func SetDefaultsV1beta3(cfg *v1beta3.ClusterConfiguration) {
	if _, set := cfg.ControllerManager.ExtraArgs[SigningDurationArg]; set {
		return
	}
	if cfg.ControllerManager.ExtraArgs == nil {
		cfg.ControllerManager.ExtraArgs = map[string]string{}
	}
	cfg.ControllerManager.ExtraArgs[SigningDurationArg] = signingDuration()
}

// RegisterV1beta3Conversion replaces the scheme's v1beta3 -> internal
// ClusterConfiguration conversion with one that, after upstream's own
// conversion, sets both validity periods to Validity. Upstream hard-codes 1 and
// 10 years there because v1beta3 cannot express a validity; with this
// distribution a v1beta3 file gets the same 100 years as a v1beta4 one.
func RegisterV1beta3Conversion(scheme *runtime.Scheme) error {
	return scheme.AddConversionFunc((*v1beta3.ClusterConfiguration)(nil), (*kubeadmapi.ClusterConfiguration)(nil),
		func(a, b interface{}, scope conversion.Scope) error {
			out := b.(*kubeadmapi.ClusterConfiguration)
			if err := v1beta3.Convert_v1beta3_ClusterConfiguration_To_kubeadm_ClusterConfiguration(a.(*v1beta3.ClusterConfiguration), out, scope); err != nil {
				return err
			}
			out.CertificateValidityPeriod = &metav1.Duration{Duration: Validity}
			out.CACertificateValidityPeriod = &metav1.Duration{Duration: Validity}
			return nil
		})
}

// signingDuration renders Validity the way users write it ("876000h"), not
// as Go's "876000h0m0s".
func signingDuration() string {
	return strconv.FormatInt(int64(Validity/time.Hour), 10) + "h"
}
