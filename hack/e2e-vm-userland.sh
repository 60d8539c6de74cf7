#!/usr/bin/env bash
# Unpacks Debian's iptables and ipset, with the libraries they link, for the
# e2e's worker VM (test/e2e, -worker vm): kube-proxy's ipvs mode calls them.
# Downloaded with apt-get download and unpacked with dpkg-deb -x into the VM
# cache; nothing is installed on this machine. Skips when already there.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${VMTEST_CACHE:-$PWD/_output/vm}/userland
if [[ -x $DIR/root/usr/sbin/ipset && -x $DIR/root/usr/sbin/xtables-nft-multi ]]; then
  echo "e2e-vm-userland: $DIR/root is up to date"
  exit 0
fi
pkgs="iptables ipset libipset13 libip4tc2 libip6tc2 libxtables12 libnetfilter-conntrack3 libnfnetlink0 libnftnl11 libmnl0"
mkdir -p "$DIR"
tmp=$(mktemp -d "$DIR/.dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0777 "$tmp" # apt's _apt user downloads into it
if ! (cd "$tmp" && apt-get download -q $pkgs); then
  apt-get update -qq || true
  (cd "$tmp" && apt-get download -q $pkgs) || { echo "e2e-vm-userland: apt-get download $pkgs failed" >&2; exit 1; }
fi
mkdir -p "$tmp/root"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
rm -rf "$DIR/root"
mv "$tmp/root" "$DIR/root"
echo "e2e-vm-userland: unpacked $pkgs into $DIR/root"
