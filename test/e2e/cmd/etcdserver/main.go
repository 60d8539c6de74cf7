// Command etcdserver is the real etcd server (etcd's own main package at the
// version Kubernetes v1.36.3 is built with) for the offline package's
// registry.k8s.io/etcd image: kubeadm's etcd static pod passes etcd's full
// flag set, which the e2e's embedded etcd (cmd/etcd) does not take.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
