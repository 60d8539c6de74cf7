package locallb_test

import (
	"path/filepath"
	"testing"

	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/locallb/fake"
)

// The care daemon in route mode writes the VIP route even when the join did
// not add one (another route covered the VIP). Undoing the run that set the
// VIP up removes that route too; undoing a re-run leaves it.
func TestInstallUndoRemovesTheDaemonsRoute(t *testing.T) {
	b, r := &fake.Balancer{}, &fake.Routes{Covered: true}
	in := locallb.Installer{Balancer: b, Routes: r, StatePath: filepath.Join(t.TempDir(), "state.json")}
	e := endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443", "10.0.0.2:6443")
	first, err := in.Install(e)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatal("the join added a route although one covered the VIP")
	}
	daemon := func() { // what the daemon's route mode does
		r.Covered = false
		if _, err := r.Ensure(e.VIP.Addr(), e.Masters[0].Addr()); err != nil {
			t.Fatal(err)
		}
		r.Covered = true
	}
	daemon()
	second, err := in.Install(endpoints(t, "10.103.97.2:6443", "10.0.0.1:6443"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.UndoSteps(); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 1 {
		t.Fatal("undoing a re-run removed the route of the earlier run's daemon")
	}
	undone, err := first.UndoSteps()
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("undoing the run that set the VIP up left the daemon's route (undone %q)", undone)
	}
	for _, u := range undone {
		if u == "removed the route for "+e.VIP.Addr().String() {
			t.Errorf("undo claims a route of its own: %q", undone)
		}
	}
}
