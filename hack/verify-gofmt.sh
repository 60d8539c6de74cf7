#!/usr/bin/env bash
# Fails when any Go file outside vendor/ is not gofmt-clean.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.go' | grep -v '^vendor/' | while read -r f; do [[ -f "$f" ]] && echo "$f"; done)
bad=$(gofmt -l "${files[@]}")
if [[ -n "${bad}" ]]; then
  echo "gofmt would change these files (run: gofmt -w <file>):" >&2
  echo "${bad}" >&2
  exit 1
fi
