#!/usr/bin/env bash
# Shows offline what `kubeadm join --master` does on a worker: the seeds'
# join as a dry run inside a fresh network namespace (unshare --net, only lo),
# so even the dial to the join endpoint cannot leave the machine.
# Usage: sudo KUBEADM=_output/bin/kubeadm hack/demo-join.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEADM=${KUBEADM:-_output/bin/kubeadm}
if [[ ! -x "${KUBEADM}" ]]; then
  echo "no ${KUBEADM}: run 'make build' first" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "needs root for 'unshare --net' (a private network namespace): run with sudo" >&2
  exit 1
fi
KUBEADM=$(realpath "${KUBEADM}")
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

echo "== kubeadm join --help: the phase list"
"${KUBEADM}" join --help | sed -n '/executes the following phases/,/^```$/p' | head -12

echo
echo "== kubeadm config print locallb-defaults"
"${KUBEADM}" config print locallb-defaults

echo
echo "== the seeds' worker join, --dry-run, in an empty network namespace"
KUBEADM_JOIN_DRYRUN_DIR="${tmp}" unshare --net "${KUBEADM}" join 10.103.97.2:6443 \
  --token 9vr73a.a8uxyaju799qwdjv \
  --discovery-token-ca-cert-hash sha256:7c2e69131a36ae2a042a339b33381c6d0d43887e2de83720eff5359e26aec866 \
  --master 10.103.97.200:6443 --master 10.103.97.201:6443 --master 10.103.97.202:6443 \
  --dry-run --ignore-preflight-errors=all 2>&1 |
  grep -E '^\[(locallb|preflight|kubelet-start|kubelet-wait)\]|^This node' || true
