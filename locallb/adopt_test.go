package locallb_test

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/locallb/fake"
)

// sealosRoute is what sealos' route mode writes: VIP via the node's address.
var sealosRoute = locallb.HostRoute{Dst: netip.MustParsePrefix("10.103.97.2/32"), Gateway: netip.MustParseAddr("192.168.0.5"), Metric: 50, Protocol: 3}

func TestAdopt(t *testing.T) {
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443", "10.0.0.2:6443")
	sealos := locallb.VirtualServer{VIP: e.VIP, RealServers: []locallb.RealServer{{Addr: e.Masters[0], Weight: 1}, {Addr: e.Masters[1], Weight: 0}}}
	tests := []struct {
		name     string
		adopt    *locallb.Adoption
		existing bool
		wantErr  string
	}{
		{name: "without adoption a foreign virtual server is refused", existing: true, wantErr: "--adopt-sealos"},
		{name: "adopts the virtual server and sealos' route", existing: true, adopt: &locallb.Adoption{From: "sealos (kube-sealos-lvscare.yaml)", Routes: []locallb.HostRoute{sealosRoute}}},
		{name: "adopts when sealos' virtual server is gone", adopt: &locallb.Adoption{From: "sealos (kube-sealos-lvscare.yaml)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, r := &fake.Balancer{}, &fake.Routes{Covered: true}
			r.AddHostRoute(sealosRoute)
			if tt.existing {
				if err := b.Ensure(sealos); err != nil {
					t.Fatal(err)
				}
			}
			in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "state.json")}
			x, err := in.Adopt(e, tt.adopt)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to name %q", err, tt.wantErr)
				}
				if _, found, _ := in.ReadState(); found {
					t.Error("a refused adoption left a record")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			vs, _, _ := b.Get(e.VIP)
			if len(vs.RealServers) != 2 || vs.RealServers[1].Weight != 1 {
				t.Errorf("the adopted virtual server was not rewritten to the masters at weight 1: %+v", vs)
			}
			st, found, err := in.ReadState()
			if err != nil || !found || st.Adopted != tt.adopt.From || len(st.AdoptedRoutes) != len(tt.adopt.Routes) {
				t.Fatalf("record = %+v found=%v err=%v", st, found, err)
			}

			// Undo gives sealos its virtual server back as it was.
			undone, err := x.UndoSteps()
			if err != nil {
				t.Fatal(err)
			}
			after, found, _ := b.Get(e.VIP)
			if tt.existing && (!found || len(after.RealServers) != 2 || after.RealServers[1].Weight != 0) {
				t.Errorf("undo did not restore sealos' virtual server: %+v found=%v (undone %q)", after, found, undone)
			}
			if !tt.existing && found {
				t.Errorf("undo left a virtual server sealos did not have")
			}
			if _, found, _ := in.ReadState(); found {
				t.Error("undo left the record")
			}
			if hs, _ := r.HostRoutes(e.VIP.Addr()); len(hs) != 1 {
				t.Errorf("undo touched sealos' route: %v", hs)
			}

			// Adopted again, reset (Cleanup) removes everything.
			if _, err := in.Adopt(e, tt.adopt); err != nil {
				t.Fatal(err)
			}
			if err := in.Cleanup(); err != nil {
				t.Fatal(err)
			}
			if _, found, _ := b.Get(e.VIP); found {
				t.Error("reset left the adopted virtual server")
			}
			hs, _ := r.HostRoutes(e.VIP.Addr())
			if want := 1 - len(tt.adopt.Routes); len(hs) != want {
				t.Errorf("reset left %d of sealos' routes (%v), want %d", len(hs), hs, want)
			}
		})
	}
}
