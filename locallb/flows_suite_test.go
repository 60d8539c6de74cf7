package locallb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// flushDeadline is how soon after FlushRealServer an established
// connection to the dead real server must have failed.
const flushDeadline = time.Second

// blackhole makes s silent toward the given client addresses, as a dead
// or cut-off host is: its replies are discarded in its own namespace, it
// sends neither data nor resets.
func blackhole(t testing.TB, s *echoServer, clients ...string) {
	t.Helper()
	for _, c := range clients {
		a := netip.MustParsePrefix(c).Addr()
		dst := &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(a.BitLen(), a.BitLen())}
		if err := s.h.RouteAdd(&netlink.Route{Dst: dst, Type: unix.RTN_BLACKHOLE}); err != nil {
			t.Fatalf("black-holing %s's replies to %s: %v", s.name, a, err)
		}
	}
}

// connTo opens connections through vip until one reaches s (round-robin
// gets there within a few) and returns it, greeted.
func connTo(t testing.TB, env suiteEnv, vip netip.AddrPort, s *echoServer) net.Conn {
	t.Helper()
	for range 8 {
		who, c := greet(t, env.ns, vip)
		if who == s.name {
			t.Cleanup(func() { c.Close() })
			return c
		}
		c.Close()
	}
	t.Fatalf("no connection through %s reached %s", vip, s.name)
	return nil
}

type readResult struct {
	at  time.Time
	err error
}

// idleRead blocks in a read on c, as a client waiting for a watch event
// does, and reports when and how it ended.
func idleRead(c net.Conn) <-chan readResult {
	ch := make(chan readResult, 1)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, err := c.Read(make([]byte, 64))
		ch <- readResult{time.Now(), err}
	}()
	return ch
}

// suiteFlushDead: a dead real server (silent: no data, no reset) is
// removed and flushed; its established connection through the VIP must
// fail within flushDeadline, while a drained server's established
// connection keeps working.
func suiteFlushDead(t *testing.T, env suiteEnv) {
	flusher, ok := env.lb.(FlowFlusher)
	if !ok {
		t.Fatalf("%s balancer does not implement FlowFlusher", env.backend.name)
	}
	f := env.fam
	vip, a, b := setupForwarding(t, env)
	toA, toB := connTo(t, env, vip, a), connTo(t, env, vip, b)
	if err := env.lb.SetWeight(vip, b.addr, 0); err != nil {
		t.Fatal(err)
	}

	// a dies. Its connection hangs: the client's data is never answered.
	blackhole(t, a, f.hostA, f.hostB)
	read := idleRead(toA)
	if _, err := io.WriteString(toA, "ping\n"); err != nil {
		t.Fatalf("writing to the connection to %s: %v", a.name, err)
	}
	select {
	case r := <-read:
		t.Fatalf("test setup: the connection to the black-holed %s ended by itself (%v)", a.name, r.err)
	case <-time.After(300 * time.Millisecond):
	}

	// The daemon removes it, then flushes it.
	mustEnsure(t, env.lb, vip, rs(b.addr.String(), 0))
	start := time.Now()
	n, err := flusher.FlushRealServer(vip, a.addr)
	flushTook := time.Since(start)
	if errors.Is(err, ErrSocketDestroyUnsupported) {
		t.Logf("%v: relying on the client's next packet", err)
		_, _ = io.WriteString(toA, "ping again\n")
	} else if err != nil {
		t.Fatalf("FlushRealServer(%s, %s): %v", vip, a.addr, err)
	}
	if n < 1 {
		t.Errorf("FlushRealServer ended %d connections to %s, want at least 1", n, a.addr)
	}
	select {
	case r := <-read:
		if errors.Is(r.err, os.ErrDeadlineExceeded) || r.err == nil {
			t.Fatalf("read on the connection to the dead %s ended with %v, want a connection error", a.name, r.err)
		}
		t.Logf("%s/%s: connection to the dead real server failed %v after the flush started (flush call %v, %d connection(s)): %v",
			env.backend.name, f.name, r.at.Sub(start).Round(10*time.Microsecond), flushTook.Round(10*time.Microsecond), n, r.err)
	case <-time.After(flushDeadline):
		t.Fatalf("connection through %s to the dead %s still open %v after FlushRealServer (ended %d): the client would hang until its own timeout",
			vip, a.name, flushDeadline, n)
	}

	// The drained server's established connection was not touched.
	if err := echo(toB); err != nil {
		t.Fatalf("established connection to the drained %s broke: %v", b.name, err)
	}
	if n, err := flusher.FlushRealServer(vip, a.addr); n != 0 || err != nil {
		t.Errorf("second FlushRealServer = %d, %v; want 0, nil", n, err)
	}
	if err := echo(toB); err != nil {
		t.Fatalf("established connection to the drained %s broke after a second flush: %v", b.name, err)
	}
}

// suiteRestoredAfterDelete: something else deletes the virtual server (a
// kube-proxy flush) and the daemon puts it back at once.
//   - Idle established connections keep working on both backends (IPVS
//     revives the deleted real servers' entries; nftables' conntrack kept
//     the NAT mappings), and FlushOrphans ends none of them.
//   - On IPVS with net.ipv4.vs.expire_nodest_conn = 1, which kube-proxy in
//     ipvs mode sets, the kernel expires the entries of deleted real
//     servers: every established connection through the VIP is then a
//     black hole, and FlushOrphans must end them all at once.
//   - nftables, a connection whose client sent while the table was gone:
//     measured and logged only.
func suiteRestoredAfterDelete(t *testing.T, env suiteEnv) {
	vip, a, b := setupForwarding(t, env)
	toA, toB := connTo(t, env, vip, a), connTo(t, env, vip, b)
	orphans, isIPVS := env.lb.(OrphanFlusher)
	deleteRestore := func() {
		t.Helper()
		if err := env.lb.Delete(vip); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		mustEnsure(t, env.lb, vip, rs(a.addr.String(), 1), rs(b.addr.String(), 1))
	}

	deleteRestore()
	if isIPVS {
		if n, err := orphans.FlushOrphans(vip); n != 0 || err != nil {
			t.Errorf("FlushOrphans after a delete and restore with expire_nodest_conn = 0: %d, %v; want 0, nil", n, err)
		}
	}
	for _, c := range []net.Conn{toA, toB} {
		if err := echo(c); err != nil {
			t.Fatalf("%s: a connection that was idle while the virtual server was deleted and restored broke: %v", env.backend.name, err)
		}
	}

	if !isIPVS {
		// Measured only: a packet sent while the table is gone leaves
		// without DNAT; does the retransmission after the restore get
		// through?
		if err := env.lb.Delete(vip); err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(toA, "ping\n")
		time.Sleep(50 * time.Millisecond)
		mustEnsure(t, env.lb, vip, rs(a.addr.String(), 1), rs(b.addr.String(), 1))
		_ = toA.SetReadDeadline(time.Now().Add(5 * time.Second))
		start := time.Now()
		line, err := bufio.NewReader(toA).ReadString('\n')
		t.Logf("%s/%s: a connection that sent while the table was gone: %q, %v after %v", env.backend.name, env.fam.name, line, err, time.Since(start).Round(time.Millisecond))
		return
	}

	inNetns(t, env.ns, func() {
		if err := os.WriteFile("/proc/sys/net/ipv4/vs/expire_nodest_conn", []byte("1"), 0o644); err != nil {
			t.Fatalf("setting expire_nodest_conn in the test's namespace: %v", err)
		}
	})
	readA, readB := idleRead(toA), idleRead(toB)
	deleteRestore()
	start := time.Now()
	n, err := orphans.FlushOrphans(vip)
	if err != nil {
		t.Fatalf("FlushOrphans(%s): %v", vip, err)
	}
	if n != 2 {
		t.Errorf("FlushOrphans ended %d connections, want 2 (both lost their entries)", n)
	}
	for _, read := range []<-chan readResult{readA, readB} {
		select {
		case r := <-read:
			if errors.Is(r.err, os.ErrDeadlineExceeded) || r.err == nil {
				t.Fatalf("read on an orphaned connection ended with %v, want a connection error", r.err)
			}
			t.Logf("%s/%s: orphaned connection failed %v after FlushOrphans started: %v", env.backend.name, env.fam.name, r.at.Sub(start).Round(10*time.Microsecond), r.err)
		case <-time.After(flushDeadline):
			t.Fatalf("orphaned connection through %s still open %v after FlushOrphans: its client would hang", vip, flushDeadline)
		}
	}
	if who := hitOnce(t, env.ns, vip); who != a.name && who != b.name {
		t.Fatalf("a new connection after the flush reached %q", who)
	}
}
