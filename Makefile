# Build, test and demo entry points. BUILD.md explains the version stamping.
SHELL := /bin/bash
.DEFAULT_GOAL := build

OUT         ?= _output
BIN         := $(OUT)/bin
GO          ?= go
# The pinned Kubernetes version is the one in go.mod: one source of truth.
KUBE_VERSION := $(shell awk '$$1=="require" && $$2=="k8s.io/kubernetes" {print $$3} $$1=="k8s.io/kubernetes" {print $$2}' go.mod | head -n1)
KUBE_MAJOR   := $(word 1,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION))))
KUBE_MINOR   := $(word 2,$(subst ., ,$(patsubst v%,%,$(KUBE_VERSION))))
GIT_COMMIT   := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
GIT_TREE     := $(shell test -z "$$(git status --porcelain 2>/dev/null)" && echo clean || echo dirty)
# The commit time, not the wall clock, keeps builds reproducible.
BUILD_DATE   := $(shell date -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s) +%Y-%m-%dT%H:%M:%SZ)

VERSION_VARS := gitVersion=$(KUBE_VERSION) gitMajor=$(KUBE_MAJOR) gitMinor=$(KUBE_MINOR) \
                gitCommit=$(GIT_COMMIT) gitTreeState=$(GIT_TREE) buildDate=$(BUILD_DATE)
LDFLAGS      := -s -w $(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
                  $(foreach v,$(VERSION_VARS),-X '$(pkg).$(v)'))
GOBUILD      := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
# Tests link the same version stamp: upstream code paths need a real version.
GOTEST       := CGO_ENABLED=0 $(GO) test -trimpath -ldflags "$(LDFLAGS)"

.PHONY: build
build: ## Build the static kubeadm binary into _output/bin/kubeadm.
	$(GOBUILD) -o $(BIN)/kubeadm ./cmd/kubeadm
	@echo "built $(BIN)/kubeadm ($(KUBE_VERSION), commit $(GIT_COMMIT), tree $(GIT_TREE))"

.PHONY: demo
demo: build ## Build, show offline what the tool does (temp dir); as root, then a short end-to-end run.
	KUBEADM=$(BIN)/kubeadm hack/demo.sh

.PHONY: test
test: unit race vm-test e2e e2e-ipvs ## What CI runs: unit tests, the race detector, the real-kernel tests in a VM, then end to end (root): nftables on this kernel, IPVS on a VM worker.

.PHONY: unit
unit: ## Unit, compatibility, certificate and offline tests; no root needed.
	$(GOTEST) ./...

# The packages the race detector runs on: everything but app/ (upstream's
# whole command tree: a long -race build for little of our concurrency) and
# the hack/ tools. The race detector needs cgo, so gcc and the C library
# headers (Debian: gcc, libc6-dev; .ci/run installs them).
RACE_PKGS ?= ./care/... ./locallb/... ./internal/... ./manifests/... ./app/cmd/phases/... ./app/locallbconfig/... ./cmd/lvscare/...

.PHONY: race
race: ## Go tests of the concurrent packages under the race detector (cgo; needs gcc and libc6-dev).
	@command -v gcc >/dev/null || { echo "make race: the race detector needs cgo and gcc is missing: apt-get install gcc libc6-dev" >&2; exit 1; }
	CGO_ENABLED=1 $(GO) test -race -trimpath -ldflags "$(LDFLAGS)" $(RACE_PKGS)

# Loaded in the VM on top of hack/vm's defaults (it has no modprobe): the IPVS
# schedulers the compatibility suite's command lines ask for (care/compat_integration_test.go).
VM_TEST_MODULES ?= ip_vs_wrr,ip_vs_wlc,ip_vs_sh

.PHONY: vm-test
vm-test: ## Real-kernel (IPVS) integration tests in a qemu VM; installs qemu and a Debian kernel if missing.
	VM_TEST_LDFLAGS="$(LDFLAGS)" hack/vm-test.sh --modules $(VM_TEST_MODULES)

.PHONY: lvscare
lvscare: ## Build the care daemon: _output/bin/lvscare.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(KUBE_VERSION)" -o $(BIN)/lvscare ./cmd/lvscare

.PHONY: image
image: ## OCI image archive of the care daemon, without a Docker daemon: _output/lvscare-image.tar.
	VERSION=$(KUBE_VERSION) hack/build-image.sh

.PHONY: e2e-build
e2e-build: ## Build kube-apiserver, kube-controller-manager, etcd and the e2e harness (test/e2e module) into _output/e2e/bin, skipping fresh ones.
	hack/e2e-build.sh

# The worker's load balancer: "kernel" runs our locallb join phase and lvscare
# on the backend below (nftables here: CI's kernel has no IPVS); "userspace"
# is a stand-in for kernels with neither. E2E_BACKEND=ipvs runs the worker as
# a qemu VM booting Debian's kernel, which has IPVS, with kube-proxy beside
# the care daemon (test/e2e/README.md).
E2E_LB      ?= kernel
E2E_BACKEND ?= nftables
E2E_WORKER  ?= $(if $(filter ipvs,$(E2E_BACKEND)),vm,ns)
E2E_FLAGS   ?= -worker $(E2E_WORKER) -join-flags "--locallb-backend $(E2E_BACKEND)"

.PHONY: e2e
e2e: build lvscare image e2e-build $(if $(filter vm,$(E2E_WORKER)),e2e-vm-prepare) ## End to end as root: 3 apiservers + etcd in netns, worker join through its local LB, faults (test/e2e/README.md).
	cd test/e2e && GOFLAGS=-mod=mod CGO_ENABLED=0 $(GO) test ./cmd/...
	_output/e2e/bin/e2e -lb $(E2E_LB) $(E2E_FLAGS)

# The default backend end to end (issue 14): the worker as a VM with IPVS,
# kube-proxy beside it; about 6–7 minutes warm (test/e2e/README.md).
.PHONY: e2e-ipvs
e2e-ipvs: ## make e2e E2E_BACKEND=ipvs: the worker as a qemu VM with real IPVS, the same faults, kube-proxy in ipvs and nftables mode beside it.
	$(MAKE) e2e E2E_BACKEND=ipvs

.PHONY: e2e-vm-prepare
e2e-vm-prepare: ## For the worker VM: qemu and Debian's kernel (hack/vm-test.sh), iptables and ipset unpacked for kube-proxy's ipvs mode.
	hack/vm-test.sh --prepare-only
	hack/e2e-vm-userland.sh

.PHONY: bundle
bundle: build ## The offline package (seeds' layout): _output/bundle/kubernetes-$(KUBE_VERSION)-linux-amd64.tar.gz and the tree _output/bundle/kube.
	hack/bundle.sh

.PHONY: bundle-test
bundle-test: bundle e2e-build ## As root: a node in a private view installed by the package's init.sh runs our kubeadm init, no registry (test/e2e/README.md).
	_output/e2e/bin/e2e bundle -bundle _output/bundle/kube $(BUNDLE_TEST_FLAGS)

.PHONY: e2e-runbook
e2e-runbook: bundle e2e-build ## As root: the seeds' HA runbook verbatim on 4 nodes installed from the package (3 masters, a worker through its local LB), faults from the worker, reset (test/e2e/README.md).
	_output/e2e/bin/e2e runbook $(RUNBOOK_FLAGS)

.PHONY: verify
verify: ## gofmt, go vet, vendor/ matches go mod vendor.
	hack/verify-all.sh

.PHONY: vendor
vendor: ## Regenerate vendor/ from go.mod.
	$(GO) mod tidy
	$(GO) mod vendor

.PHONY: bench
bench: ## Compare binary size and run time with upstream kubeadm built from the same module.
	hack/bench-compat.sh

.PHONY: print-version print-ldflags
print-version:
	@echo $(KUBE_VERSION)
print-ldflags:
	@echo "$(LDFLAGS)"

.PHONY: clean
clean:
	rm -rf $(OUT)
