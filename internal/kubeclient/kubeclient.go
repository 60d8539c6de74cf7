// Package kubeclient makes REST clients that know one API group version
// only: the care daemon runs on every node, and client-go's typed
// clientset would link every API group into it.
package kubeclient

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// For returns a client of cfg's server for gv (served under apiPath: "/api"
// for core, "/apis" otherwise) whose types addToScheme registers, and the
// scheme.
func For(cfg *rest.Config, gv schema.GroupVersion, apiPath string, addToScheme func(*runtime.Scheme) error) (rest.Interface, *runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := addToScheme(scheme); err != nil {
		return nil, nil, fmt.Errorf("registering %s: %w", gv, err)
	}
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gv
	c.APIPath = apiPath
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, nil, fmt.Errorf("making a client for %s: %w", cfg.Host, err)
	}
	return rc, scheme, nil
}
