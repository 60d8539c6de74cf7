package care

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

// Route mode: the route is owned at start, restored within a restore period
// after a delete, left in place on exit and removed by --clean; a failure
// at start is retried, not fatal, except in --run-once.
func TestDaemonOwnsRoute(t *testing.T) {
	m := newTestMaster(t)
	cfg := fastConfig(vip, m)
	cfg.Route = RouteConfig{Own: true, From: "test"}
	lb := newMemBalancer()
	routes := &fakeRoutes{fail: errNoRoute}
	p, err := NewHTTPProber(cfg.Probe, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	logs := &syncBuffer{}
	d := NewDaemon(cfg, lb, p, newTestLogger(logs), nil)
	d.SetRoutes(routes)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	hasRoute := func() bool { _, ok := routes.get(vip.Addr()); return ok }
	eventually(t, waitLimit, "route failure retried", func() bool {
		routes.mu.Lock()
		defer routes.mu.Unlock()
		return routes.owns >= 3
	})
	routes.mu.Lock()
	routes.fail = nil
	routes.mu.Unlock()
	eventually(t, waitLimit, "route owned once the table allows it", hasRoute)
	if got, _ := routes.get(vip.Addr()); !slices.Equal(got, []netip.Addr{m.addr.Addr()}) {
		t.Fatalf("routed towards %v, want the master %s", got, m.addr.Addr())
	}
	routes.del(vip.Addr())
	eventually(t, waitLimit, "route restored after a delete", hasRoute)
	eventually(t, waitLimit, "restore logged", func() bool {
		return strings.Contains(logs.String(), "VIP route was deleted or changed outside lvscare")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !hasRoute() {
		t.Fatal("stopping removed the route; it must stay, like the virtual server")
	}

	cfg.Clean = true
	d = NewDaemon(cfg, lb, nil, nil, nil)
	d.SetRoutes(routes)
	if err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hasRoute() {
		t.Fatal("--clean left the route")
	}

	cfg.Clean, cfg.RunOnce = false, true
	routes.fail = errNoRoute
	d = NewDaemon(cfg, lb, passAll{}, nil, nil)
	d.SetRoutes(routes)
	if err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "route mode") || !strings.Contains(err.Error(), vip.Addr().String()) {
		t.Fatalf("run-once with an unroutable VIP = %v, want the route error naming the VIP", err)
	}
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// schedLB is the in-memory balancer with a scheduler, as *locallb.IPVS has.
type schedLB struct {
	*memBalancer
	mu    sync.Mutex
	sched string
}

func (s *schedLB) SetScheduler(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sched = name
	return nil
}

// The whole command, as the static pod runs it: CARE_* variables, the
// probe's method, body and headers seen by the master, the scheduler handed
// to the balancer, the route owned, run-once.
func TestCommandRunOnceEndToEnd(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Probe")+" "+strings.Join(r.Header.Values("Accept"), "|")+" "+string(body))
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	master := netip.MustParseAddrPort(srv.Listener.Addr().String())

	lb := &schedLB{memBalancer: newMemBalancer()}
	routes := &fakeRoutes{}
	var out bytes.Buffer
	opts := NewOptions()
	opts.CAFile = filepath.Join(t.TempDir(), "absent")
	opts.HostsFile = filepath.Join(t.TempDir(), "absent")
	env := map[string]string{"CARE_HEALTH_PATH": "/livez", "CARE_HEALTH_STATUS": "401", "CARE_METRICS_ADDRESS": ""}
	k := KernelOpeners{
		Balancer: func(locallb.Backend) (locallb.Balancer, error) { return lb, nil },
		Routes:   func() (RouteOwner, error) { return routes, nil },
	}
	cmd := newCommand("e2e", &out, &out, func(s string) string { return env[s] }, opts, func(ctx context.Context, c Config) error {
		return k.Main(ctx, c, "e2e", &out)
	})
	// The master listens on loopback, which no interface leads to: --ip
	// names where the route goes (without it route mode owns none).
	cmd.SetArgs([]string{"care", "--run-once", "--vs", vip.String(), "--rs", master.String(), "--ip", master.Addr().String(), "--scheduler", "wlc",
		"--health-req-method", "POST", "--health-req-body", "ping", "--health-req-headers", `X-Probe=1,"Accept=a,b"`, "--health-timeout", "5s"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("care --run-once: %v\n%s", err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "POST /livez 1 a|b ping" {
		t.Fatalf("the master saw %q, want one POST /livez with X-Probe 1, Accept a and b, body ping", seen)
	}
	if lb.sched != "wlc" {
		t.Fatalf("balancer scheduler %q, want wlc", lb.sched)
	}
	if w := lb.weights(vip); w[master] != 1 {
		t.Fatalf("virtual server %v: the master answered 401, listed in --health-status, so it stays", w)
	}
	if got, ok := routes.get(vip.Addr()); !ok || !slices.Equal(got, []netip.Addr{master.Addr()}) {
		t.Fatalf("route %v %v, want it towards the master", got, ok)
	}
}

// A backend without schedulers refuses anything but rr, naming it.
func TestCommandSchedulerNeedsABackendThatHasIt(t *testing.T) {
	lb := newMemBalancer()
	cfg := Config{Backend: locallb.BackendNFTables, Scheduler: "wrr", VIP: vip, RunOnce: true, Probe: ProbeConfig{Scheme: "http", Path: "/", Timeout: time.Second}}
	k := KernelOpeners{Balancer: func(locallb.Backend) (locallb.Balancer, error) { return lb, nil }}
	err := k.Main(context.Background(), cfg, "t", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--scheduler wrr") || !strings.Contains(err.Error(), "nftables") {
		t.Fatalf("Main = %v, want an error naming the scheduler and the backend", err)
	}
	cfg.Scheduler, cfg.Backend, cfg.Route.Own = "rr", locallb.BackendIPVS, true
	err = k.Main(context.Background(), cfg, "t", io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--mode ""`) {
		t.Fatalf("route mode without a route table = %v, want the fix", err)
	}
}
