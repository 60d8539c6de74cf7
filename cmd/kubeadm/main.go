// Command kubeadm is upstream kubeadm v1.36 with a node-local load balancer for
// worker joins and 100-year certificates. All logic lives in package app.
package main

import (
	"os"

	kubeadmerrors "k8s.io/kubernetes/cmd/kubeadm/app/util/errors"

	"github.com/sealkube/kubeadm/app"
)

func main() {
	// HandleError prints like upstream and exits with upstream's exit codes.
	kubeadmerrors.HandleError(app.Run(os.Stdin, os.Stdout, os.Stderr, os.Args[1:]))
}
