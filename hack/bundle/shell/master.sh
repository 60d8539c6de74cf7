#!/bin/sh
# Sets up the first master from the offline package (after init.sh), as the
# seeds' master.sh: fills conf/kubeadm.yaml into conf/kubeadm-init.yaml,
# maps apiserver.cluster.local to this master in /etc/hosts, runs
#   kubeadm init --config conf/kubeadm-init.yaml --upload-certs [ARGS…]
# and copies admin.conf to ~/.kube/config. ARGS go to kubeadm init as they
# are (e.g. --ignore-preflight-errors=…; flags that --config replaces are
# refused by kubeadm: use the environment or edit conf/kubeadm.yaml).
# Env (defaults in brackets):
#   MASTER_IP        this master's address [the source address of the default
#                    route, else the first global address]
#   VIP              the workers' load balancer address [10.103.97.2]
#   POD_SUBNET       [100.64.0.0/10]
#   KUBE_PROXY_MODE  ipvs or nftables [ipvs where the kernel has IPVS]
#   LOCALLB_BACKEND  the workers' load balancer [ipvs or nftables, as above]
#   CGROUP_DRIVER    [systemd when systemd runs the host, else cgroupfs]
#   PATCHES_DIR      kubeadm patches (InitConfiguration patches.directory) [none]
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

PKG=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "[master] $*"; }
die() { echo "[master] ERROR: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (sudo sh $0)"
command -v kubeadm >/dev/null || die "kubeadm is not on PATH: run init.sh first"
if [[ -z ${MASTER_IP:-} ]]; then
  MASTER_IP=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1)
  [[ -n $MASTER_IP ]] || MASTER_IP=$(ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]; exit}')
  [[ -n $MASTER_IP ]] || die "cannot find this master's address (no default route, no global IPv4 address): set MASTER_IP"
fi
VIP=${VIP:-10.103.97.2}
POD_SUBNET=${POD_SUBNET:-100.64.0.0/10}
if [[ -z ${KUBE_PROXY_MODE:-} ]]; then
  if [[ -e /proc/net/ip_vs ]]; then KUBE_PROXY_MODE=ipvs; else KUBE_PROXY_MODE=nftables; fi
fi
case $KUBE_PROXY_MODE in ipvs|nftables|iptables) ;; *) die "KUBE_PROXY_MODE=$KUBE_PROXY_MODE: use ipvs, nftables or iptables" ;; esac
LOCALLB_BACKEND=${LOCALLB_BACKEND:-$([[ $KUBE_PROXY_MODE == ipvs ]] && echo ipvs || echo nftables)}
if [[ -z ${CGROUP_DRIVER:-} ]]; then
  if [[ -d /run/systemd/system ]]; then CGROUP_DRIVER=systemd; else CGROUP_DRIVER=cgroupfs; fi
fi
extra_config=""
args=("$@")
if [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]]; then
  # Kubernetes 1.35+ refuses cgroup v1 unless told; upstream says to skip
  # the preflight check that fails on it explicitly.
  say "WARNING: this host uses cgroup v1 (deprecated): failCgroupV1: false and --ignore-preflight-errors=SystemVerification"
  extra_config="failCgroupV1: false"
  args+=(--ignore-preflight-errors=SystemVerification)
fi
patches=""
[[ -z ${PATCHES_DIR:-} ]] || patches="patches: {directory: $PATCHES_DIR}"
out=$PKG/conf/kubeadm-init.yaml
sed -e "s|@MASTER_IP@|$MASTER_IP|g" -e "s|@VIP@|$VIP|g" -e "s|@POD_SUBNET@|$POD_SUBNET|g" \
  -e "s|@KUBE_PROXY_MODE@|$KUBE_PROXY_MODE|g" -e "s|@LOCALLB_BACKEND@|$LOCALLB_BACKEND|g" \
  -e "s|@CGROUP_DRIVER@|$CGROUP_DRIVER|g" -e "s|@KUBELET_EXTRA_CONFIG@|$extra_config|g" -e "s|@PATCHES@|$patches|g" \
  "$PKG/conf/kubeadm.yaml" >"$out"
say "wrote $out (master $MASTER_IP, VIP $VIP, kube-proxy $KUBE_PROXY_MODE, cgroup driver $CGROUP_DRIVER)"

# The seeds' name for the apiservers: this master until workers use the VIP.
hosts_line="$MASTER_IP apiserver.cluster.local"
if ! grep -qxF "$hosts_line" /etc/hosts; then
  sed -i '/[[:space:]]apiserver\.cluster\.local$/d' /etc/hosts
  echo "$hosts_line" >>/etc/hosts
  say "mapped apiserver.cluster.local to $MASTER_IP in /etc/hosts"
fi

kubeadm init --config "$out" --upload-certs "${args[@]}"
mkdir -p "$HOME/.kube"
cp -f /etc/kubernetes/admin.conf "$HOME/.kube/config"
say "kubeconfig in $HOME/.kube/config; other masters: kubeadm join apiserver.cluster.local:6443 --control-plane --certificate-key …; workers: kubeadm join $VIP:6443 --master $MASTER_IP:6443 … (the commands above)"
