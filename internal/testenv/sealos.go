package testenv

import (
	"fmt"
	"strings"
)

// SealosLvscareManifest is the static pod sealos v4/v5 writes for its
// lvscare on every worker (`sealctl static-pod lvscare`, file
// /etc/kubernetes/manifests/kube-sealos-lvscare.yaml, mode 0755): public
// lvscare's care command, the health flags, one --rs per master, then any
// options; LVSCARE_NODE_IP set from the lvscare.node.ip line sealos puts in
// /etc/hosts. Written in the shape sealos' YAML encoder gives it, for tests
// of kubeadm's take-over.
func SealosLvscareManifest(vip, nodeIP string, masters []string, extra ...string) string {
	var args strings.Builder
	for _, a := range SealosLvscareArgv(vip, masters, extra...)[1:] {
		fmt.Fprintf(&args, "    - %s\n", a)
	}
	return `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  name: kube-sealos-lvscare
  namespace: kube-system
spec:
  containers:
  - args:
` + args.String() + `    command:
    - /usr/bin/lvscare
    env:
    - name: LVSCARE_NODE_IP
      value: ` + nodeIP + `
    image: ghcr.io/labring/lvscare:v5.0.1
    imagePullPolicy: IfNotPresent
    name: kube-sealos-lvscare
    resources: {}
    securityContext:
      privileged: true
    volumeMounts:
    - mountPath: /lib/modules
      name: lib-modules
      readOnly: true
  hostNetwork: true
  priorityClassName: system-node-critical
  volumes:
  - hostPath:
      path: /lib/modules
      type: ""
    name: lib-modules
status: {}
`
}

// SealosLvscareArgv is that pod's process command line (command, then args).
func SealosLvscareArgv(vip string, masters []string, extra ...string) []string {
	argv := []string{"/usr/bin/lvscare", "care", "--vs", vip, "--health-path", "/healthz", "--health-schem", "https"}
	for _, m := range masters {
		argv = append(argv, "--rs", m)
	}
	return append(argv, extra...)
}
