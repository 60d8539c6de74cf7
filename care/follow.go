package care

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/sealkube/kubeadm/care/nodestatus"
)

// Membership is a master list to follow: the real servers the node should
// use now and where the list came from (flags, file or cluster).
type Membership struct {
	Servers []netip.AddrPort
	Source  string
}

// SetMembership makes the daemon follow the lists sent on ch (the masters
// package's watch of the cluster): it is read by the loop only, so a
// sender never waits on a probe. Without one the --rs list is fixed.
func (d *Daemon) SetMembership(ch <-chan Membership) { d.members = ch }

// StatusReporter is where the daemon shows what it sees: a condition on
// its Node and Events (nodestatus.Reporter).
type StatusReporter interface {
	Report(ctx context.Context, s nodestatus.Snapshot) error
	Event(ctx context.Context, warning bool, reason, message string) error
}

// SetStatus makes the daemon report to r. The API calls run in a goroutine
// of their own (statusPump): the API is reached through the very virtual
// server the loop keeps, so the loop must never wait on it.
func (d *Daemon) SetStatus(r StatusReporter) {
	if r != nil {
		d.status = newStatusPump(r, d.log)
	}
}

// applyMembership follows a new list and logs, counts and announces what
// changed.
func (d *Daemon) applyMembership(core *Core, m Membership, now time.Time) {
	if len(m.Servers) == 0 {
		return // never: an empty list would cut the node off
	}
	before := core.Servers()
	wasRetired := map[netip.AddrPort]bool{}
	for _, rs := range before {
		wasRetired[rs] = core.Retired(rs)
	}
	trs := core.SetServers(m.Servers, now)
	d.source = m.Source
	d.metrics.setMasterList(d.cfg.VIP, m.Source, len(m.Servers))
	for _, rs := range core.Servers() {
		if !slices.Contains(before, rs) {
			d.metrics.setPhase(d.cfg.VIP, rs, core.Phase(rs))
			d.log.Info("master listed by the cluster; probing it before adding it", "vs", d.cfg.VIP, "rs", rs, "source", m.Source, "rise", d.cfg.Rise)
			d.event(false, nodestatus.EventMasterListed, fmt.Sprintf("master %s listed (%s); it is added after %d passing probes", rs, m.Source, d.cfg.Rise))
		}
	}
	for _, tr := range trs {
		d.metrics.transition(d.cfg.VIP, tr)
	}
	for _, rs := range before {
		if core.Retired(rs) && !wasRetired[rs] {
			d.log.Warn("master no longer listed by the cluster; draining it", "vs", d.cfg.VIP, "rs", rs, "source", m.Source, "bound", core.retireAfter)
			d.event(true, nodestatus.EventMasterRetired, fmt.Sprintf("master %s is no longer listed (%s); drained: it leaves when it stops answering, within %s", rs, m.Source, core.retireAfter))
		}
	}
}

// expire removes the retired servers whose bound ran out.
func (d *Daemon) expire(core *Core, now time.Time) {
	for _, tr := range core.Expire(now) {
		d.metrics.transition(d.cfg.VIP, tr)
		d.log.Warn("master still answers long after the cluster dropped it; removed it and ending its connections", "vs", d.cfg.VIP, "rs", tr.Server, "bound", core.retireAfter)
		d.event(true, nodestatus.EventMasterRemoved, fmt.Sprintf("master %s removed: no longer listed for %s", tr.Server, core.retireAfter))
	}
}

// forget drops the retired servers that have left the virtual server and
// have nothing left to end (flushDead forgets the ones it flushed).
func (d *Daemon) forget(core *Core, rs netip.AddrPort) {
	if core.Forget(rs) {
		d.metrics.forget(d.cfg.VIP, rs)
		d.log.Info("master left the virtual server for good", "vs", d.cfg.VIP, "rs", rs)
	}
}

// snapshot is the condition's input now.
func (d *Daemon) snapshot(core *Core) nodestatus.Snapshot {
	s := nodestatus.Snapshot{VIP: d.cfg.VIP, Source: d.source, FailOpen: core.FailOpen()}
	for _, rs := range core.Servers() {
		s.Servers = append(s.Servers, nodestatus.Server{
			Addr: rs, Phase: core.Phase(rs).String(), Healthy: core.LastError(rs) == nil && core.Phase(rs) == Active, Retired: core.Retired(rs),
		})
	}
	return s
}

func (d *Daemon) event(warning bool, reason, msg string) {
	if d.status != nil {
		d.status.event(warning, reason, msg)
	}
}

func (d *Daemon) report(core *Core) {
	if d.status != nil {
		d.status.snapshot(d.snapshot(core))
	}
}

// statusPump sends the latest snapshot and queued Events to the API from a
// goroutine of its own. Snapshots replace each other (only the newest
// matters); Events queue up to a bound and the rest are counted and
// dropped, since every one is also logged.
type statusPump struct {
	rep     StatusReporter
	log     *slog.Logger
	snaps   chan nodestatus.Snapshot
	events  chan statusEvent
	timeout time.Duration
	retry   time.Duration
}

type statusEvent struct {
	warning         bool
	reason, message string
}

const statusEventQueue = 64

func newStatusPump(r StatusReporter, log *slog.Logger) *statusPump {
	return &statusPump{
		rep: r, log: log, snaps: make(chan nodestatus.Snapshot, 1), events: make(chan statusEvent, statusEventQueue),
		timeout: 5 * time.Second, retry: 10 * time.Second,
	}
}

func (p *statusPump) snapshot(s nodestatus.Snapshot) {
	for {
		select {
		case p.snaps <- s:
			return
		default:
		}
		select {
		case <-p.snaps: // drop the older one
		default:
		}
	}
}

func (p *statusPump) event(warning bool, reason, msg string) {
	select {
	case p.events <- statusEvent{warning: warning, reason: reason, message: msg}:
	default:
		p.log.Debug("event queue full; event only logged", "reason", reason, "message", msg)
	}
}

// run writes until ctx is done. A failed condition write is retried after
// p.retry with the newest snapshot; a failed Event is logged and dropped.
func (p *statusPump) run(ctx context.Context) {
	var pending *nodestatus.Snapshot
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	failing := false
	write := func() {
		if pending == nil {
			return
		}
		cctx, cancel := context.WithTimeout(ctx, p.timeout)
		err := p.rep.Report(cctx, *pending)
		cancel()
		if err != nil {
			if !failing {
				p.log.Warn("could not set the node condition; retrying", "err", err, "every", p.retry)
			}
			failing = true
			retry.Reset(p.retry)
			return
		}
		if failing {
			p.log.Info("node condition set again")
		}
		failing, pending = false, nil
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-p.snaps:
			pending = &s
			write()
		case e := <-p.events:
			cctx, cancel := context.WithTimeout(ctx, p.timeout)
			if err := p.rep.Event(cctx, e.warning, e.reason, e.message); err != nil {
				p.log.Debug("could not record event", "reason", e.reason, "err", err)
			}
			cancel()
		case <-retry.C:
			write()
		}
	}
}
