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

func (f *fakeRoutes) HostRoutes(netip.Addr) ([]locallb.HostRoute, error) { return nil, nil }

func (f *fakeRoutes) RemoveHostRoute(locallb.HostRoute) error { return nil }

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
	if _, err := in.Install(e); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Install(e); err != nil {
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
	if _, err := in.Install(endpoints(t, "10.103.97.3:6443", "10.0.0.1")); err == nil || !strings.Contains(err.Error(), "already set up for VIP 10.103.97.2:6443") {
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
	if _, err := in.Install(e); err == nil || !strings.Contains(err.Error(), "kubeadm did not create it") {
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
	if _, err := in.Install(e); err == nil || !strings.Contains(err.Error(), "route refused") {
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
	if _, err := in.Install(e); err != nil {
		t.Fatal(err)
	}
	s, found, err := in.ReadState()
	if err != nil || !found || s.BackendOrDefault() != locallb.BackendNFTables {
		t.Fatalf("state %+v found=%v err=%v, want the nftables backend recorded", s, found, err)
	}
	other := locallb.Installer{Balancer: &fake.Balancer{}, Routes: &fakeRoutes{}, StatePath: state}
	if _, err := other.Install(e); err == nil || !strings.Contains(err.Error(), "nftables backend") || !strings.Contains(err.Error(), "kubeadm reset") {
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
	if _, err := fresh.Install(e); err == nil || !strings.Contains(err.Error(), "nft delete table ip sealkube-locallb") {
		t.Fatalf("Install over a foreign nftables virtual server: %v, want the nft hint", err)
	}
}

// Install is a transaction: Undo removes exactly what this call created
// and restores what an earlier run had set up.
func TestInstallUndoRevertsOnlyThisRun(t *testing.T) {
	b, r := &fake.Balancer{}, &fakeRoutes{}
	in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "state.json")}
	three := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443")
	first, err := in.Install(three)
	if err != nil {
		t.Fatal(err)
	}
	if !first.CreatedVirtualServer() {
		t.Error("first Install did not report creating the virtual server")
	}
	st, found, err := in.ReadState()
	if err != nil || !found || !st.Route {
		t.Fatalf("record %+v found=%v err=%v, want the added route recorded", st, found, err)
	}
	record, _ := os.ReadFile(in.StatePath)

	// A re-run failing in the kernel changes nothing an earlier run set up.
	one := endpoints(t, "10.103.97.2:6443", "10.0.0.9:6443")
	b.FailNext("Ensure", errors.New("netlink: busy"))
	if x, err := in.Install(one); err == nil || x != nil || !strings.Contains(err.Error(), "netlink: busy") {
		t.Fatalf("failing re-run: %v %v", x, err)
	}
	if vs, found, _ := b.Get(three.VIP); !found || len(vs.RealServers) != 3 {
		t.Errorf("failing re-run left %+v found=%v", vs, found)
	}
	if got, _ := os.ReadFile(in.StatePath); string(got) != string(record) || len(r.routes) != 1 {
		t.Errorf("failing re-run: record %q (want %q), routes %v", got, record, r.routes)
	}

	// A successful re-run, undone: the previous real servers come back,
	// route and record stay.
	x, err := in.Install(one)
	if err != nil {
		t.Fatal(err)
	}
	if x.CreatedVirtualServer() {
		t.Error("re-run claims to have created the virtual server")
	}
	undone, err := x.UndoSteps()
	if err != nil {
		t.Fatal(err)
	}
	if len(undone) != 1 || !strings.Contains(undone[0], "restored the previous real servers of 10.103.97.2:6443 (10.0.0.1:6443, 10.0.0.2:6443, 10.0.0.3:6443)") {
		t.Errorf("undone = %q", undone)
	}
	if vs, _, _ := b.Get(three.VIP); len(vs.RealServers) != 3 || len(r.routes) != 1 {
		t.Errorf("after undoing a re-run: %+v routes %v", vs, r.routes)
	}
	if got, _ := os.ReadFile(in.StatePath); string(got) != string(record) {
		t.Errorf("after undoing a re-run: record %q, want %q", got, record)
	}

	// Undoing the first run removes route, virtual server and record.
	if undone, err := first.UndoSteps(); err != nil || len(undone) != 2 {
		t.Fatalf("undo of the first run: %q %v", undone, err)
	}
	if _, found, _ := b.Get(three.VIP); found || len(r.routes) != 0 {
		t.Errorf("undo of the first run left the virtual server (%v) or routes %v", found, r.routes)
	}
	if _, err := os.Stat(in.StatePath); !os.IsNotExist(err) {
		t.Errorf("undo of the first run left the record: %v", err)
	}
}
