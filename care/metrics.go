package care

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus series, on a registry of their own
// (no global default registry). A nil *Metrics records nothing.
type Metrics struct {
	reg         *prometheus.Registry
	up          *prometheus.GaugeVec
	phase       *prometheus.GaugeVec
	probe       *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	restores    *prometheus.CounterVec
	failOpen    *prometheus.GaugeVec
	lbErrors    *prometheus.CounterVec
	flushes     *prometheus.CounterVec
	masterList  *prometheus.GaugeVec
}

// NewMetrics creates and registers the series.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lvscare_real_server_up", Help: "1 when the last health probe of the real server passed, 0 when it failed.",
		}, []string{"virtual_server", "real_server"}),
		phase: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lvscare_real_server_phase", Help: "1 for the phase the real server is in (active, draining, removed), 0 for the others.",
		}, []string{"virtual_server", "real_server", "phase"}),
		probe: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lvscare_probe_duration_seconds",
			Help:    "Duration of health probes by result (pass, fail).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"virtual_server", "real_server", "result"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lvscare_real_server_transitions_total", Help: "Phase changes of real servers by the phase entered.",
		}, []string{"virtual_server", "real_server", "to"}),
		restores: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lvscare_virtual_server_restores_total", Help: "Times the virtual server was found deleted or changed by someone else and restored.",
		}, []string{"virtual_server"}),
		failOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lvscare_fail_open", Help: "1 while every real server fails its probe and all are kept.",
		}, []string{"virtual_server"}),
		lbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lvscare_balancer_errors_total", Help: "Failed calls to the kernel load balancer by operation.",
		}, []string{"op"}),
		flushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lvscare_flushed_connections_total", Help: "Established connections ended because their real server was removed as dead (label rs), or because they lost their flow entries while the virtual server was deleted (rs empty).",
		}, []string{"virtual_server", "real_server"}),
	}
	m.masterList = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lvscare_master_list_size", Help: "Masters in the list the daemon follows, by where the list came from (source: flags, file, cluster); only the current source is present.",
	}, []string{"virtual_server", "source"})
	m.reg.MustRegister(m.up, m.phase, m.probe, m.transitions, m.restores, m.failOpen, m.lbErrors, m.flushes, m.masterList,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry exposes the registry, for tests and the HTTP handler.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) observeProbe(vip, rs netip.AddrPort, d time.Duration, err error) {
	if m == nil {
		return
	}
	result, up := "pass", 1.0
	if err != nil {
		result, up = "fail", 0
	}
	m.probe.WithLabelValues(vip.String(), rs.String(), result).Observe(d.Seconds())
	m.up.WithLabelValues(vip.String(), rs.String()).Set(up)
}

func (m *Metrics) setPhase(vip, rs netip.AddrPort, p Phase) {
	if m == nil {
		return
	}
	for _, q := range []Phase{Active, Draining, Removed} {
		v := 0.0
		if q == p {
			v = 1
		}
		m.phase.WithLabelValues(vip.String(), rs.String(), q.String()).Set(v)
	}
}

func (m *Metrics) transition(vip netip.AddrPort, t Transition) {
	if m == nil {
		return
	}
	m.transitions.WithLabelValues(vip.String(), t.Server.String(), t.To.String()).Inc()
	m.setPhase(vip, t.Server, t.To)
}

// setMasterList records the size and source of the list followed now.
func (m *Metrics) setMasterList(vip netip.AddrPort, source string, n int) {
	if m == nil {
		return
	}
	m.masterList.DeletePartialMatch(prometheus.Labels{"virtual_server": vip.String()})
	m.masterList.WithLabelValues(vip.String(), source).Set(float64(n))
}

// forget drops the per-server gauges of a master the daemon no longer
// tracks (counters and histograms stay: they are totals).
func (m *Metrics) forget(vip, rs netip.AddrPort) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"virtual_server": vip.String(), "real_server": rs.String()}
	m.up.DeletePartialMatch(l)
	m.phase.DeletePartialMatch(l)
}

func (m *Metrics) restored(vip netip.AddrPort) {
	if m == nil {
		return
	}
	m.restores.WithLabelValues(vip.String()).Inc()
}

func (m *Metrics) setFailOpen(vip netip.AddrPort, on bool) {
	if m == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
	}
	m.failOpen.WithLabelValues(vip.String()).Set(v)
}

func (m *Metrics) flushed(vip, rs netip.AddrPort, n int) {
	if m == nil {
		return
	}
	m.flushes.WithLabelValues(vip.String(), rs.String()).Add(float64(n))
}

// flushedOrphans counts connections ended after a restore because they had
// lost their flow entries; they belong to no one real server (rs="").
func (m *Metrics) flushedOrphans(vip netip.AddrPort, n int) {
	if m == nil || n == 0 {
		return
	}
	m.flushes.WithLabelValues(vip.String(), "").Add(float64(n))
}

func (m *Metrics) balancerError(op string) {
	if m == nil {
		return
	}
	m.lbErrors.WithLabelValues(op).Inc()
}

// Handler serves /metrics and HealthPath for the daemon of the virtual
// server vs. healthy returns nil while the daemon works; HealthPath is
// meant for the static pod's liveness probe, and names vs in every answer
// (VirtualServerHeader) so that kubeadm tells this daemon from anything
// else on the port (AskDaemon).
func Handler(m *Metrics, vs netip.AddrPort, healthy func(time.Time) error) http.Handler {
	mux := http.NewServeMux()
	if m != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc(HealthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(VirtualServerHeader, vs.String())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := healthy(time.Now()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err.Error())
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// Listen opens addr now, so that a taken port fails the start of the
// daemon. When the port is taken, the error says by what: any local user
// can listen on a loopback port first.
func Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err == nil {
		return l, nil
	}
	fix := "choose a free loopback port or pass --metrics-address=\"\""
	if ap, perr := netip.ParseAddrPort(addr); perr == nil && errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listening on --metrics-address %s: %w; %s. Stop that process; outside a kubeadm-written pod (whose liveness probe checks %s%s) you may instead %s",
			addr, err, takenBy(ap), DefaultMetricsAddress, HealthPath, fix)
	}
	return nil, fmt.Errorf("listening on --metrics-address %s: %w; %s", addr, err, fix)
}

// takenBy describes what holds ap: the sockets and processes /proc shows,
// and whether a care daemon answers there.
func takenBy(ap netip.AddrPort) string {
	var what string
	switch holders, err := FindPortHolders(ap); {
	case len(holders) > 0:
		parts := make([]string, len(holders))
		for i, h := range holders {
			parts[i] = h.String()
		}
		what = "the port is taken by " + strings.Join(parts, "; and ")
	case err != nil:
		what = fmt.Sprintf("the port is taken, by what this process cannot tell (%v)", err)
	default:
		what = "the port is taken, but /proc shows no socket bound to it (it may have just closed)"
	}
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	if a, err := AskDaemon(ctx, ap.String()); err == nil && a.IsDaemon() {
		what += "; it answers as the lvscare care daemon of the virtual server " + a.VirtualServer.String() + ": another lvscare runs on this node"
	}
	return what
}

// Serve serves h on l until ctx is done, then shuts the server down.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving metrics on %s: %w", l.Addr(), err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}
