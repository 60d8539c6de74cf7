// Command probecost measures what lvscare's health probes cost a real
// kube-apiserver: it plays many nodes, each with its own kept-alive TLS
// connection probing at a fixed rate (as lvscare does every --interval),
// and reads the apiserver's CPU time from /proc/<pid>/stat around a
// measuring window. Run by hack/bench-probe-cost.sh.
//
// A path (/healthz, /readyz) is an HTTP/1.1 GET of it at every probe: what
// the daemon did before HTTP/2 PINGs, and the baseline. "lvscare" is the
// care daemon's own prober (care.HTTPProber) at the daemon's defaults, and
// "lvscare@10s" the same with --ready-interval 10s. "responder" and
// "responder-tls" measure a design the project does not build (see
// responder.go): one byte each way to a small process on the master, whose
// CPU is measured instead of the apiserver's.
//
//	probecost -url https://127.0.0.1:16443 -pid 1234 -paths /healthz,lvscare -rates 500,2000
//	probecost keygen FILE    # writes an RSA key (service-account key for the apiserver)
//	probecost responder PLAIN_ADDR TLS_ADDR    # the responder for -paths responder,responder-tls
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sealkube/kubeadm/care"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "probecost:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 2 && args[0] == "keygen" {
		return keygen(args[1])
	}
	if len(args) == 3 && args[0] == "responder" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return serveResponders(ctx, args[1], args[2])
	}
	fs := flag.NewFlagSet("probecost", flag.ContinueOnError)
	url := fs.String("url", "https://127.0.0.1:16443", "apiserver base URL (loopback)")
	pid := fs.Int("pid", 0, "apiserver process id, whose CPU time is measured (required)")
	paths := fs.String("paths", "/healthz,/readyz,lvscare", `comma-separated probes: a path is an HTTP/1.1 GET of it at every probe; "lvscare" is the care daemon's prober at its defaults, "lvscare@10s" with that --ready-interval; "responder" and "responder-tls" the per-master responder (needs -responder-pid)`)
	rates := fs.String("rates", "500,2000", "comma-separated total probe rates per second")
	conns := fs.Int("conns", 200, "simulated nodes: kept-alive connections, the rate split evenly between them")
	window := fs.Duration("window", 20*time.Second, "measuring window per path and rate")
	warmup := fs.Duration("warmup", 3*time.Second, "load before the window starts (connections set up, caches warm)")
	timeout := fs.Duration("timeout", 400*time.Millisecond, "per-probe timeout (lvscare's default)")
	respPID := fs.Int("responder-pid", 0, "for -paths responder and responder-tls: the process of `probecost responder`, whose CPU time is measured for them")
	respPlain := fs.String("responder-plain", "127.0.0.1:16500", "the responder's plain TCP address")
	respTLS := fs.String("responder-tls", "127.0.0.1:16501", "the responder's TLS address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pid <= 0 {
		return errors.New("-pid is required: the kube-apiserver process id")
	}
	if *conns <= 0 {
		return fmt.Errorf("-conns %d: need at least 1", *conns)
	}
	var rs []float64
	for _, s := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number of probes per second", s)
		}
		rs = append(rs, r)
	}
	for _, p := range strings.Split(*paths, ",") {
		if k := strings.TrimSpace(p); (k == "responder" || k == "responder-tls") && *respPID <= 0 {
			return fmt.Errorf("-paths %s needs -responder-pid: the process of `probecost responder %s %s`", k, *respPlain, *respTLS)
		}
	}
	// The apiserver is never idle (its controllers, etcd watches): measure
	// that first and count only what the probes add.
	pids := []int{*pid}
	if *respPID > 0 {
		pids = append(pids, *respPID)
	}
	idles, err := idleCores(pids, *window)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "apiserver without probes: %.3f of a core\n", idles[*pid])
	if *respPID > 0 {
		fmt.Fprintf(out, "responder without probes: %.3f of a core\n", idles[*respPID])
	}
	fmt.Fprintf(out, "%-12s %8s %9s %7s %10s %14s %9s %9s %s\n", "probe", "target/s", "achieved", "failed", "cpu(core)", "cpu/probe(net)", "p50", "p99", "vs first")
	// The first probe kind is the baseline: the others' net cost per probe
	// is given as a ratio to it at the same rate, measured in this run.
	baseline := map[float64]float64{}
	for _, p := range strings.Split(*paths, ",") {
		for _, r := range rs {
			kind := strings.TrimSpace(p)
			measured := *pid
			var newNode func() (node, error)
			switch kind {
			case "responder", "responder-tls":
				measured = *respPID
				addr := *respPlain
				if kind == "responder-tls" {
					addr = *respTLS
				}
				newNode = responderNode(addr, kind == "responder-tls", *timeout)
			default:
				if newNode, err = prober(*url, kind, *timeout); err != nil {
					return err
				}
			}
			res, err := measure(newNode, measured, r, *conns, *warmup, *window)
			if err != nil {
				return err
			}
			net := 0.0
			if res.rate > 0 {
				net = (res.cores - idles[measured]) / res.rate * 1e6
			}
			ratio := "1 (baseline)"
			if b, ok := baseline[r]; !ok {
				baseline[r] = net
			} else if b > 0 {
				ratio = fmt.Sprintf("%.2f", net/b)
			}
			fmt.Fprintf(out, "%-12s %8.0f %9.1f %7d %10.3f %12.1fµs %9s %9s %s\n", strings.TrimSpace(p), r, res.rate, res.failed,
				res.cores, net, res.p50.Round(10*time.Microsecond), res.p99.Round(10*time.Microsecond), ratio)
			if res.failed > 0 {
				fmt.Fprintf(out, "  first failure: %s\n", res.firstErr)
			}
		}
	}
	return nil
}

// idleCores is each process's CPU use, in cores, over one window without
// probes.
func idleCores(pids []int, window time.Duration) (map[int]float64, error) {
	before := map[int]time.Duration{}
	for _, p := range pids {
		c, err := cpuTime(p)
		if err != nil {
			return nil, err
		}
		before[p] = c
	}
	t0 := time.Now()
	time.Sleep(window)
	out := map[int]float64{}
	for _, p := range pids {
		c, err := cpuTime(p)
		if err != nil {
			return nil, err
		}
		out[p] = (c - before[p]).Seconds() / time.Since(t0).Seconds()
	}
	return out, nil
}

type result struct {
	rate     float64
	failed   int64
	firstErr string
	cores    float64
	p50, p99 time.Duration
}

// node is one simulated node's probe and what releases its connection.
type node struct {
	probe func(context.Context) error
	close func()
}

// prober returns what makes one node probing kind ("lvscare" or a path).
func prober(base, kind string, timeout time.Duration) (func() (node, error), error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("-url %q: %w", base, err)
	}
	if kind == "lvscare" || strings.HasPrefix(kind, "lvscare@") {
		o := care.NewOptions()
		if v, ok := strings.CutPrefix(kind, "lvscare@"); ok {
			if o.ReadyInterval, err = time.ParseDuration(v); err != nil {
				return nil, fmt.Errorf("-paths %q: after lvscare@ give a --ready-interval, e.g. lvscare@10s: %w", kind, err)
			}
		}
		rs, err := netip.ParseAddrPort(u.Host)
		if err != nil {
			return nil, fmt.Errorf("-url %q: the care daemon's prober needs IP:port: %w", base, err)
		}
		cfg := care.ProbeConfig{Scheme: u.Scheme, Path: o.HealthPath, Method: o.HealthReqMethod, Timeout: o.HealthTimeout,
			ReadyInterval: o.ReadyInterval, InsecureSkipVerify: true}
		return func() (node, error) {
			p, err := care.NewHTTPProber(cfg, "probecost")
			if err != nil {
				return node{}, err
			}
			return node{probe: func(ctx context.Context) error { return p.Probe(ctx, rs) }, close: p.Close}, nil
		}, nil
	}
	if !strings.HasPrefix(kind, "/") {
		return nil, fmt.Errorf("-paths: %q is none of a path (/healthz), lvscare, lvscare@<ready interval>, responder, responder-tls", kind)
	}
	target := base + kind
	return func() (node, error) {
		tr := &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // #nosec G402 -- loopback benchmark against a throwaway apiserver
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
		}
		c := &http.Client{Transport: tr, Timeout: timeout}
		return node{close: tr.CloseIdleConnections, probe: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return err
			}
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %s", resp.Status)
			}
			return nil
		}}, nil
	}, nil
}

// measure runs conns probe loops for warmup+window and returns what the
// window saw.
func measure(newNode func() (node, error), pid int, rate float64, conns int, warmup, window time.Duration) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		measuring atomic.Bool
		ok, bad   atomic.Int64
		firstErr  atomic.Value
		mu        sync.Mutex
		lat       []time.Duration
		wg        sync.WaitGroup
	)
	period := time.Duration(float64(conns) / rate * float64(time.Second))
	for i := range conns {
		n, err := newNode()
		if err != nil {
			return result{}, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer n.close()
			// Spread the nodes over the period, as nodes started at random times are.
			select {
			case <-time.After(period * time.Duration(i) / time.Duration(conns)):
			case <-ctx.Done():
				return
			}
			tick := time.NewTicker(period)
			defer tick.Stop()
			for {
				start := time.Now()
				err := n.probe(ctx)
				if measuring.Load() {
					if err != nil {
						bad.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					} else {
						ok.Add(1)
						d := time.Since(start)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	time.Sleep(warmup)
	cpu0, err := cpuTime(pid)
	if err != nil {
		return result{}, err
	}
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(window)
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1, err := cpuTime(pid)
	if err != nil {
		return result{}, err
	}
	cancel()
	wg.Wait()
	n := ok.Load()
	r := result{rate: float64(n) / elapsed.Seconds(), failed: bad.Load(), cores: (cpu1 - cpu0).Seconds() / elapsed.Seconds()}
	if e, ok := firstErr.Load().(string); ok {
		r.firstErr = e
	}
	if n > 0 {
		slices.Sort(lat)
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r, nil
}

// cpuTime is utime+stime of pid (fields 14 and 15 of /proc/pid/stat, in
// clock ticks of 10 ms: USER_HZ is 100 on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of process %d (-pid or -responder-pid): %w", pid, err)
	}
	d, err := parseStatCPU(string(b))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// parseStatCPU reads utime+stime from a /proc/<pid>/stat line; the command
// name in parentheses may itself hold spaces and parentheses.
func parseStatCPU(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name in %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(u+k) * 10 * time.Millisecond, nil
}

func keygen(file string) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return os.WriteFile(file, b, 0o600)
}
