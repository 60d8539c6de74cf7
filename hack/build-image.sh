#!/usr/bin/env bash
# Builds the lvscare image as an archive, offline and without a container
# daemon:   hack/build-image.sh            -> _output/lvscare-image.tar
# Import:   ctr -n k8s.io images import _output/lvscare-image.tar
#       or  docker load -i _output/lvscare-image.tar
# Env: VERSION (default: git describe, else "devel"), IMAGE (default
# ghcr.io/sealkube/lvscare:$VERSION), GOARCH (default: go env GOARCH), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}"
IMAGE="${IMAGE:-ghcr.io/sealkube/lvscare:${VERSION}}"
ARCH="${GOARCH:-$(go env GOARCH)}"
OUT="${OUT:-_output/lvscare-image.tar}"
BIN="_output/lvscare-linux-${ARCH}"
# Reproducible: the image's times come from the commit, not the clock.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"

mkdir -p "$(dirname "$OUT")" _output
CGO_ENABLED=0 GOOS=linux GOARCH="$ARCH" go build -trimpath \
  -ldflags "-s -w -X main.version=${VERSION}" -o "$BIN" ./cmd/lvscare
go run ./hack/ociimage -binary "$BIN" -image "$IMAGE" -arch "$ARCH" -out "$OUT"
echo "wrote $OUT ($IMAGE, $(du -h "$OUT" | cut -f1))"
