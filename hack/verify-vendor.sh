#!/usr/bin/env bash
# Fails unless go.mod/go.sum are tidy and vendor/ is exactly what
# `go mod vendor` writes. Needs the Go module proxy (or a warm module cache).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

if ! go mod tidy -diff > "${tmp}/tidy.diff"; then
  echo "go.mod/go.sum are not tidy; run 'make vendor'. Difference:" >&2
  cat "${tmp}/tidy.diff" >&2
  exit 1
fi
go mod vendor -o "${tmp}/vendor"
if ! diff -r vendor "${tmp}/vendor" > "${tmp}/vendor.diff"; then
  echo "vendor/ differs from what 'go mod vendor' writes; run 'make vendor' and commit the result:" >&2
  head -n 50 "${tmp}/vendor.diff" >&2
  exit 1
fi
echo "vendor/ matches go.mod"
