#!/bin/sh
# Prepares this machine as a Kubernetes @KUBE_VERSION@ node from the offline
# package, without any network: `cd kube/shell && sh init.sh` on every
# master and worker, then master.sh on the first master and kubeadm join on
# the others. Safe to run again (it converges; nothing is added twice).
#  1. refuses a host it cannot set up, saying why (not root, another OS or
#     architecture, an old kernel, no containerd/runc, missing tools);
#  2. installs kubeadm, kubelet, kubectl and crictl into $BIN_DIR (/usr/bin),
#     the kubelet's systemd unit and kubeadm's drop-in, /etc/crictl.yaml;
#  3. writes /etc/containerd/config.toml: the package's pause image as the
#     sandbox image (never pulled) and the kubelet's cgroup driver; a config
#     that is not ours is kept once as config.toml.before-kube;
#  4. loads the kernel modules (and lists them in /etc/modules-load.d), sets
#     forwarding and bridge netfilter (/etc/sysctl.d/90-kubernetes.conf),
#     turns swap off (and comments it out of /etc/fstab);
#  5. (re)starts containerd (systemd, or in the background on a host
#     without systemd), imports images/images.tar into the CRI's namespace
#     and checks through the CRI that every image kubeadm asks for is there;
#  6. enables the kubelet (systemd), which waits for kubeadm init/join.
# Env: BIN_DIR (/usr/bin), CONTAINERD_SOCKET (/run/containerd/containerd.sock).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

PKG=$(cd "$(dirname "$0")/.." && pwd)
KUBE_VERSION=@KUBE_VERSION@
PKG_ARCH=@ARCH@
PAUSE_IMAGE=@PAUSE_IMAGE@
BIN_DIR=${BIN_DIR:-/usr/bin}
SOCK=${CONTAINERD_SOCKET:-/run/containerd/containerd.sock}
MARK="Written by the kubernetes offline package's shell/init.sh"

say() { echo "[init] $*"; }
die() { echo "[init] ERROR: $*" >&2; exit 1; }
systemd_host() { [[ -d /run/systemd/system ]]; }

# 1. The host.
[[ $(id -u) == 0 ]] || die "run as root: it installs into $BIN_DIR and /etc (sudo sh $0)"
[[ $(uname -s) == Linux ]] || die "this package is for Linux; this host runs $(uname -s)"
case $(uname -m) in
  x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;;
esac
[[ $arch == "$PKG_ARCH" ]] || die "this package holds linux/$PKG_ARCH binaries and images; this host is $(uname -m) ($arch): build the package for it (make bundle GOARCH=$arch, see README)"
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
if (( kmaj < 4 || (kmaj == 4 && kmin < 19) )); then
  die "kernel $(uname -r) is older than 4.19, the oldest Kubernetes $KUBE_VERSION supports: upgrade the kernel"
fi
missing=()
for t in containerd ctr runc; do command -v $t >/dev/null || missing+=("$t"); done
(( ${#missing[@]} == 0 )) || die "missing ${missing[*]}: this package does not carry the container runtime; install it from the distribution (Debian/Ubuntu: apt-get install containerd runc), then run init.sh again"
for t in mount losetup cp install; do
  command -v $t >/dev/null || die "missing $t, which kubeadm's preflight and the kubelet need: install it (Debian: apt-get install mount coreutils)"
done
for f in bin/kubeadm bin/kubelet bin/kubectl bin/crictl images/images.tar images/images.list conf/kubelet.service conf/10-kubeadm.conf conf/containerd.toml; do
  [[ -f $PKG/$f ]] || die "the package at $PKG lacks $f: unpack the whole tarball again"
done
if systemd_host; then systemd_cgroup=true; else systemd_cgroup=false; fi
# CAP_SYS_RESOURCE (bit 24) in our effective set: containerd may lower OOM scores.
capeff=$(awk '/^CapEff/ {print $2}' /proc/self/status)
if (( (16#$capeff >> 24) & 1 )); then restrict_oom=false; else restrict_oom=true; fi

# changed SRC DST MODE: install SRC as DST unless it is already identical.
changed() {
  if cmp -s "$1" "$2"; then return 1; fi
  mkdir -p "$(dirname "$2")"
  install -m "$3" "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

# 2. Binaries and units.
for b in kubeadm kubelet kubectl crictl; do
  if changed "$PKG/bin/$b" "$BIN_DIR/$b" 0755; then say "installed $BIN_DIR/$b"; fi
done
changed "$PKG/conf/kubelet.service" /etc/systemd/system/kubelet.service 0644 && say "installed /etc/systemd/system/kubelet.service" || true
changed "$PKG/conf/10-kubeadm.conf" /etc/systemd/system/kubelet.service.d/10-kubeadm.conf 0644 && say "installed kubeadm's kubelet drop-in" || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\n' "$SOCK" "$SOCK" >"$tmp/crictl.yaml"
changed "$tmp/crictl.yaml" /etc/crictl.yaml 0644 && say "wrote /etc/crictl.yaml" || true

# 3. containerd's configuration.
sed -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|" -e "s|@SYSTEMD_CGROUP@|$systemd_cgroup|" -e "s|@RESTRICT_OOM@|$restrict_oom|" "$PKG/conf/containerd.toml" >"$tmp/containerd.toml"
containerd_changed=false
cfg=/etc/containerd/config.toml
if ! cmp -s "$tmp/containerd.toml" "$cfg"; then
  if [[ -f $cfg ]] && ! grep -qF "$MARK" "$cfg" && [[ ! -e $cfg.before-kube ]]; then
    cp -p "$cfg" "$cfg.before-kube"
    say "kept the previous $cfg as $cfg.before-kube"
  fi
  changed "$tmp/containerd.toml" "$cfg" 0644
  containerd_changed=true
  say "wrote $cfg (sandbox image $PAUSE_IMAGE, SystemdCgroup = $systemd_cgroup)"
fi

# 4. Kernel: modules, sysctls, swap.
printf '%s\n' overlay br_netfilter >"$tmp/modules"
[[ -d /sys/module/ip_vs || -e /proc/net/ip_vs ]] || modprobe -n ip_vs 2>/dev/null && printf '%s\n' ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack >>"$tmp/modules" || true
changed "$tmp/modules" /etc/modules-load.d/kubernetes.conf 0644 && say "wrote /etc/modules-load.d/kubernetes.conf" || true
loaded() { # a module is there when /sys/module has it, or it is built in
  [[ -d /sys/module/$1 ]] || { [[ $1 == br_netfilter && -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; } || { [[ $1 == overlay ]] && grep -qw overlay /proc/filesystems; }
}
while read -r m; do
  loaded "$m" && continue
  if command -v modprobe >/dev/null && modprobe "$m"; then say "loaded $m"; continue; fi
  case $m in
    overlay|br_netfilter) die "kernel module $m is not loaded and could not be loaded (modprobe $m): containerd's images need overlay, kube-proxy and pods need br_netfilter" ;;
    *) say "WARNING: could not load $m (IPVS): kube-proxy and the local load balancer will use nftables" ;;
  esac
done <"$tmp/modules"
cat >"$tmp/sysctl" <<'SYSCTL'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
SYSCTL
changed "$tmp/sysctl" /etc/sysctl.d/90-kubernetes.conf 0644 && say "wrote /etc/sysctl.d/90-kubernetes.conf" || true
# Only our keys, not `sysctl --system`: the host's other settings stay as they are.
while IFS=' =' read -r key val; do
  f=/proc/sys/${key//.//}
  [[ $(cat "$f") == "$val" ]] || { echo "$val" >"$f" || die "cannot set $key = $val ($f)"; say "set $key = $val"; }
done <"$tmp/sysctl"
if [[ $(wc -l </proc/swaps) -gt 1 ]]; then
  swapoff -a
  sed -i.before-kube -E '/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/' /etc/fstab
  say "turned swap off and commented it out of /etc/fstab (was kept as /etc/fstab.before-kube)"
fi

# 5. containerd and the images.
serving() { ctr --address "$SOCK" version >/dev/null 2>&1; }
if systemd_host; then
  systemctl daemon-reload
  systemctl enable containerd >/dev/null 2>&1 || true
  if $containerd_changed || ! serving; then systemctl restart containerd; say "restarted containerd"; fi
else
  if $containerd_changed && serving; then
    die "containerd is running with an older configuration and this host has no systemd: restart it (it reads $cfg), then run init.sh again"
  fi
  if ! serving; then
    mkdir -p /var/log
    setsid containerd --config "$cfg" </dev/null >>/var/log/containerd.log 2>&1 &
    say "no systemd: started containerd in the background (pid $!, log /var/log/containerd.log); start it at boot yourself"
  fi
fi
for _ in $(seq 100); do serving && break; sleep 0.2; done
serving || die "containerd does not answer on $SOCK (see journalctl -u containerd or /var/log/containerd.log)"
t0=$SECONDS
ctr --address "$SOCK" -n k8s.io images import "$PKG/images/images.tar" >/dev/null
say "imported images/images.tar into containerd's k8s.io namespace in $((SECONDS - t0))s"
# The kubelet and kubeadm see images through the CRI: ask it for each.
while read -r img; do
  crictl_out=$("$BIN_DIR/crictl" --runtime-endpoint "unix://$SOCK" inspecti "$img" 2>&1) ||
    die "the CRI does not have $img after the import: $crictl_out"
done <"$PKG/images/images.list"
say "the CRI has all $(wc -l <"$PKG/images/images.list") images kubeadm asks for"

# 6. The kubelet.
if systemd_host; then
  systemctl enable kubelet >/dev/null 2>&1
  say "kubelet enabled: it starts for good once kubeadm init or join has configured it"
else
  say "no systemd: run the kubelet under your supervisor with kubeadm's drop-in command line (conf/10-kubeadm.conf)"
fi
say "node ready for kubeadm $KUBE_VERSION: on the first master run master.sh; on the others kubeadm join"
