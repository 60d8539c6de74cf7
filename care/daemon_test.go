package care

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if code, ok := compatChildMain(); ok {
		os.Exit(code) // started by the compatibility suite on the kernel
	}
	goleak.VerifyTestMain(m)
}

const waitLimit = 10 * time.Second

// timeScale stretches the daemon's timing in these tests under the race
// detector, which makes a probe (a cold TLS handshake included) several
// times slower: the same sequence of states happens, with the same
// headroom between a probe's duration and its timeout.
var timeScale = func() time.Duration {
	if raceEnabled {
		return 4
	}
	return 1
}()

// fastConfig keeps the integration tests quick: the logic is the same as
// with the defaults, only scaled down.
func fastConfig(vip netip.AddrPort, masters ...*testMaster) Config {
	cfg := Config{
		VIP:           vip,
		Interval:      100 * time.Millisecond * timeScale,
		RetryInterval: 20 * time.Millisecond * timeScale,
		RestorePeriod: 20 * time.Millisecond * timeScale,
		Rise:          2,
		Fall:          2,
		Probe:         ProbeConfig{Scheme: "https", Path: "/healthz", Timeout: 60 * time.Millisecond * timeScale, InsecureSkipVerify: true},
	}
	for _, m := range masters {
		cfg.RealServers = append(cfg.RealServers, m.addr)
	}
	return cfg
}

type running struct {
	d       *Daemon
	lb      *memBalancer
	metrics *Metrics
	logs    *syncBuffer
	cancel  context.CancelFunc
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startDaemon(t *testing.T, cfg Config, lb *memBalancer) *running {
	t.Helper()
	return startDaemonWith(t, cfg, lb, nil)
}

// startDaemonWith is startDaemon with setup run on the daemon before Run.
func startDaemonWith(t *testing.T, cfg Config, lb *memBalancer, setup func(*Daemon)) *running {
	t.Helper()
	p, err := NewHTTPProber(cfg.Probe, "lvscare-test")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	r := &running{lb: lb, metrics: NewMetrics(), logs: logs, done: make(chan error, 1)}
	r.d = NewDaemon(cfg, lb, p, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), r.metrics)
	if setup != nil {
		setup(r.d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.d.Run(ctx) }()
	t.Cleanup(func() {
		r.stop(t)
		p.Close()
	})
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run returned %v, want nil on shutdown", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after cancel")
	}
}

func weightIs(lb *memBalancer, rs netip.AddrPort, want int) func() bool {
	return func() bool {
		w, ok := lb.weights(vip)[rs]
		return ok && w == want
	}
}

// probedUp: the last probe of m passed.
func probedUp(r *running, m *testMaster) func() bool {
	return func() bool {
		return testutil.ToFloat64(r.metrics.up.WithLabelValues(vip.String(), m.addr.String())) == 1
	}
}

func absent(lb *memBalancer, rs netip.AddrPort) func() bool {
	return func() bool {
		ws := lb.weights(vip)
		_, ok := ws[rs]
		return ws != nil && !ok
	}
}

// TestDaemonRemovesAndReaddsAFailingMaster: a master whose probes get no
// answer is drained, then removed; one that answers 500 is drained and
// stays at weight 0 (it still serves its established connections) until
// it recovers.
func TestDaemonRemovesAndReaddsAFailingMaster(t *testing.T) {
	tests := []struct {
		name    string
		fail    func(m *testMaster)
		recover func(m *testMaster)
		removed bool
	}{
		{"killed (refused)", (*testMaster).kill, (*testMaster).revive, true},
		{"frozen (never answers)", (*testMaster).freeze, (*testMaster).thaw, true},
		{"slow beyond the timeout", func(m *testMaster) { m.setDelay(time.Second) }, func(m *testMaster) { m.setDelay(0) }, true},
		{"answers 500", func(m *testMaster) { m.setStatus(500) }, func(m *testMaster) { m.setStatus(200) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := []*testMaster{newTestMaster(t), newTestMaster(t), newTestMaster(t)}
			// The process's first TLS handshakes pay one-time crypto set-up,
			// many times slower under -race: pay it before the daemon's
			// first probes, whose timeout is tight.
			for _, m := range ms {
				warmTLS(t, m)
			}
			lb := newMemBalancer()
			r := startDaemon(t, fastConfig(vip, ms...), lb)
			for _, m := range ms {
				// Active with a passed probe: the start is over (weight 1
				// alone holds before the first probe), and the healthy
				// masters' probes reuse a warm connection from here on.
				eventually(t, waitLimit, "master active and probed healthy at start", func() bool {
					return weightIs(lb, m.addr, 1)() && probedUp(r, m)()
				})
			}
			removedBefore := testutil.ToFloat64(r.metrics.transitions.WithLabelValues(vip.String(), ms[0].addr.String(), "removed"))
			tc.fail(ms[0])
			if tc.removed {
				eventually(t, waitLimit, "failing master removed", absent(lb, ms[0].addr))
			} else {
				eventually(t, waitLimit, "failing master drained", weightIs(lb, ms[0].addr, 0))
				time.Sleep(5 * fastConfig(vip).Interval) // several failed probes
				if w, ok := lb.weights(vip)[ms[0].addr]; !ok || w != 0 {
					t.Fatalf("master answering 500 has weight %d (present %v), want 0: kept while it answers", w, ok)
				}
			}
			for _, m := range ms[1:] {
				if w, ok := lb.weights(vip)[m.addr]; !ok || w != 1 {
					t.Fatalf("healthy master %s has weight %d (present %v), want 1", m.addr, w, ok)
				}
			}
			tc.recover(ms[0])
			eventually(t, waitLimit, "recovered master added back", weightIs(lb, ms[0].addr, 1))
			wantRemoved := 0.0
			if tc.removed {
				wantRemoved = 1
			}
			if got := testutil.ToFloat64(r.metrics.transitions.WithLabelValues(vip.String(), ms[0].addr.String(), "removed")) - removedBefore; got != wantRemoved {
				t.Errorf("removed transitions of %s caused by the fault = %v, want %v", ms[0].addr, got, wantRemoved)
			}
			logs := r.logs.String()
			for _, want := range []string{"draining it (weight 0)", "added back"} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			if got := strings.Contains(logs, "removed it"); got != tc.removed {
				t.Errorf("logs say \"removed it\": %v, want %v:\n%s", got, tc.removed, logs)
			}
		})
	}
}

// TestDaemonDrainsUntilTheMasterStopsAnswering: an apiserver in its
// shutdown delay (/readyz 503) is drained and kept at weight 0 while it
// answers: deleting it from IPVS would drop the packets of its established
// connections until it exits. Once it stops answering it is deleted.
func TestDaemonDrainsUntilTheMasterStopsAnswering(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	cfg := fastConfig(vip, ms...)
	cfg.Interval = 500 * time.Millisecond * timeScale // a visible drain period
	startDaemon(t, cfg, lb)
	eventually(t, waitLimit, "master active at start", weightIs(lb, ms[0].addr, 1))
	ms[0].setStatus(503)
	eventually(t, waitLimit, "failing master drained (weight 0)", weightIs(lb, ms[0].addr, 0))
	time.Sleep(4 * cfg.Interval)
	if w, ok := lb.weights(vip)[ms[0].addr]; !ok || w != 0 {
		t.Fatalf("master answering 503 has weight %d (present %v) after 4 intervals, want 0", w, ok)
	}
	ms[0].kill()
	eventually(t, waitLimit, "drained master deleted once it stopped answering", absent(lb, ms[0].addr))
}

func TestDaemonFailsOpen(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	for _, m := range ms {
		eventually(t, waitLimit, "master active at start", weightIs(lb, m.addr, 1))
	}
	for _, m := range ms {
		m.kill()
	}
	eventually(t, waitLimit, "fail open", func() bool {
		return testutil.ToFloat64(r.metrics.failOpen.WithLabelValues(vip.String())) == 1
	})
	// Fail open means every master is back at weight 1 (the last one never left).
	for _, m := range ms {
		eventually(t, waitLimit, "all masters kept while all fail", weightIs(lb, m.addr, 1))
	}
	if n := strings.Count(r.logs.String(), "fail open"); n != 1 {
		t.Errorf("fail open logged %d times, want once:\n%s", n, r.logs.String())
	}
	ms[1].revive()
	eventually(t, waitLimit, "only the live master kept", func() bool {
		ws := lb.weights(vip)
		return len(ws) == 1 && ws[ms[1].addr] == 1
	})
}

func TestDaemonRestoresAFlushedVirtualServer(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	eventually(t, waitLimit, "virtual server created", weightIs(lb, ms[1].addr, 1))
	if n := lb.orphanFlushCount(); n != 0 {
		t.Fatalf("FlushOrphans called %d times before anything deleted the virtual server", n)
	}
	lb.mu.Lock()
	lb.orphans = 3
	lb.mu.Unlock()
	if err := lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitLimit, "virtual server restored", func() bool { return len(lb.weights(vip)) == 2 })
	// The connections that lost their flow entries meanwhile are ended.
	eventually(t, waitLimit, "orphaned connections ended and counted", func() bool {
		return lb.orphanFlushCount() >= 1 && testutil.ToFloat64(r.metrics.flushes.WithLabelValues(vip.String(), "")) >= 3
	})
	// Someone changing a weight is repaired too.
	if err := lb.SetWeight(vip, ms[0].addr, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitLimit, "weight repaired", weightIs(lb, ms[0].addr, 1))
	eventually(t, waitLimit, "restores counted", func() bool {
		return testutil.ToFloat64(r.metrics.restores.WithLabelValues(vip.String())) >= 2
	})
}

func TestDaemonSurvivesBalancerErrors(t *testing.T) {
	ms := []*testMaster{newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	eventually(t, waitLimit, "virtual server created", weightIs(lb, ms[0].addr, 1))
	lb.setFail(errors.New("netlink: operation not permitted"))
	eventually(t, waitLimit, "errors counted", func() bool {
		return testutil.ToFloat64(r.metrics.lbErrors.WithLabelValues("get")) >= 3
	})
	if n := strings.Count(r.logs.String(), "operation not permitted"); n < 1 || n > 5 {
		t.Errorf("balancer error logged %d times, want 1..5 (rate limited)", n)
	}
	if err := r.d.Healthy(time.Now()); err != nil {
		t.Errorf("loop still turns but Healthy = %v", err)
	}
	lb.setFail(nil)
	if err := lb.Delete(vip); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitLimit, "virtual server restored after the errors", weightIs(lb, ms[0].addr, 1))
}

func TestDaemonStopLeavesRulesInPlace(t *testing.T) {
	ms := []*testMaster{newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	eventually(t, waitLimit, "virtual server created", weightIs(lb, ms[0].addr, 1))
	r.stop(t)
	if w := lb.weights(vip); w[ms[0].addr] != 1 {
		t.Fatalf("after stop the virtual server is %v, want it left in place", w)
	}
}

func TestDaemonRunOnce(t *testing.T) {
	live, dead := newTestMaster(t), newTestMaster(t)
	dead.kill()
	tests := []struct {
		name    string
		masters []*testMaster
		want    map[netip.AddrPort]int
	}{
		{"keeps the live master", []*testMaster{live, dead}, map[netip.AddrPort]int{live.addr: 1}},
		{"keeps all when all fail", []*testMaster{dead}, map[netip.AddrPort]int{dead.addr: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig(vip, tc.masters...)
			cfg.RunOnce = true
			lb := newMemBalancer()
			p, err := NewHTTPProber(cfg.Probe, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if err := NewDaemon(cfg, lb, p, nil, nil).Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := lb.weights(vip)
			if len(got) != len(tc.want) {
				t.Fatalf("after run-once %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("after run-once %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestDaemonClean(t *testing.T) {
	lb := newMemBalancer()
	m := newTestMaster(t)
	if err := lb.Ensure(vsOf(m.addr)); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(vip)
	cfg.Clean = true
	if err := NewDaemon(cfg, lb, nil, nil, nil).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := lb.weights(vip); w != nil {
		t.Fatalf("after --clean the virtual server is %v, want it deleted", w)
	}
	lb.setFail(errors.New("boom"))
	err := NewDaemon(cfg, lb, nil, nil, nil).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), vip.String()) {
		t.Fatalf("failing clean = %v, want an error naming %s", err, vip)
	}
}

func TestDaemonStartFailsClearly(t *testing.T) {
	lb := newMemBalancer()
	lb.setFail(errors.New("no IPVS in this kernel"))
	m := newTestMaster(t)
	err := NewDaemon(fastConfig(vip, m), lb, nil, nil, nil).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no IPVS in this kernel") || !strings.Contains(err.Error(), vip.String()) {
		t.Fatalf("Run with a broken balancer = %v, want an error naming the VIP and the cause", err)
	}
}

func TestHealthEndpoint(t *testing.T) {
	ms := []*testMaster{newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	eventually(t, waitLimit, "virtual server created", weightIs(lb, ms[0].addr, 1))
	srv := httptest.NewServer(Handler(r.metrics, vip, r.d.Healthy))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d %q, want 200", code, body)
	}
	// Every answer names the virtual server, healthy or not, so that
	// kubeadm tells this daemon from another listener on the port.
	if resp, err := http.Get(srv.URL + HealthPath); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.Header.Get(VirtualServerHeader) != vip.String() {
		t.Errorf("%s %s = %q, want %s", HealthPath, VirtualServerHeader, resp.Header.Get(VirtualServerHeader), vip)
	}
	eventually(t, waitLimit, "probe metrics", func() bool {
		_, body := get("/metrics")
		return strings.Contains(body, "lvscare_probe_duration_seconds_bucket") && strings.Contains(body, `lvscare_real_server_up{real_server="`+ms[0].addr.String())
	})
	// A loop that stops turning is reported.
	if err := r.d.Healthy(time.Now().Add(time.Hour)); err == nil {
		t.Fatal("Healthy an hour after the last loop = nil, want an error")
	}
	unhealthy := httptest.NewServer(Handler(nil, vip, func(time.Time) error { return errors.New("stuck") }))
	defer unhealthy.Close()
	resp, err := http.Get(unhealthy.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/healthz of a stuck daemon = %d, want 503", resp.StatusCode)
	}
	if got := resp.Header.Get(VirtualServerHeader); got != vip.String() {
		t.Errorf("/healthz of a stuck daemon: %s = %q, want %s", VirtualServerHeader, got, vip)
	}
}

func vsOf(rs ...netip.AddrPort) (vs locallbVS) {
	vs.VIP = vip
	for _, a := range rs {
		vs.RealServers = append(vs.RealServers, locallbRS{Addr: a, Weight: 1})
	}
	return vs
}

// A scheduler, forwarding method or persistence changed outside the daemon
// is repaired like a deleted virtual server.
func TestDaemonRepairsChangedSettings(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	for _, m := range ms {
		eventually(t, waitLimit, "master active at start", weightIs(lb, m.addr, 1))
	}
	lb.tamper(vip, "scheduler wlc")
	eventually(t, waitLimit, "scheduler repaired", func() bool { return len(lb.deviations(vip)) == 0 })
	eventually(t, waitLimit, "repair logged", func() bool { return strings.Contains(r.logs.String(), "scheduler wlc") })
}

// Every state change is logged; the rate limit applies to repeats only
// (balancer errors, restores). A server that fails and recovers three
// times within the limiter's window has three "added back" lines.
func TestDaemonLogsEveryStateChange(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	r := startDaemon(t, fastConfig(vip, ms...), lb)
	eventually(t, waitLimit, "master active at start", weightIs(lb, ms[0].addr, 1))
	const cycles = 3
	for range cycles {
		ms[0].kill()
		eventually(t, waitLimit, "failing master removed", absent(lb, ms[0].addr))
		ms[0].revive()
		eventually(t, waitLimit, "recovered master added back", weightIs(lb, ms[0].addr, 1))
	}
	logs := r.logs.String()
	for _, line := range []string{"added back", "draining it (weight 0)", "still failing; removed it"} {
		if got := strings.Count(logs, line); got != cycles {
			t.Errorf("%d lines with %q, want %d (one per state change):\n%s", got, line, cycles, logs)
		}
	}
}

// TestDaemonFlushesDeadMasters: a master removed because its probes get no
// answer has its established connections ended, once per removal and only
// after it left the virtual server; one that answers "not ready" (an
// apiserver in its shutdown delay) stays draining and keeps them until it
// stops answering; a draining one keeps them.
func TestDaemonFlushesDeadMasters(t *testing.T) {
	tests := []struct {
		name string
		fail func(m *testMaster)
		// flushedNow: whether the first removal flushes; then may finish
		// the master off.
		flushedNow bool
		then       func(m *testMaster)
	}{
		{name: "killed (refused)", fail: (*testMaster).kill, flushedNow: true},
		{name: "frozen (never answers)", fail: (*testMaster).freeze, flushedNow: true},
		{name: "not ready, then killed", fail: func(m *testMaster) { m.setStatus(500) }, then: (*testMaster).kill},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := []*testMaster{newTestMaster(t), newTestMaster(t)}
			lb := newMemBalancer()
			r := startDaemon(t, fastConfig(vip, ms...), lb)
			dead := ms[0].addr
			eventually(t, waitLimit, "master active at start", weightIs(lb, dead, 1))
			tc.fail(ms[0])
			eventually(t, waitLimit, "failing master drained", weightIs(lb, dead, 0))
			if n, _ := lb.flushes(dead); n != 0 {
				t.Fatalf("draining master flushed %d times, want its connections kept", n)
			}
			if tc.flushedNow {
				eventually(t, waitLimit, "failing master removed", absent(lb, dead))
				eventually(t, waitLimit, "dead master's connections ended", func() bool { n, _ := lb.flushes(dead); return n == 1 })
			} else {
				time.Sleep(5 * fastConfig(vip).Interval) // several probes: it must stay, unflushed
				if n, _ := lb.flushes(dead); n != 0 {
					t.Fatalf("master that answers not ready flushed %d times, want its connections kept", n)
				}
				if w, ok := lb.weights(vip)[dead]; !ok || w != 0 {
					t.Fatalf("master that answers not ready has weight %d (present %v), want 0", w, ok)
				}
				tc.then(ms[0])
				eventually(t, waitLimit, "failing master removed once it stopped answering", absent(lb, dead))
				eventually(t, waitLimit, "connections ended once it stopped answering", func() bool { n, _ := lb.flushes(dead); return n == 1 })
			}
			time.Sleep(5 * fastConfig(vip).Interval)
			if n, bad := lb.flushes(dead); n != 1 || len(bad) != 0 {
				t.Fatalf("flushed %d times (want once per removal), %d while still in the virtual server %v", n, len(bad), bad)
			}
			if n, _ := lb.flushes(ms[1].addr); n != 0 {
				t.Fatalf("healthy master flushed %d times", n)
			}
			if got := testutil.ToFloat64(r.metrics.flushes.WithLabelValues(vip.String(), dead.String())); got != 1 {
				t.Errorf("lvscare_flushed_connections_total = %v, want 1", got)
			}
			if !strings.Contains(r.logs.String(), "ended its established connections") {
				t.Errorf("logs lack the flush:\n%s", r.logs.String())
			}
		})
	}
}

// TestDaemonFailOpenEndsOnFirstPass: all masters dead (all kept, none
// flushed: there is nowhere better to go); one comes back: it alone is
// served at once and the still-dead ones are flushed.
func TestDaemonFailOpenEndsOnFirstPass(t *testing.T) {
	ms := []*testMaster{newTestMaster(t), newTestMaster(t), newTestMaster(t)}
	lb := newMemBalancer()
	cfg := fastConfig(vip, ms...)
	cfg.Rise = 50 // 50 intervals (5 s) if rise applied: far beyond the wait below
	r := startDaemon(t, cfg, lb)
	for _, m := range ms {
		eventually(t, waitLimit, "master active at start", weightIs(lb, m.addr, 1))
	}
	for _, m := range ms {
		m.kill()
	}
	eventually(t, waitLimit, "fail open", func() bool {
		return testutil.ToFloat64(r.metrics.failOpen.WithLabelValues(vip.String())) == 1
	})
	time.Sleep(5 * cfg.Interval)
	for _, m := range ms {
		if n, _ := lb.flushes(m.addr); n != 0 {
			t.Fatalf("%s flushed %d times while fail-open keeps every master", m.addr, n)
		}
	}
	ms[1].revive()
	start := time.Now()
	eventually(t, 2*time.Second, "only the revived master kept, at its first pass", func() bool {
		ws := lb.weights(vip)
		return len(ws) == 1 && ws[ms[1].addr] == 1
	})
	t.Logf("served only the revived master %v after it came back (interval %v, rise %d)", time.Since(start).Round(time.Millisecond), cfg.Interval, cfg.Rise)
	for _, m := range []*testMaster{ms[0], ms[2]} {
		eventually(t, waitLimit, "still-dead master flushed", func() bool { n, _ := lb.flushes(m.addr); return n == 1 })
	}
	if _, bad := lb.flushes(ms[0].addr); len(bad) != 0 {
		t.Fatalf("flushed while in the virtual server: %v", bad)
	}
}
