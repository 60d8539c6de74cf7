package locallb

import (
	"net/netip"
	"strings"
	"testing"
)

// Every backend has a complete descriptor, and what differs between them
// is read from it.
func TestBackendDescriptors(t *testing.T) {
	vip := netip.MustParseAddrPort("10.103.97.2:6443")
	if len(backendInfos) != len(Backends()) {
		t.Fatalf("%d descriptors for backends %v", len(backendInfos), Backends())
	}
	for _, b := range Backends() {
		i, ok := backendInfos[b]
		if !ok || i.title == "" || i.modules == nil || i.open == nil || i.removeHint == nil || i.describe == nil {
			t.Fatalf("backend %s: incomplete descriptor %+v", b, i)
		}
		if got, err := ParseBackend(strings.ToUpper(string(b))); err != nil || got != b {
			t.Errorf("ParseBackend(%q) = %q, %v", strings.ToUpper(string(b)), got, err)
		}
		if len(b.Modules()) == 0 || !strings.Contains(b.Describe(vip, "10.0.0.1:6443"), "10.0.0.1:6443") {
			t.Errorf("backend %s: modules %v, description %q", b, b.Modules(), b.Describe(vip, "10.0.0.1:6443"))
		}
	}
	for b, want := range map[Backend]string{BackendIPVS: "ipvsadm -D -t 10.103.97.2:6443", BackendNFTables: "nft delete table ip sealkube-locallb", "": "ipvsadm -D -t 10.103.97.2:6443"} {
		if got := b.RemoveHint(vip); got != want {
			t.Errorf("%q.RemoveHint = %q, want %q", b, got, want)
		}
	}
	if got := BackendNFTables.RemoveHint(netip.MustParseAddrPort("[fd00::2]:6443")); got != "nft delete table ip6 sealkube-locallb" {
		t.Errorf("IPv6 nftables hint %q", got)
	}
	if _, err := NewBalancer("haproxy", BalancerOptions{}); err == nil || !strings.Contains(err.Error(), `"haproxy": use "ipvs" (default) or "nftables"`) {
		t.Errorf("NewBalancer of an unknown backend: %v", err)
	}
}
