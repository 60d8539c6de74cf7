package locallb_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/locallb/fake"
)

// fakeRoutes is an in-memory RouteManager.
type fakeRoutes struct {
	routes  map[netip.Addr]netip.Addr // vip -> via
	failErr error
}

func (f *fakeRoutes) Ensure(vip, via netip.Addr) (bool, error) {
	if f.failErr != nil {
		return false, f.failErr
	}
	if f.routes == nil {
		f.routes = map[netip.Addr]netip.Addr{}
	}
	if _, ok := f.routes[vip]; ok {
		return false, nil
	}
	f.routes[vip] = via
	return true, nil
}

func (f *fakeRoutes) Remove(vip netip.Addr) error { delete(f.routes, vip); return nil }

func endpoints(t *testing.T, vip string, masters ...string) locallb.Endpoints {
	t.Helper()
	e, _, err := locallb.ParseEndpoints(vip, masters)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestInstallAndCleanup(t *testing.T) {
	b, r := &fake.Balancer{}, &fakeRoutes{}
	in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "sub", "state.json")}
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443", "10.0.0.2:6443")
	if err := in.Install(e); err != nil {
		t.Fatal(err)
	}
	if err := in.Install(e); err != nil {
		t.Fatalf("re-running Install: %v", err)
	}
	vs, found, _ := b.Get(e.VIP)
	if !found || len(vs.RealServers) != 2 {
		t.Fatalf("virtual server = %+v found=%v", vs, found)
	}
	if r.routes[e.VIP.Addr()] != e.Masters[0].Addr() {
		t.Fatalf("routes = %v", r.routes)
	}
	st, err := os.Stat(in.StatePath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", st, err)
	}
	if err := in.Install(endpoints(t, "10.103.97.3:6443", "10.0.0.1")); err == nil || !strings.Contains(err.Error(), "already set up for VIP 10.103.97.2:6443") {
		t.Fatalf("Install of a second VIP: %v", err)
	}
	if err := in.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.Get(e.VIP); found || len(r.routes) != 0 {
		t.Fatalf("left after Cleanup: vs found=%v routes=%v", found, r.routes)
	}
	if _, err := os.Stat(in.StatePath); !os.IsNotExist(err) {
		t.Fatalf("state file left: %v", err)
	}
	if err := in.Cleanup(); err != nil {
		t.Fatalf("second Cleanup: %v", err)
	}
}

func TestInstallRefusesForeignVirtualServer(t *testing.T) {
	b, r := &fake.Balancer{}, &fakeRoutes{}
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443")
	foreign := locallb.VirtualServer{VIP: e.VIP, RealServers: []locallb.RealServer{{Addr: netip.MustParseAddrPort("10.9.9.9:80"), Weight: 1}}}
	if err := b.Ensure(foreign); err != nil {
		t.Fatal(err)
	}
	in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "state.json")}
	if err := in.Install(e); err == nil || !strings.Contains(err.Error(), "kubeadm did not create it") {
		t.Fatalf("Install over a foreign virtual server: %v", err)
	}
	if err := in.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if vs, found, _ := b.Get(e.VIP); !found || vs.RealServers[0].Addr.String() != "10.9.9.9:80" {
		t.Fatalf("foreign virtual server touched: %+v %v", vs, found)
	}
}

func TestInstallFailureRemovesWhatItCreated(t *testing.T) {
	b := &fake.Balancer{}
	r := &fakeRoutes{failErr: errors.New("route refused")}
	in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "state.json")}
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443")
	if err := in.Install(e); err == nil || !strings.Contains(err.Error(), "route refused") {
		t.Fatalf("Install: %v", err)
	}
	if _, found, _ := b.Get(e.VIP); found {
		t.Fatal("virtual server left after a failed Install")
	}
	if _, err := os.Stat(in.StatePath); !os.IsNotExist(err) {
		t.Fatalf("state left after a failed Install: %v", err)
	}
}

func TestCleanupCorruptState(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := locallb.Installer{Balancer: &fake.Balancer{}, Routes: &fakeRoutes{}, StatePath: p}
	if err := in.Cleanup(); err == nil || !strings.Contains(err.Error(), "is corrupt") {
		t.Fatalf("Cleanup with corrupt state: %v", err)
	}
}

func TestInstallRecordsBackend(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443")
	in := locallb.Installer{Balancer: &fake.Balancer{}, Routes: &fakeRoutes{}, StatePath: state, Backend: locallb.BackendNFTables}
	if err := in.Install(e); err != nil {
		t.Fatal(err)
	}
	s, found, err := in.ReadState()
	if err != nil || !found || s.BackendOrDefault() != locallb.BackendNFTables {
		t.Fatalf("state %+v found=%v err=%v, want the nftables backend recorded", s, found, err)
	}
	other := locallb.Installer{Balancer: &fake.Balancer{}, Routes: &fakeRoutes{}, StatePath: state}
	if err := other.Install(e); err == nil || !strings.Contains(err.Error(), "nftables backend") || !strings.Contains(err.Error(), "kubeadm reset") {
		t.Fatalf("Install with another backend over a record: %v, want a refusal naming the recorded backend", err)
	}
	// A record without a backend (written before backends existed) is IPVS.
	if err := os.WriteFile(state, []byte(`{"vip":"10.103.97.2:6443"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, _, err := other.ReadState(); err != nil || s.BackendOrDefault() != locallb.BackendIPVS {
		t.Fatalf("old record: %+v %v, want ipvs", s, err)
	}
	// A foreign virtual server: the hint names the backend's own tool.
	b := &fake.Balancer{}
	if err := b.Ensure(e.VirtualServer()); err != nil {
		t.Fatal(err)
	}
	fresh := locallb.Installer{Balancer: b, Routes: &fakeRoutes{}, StatePath: filepath.Join(t.TempDir(), "s.json"), Backend: locallb.BackendNFTables}
	if err := fresh.Install(e); err == nil || !strings.Contains(err.Error(), "nft delete table ip sealkube-locallb") {
		t.Fatalf("Install over a foreign nftables virtual server: %v, want the nft hint", err)
	}
}
