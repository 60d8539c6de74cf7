#!/usr/bin/env bash
# Compares our kubeadm with upstream kubeadm built from the same module, flags
# and version stamp in the same run: binary size and the wall time of
# `kubeadm version` and an offline `kubeadm init --dry-run`. Prints figures
# and ratios (ours / upstream); asserts nothing about time.
#
# Usage: hack/bench-compat.sh            (RUNS=20 by default)
# init --dry-run dials the cluster endpoint; as root it runs in a fresh network
# namespace (only a down lo) so the dial fails at once and nothing leaves the
# machine; without root that measurement is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
out=_output/bench
mkdir -p "${out}"
ldflags=$(make -s print-ldflags)

echo "building ours and upstream (k8s.io/kubernetes/cmd/kubeadm) with the same flags..."
make -s build >/dev/null
cp _output/bin/kubeadm "${out}/kubeadm-ours"
# Upstream's main package is not in vendor/ (we import its library only), so
# it is built in module mode from the module cache or the Go module proxy.
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${out}/kubeadm-upstream" k8s.io/kubernetes/cmd/kubeadm

ours_size=$(stat -c %s "${out}/kubeadm-ours")
up_size=$(stat -c %s "${out}/kubeadm-upstream")

# median_ms CMD...: runs CMD $RUNS times and prints the median wall time in ms.
median_ms() {
  local times=() start end
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "command failed: $*" >&2; return 1; }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f\n", m/1000}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a/b}'; }

printf '\n%-34s %14s %14s %8s\n' "measure" "ours" "upstream" "ratio"
printf '%-34s %14s %14s %8s\n' "binary size (bytes)" "${ours_size}" "${up_size}" "$(ratio "${ours_size}" "${up_size}")"

# Alternate the two binaries so machine noise hits both alike.
v_ours=$(median_ms "${out}/kubeadm-ours" version -o short)
v_up=$(median_ms "${out}/kubeadm-upstream" version -o short)
printf '%-34s %12sms %12sms %8s\n' "kubeadm version (median of ${RUNS})" "${v_ours}" "${v_up}" "$(ratio "${v_ours}" "${v_up}")"

if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
  work=$(mktemp -d)
  trap 'rm -rf "${work}"' EXIT
  # An explicit kubernetesVersion keeps upstream from its online lookup, so
  # both do the same work.
  cat > "${work}/init.yaml" <<YAML
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
kubernetesVersion: $(make -s print-version)
controlPlaneEndpoint: apiserver.cluster.local:6443
YAML
  dry() { KUBEADM_INIT_DRYRUN_DIR=$(mktemp -d -p "${work}") unshare --net "$1" init --dry-run --config "${work}/init.yaml" --skip-phases preflight; }
  d_ours=$(median_ms dry "${out}/kubeadm-ours")
  d_up=$(median_ms dry "${out}/kubeadm-upstream")
  printf '%-34s %12sms %12sms %8s\n' "init --dry-run (median of ${RUNS})" "${d_ours}" "${d_up}" "$(ratio "${d_ours}" "${d_up}")"
else
  echo "init --dry-run: skipped (needs root for an isolated network namespace)"
fi
