#!/usr/bin/env bash
# Runs every verify check and fails once at the end, naming each failure.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
for check in hack/verify-gofmt.sh hack/verify-govet.sh hack/verify-vendor.sh; do
  echo "== ${check}"
  if ! "${check}"; then
    failed+=("${check}")
  fi
done
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all verify checks passed"
