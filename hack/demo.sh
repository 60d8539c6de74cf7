#!/usr/bin/env bash
# Shows offline, in a temporary directory, what this kubeadm does differently:
# 100-year certificates and an image list that needs no internet lookup.
# Nothing outside the temporary directory is touched and nothing is dialled.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEADM=${KUBEADM:-_output/bin/kubeadm}
KUBEADM=$(realpath "${KUBEADM}")
work=$(mktemp -d -t kubeadm-demo.XXXXXX)
trap 'rm -rf "${work}"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "kubeadm version -o short"
"${KUBEADM}" version -o short

# The seeds' first master. Generating certificates sends no traffic.
cat > "${work}/kubeadm.yaml" <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.103.97.200
nodeRegistration:
  name: master0
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: apiserver.cluster.local:6443
certificatesDir: ${work}/pki
YAML

step "kubeadm init phase certs all  (into ${work}/pki)"
"${KUBEADM}" init phase certs all --config "${work}/kubeadm.yaml"

step "kubeadm init phase kubeconfig all  (into ${work}/kubeconfig)"
"${KUBEADM}" init phase kubeconfig all --config "${work}/kubeadm.yaml" --kubeconfig-dir "${work}/kubeconfig"

step "kubeadm certs check-expiration  (kubeconfig files are read from /etc/kubernetes, so only certificates show)"
"${KUBEADM}" certs check-expiration --config "${work}/kubeadm.yaml" 2>/dev/null | grep -v '^!MISSING!'

step "client certificates in the generated kubeconfig files"
go run ./hack/certexpiry "${work}"/kubeconfig/*.conf

step "kubeadm config images list  (no internet lookup: the version defaults to the binary's own)"
"${KUBEADM}" config images list

step "kubeadm config print init-defaults | grep -i validity"
"${KUBEADM}" config print init-defaults | grep -i -A1 'validity\|cluster-signing'

step "kubeadm init phase certs apiserver  (the VIP 10.103.97.2 and 127.0.0.1 join the SANs)"
go run ./hack/certexpiry "${work}/pki/apiserver.crt"

step "kubeadm join --help  (the locallb phase runs first)"
"${KUBEADM}" join --help | grep -A4 'executes the following phases'

step "kubeadm config print locallb-defaults  (the document config-file runbooks append)"
"${KUBEADM}" config print locallb-defaults

# kubeadm join dials its endpoint even with --dry-run: run it in a fresh
# network namespace holding only lo, so the dial fails at once and nothing
# leaves the machine; upstream's dry-run then uses its fake cluster-info.
step "the seeds' worker join, --dry-run, in a fresh network namespace"
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
  KUBEADM_JOIN_DRYRUN_DIR="${work}/join-dryrun" unshare --net "${KUBEADM}" join 10.103.97.2:6443 \
    --token 9vr73a.a8uxyaju799qwdjv \
    --discovery-token-ca-cert-hash sha256:7c2e69131a36ae2a042a339b33381c6d0d43887e2de83720eff5359e26aec866 \
    --master 10.103.97.200:6443 --master 10.103.97.201:6443 --master 10.103.97.202:6443 \
    --dry-run --ignore-preflight-errors=all 2>&1 |
    grep -E '^\[(locallb|preflight|kubelet-start|kubelet-wait)\]|^This node' || true
else
  echo "(skipped: needs root and unshare(1) for a private network namespace; run: sudo make demo)"
fi

step "end to end: three kube-apiservers + etcd, a worker joining through its local load balancer, faults"
if [[ $(id -u) -eq 0 ]]; then
  # Builds kube-apiserver, kube-controller-manager and etcd once (about 5 minutes cold).
  hack/e2e-demo.sh
else
  echo "(skipped: needs root for network, mount and UTS namespaces; run: sudo make demo)"
fi
