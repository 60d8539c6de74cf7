package app

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmscheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme"
	kubeadmutil "k8s.io/kubernetes/cmd/kubeadm/app/util"

	"github.com/sealkube/kubeadm/app/locallbconfig"
)

// upstreamRefuses reports whether upstream kubeadm refuses the --config
// file data by its form, so that none of our extensions has a say: the
// file holds no document of ours (nothing in it names our API group or
// kind), and upstream's own reading of it fails — its document splitter
// (YAML that does not parse, a document without apiVersion or kind, a kind
// given twice), no document of the kinds the command reads (needed), or
// one of those that upstream's decoder rejects (a version it does not
// know, a field of the wrong type). The caller then leaves the file and
// the command to upstream, so the user reads upstream's error, byte for
// byte, and nothing of ours runs before it.
//
// It uses upstream's exported splitter and decoder, which log nothing
// (upstream's loaders log and set process-wide timeouts, so calling them
// here would repeat their lines).
func upstreamRefuses(data []byte, needed ...string) bool {
	if locallbconfig.Mentions(data) {
		return false
	}
	docs, err := kubeadmutil.SplitConfigDocuments(data)
	if err != nil {
		return true
	}
	found := false
	for gvk, raw := range docs {
		if !slices.Contains(needed, gvk.Kind) {
			continue
		}
		found = true
		obj := internalObject(gvk.Kind)
		if obj == nil {
			continue
		}
		if err := runtime.DecodeInto(kubeadmscheme.Codecs.UniversalDecoder(), raw, obj); err != nil {
			return true
		}
	}
	return len(needed) > 0 && !found
}

// internalObject is kubeadm's internal type of kind, as upstream decodes
// it; nil for kinds we never check.
func internalObject(kind string) runtime.Object {
	switch kind {
	case "InitConfiguration":
		return &kubeadmapi.InitConfiguration{}
	case "ClusterConfiguration":
		return &kubeadmapi.ClusterConfiguration{}
	case "JoinConfiguration":
		return &kubeadmapi.JoinConfiguration{}
	}
	return nil
}
