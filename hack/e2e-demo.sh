#!/usr/bin/env bash
# A short, readable end-to-end run: builds what is missing, then runs the
# e2e harness once and shows only its steps, checks, fault windows and
# summary (the full log stays in the work directory it prints on failure).
# Needs root. Usage: hack/e2e-demo.sh [extra e2e flags, e.g. -repeat 3]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
  echo "e2e-demo: needs root (network, mount and UTS namespaces): sudo $0" >&2
  exit 1
fi
# The real worker node runs Debian's containerd and runc, and kube-proxy
# needs nft; install them when missing (as hack/vm-test.sh installs qemu).
missing=()
command -v containerd >/dev/null && command -v ctr >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
command -v nft >/dev/null || missing+=(nftables)
if ((${#missing[@]})); then
  echo "e2e-demo: installing ${missing[*]} from Debian"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[[ -x _output/bin/kubeadm && -x _output/bin/lvscare ]] || make build lvscare
make -s image
hack/e2e-build.sh
echo "e2e-demo: three kube-apiservers + etcd in network namespaces, a real worker (containerd, kubelet, the kube-lvscare pod, kube-proxy) joining through 10.103.97.2:6443, faults"
set +e
# Our kernel path: the locallb join phase and lvscare, on nftables unless
# E2E_BACKEND=ipvs (a kernel with IPVS).
_output/e2e/bin/e2e -lb kernel -join-flags "--locallb-backend ${E2E_BACKEND:-nftables}" "$@" 2>&1 | grep -E --line-buffered '^e2e \[.*(step|ok  |FAIL|fault|kubeadm join took|serves /readyz)|^(====|load balancer|step |fault windows|persistent client|all masters|node w|  |resources|total|e2e:|stopped)'
rc=${PIPESTATUS[0]}
exit "$rc"
