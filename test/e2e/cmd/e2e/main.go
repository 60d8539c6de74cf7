// Command e2e is the end-to-end test of our kubeadm on one machine: an
// etcd, three kube-apiservers and a kube-controller-manager in network
// namespaces, configured by our kubeadm's init phases, and a worker that
// joins through its node-local load balancer; then faults, each measured by
// a client on the worker. Run as root: `make e2e` (see test/e2e/README.md).
//
// The binary re-executes itself for the processes that must live inside a
// node's namespaces: "holder" keeps a node's namespaces and private /etc,
// "kubelet" stands in for the kubelet's TLS bootstrap (-kubelet standin),
// "kubelet-supervisor" stands in for systemd running the real kubelet,
// "lb-userspace" is the care daemon over a userspace balancer. "bundle" is
// the offline package's test (make bundle-test), on its own; "runbook" the
// seeds' HA runbook on four nodes installed from it (make e2e-runbook).
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if os.Getpid() == 1 {
		// The worker VM's /init (-worker vm).
		if err := vmAgentMain(); err != nil {
			fmt.Println("e2e vm-agent:", err)
		}
		return
	}
	if filepath.Base(os.Args[0]) == "modprobe" {
		// The worker VM's modprobe (-worker vm).
		if err := modprobeMain(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "modprobe:", err)
			os.Exit(1)
		}
		return
	}
	sub := "run"
	args := os.Args[1:]
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "run":
		err = runMain(args)
	case "holder":
		err = holderMain(args)
	case "kubelet":
		err = kubeletMain(args)
	case "lb-userspace":
		err = lbUserspaceMain(args)
	case "whoami":
		err = whoAmIMain(args)
	case "kubelet-supervisor":
		err = kubeletSupervisorMain(args)
	case "bundle":
		err = bundleMain(args)
	case "runbook":
		err = runbookMain(args)
	default:
		err = fmt.Errorf("unknown subcommand %q: use run (default), bundle, runbook, holder, kubelet, kubelet-supervisor or lb-userspace", sub)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e %s: %v\n", sub, err)
		os.Exit(1)
	}
}
