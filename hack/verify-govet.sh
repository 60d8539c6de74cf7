#!/usr/bin/env bash
# go vet over every package of every module in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
