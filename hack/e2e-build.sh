#!/usr/bin/env bash
# Builds the e2e test's tools into a fixed directory and skips a binary that
# is newer than test/e2e/go.mod and go.sum (and, for ours, its sources):
#   kube-apiserver, kube-controller-manager  (k8s.io/kubernetes, pinned in test/e2e/go.mod)
#   kubelet, kube-proxy                      (k8s.io/kubernetes, for the real worker)
#   kube-scheduler, kubectl                  (k8s.io/kubernetes, for the offline package: hack/bundle.sh)
#   etcd                                     (test/e2e/cmd/etcd: go.etcd.io/etcd/server/v3 embed)
#   etcd-server                              (test/e2e/cmd/etcdserver: etcd's own main, for the
#                                             package's etcd image; kubeadm passes its full flag set)
#   images/pause.tar                         (test/e2e/cmd/pause packed by hack/ociimage: the
#                                             sandbox image kubeadm names, registry.k8s.io/pause:<PauseVersion>)
#   e2e                                      (test/e2e/cmd/e2e: the harness)
# test/e2e is its own module and downloads from the Go module proxy
# (-mod=mod): it is never vendored and the root module's ./... excludes it.
# A cold kube-apiserver build takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${E2E_BIN:-$PWD/_output/e2e/bin}
mkdir -p "$OUT"
export GOFLAGS=-mod=mod CGO_ENABLED=0
KUBE_VERSION=$(awk '$1=="k8s.io/kubernetes" {print $2}' test/e2e/go.mod | head -n1)
ver="gitVersion=${KUBE_VERSION} gitMajor=$(echo "${KUBE_VERSION#v}" | cut -d. -f1) gitMinor=$(echo "${KUBE_VERSION#v}" | cut -d. -f2) gitTreeState=clean"
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  for v in $ver; do LDFLAGS+=" -X $pkg.$v"; done
done

# fresh BIN DEP...: the binary exists and is newer than every DEP.
fresh() {
  local bin=$1; shift
  [[ -x "$bin" ]] || return 1
  local d
  for d in "$@"; do [[ "$bin" -nt "$d" ]] || return 1; done
}

build() { # name package [extra deps...]
  local name=$1 pkg=$2; shift 2
  if fresh "$OUT/$name" test/e2e/go.mod test/e2e/go.sum "$@"; then
    echo "e2e-build: $OUT/$name is up to date"
    return
  fi
  local t0=$SECONDS
  (cd test/e2e && go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/$name.tmp" "$pkg")
  mv "$OUT/$name.tmp" "$OUT/$name"
  echo "e2e-build: built $OUT/$name in $((SECONDS - t0))s"
}

newest() { find "$@" -name '*.go' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2; }

# The pause image: a tiny static program, packed like the lvscare image.
pause_image() {
  local img="$OUT/../images/pause.tar" bin="$OUT/pause" src
  src=$(newest test/e2e/cmd/pause hack/ociimage)
  if [[ -f "$img" && "$img" -nt "$src" && "$img" -nt test/e2e/go.mod ]]; then
    echo "e2e-build: $img is up to date"
    return
  fi
  mkdir -p "$(dirname "$img")"
  (cd test/e2e && go build -trimpath -ldflags "-s -w" -o "$bin" ./cmd/pause)
  local ver
  ver=$(awk -F'"' '/PauseVersion *= *"/ {print $2}' vendor/k8s.io/kubernetes/cmd/kubeadm/app/constants/constants.go)
  GOFLAGS=-mod=vendor go run ./hack/ociimage -binary "$bin" -path /pause -user 65535:65535 -file-caps "" \
    -image "registry.k8s.io/pause:${ver}" -created 0 -out "$img"
  echo "e2e-build: wrote $img (registry.k8s.io/pause:${ver})"
}

what=${*:-etcd kube-apiserver kube-controller-manager kubelet kube-proxy images e2e}
for w in $what; do
  case $w in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy|kubectl) build "$w" "k8s.io/kubernetes/cmd/$w" ;;
    etcd) build etcd ./cmd/etcd "$(newest test/e2e/cmd/etcd)" ;;
    etcd-server) build etcd-server ./cmd/etcdserver test/e2e/cmd/etcdserver/main.go ;;
    images) pause_image ;;
    e2e) build e2e ./cmd/e2e "$(newest test/e2e)" go.mod $(git ls-files -- locallb care manifests hack/vm/kmod hack/vm/newc | grep "\.go$") ;;
    *) echo "e2e-build: unknown tool $w (etcd, etcd-server, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl, images, e2e)" >&2; exit 2 ;;
  esac
done
