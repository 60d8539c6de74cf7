package masters

import (
	"context"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/sealkube/kubeadm/internal/kubeclient"
)

// SliceClient reads EndpointSlices in namespace default: what the Watcher
// needs of client-go's EndpointSliceInterface, which satisfies it
// (clientset.DiscoveryV1().EndpointSlices(masters.Namespace)).
type SliceClient interface {
	List(ctx context.Context, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// NewSliceClient is a SliceClient for the cluster of cfg (the kubelet's
// kubeconfig). It knows the discovery/v1 types only: client-go's typed
// clients register every API group of k8s.io/api (their scheme package), which
// made the daemon's binary 26 MB instead of 16 MB when measured.
func NewSliceClient(cfg *rest.Config) (SliceClient, error) {
	rc, scheme, err := kubeclient.For(cfg, discoveryv1.SchemeGroupVersion, "/apis", discoveryv1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return &restSlices{c: rc, params: runtime.NewParameterCodec(scheme)}, nil
}

type restSlices struct {
	c      rest.Interface
	params runtime.ParameterCodec
}

func (r *restSlices) List(ctx context.Context, opts metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
	l := &discoveryv1.EndpointSliceList{}
	err := r.c.Get().Namespace(Namespace).Resource("endpointslices").VersionedParams(&opts, r.params).Do(ctx).Into(l)
	return l, err
}

func (r *restSlices) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return r.c.Get().Namespace(Namespace).Resource("endpointslices").VersionedParams(&opts, r.params).Watch(ctx)
}
