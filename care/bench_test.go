package care

import (
	"context"
	"fmt"
	"github.com/sealkube/kubeadm/locallb"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The benchmarks print figures and assert no timing. Run them with:
//
//	go test -run '^$' -bench . -benchtime 1x ./care/
//
// LVSCARE_BENCH_TRIALS (default 20) sets the trials per scenario and
// LVSCARE_BENCH_WINDOW (default 60s) the resource measurement window.

func benchTrials() int {
	if n, err := strconv.Atoi(os.Getenv("LVSCARE_BENCH_TRIALS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// defaultConfig is the daemon's configuration with the shipped defaults.
func defaultConfig(tb testing.TB, masters ...*testMaster) Config {
	tb.Helper()
	o := NewOptions()
	o.VirtualServer = vip.String()
	for _, m := range masters {
		o.RealServers = append(o.RealServers, m.addr.String())
	}
	o.InsecureSkipVerify = true
	o.MetricsAddress = ""
	cfg, err := o.Validate()
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// waitFor returns when cond holds, watching the double's change signal.
func waitFor(tb testing.TB, lb *memBalancer, what string, cond func() bool) time.Time {
	tb.Helper()
	deadline := time.After(waitLimit)
	for {
		if cond() {
			return time.Now()
		}
		select {
		case <-lb.changed:
		case <-time.After(time.Millisecond):
		case <-deadline:
			tb.Fatalf("%s: not reached within %s", what, waitLimit)
		}
	}
}

// benchLogger logs the daemon at debug level to LVSCARE_BENCH_LOG, when set,
// to explain outliers.
func benchLogger(tb testing.TB) *slog.Logger {
	path := os.Getenv("LVSCARE_BENCH_LOG")
	if path == "" {
		return slog.New(slog.DiscardHandler)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func benchLog(tb testing.TB, format string, args ...any) {
	if path := os.Getenv("LVSCARE_BENCH_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintf(f, "time=%s BENCH %s\n", time.Now().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
	}
}

type samples []time.Duration

func (s samples) pct(p float64) time.Duration {
	x := slices.Clone(s)
	slices.Sort(x)
	i := int(float64(len(x))*p+0.9999) - 1
	return x[max(0, min(i, len(x)-1))]
}

func (s samples) String() string {
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", len(s), s.pct(0.5).Round(time.Millisecond), s.pct(0.99).Round(time.Millisecond), s.pct(1).Round(time.Millisecond))
}

func report(b *testing.B, name string, s samples, target time.Duration) {
	b.ReportMetric(float64(s.pct(0.5).Milliseconds()), name+"-p50-ms")
	b.ReportMetric(float64(s.pct(0.99).Milliseconds()), name+"-p99-ms")
	fmt.Printf("%-38s %s  (target p99 <= %s)\n", b.Name()+" "+name+":", s, target)
}

// BenchmarkFailover measures, with the default flags, real HTTPS masters
// on loopback and the in-memory balancer: time from the failure to the
// master leaving rotation (weight 0), to its deletion, and from recovery to
// its return.
func BenchmarkFailover(b *testing.B) {
	scenarios := []struct {
		name      string
		fail      func(*testMaster)
		recover   func(*testMaster)
		target    time.Duration
		addTarget time.Duration
	}{
		{"refused", (*testMaster).kill, (*testMaster).revive, 500 * time.Millisecond, 2 * time.Second},
		{"blackhole", (*testMaster).freeze, (*testMaster).thaw, 2 * time.Second, 2 * time.Second},
		{"slow-healthz", func(m *testMaster) { m.setDelay(2 * time.Second) }, func(m *testMaster) { m.setDelay(0) }, 2 * time.Second, 2 * time.Second},
	}
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			for range b.N {
				ms := []*testMaster{newTestMaster(b), newTestMaster(b), newTestMaster(b)}
				lb := newMemBalancer()
				cfg := defaultConfig(b, ms...)
				p, err := NewHTTPProber(cfg.Probe, "bench")
				if err != nil {
					b.Fatal(err)
				}
				d := NewDaemon(cfg, lb, p, benchLogger(b), nil)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- d.Run(ctx) }()
				var out, del, add samples
				for range benchTrials() {
					for _, m := range ms {
						waitFor(b, lb, "all active", weightIs(lb, m.addr, 1))
					}
					// Fail at a random phase of the probe interval.
					time.Sleep(rand.N(cfg.Interval))
					start := time.Now()
					benchLog(b, "failing %s", ms[0].addr)
					sc.fail(ms[0])
					outAt := waitFor(b, lb, "out of rotation", func() bool {
						w, ok := lb.weights(vip)[ms[0].addr]
						return !ok || w == 0
					})
					delAt := waitFor(b, lb, "deleted", absent(lb, ms[0].addr))
					out, del = append(out, outAt.Sub(start)), append(del, delAt.Sub(start))
					time.Sleep(rand.N(cfg.Interval))
					start = time.Now()
					sc.recover(ms[0])
					add = append(add, waitFor(b, lb, "re-added", weightIs(lb, ms[0].addr, 1)).Sub(start))
				}
				cancel()
				<-done
				p.Close()
				report(b, "out-of-rotation", out, sc.target)
				report(b, "deleted", del, sc.target+cfg.Interval)
				report(b, "re-added", add, sc.addTarget)
			}
		})
	}
}

// BenchmarkRestoreAfterFlush deletes the virtual server behind the daemon's
// back and measures until it is back with every real server.
func BenchmarkRestoreAfterFlush(b *testing.B) {
	for range b.N {
		ms := []*testMaster{newTestMaster(b), newTestMaster(b), newTestMaster(b)}
		lb := newMemBalancer()
		cfg := defaultConfig(b, ms...)
		p, err := NewHTTPProber(cfg.Probe, "bench")
		if err != nil {
			b.Fatal(err)
		}
		d := NewDaemon(cfg, lb, p, slog.New(slog.DiscardHandler), nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		full := func() bool { return len(lb.weights(vip)) == 3 }
		var s samples
		for range benchTrials() {
			waitFor(b, lb, "virtual server complete", full)
			time.Sleep(rand.N(cfg.RestorePeriod) + 50*time.Millisecond)
			start := time.Now()
			if err := lb.Delete(vip); err != nil {
				b.Fatal(err)
			}
			s = append(s, waitFor(b, lb, "restored", full).Sub(start))
		}
		cancel()
		<-done
		p.Close()
		report(b, "restored", s, time.Second)
	}
}

// BenchmarkDaemonResources runs the daemon in a child process (this test
// binary, re-executed) against 3 masters served here at the default 1 s
// interval and reports its CPU and RSS over LVSCARE_BENCH_WINDOW.
func BenchmarkDaemonResources(b *testing.B) {
	window := 60 * time.Second
	if d, err := time.ParseDuration(os.Getenv("LVSCARE_BENCH_WINDOW")); err == nil && d > 0 {
		window = d
	}
	for range b.N {
		ms := []*testMaster{newTestMaster(b), newTestMaster(b), newTestMaster(b)}
		var addrs []string
		for _, m := range ms {
			addrs = append(addrs, m.addr.String())
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDaemonProcess$")
		cmd.Env = append(os.Environ(), "LVSCARE_HELPER_MASTERS="+strings.Join(addrs, ","))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pid := cmd.Process.Pid
		time.Sleep(2 * time.Second) // warm up: first probes, TLS handshakes
		cpu0, _ := procCPU(pid)
		start := time.Now()
		var maxRSS int64
		for time.Since(start) < window {
			if rss, err := procRSS(pid); err == nil && rss > maxRSS {
				maxRSS = rss
			}
			time.Sleep(time.Second)
		}
		cpu1, err := procCPU(pid)
		elapsed := time.Since(start)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if err != nil {
			b.Fatal(err)
		}
		cpuPct := 100 * (cpu1 - cpu0).Seconds() / elapsed.Seconds()
		b.ReportMetric(cpuPct, "cpu-%")
		b.ReportMetric(float64(maxRSS)/(1<<20), "max-rss-MiB")
		fmt.Printf("daemon (test binary) over %s, 3 masters, interval 1s: CPU %.2f%% of one core (%s), max RSS %.1f MiB\n",
			elapsed.Round(time.Second), cpuPct, (cpu1 - cpu0), float64(maxRSS)/(1<<20))
	}
}

// TestHelperDaemonProcess is the child of BenchmarkDaemonResources; it does
// nothing in a normal test run.
func TestHelperDaemonProcess(t *testing.T) {
	list := os.Getenv("LVSCARE_HELPER_MASTERS")
	if list == "" {
		t.Skip("helper process for BenchmarkDaemonResources")
	}
	o := NewOptions()
	o.VirtualServer = vip.String()
	o.RealServers = strings.Split(list, ",")
	o.InsecureSkipVerify = true
	o.MetricsAddress = "127.0.0.1:0"
	cfg, err := o.Validate()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	lb := newMemBalancer()
	if err := Main(ctx, cfg, "bench", func(locallb.Backend) (lbT, error) { return lb, nil }, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// procCPU is user+system CPU time of pid from /proc/pid/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const userHZ = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
