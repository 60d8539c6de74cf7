// Command lvscare is the node-local load balancer's health-checker daemon,
// run as a static pod on every worker. It accepts the public lvscare CLI.
// All logic lives in package care; this binary must not link k8s.io/kubernetes.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/sealkube/kubeadm/care"
)

// version is set at link time: -ldflags "-X main.version=v0.1.0".
var version = "devel"

// gcPercent trades a little CPU for memory: the daemon runs on every node, and
// with Go's default of 100 its RSS settles around 16.7 MiB, with 50 around
// 13.9 MiB at the same CPU (measured with three keep-alive HTTPS masters over
// 60 s). GOGC in the environment still wins.
const gcPercent = 50

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cmd := care.NewCommand(version, newBalancer, os.Stdout, os.Stderr)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lvscare:", err)
		os.Exit(1)
	}
}
