#!/usr/bin/env bash
# make bundle: the offline package in the seeds' layout, built from the
# pinned module (Go module proxy) and Debian packages only, no registry:
#   _output/bundle/kube/                                 the unpacked tree
#     bin/     kubeadm (ours), kubelet, kubectl, crictl
#     conf/    kubelet.service, 10-kubeadm.conf, containerd.toml, kubeadm.yaml
#     images/  images.tar (every image `kubeadm config images list` names,
#              lvscare included) and images.list (their names)
#     shell/   init.sh, master.sh
#   _output/bundle/kubernetes-<version>-linux-<arch>.tar.gz  (unpacks to kube/)
# Same commit, same Debian packages (hack/bundle/debs.lock) and Go toolchain:
# the same bytes (times come from the commit, tar and gzip are told to sort
# and not stamp). Warm runs reuse _output/e2e/bin, _output/bundle/tools and
# _output/bundle/debs.
#   hack/bundle.sh                 build (make bundle runs make build first)
#   hack/bundle.sh --update-debs   pin the Debian packages' current versions
# Env: GOARCH (amd64 only so far), BUNDLE_OUT (_output/bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KUBE_VERSION=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3} $1=="k8s.io/kubernetes" {print $2}' go.mod | head -n1)
ARCH=${GOARCH:-$(go env GOARCH)}
OUT=${BUNDLE_OUT:-$ROOT/_output/bundle}
TREE=$OUT/kube
NAME=kubernetes-$KUBE_VERSION-linux-$ARCH
E2E_BIN=$ROOT/_output/e2e/bin
KUBEADM=$ROOT/_output/bin/kubeadm
LOCK=$ROOT/hack/bundle/debs.lock
CRICTL_VERSION=v1.34.0 # cri-tools has no v1.36; v1.34 speaks the same CRI v1
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}

die() { echo "bundle: $*" >&2; exit 1; }
step() { echo "bundle: [$((SECONDS - T0))s] $*"; }
T0=$SECONDS

if [[ $ARCH != amd64 ]]; then
  die "GOARCH=$ARCH: only amd64 is built so far. Another architecture needs GOARCH for every Go build here, hack/bundle/debs.lock pinned for that Debian architecture (apt-get download pkg:$ARCH) and ociimage -arch $ARCH"
fi

# The Debian packages of the kube-proxy image, pinned by version and sha256.
debs() {
  mkdir -p "$OUT/debs"
  local name ver sum f
  while read -r nv sum; do
    [[ -z $nv || $nv == \#* ]] && continue
    name=${nv%%=*} ver=${nv#*=}
    f=$(ls "$OUT/debs/${name}_"*"_$ARCH.deb" "$OUT/debs/${name}_"*_all.deb 2>/dev/null | while read -r d; do
      [[ $(sha256sum "$d" | cut -c1-64) == "$sum" ]] && echo "$d"; done | head -n1 || true)
    if [[ -z $f ]]; then
      (cd "$OUT/debs" && apt-get -q -o APT::Sandbox::User=root download "$name=$ver" >/dev/null) ||
        die "Debian's archive does not serve $name=$ver (pinned in $LOCK): run apt-get update, or hack/bundle.sh --update-debs to pin what it serves now"
      f=$(ls -t "$OUT/debs/${name}_"*.deb | head -n1)
      [[ $(sha256sum "$f" | cut -c1-64) == "$sum" ]] ||
        die "$f has sha256 $(sha256sum "$f" | cut -c1-64), not $sum as pinned in $LOCK: the archive changed the package; check it and hack/bundle.sh --update-debs"
    fi
    echo "$f"
  done <"$LOCK"
}

if [[ ${1:-} == --update-debs ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  names=$(awk '!/^#/ && NF {split($1, a, "="); print a[1]}' "$LOCK")
  (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download $names >/dev/null)
  { grep '^#' "$LOCK"; for f in "$tmp"/*.deb; do
      echo "$(dpkg-deb -f "$f" Package)=$(dpkg-deb -f "$f" Version) $(sha256sum "$f" | cut -c1-64)"; done; } >"$LOCK.new"
  mv "$LOCK.new" "$LOCK"
  echo "bundle: pinned $(grep -vc '^#' "$LOCK") packages in $LOCK"; exit 0
fi

[[ -x $KUBEADM ]] || die "$KUBEADM is missing: run make bundle (it builds kubeadm first)"
mkdir -p "$OUT/images" "$OUT/tools"

step "Kubernetes binaries and the pause image (hack/e2e-build.sh, module test/e2e)"
hack/e2e-build.sh kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl etcd-server images

# tool NAME PKG@VERSION [LDFLAGS]: a Go command at a pinned version, from the Go module proxy.
tool() {
  local bin=$OUT/tools/$1-${2##*@}
  if [[ ! -x $bin ]]; then
    local t=$SECONDS gobin
    gobin=$(mktemp -d)
    GOBIN=$gobin CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH GOFLAGS=-mod=mod go install -trimpath -ldflags "-s -w ${3:-}" "$2"
    mv "$gobin/$1" "$bin" && rmdir "$gobin"
    echo "bundle: built $bin in $((SECONDS - t))s" >&2
  fi
  echo "$bin"
}
mapfile -t IMAGES < <("$KUBEADM" config images list --kubernetes-version "$KUBE_VERSION")
COREDNS_VERSION=$(printf '%s\n' "${IMAGES[@]}" | sed -n 's|.*/coredns/coredns:||p')
[[ -n $COREDNS_VERSION ]] || die "kubeadm config images list names no coredns image: ${IMAGES[*]}"
step "crictl $CRICTL_VERSION and coredns $COREDNS_VERSION (go install from the module proxy)"
CRICTL=$(tool crictl "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION" "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION")
COREDNS=$(tool coredns "github.com/coredns/coredns@$COREDNS_VERSION")

step "kube-proxy's tools from Debian (iptables, nft, ipset and their libraries; $LOCK)"
mapfile -t DEBS < <(debs)
ROOTFS=$OUT/rootfs/kube-proxy
rm -rf "$ROOTFS" && mkdir -p "$ROOTFS"
for d in "${DEBS[@]}"; do dpkg-deb -x "$d" "$ROOTFS"; done
rm -rf "$ROOTFS"/usr/share/{doc,man,info,lintian,locale,bash-completion} "$ROOTFS/usr/lib/x86_64-linux-gnu/gconv"
# What update-alternatives does when Debian installs iptables: the nft
# flavour, as on Debian 10+ and RHEL 8+ hosts (the legacy one is there too).
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf xtables-nft-multi "$ROOTFS/usr/sbin/$t"
done
for t in usr/sbin/nft usr/sbin/ipset usr/sbin/xtables-nft-multi lib64/ld-linux-x86-64.so.2; do
  [[ -e $ROOTFS/$t ]] || die "the kube-proxy tree lacks /$t after unpacking ${DEBS[*]##*/}"
done

step "images"
go build -mod=vendor -o "$OUT/ociimage" ./hack/ociimage
archives=()
for img in "${IMAGES[@]}"; do
  base=${img##*/} name=${base%%:*} a=$OUT/images/$name.tar
  pack=("$OUT/ociimage" -image "$img" -arch "$ARCH" -out "$a" -file-caps "")
  case $name in
    kube-apiserver|kube-controller-manager|kube-scheduler)
      # Root: they read kubeadm's 0600 keys in /etc/kubernetes/pki.
      "${pack[@]}" -binary "$E2E_BIN/$name" -path "/usr/local/bin/$name" -user 0:0 ;;
    kube-proxy)
      "${pack[@]}" -binary "$E2E_BIN/kube-proxy" -path /usr/local/bin/kube-proxy -user 0:0 -dir "$ROOTFS" ;;
    etcd)
      "${pack[@]}" -binary "$E2E_BIN/etcd-server" -path /usr/local/bin/etcd -user 0:0 ;;
    coredns)
      # Non-root binding :53: the capability must be effective on exec.
      "$OUT/ociimage" -image "$img" -arch "$ARCH" -out "$a" -binary "$COREDNS" -path /coredns \
        -user 65532:65532 -file-caps net_bind_service -file-caps-effective ;;
    pause)
      cp "$E2E_BIN/../images/pause.tar" "$a" ;;
    lvscare)
      VERSION=$KUBE_VERSION IMAGE=$img OUT=$a hack/build-image.sh >/dev/null ;;
    *) die "kubeadm names the image $img, which this script cannot build: add it to hack/bundle.sh" ;;
  esac
  archives+=("$a")
  echo "bundle:   $img ($(du -h "$a" | cut -f1))"
done

step "the tree $TREE"
rm -rf "$TREE"
mkdir -p "$TREE"/{bin,conf,images,shell}
install -m 0755 "$KUBEADM" "$E2E_BIN/kubelet" "$E2E_BIN/kubectl" "$TREE/bin/"
install -m 0755 "$CRICTL" "$TREE/bin/crictl"
"$OUT/ociimage" merge -out "$TREE/images/images.tar" "${archives[@]}"
printf '%s\n' "${IMAGES[@]}" >"$TREE/images/images.list"
PAUSE_IMAGE=$(printf '%s\n' "${IMAGES[@]}" | grep '/pause:')
subst() { sed -e "s|@KUBE_VERSION@|$KUBE_VERSION|g" -e "s|@ARCH@|$ARCH|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" "$1" >"$2"; chmod "$3" "$2"; }
for f in kubelet.service 10-kubeadm.conf containerd.toml; do subst "hack/bundle/conf/$f" "$TREE/conf/$f" 0644; done
sed -e "s|@KUBE_VERSION@|$KUBE_VERSION|g" hack/bundle/conf/kubeadm.yaml >"$TREE/conf/kubeadm.yaml"
for f in init.sh master.sh; do subst "hack/bundle/shell/$f" "$TREE/shell/$f" 0755; done
(cd "$TREE" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)

step "the tarball"
TARBALL=$OUT/$NAME.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=gnu \
  -C "$OUT" -cf - kube | gzip -n >"$TARBALL.tmp"
mv "$TARBALL.tmp" "$TARBALL"
step "wrote $TARBALL ($(du -h "$TARBALL" | cut -f1); images.tar $(du -h "$TREE/images/images.tar" | cut -f1))"
echo "bundle: sha256 $(sha256sum "$TARBALL" | cut -c1-64)  $NAME.tar.gz"
echo "bundle: sha256 $(sha256sum "$TREE/images/images.tar" | cut -c1-64)  images/images.tar"
