package care

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealkube/kubeadm/care/nodestatus"
	"github.com/sealkube/kubeadm/locallb"
)

// Daemon runs Core against a real Balancer, Prober and clock.
type Daemon struct {
	cfg     Config
	lb      locallb.Balancer
	prober  Prober
	log     *slog.Logger
	metrics *Metrics
	limit   *limiter
	// routes owns the VIP route in route mode (see route.go); nil: none.
	routes RouteOwner

	// lastLoop is the unix-nano time of the last loop iteration, read by
	// the health endpoint from another goroutine.
	lastLoop atomic.Int64
	// lastErr is the last balancer error (string), for the health endpoint.
	lastErr atomic.Value

	// members, when set, sends the master lists to follow (follow.go).
	members <-chan Membership
	// source is where the current list came from, for the condition.
	source string
	// status, when set, shows the daemon's view on its Node.
	status *statusPump
}

// NewDaemon wires a daemon. metrics may be nil.
func NewDaemon(cfg Config, lb locallb.Balancer, p Prober, log *slog.Logger, m *Metrics) *Daemon {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{cfg: cfg, lb: lb, prober: p, log: log, metrics: m, limit: newLimiter(time.Minute, 5, time.Now), source: "flags"}
	d.lastErr.Store("")
	return d
}

type probeResult struct {
	rs        netip.AddrPort
	started   time.Time
	finished  time.Time
	err       error
	generated bool
}

// Run does what the configuration says: --clean deletes the virtual server,
// --run-once reconciles and probes once, otherwise it cares until ctx is
// done and returns leaving the rules in place.
func (d *Daemon) Run(ctx context.Context) error {
	vip := d.cfg.VIP
	if d.cfg.Clean {
		if err := d.lb.Delete(vip); err != nil {
			return fmt.Errorf("deleting virtual server %s: %w", vip, err)
		}
		d.log.Info("deleted virtual server", "vs", vip)
		return d.removeRoute()
	}

	now := time.Now()
	cc := CoreConfig{
		VIP: vip, RealServers: d.cfg.RealServers, Rise: d.cfg.Rise, Fall: d.cfg.Fall, Drain: true,
		Interval: d.cfg.Interval, RetryInterval: d.cfg.RetryInterval,
	}
	if d.cfg.RunOnce {
		// One round decides: there is no later round to drain into.
		cc.Rise, cc.Fall, cc.Drain = 1, 1, false
	}
	core := NewCore(cc, now)
	applied := core.Desired()
	if err := d.lb.Ensure(applied); err != nil {
		d.metrics.balancerError("ensure")
		return fmt.Errorf("creating virtual server %s with real servers %v: %w", vip, d.cfg.RealServers, err)
	}
	d.log.Info("virtual server ensured", "vs", vip, "rs", d.cfg.RealServers)
	if err := d.ownRoute(true); err != nil {
		if d.cfg.RunOnce {
			return err
		}
		d.balancerErr("route", err) // retried every restore period
	}
	for _, rs := range core.Servers() {
		d.metrics.setPhase(vip, rs, Active)
	}
	d.markLoop(now)

	if d.cfg.RunOnce {
		return d.runOnce(ctx, core)
	}
	return d.loop(ctx, core, applied)
}

func (d *Daemon) runOnce(ctx context.Context, core *Core) error {
	now := time.Now()
	due := core.Due(now)
	results := make([]probeResult, len(due))
	var wg sync.WaitGroup
	for i, rs := range due {
		wg.Go(func() { results[i] = d.probe(ctx, rs) })
	}
	wg.Wait()
	for _, r := range results {
		d.record(core, r)
	}
	desired := core.Desired()
	if err := d.lb.Ensure(desired); err != nil {
		return fmt.Errorf("setting virtual server %s to %v: %w", d.cfg.VIP, desired.RealServers, err)
	}
	d.flushDead(core, desired, newFlushState(), time.Now())
	if core.FailOpen() {
		d.log.Warn("every real server failed its probe; keeping all of them (fail open)", "vs", d.cfg.VIP)
	}
	return nil
}

func (d *Daemon) loop(ctx context.Context, core *Core, applied locallb.VirtualServer) error {
	vip := d.cfg.VIP
	probeCtx, cancelProbes := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancelProbes()
		wg.Wait()
	}()
	// One probe per server is in flight at most; the list can grow
	// (SetMembership), so a probe that finishes after the loop has
	// returned gives up its result instead of blocking.
	results := make(chan probeResult, len(core.Servers()))
	if d.status != nil {
		wg.Go(func() { d.status.run(probeCtx) })
	}
	d.metrics.setMasterList(vip, d.source, len(core.Servers()))
	d.report(core)
	var lost <-chan netip.AddrPort
	if w, ok := d.prober.(ConnWatcher); ok {
		lost = w.Lost()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	now := time.Now()
	nextRestore := now.Add(d.cfg.RestorePeriod)
	failOpen := false
	flushed := newFlushState()

	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping; leaving the virtual server in place", "vs", vip)
			return nil
		case r := <-results:
			d.record(core, r)
		case m := <-d.members:
			d.applyMembership(core, m, time.Now())
		case rs := <-lost:
			if core.Kick(rs, time.Now()) {
				d.log.Debug("connection closed by real server; probing it now", "rs", rs)
			}
		case <-timer.C:
		}
		now = time.Now()
		d.markLoop(now)
		d.expire(core, now)

		desired := core.Desired()
		if fo := core.FailOpen(); fo != failOpen {
			failOpen = fo
			d.metrics.setFailOpen(vip, fo)
			if fo {
				d.log.Warn("every real server fails its probe; keeping all of them (fail open)", "vs", vip)
				d.event(true, nodestatus.EventFailOpen, fmt.Sprintf("no master behind %s passes its probe; all are kept (fail open)", vip))
			} else {
				d.log.Info("a real server passes its probe again; leaving fail open", "vs", vip)
				d.event(false, nodestatus.EventFailOpenEnded, fmt.Sprintf("a master behind %s passes its probe again", vip))
			}
		}
		if !SameVirtualServer(desired, applied) {
			if err := d.lb.Ensure(desired); err != nil {
				d.balancerErr("ensure", err)
			} else {
				applied = desired
			}
		}
		if !now.Before(nextRestore) {
			applied = d.restore(desired, applied)
			if err := d.ownRoute(false); err != nil {
				d.balancerErr("route", err)
			}
			nextRestore = now.Add(d.cfg.RestorePeriod)
		}
		d.flushDead(core, applied, flushed, now)
		d.report(core)
		for _, rs := range core.Due(now) {
			wg.Go(func() {
				r := d.probe(probeCtx, rs)
				select {
				case results <- r:
				case <-probeCtx.Done():
				}
			})
		}
		next := nextRestore
		if nd := core.NextDue(); !nd.IsZero() && nd.Before(next) {
			next = nd
		}
		timer.Reset(max(next.Sub(now), 0))
	}
}

// restore reads the virtual server back and rewrites it when something
// deleted or changed it. It returns what the kernel now holds as far as we
// know.
func (d *Daemon) restore(desired, applied locallb.VirtualServer) locallb.VirtualServer {
	got, found, err := d.lb.Get(d.cfg.VIP)
	if err != nil {
		d.balancerErr("get", err)
		return applied
	}
	if found && len(got.Deviations) == 0 && SameVirtualServer(got, desired) {
		return desired
	}
	if err := d.lb.Ensure(desired); err != nil {
		d.balancerErr("ensure", err)
		return applied
	}
	// A mismatch we did not expect is someone else's doing (a flush, a
	// kube-proxy cleanup, an admin); a failed Ensure of ours is not.
	if SameVirtualServer(applied, desired) {
		d.metrics.restored(d.cfg.VIP)
		// Connections that lost their flow entries while it was gone
		// (IPVS with expire_nodest_conn, as kube-proxy sets it) would
		// hang until their clients' timeouts: end them now, so the
		// clients reconnect through the restored virtual server.
		orphans := 0
		if f, ok := d.lb.(locallb.OrphanFlusher); ok {
			n, err := f.FlushOrphans(d.cfg.VIP)
			if err != nil && !errors.Is(err, locallb.ErrSocketDestroyUnsupported) {
				d.balancerErr("flush", err)
			}
			orphans = n
			d.metrics.flushedOrphans(d.cfg.VIP, n)
		}
		if ok, n := d.limit.allow("restore"); ok {
			d.log.Warn("virtual server was deleted or changed outside lvscare; restored it",
				"vs", d.cfg.VIP, "found", found, "had", got.RealServers, "changed", got.Deviations,
				"orphaned_connections_ended", orphans, "suppressed", n)
		}
	}
	return desired
}

// flushState remembers which dead real servers had their connections
// ended, and when a failed attempt may be repeated.
type flushState struct {
	done  map[netip.AddrPort]bool
	retry map[netip.AddrPort]time.Time
}

func newFlushState() flushState {
	return flushState{done: map[netip.AddrPort]bool{}, retry: map[netip.AddrPort]time.Time{}}
}

// flushDead ends the established connections of every real server that is
// dead (Core.Dead: removed, its probes get no answer) and no longer in the
// virtual server the kernel holds (applied), once per such removal: they
// would otherwise hang until the clients' own timeouts (the kubelet's:
// about 45 s) instead of reconnecting through the VIP to a live server.
// A draining server (which includes one that still answers "not ready"), a
// server removed in run-once mode while it answers, and every server while
// fail-open keeps them all are left alone. A failed
// attempt is repeated after an interval.
func (d *Daemon) flushDead(core *Core, applied locallb.VirtualServer, st flushState, now time.Time) {
	f, ok := d.lb.(locallb.FlowFlusher)
	if !ok {
		return
	}
	in := make(map[netip.AddrPort]bool, len(applied.RealServers))
	for _, r := range applied.RealServers {
		in[r.Addr] = true
	}
	for _, rs := range core.Servers() {
		if in[rs] {
			delete(st.done, rs)
			delete(st.retry, rs)
			continue
		}
		if core.Retired(rs) && core.Phase(rs) == Removed && (st.done[rs] || !core.Dead(rs)) {
			// Left the cluster and the virtual server, nothing (more)
			// to end: stop tracking it.
			delete(st.done, rs)
			delete(st.retry, rs)
			d.forget(core, rs)
			continue
		}
		if st.done[rs] || !core.Dead(rs) || now.Before(st.retry[rs]) {
			continue
		}
		n, err := f.FlushRealServer(d.cfg.VIP, rs)
		if err != nil && !errors.Is(err, locallb.ErrSocketDestroyUnsupported) {
			st.retry[rs] = now.Add(d.cfg.Interval)
			d.balancerErr("flush", err)
			continue
		}
		st.done[rs] = true
		delete(st.retry, rs)
		d.metrics.flushed(d.cfg.VIP, rs, n)
		attrs := []any{"vs", d.cfg.VIP, "rs", rs, "connections", n, "probe_err", errString(core.LastError(rs))}
		if err != nil {
			// Found and (nftables) unmapped, but the kernel cannot reset
			// the sockets: they end at the client's next packet.
			attrs = append(attrs, "err", err)
		}
		if ok, s := d.limit.allow("flush " + rs.String()); ok {
			d.log.Warn("real server dead; ended its established connections so clients reconnect through the virtual server", append(attrs, "suppressed", s)...)
		}
	}
}

func (d *Daemon) probe(ctx context.Context, rs netip.AddrPort) probeResult {
	started := time.Now()
	err := d.prober.Probe(ctx, rs)
	finished := time.Now()
	if ctx.Err() != nil && err != nil {
		// Shutting down: not the server's fault.
		err = fmt.Errorf("probe of %s cancelled: %w", rs, ctx.Err())
		return probeResult{rs: rs, started: started, finished: finished, err: err, generated: true}
	}
	return probeResult{rs: rs, started: started, finished: finished, err: err}
}

func (d *Daemon) record(core *Core, r probeResult) {
	if r.generated {
		// Cancelled probes tell nothing; free the slot only.
		core.Cancel(r.rs, r.finished)
		return
	}
	d.metrics.observeProbe(d.cfg.VIP, r.rs, r.finished.Sub(r.started), r.err)
	tr, changed := core.Done(r.rs, r.started, r.finished, r.err)
	if !changed {
		return
	}
	d.metrics.transition(d.cfg.VIP, tr)
	// Every state change is logged: each one changes the kernel, and the
	// rise/fall thresholds already bound how often a server can flap.
	// Only repeats (balancer errors, restores) go through the limiter.
	attrs := []any{"vs", d.cfg.VIP, "rs", tr.Server, "from", tr.From.String(), "to", tr.To.String()}
	switch tr.To {
	case Active:
		d.log.Info("real server healthy again; added back", append(attrs, "rise", d.cfg.Rise)...)
		d.event(false, nodestatus.EventMasterAdded, fmt.Sprintf("master %s healthy: in the virtual server %s", tr.Server, d.cfg.VIP))
	case Draining:
		d.log.Warn("real server failing; draining it (weight 0)", append(attrs, "fall", d.cfg.Fall, "err", errString(r.err))...)
		d.event(true, nodestatus.EventMasterDrained, fmt.Sprintf("master %s failing, drained (weight 0): %s", tr.Server, errString(r.err)))
	case Removed:
		d.log.Warn("real server still failing; removed it", append(attrs, "err", errString(r.err))...)
		d.event(true, nodestatus.EventMasterRemoved, fmt.Sprintf("master %s removed from the virtual server %s: %s", tr.Server, d.cfg.VIP, errString(r.err)))
	}
}

func (d *Daemon) balancerErr(op string, err error) {
	d.metrics.balancerError(op)
	d.lastErr.Store(fmt.Sprintf("%s: %v", op, err))
	if ok, n := d.limit.allow("balancer " + op); ok {
		d.log.Error("programming the virtual server failed; retrying", "vs", d.cfg.VIP, "op", op, "err", err, "suppressed", n)
	}
}

func (d *Daemon) markLoop(now time.Time) { d.lastLoop.Store(now.UnixNano()) }

// Healthy reports whether the loop still turns: it wakes at least every
// restore period, so a silence of many periods means it is stuck (e.g. in a
// hung netlink call) and a restart may help.
func (d *Daemon) Healthy(now time.Time) error {
	last := d.lastLoop.Load()
	if last == 0 {
		return errors.New("not started")
	}
	limit := max(10*d.cfg.RestorePeriod, 3*d.cfg.Interval)
	if age := now.Sub(time.Unix(0, last)); age > limit {
		msg := fmt.Sprintf("control loop has not run for %s (limit %s)", age.Round(time.Millisecond), limit)
		if e, _ := d.lastErr.Load().(string); e != "" {
			msg += "; last balancer error: " + e
		}
		return errors.New(msg)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// limiter lets burst messages per key through in each window and counts
// the rest, so a repeated failure (a broken kernel, something deleting the
// virtual server over and over) cannot flood the log. State changes do not
// go through it.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	burst  int
	now    func() time.Time
	m      map[string]*bucket
}

type bucket struct {
	start      time.Time
	n          int
	suppressed int
}

func newLimiter(window time.Duration, burst int, now func() time.Time) *limiter {
	return &limiter{window: window, burst: burst, now: now, m: map[string]*bucket{}}
}

// allow reports whether a message for key may be logged now and, when it
// may, how many were suppressed since the last one.
func (l *limiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.m[key]
	if b == nil || now.Sub(b.start) >= l.window {
		if b == nil {
			b = &bucket{}
			l.m[key] = b
		}
		b.start, b.n = now, 0
	}
	if b.n >= l.burst {
		b.suppressed++
		return false, 0
	}
	b.n++
	s := b.suppressed
	b.suppressed = 0
	return true, s
}
