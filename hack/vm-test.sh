#!/usr/bin/env bash
# Runs Go integration tests (TestIntegration*) inside a qemu VM that boots
# Debian bookworm's stock kernel, which has the IPVS modules this machine's
# kernel lacks. See hack/vm/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: hack/vm-test.sh [options] [packages...] [-- test-binary-args...]

Boots Debian bookworm's kernel (linux-image-amd64) under qemu (TCG, no KVM)
with IPVS, conntrack and veth modules loaded, runs the TestIntegration* tests
of each package as root inside the VM and reports PASS/FAIL per package.
Exits 0 only if every package's test binary passed in the VM.

packages    Go package patterns (default: every package of this module that
            has a func TestIntegration* in its _test.go files).
-- args     Extra flags for every test binary, after the defaults
            "-test.v -test.run Integration -test.timeout <test-timeout>",
            so they override them (e.g. -- -test.run 'IntegrationIPVS').

Options:
  --timeout SEC        hard limit for the VM run; qemu is killed (default 240)
  --test-timeout SEC   -test.timeout of each test binary (default 150)
  --modules a,b        extra kernel modules to load (dependencies are added;
                       default set: crc32c_generic libcrc32c nf_defrag_ipv4
                       nf_defrag_ipv6 nf_conntrack ip_vs ip_vs_rr veth
                       inet_diag tcp_diag)
  --smp N              virtual CPUs (default 2)
  --mem SIZE           VM memory (default 512M)
  --refresh-kernel     ask apt for the newest linux-image-amd64 again
                       (otherwise the cached kernel is reused without apt)
  --prepare-only       install qemu and cache the kernel, then exit (for
                       the e2e's worker VM: make e2e E2E_BACKEND=ipvs)
  -h, --help           this text

Environment:
  VMTEST_CACHE   cache directory (default: <repo>/_output/vm): kernel/,
                 bin/, tests/, initramfs.cpio, console.log

Installs what it needs with apt-get (qemu-system-x86, xz-utils) when missing,
and downloads the kernel .deb with apt-get download (never installs it).
EOF
}

log() { printf 'vm-test: %s\n' "$*" >&2; }
die() {
	printf 'vm-test: ERROR: %s\n' "$*" >&2
	exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${VMTEST_CACHE:-$ROOT/_output/vm}"
TIMEOUT=240
TEST_TIMEOUT=150
SMP=2
MEM=512M
EXTRA_MODULES=""
REFRESH=0
PREPARE_ONLY=0
pkgs=()
test_args=()

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "option $1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	--timeout) need_value "$@"; TIMEOUT=$2; shift 2 ;;
	--test-timeout) need_value "$@"; TEST_TIMEOUT=$2; shift 2 ;;
	--modules) need_value "$@"; EXTRA_MODULES=$2; shift 2 ;;
	--smp) need_value "$@"; SMP=$2; shift 2 ;;
	--mem) need_value "$@"; MEM=$2; shift 2 ;;
	--refresh-kernel) REFRESH=1; shift ;;
	--prepare-only) PREPARE_ONLY=1; shift ;;
	--)
		shift
		test_args=("$@")
		break
		;;
	-*) die "unknown option $1 (see hack/vm-test.sh --help)" ;;
	*) pkgs+=("$1"); shift ;;
	esac
done
for v in TIMEOUT TEST_TIMEOUT SMP; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive whole number, got '${!v}'"
done
[ "$TEST_TIMEOUT" -lt "$TIMEOUT" ] || die "--test-timeout ($TEST_TIMEOUT) must be below --timeout ($TIMEOUT) so a hung test is reported, not just killed"

t0=$(date +%s)
phase() { log "[$(($(date +%s) - t0))s] $*"; }

# --- host tools ---------------------------------------------------------
apt_updated=0
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root or sudo to run: $*"
	fi
}
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	command -v apt-get >/dev/null || die "apt-get not found: this harness needs Debian's archive (qemu-system-x86, linux-image-amd64)"
	phase "apt-get update"
	as_root apt-get update -qq || log "warning: apt-get update reported errors; trying with the package lists there are"
	apt_updated=1
}
ensure_cmd() { # command debian-package
	command -v "$1" >/dev/null && return 0
	apt_update
	phase "installing $2 (for $1)"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null ||
		die "$1 is missing and installing Debian's $2 failed: run 'apt-get install $2' and retry"
	command -v "$1" >/dev/null || die "installed $2 but $1 is still not on PATH"
}
command -v go >/dev/null || die "go is not on PATH"
ensure_cmd qemu-system-x86_64 qemu-system-x86
ensure_cmd xz xz-utils
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this harness needs a Debian host"

# --- harness binaries ------------------------------------------------------
BIN="$CACHE/bin"
mkdir -p "$BIN"
phase "building vmhost and vminit"
(cd "$ROOT" && go build -o "$BIN/vmhost" ./hack/vm/vmhost) || die "building hack/vm/vmhost failed"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$BIN/vminit" ./hack/vm/vminit) || die "building hack/vm/vminit failed"

# --- kernel ----------------------------------------------------------------
KDIR="$CACHE/kernel"
mkdir -p "$KDIR"
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
kpkg=""
if [ "$REFRESH" = 0 ] && [ -f "$KDIR/current" ]; then
	kpkg=$(cat "$KDIR/current")
	[ -f "$KDIR/$kpkg/vmlinux" ] || kpkg=""
fi
if [ -z "$kpkg" ]; then
	kpkg=$(kernel_pkg)
	if [ -z "$kpkg" ] || [ "$REFRESH" = 1 ]; then
		apt_update
		kpkg=$(kernel_pkg)
	fi
	[ -n "$kpkg" ] || die "apt-cache cannot resolve linux-image-amd64 to a concrete linux-image-<version>-amd64 package: is Debian's main archive in the apt sources?"
	if [ ! -f "$KDIR/$kpkg/vmlinux" ]; then
		phase "downloading and unpacking $kpkg"
		tmp=$(mktemp -d "$KDIR/.dl.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		chmod 0777 "$tmp" # apt's _apt user downloads into it
		(cd "$tmp" && apt-get download -q "$kpkg") || die "apt-get download $kpkg failed"
		deb=$(ls "$tmp"/*.deb)
		dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
		rm -f "$deb"
		vmlinuz=$(ls "$tmp"/root/boot/vmlinuz-* 2>/dev/null | head -n1)
		[ -n "$vmlinuz" ] || die "$kpkg has no boot/vmlinuz-*"
		"$BIN/vmhost" vmlinux -in "$vmlinuz" -out "$tmp/vmlinux" || die "extracting vmlinux from $vmlinuz failed"
		rm -rf "${KDIR:?}/$kpkg"
		mv "$tmp" "$KDIR/$kpkg"
		chmod 0755 "$KDIR/$kpkg"
		trap - EXIT
	fi
	echo "$kpkg" >"$KDIR/current"
fi
moddir=$(ls -d "$KDIR/$kpkg"/root/lib/modules/*/ 2>/dev/null | head -n1)
moddir=${moddir%/}
[ -n "$moddir" ] || die "no lib/modules/<version> in $KDIR/$kpkg/root: delete $KDIR and retry"
phase "kernel: $kpkg ($(basename "$moddir"))"
[ "$PREPARE_ONLY" = 1 ] && exit 0

# --- test binaries -----------------------------------------------------------
cd "$ROOT"
if [ ${#pkgs[@]} -eq 0 ]; then
	mapfile -t dirs < <(grep -rlE --include='*_test.go' --exclude-dir=_output --exclude-dir=vendor --exclude-dir=.git --exclude-dir=testdata \
		'^func TestIntegration' . | xargs -r -n1 dirname | sort -u)
	[ ${#dirs[@]} -gt 0 ] || die "no package in $ROOT has a func TestIntegration*; name packages explicitly"
	pkgs=("${dirs[@]}")
fi
modpath=$(go list -m)
TESTS="$CACHE/tests"
rm -rf "$TESTS"
mkdir -p "$TESTS"
phase "compiling test binaries for: ${pkgs[*]}"
listing=$(go list -f '{{.ImportPath}}|{{.Dir}}|{{if or .TestGoFiles .XTestGoFiles}}yes{{end}}' "${pkgs[@]}") ||
	die "go list ${pkgs[*]} failed: check the package patterns"
built=0
while IFS='|' read -r ip dir hastests; do
	if [ -z "$hastests" ]; then
		log "skipping $ip: no test files"
		continue
	fi
	rel=${ip#"$modpath"}
	rel=${rel#/}
	name=${rel//\//_}
	name=${name:-root}
	mkdir -p "$TESTS/$name"
	# VM_TEST_LDFLAGS: e.g. the Makefile's version stamp, which package app needs.
	CGO_ENABLED=0 go test -c -trimpath -ldflags "${VM_TEST_LDFLAGS:-}" -o "$TESTS/$name/$name.test" "$ip" || die "compiling tests of $ip failed"
	[ -d "$dir/testdata" ] && cp -a "$dir/testdata" "$TESTS/$name/"
	built=$((built + 1))
done <<<"$listing"
[ "$built" -gt 0 ] || die "no test binaries built for: ${pkgs[*]} (did go list fail or do the packages lack _test.go files?)"

# --- boot ----------------------------------------------------------------------
phase "booting the VM (timeout ${TIMEOUT}s)"
set +e
"$BIN/vmhost" run \
	-kernel "$KDIR/$kpkg/vmlinux" -modules-dir "$moddir" -extra-modules "$EXTRA_MODULES" \
	-vminit "$BIN/vminit" -tests "$TESTS" -initrd "$CACHE/initramfs.cpio" -log "$CACHE/console.log" \
	-timeout "${TIMEOUT}s" -test-timeout "${TEST_TIMEOUT}s" -smp "$SMP" -mem "$MEM" \
	-- "${test_args[@]}"
rc=$?
set -e
phase "done (exit $rc); console log: $CACHE/console.log"
exit $rc
