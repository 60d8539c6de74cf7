package locallb

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// TestIntegrationIPVSExpireNodestConnIsNoFailure records why the IPVS
// backend resets sockets instead of relying on the sysctl
// net.ipv4.vs.expire_nodest_conn: with it set (in the client namespace),
// deleting a dead destination expires its connection entries, but the
// client's next segment is not a SYN, so IPVS does not schedule it; it
// leaves addressed to the VIP and nothing answers. The client gets no
// failure, only silence. If a kernel ever answers with a reset here, this
// test fails and the backend's design note (flows.go) needs revisiting.
func TestIntegrationIPVSExpireNodestConnIsNoFailure(t *testing.T) {
	requireIPVS(t)
	requireNetns(t)
	for _, fam := range suiteFamilies {
		t.Run(fam.name, func(t *testing.T) {
			env := newSuiteEnv(t, ipvsSuite, fam)
			var werr error
			inNetns(t, env.ns, func() {
				werr = os.WriteFile("/proc/sys/net/ipv4/vs/expire_nodest_conn", []byte("1"), 0o644)
			})
			if werr != nil {
				t.Fatalf("setting net.ipv4.vs.expire_nodest_conn: %v", werr)
			}
			vip, a, b := setupForwarding(t, env)
			toA := connTo(t, env, vip, a)
			blackhole(t, a, fam.hostA, fam.hostB)
			mustEnsure(t, env.lb, vip, rs(b.addr.String(), 1))
			read := idleRead(toA)
			if _, err := io.WriteString(toA, "ping\n"); err != nil {
				t.Fatalf("write after deleting the destination: %v", err)
			}
			select {
			case r := <-read:
				if !errors.Is(r.err, os.ErrDeadlineExceeded) {
					t.Fatalf("with expire_nodest_conn=1 the client's connection ended by itself (%v): the kernel now fails it, see flows.go", r.err)
				}
			case <-time.After(1500 * time.Millisecond):
				t.Logf("%s: expire_nodest_conn=1, destination deleted: no failure for the client within 1.5 s (silence, as expected)", fam.name)
			}
			// The silence is not the entry still leading to the dead server:
			// the entry is gone.
			var conns []ipvsConn
			if err := inNetnsThread(env.ns, func() error {
				f, err := os.Open("/proc/thread-self/net/ip_vs_conn")
				if err != nil {
					return err
				}
				defer f.Close()
				conns, err = parseIPVSConns(f)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, c := range conns {
				if c.dest == a.addr && c.state == "ESTABLISHED" {
					t.Fatalf("IPVS still holds %s -> %s -> %s %s: expire_nodest_conn did not expire it", c.client, c.vip, c.dest, c.state)
				}
			}
		})
	}
}

// TestIntegrationIPVSDeletedDestinationDropsLiveConnections records why the
// care daemon keeps a real server that still answers "not ready" (an
// apiserver in its shutdown delay) at weight 0 instead of deleting it: IPVS
// drops every packet of an established connection whose destination was
// deleted, even while that server is alive and serving, with
// net.ipv4.vs.expire_nodest_conn at its default 0. Weight 0 keeps the
// connection working. If a kernel ever forwards to the deleted destination
// here, this test fails: the daemon's rule (care/machine.go) could then be
// relaxed.
func TestIntegrationIPVSDeletedDestinationDropsLiveConnections(t *testing.T) {
	requireIPVS(t)
	requireNetns(t)
	for _, fam := range suiteFamilies {
		t.Run(fam.name, func(t *testing.T) {
			env := newSuiteEnv(t, ipvsSuite, fam)
			vip, a, b := setupForwarding(t, env)
			toA := connTo(t, env, vip, a)
			mustEnsure(t, env.lb, vip, rs(a.addr.String(), 0), rs(b.addr.String(), 1))
			if err := echo(toA); err != nil {
				t.Fatalf("established connection to the drained (weight 0) %s broke: %v", a.name, err)
			}
			mustEnsure(t, env.lb, vip, rs(b.addr.String(), 1))
			read := idleRead(toA)
			if _, err := io.WriteString(toA, "ping\n"); err != nil {
				t.Fatalf("write after deleting the destination: %v", err)
			}
			select {
			case r := <-read:
				if r.err == nil {
					t.Fatalf("%s, deleted from the virtual server but alive, still answered through IPVS: the kernel now forwards to deleted destinations; see care/machine.go", a.name)
				}
				t.Fatalf("connection to the deleted, live %s ended with %v; want silence (its packets dropped)", a.name, r.err)
			case <-time.After(1500 * time.Millisecond):
				t.Logf("%s: destination deleted while alive: the client's data got no answer within 1.5 s (dropped, as expected)", fam.name)
			}
		})
	}
}
