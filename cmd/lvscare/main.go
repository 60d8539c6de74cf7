// Command lvscare is the node-local load balancer's health-checker daemon,
// run as a static pod on every worker. It accepts the public lvscare CLI.
// All logic lives in package care; this binary must not link k8s.io/kubernetes.
package main

import (
	"fmt"
	"os"

	"github.com/sealkube/kubeadm/care"
)

// version is set at link time: -ldflags "-X main.version=v0.1.0".
var version = "devel"

func main() {
	cmd := care.NewCommand(version, newBalancer, os.Stdout, os.Stderr)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lvscare:", err)
		os.Exit(1)
	}
}
