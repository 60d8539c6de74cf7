package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"syscall"
	"time"
)

// faultOrder is the scenario, in order; each leaves the cluster whole again
// (the kill is undone by the restart that follows it).
var faultOrder = []string{
	"kill apiserver m1",
	"restart apiserver m1",
	"freeze apiserver m2 (SIGSTOP)",
	"cut m0 off (link down/up)",
	"delete the LB's rules",
	"restart the care daemon",
}

func (h *harness) faultsAll() error {
	for r := 1; r <= h.o.repeat; r++ {
		for _, name := range faultOrder {
			if err := h.fault(r, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// fault applies one fault while the worker's client keeps requesting
// through the VIP, undoes it after -fault-duration when it has an undo,
// observes for -settle, records the failure window and checks that the
// requests succeed again.
func (h *harness) fault(run int, name string) error {
	if err := h.waitHealthy(30 * time.Second); err != nil {
		return fmt.Errorf("before %q: %w", name, err)
	}
	var apply, undo func() error
	m := func(i int) *node { return h.masters[i] }
	switch name {
	case "kill apiserver m1":
		apply = func() error { h.api[1].kill(); return nil }
	case "restart apiserver m1":
		apply = func() error { return h.restartAPIServer(1) }
	case "freeze apiserver m2 (SIGSTOP)":
		apply = func() error { return h.api[2].cmd.Process.Signal(syscall.SIGSTOP) }
		undo = func() error { return h.api[2].cmd.Process.Signal(syscall.SIGCONT) }
	case "cut m0 off (link down/up)":
		apply = func() error { return ipCmd(h.log, "-n", m(0).netns, "link", "set", "eth0", "down") }
		undo = func() error { return ipCmd(h.log, "-n", m(0).netns, "link", "set", "eth0", "up") }
	case "delete the LB's rules":
		apply = h.lb.deleteRules
	case "restart the care daemon":
		apply = h.lb.restartCare
	default:
		return fmt.Errorf("unknown fault %q", name)
	}
	// A random offset de-correlates the fault from the care daemon's probe
	// ticks (the scenario's own timing would otherwise phase-lock them).
	time.Sleep(rand.N(time.Second))
	start := time.Now()
	if err := apply(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if undo != nil {
		time.Sleep(h.o.faultFor)
		if err := undo(); err != nil {
			return fmt.Errorf("undoing %s: %w", name, err)
		}
	}
	time.Sleep(h.o.settle)
	// Bounded extra wait for recovery, so a slow recovery shows as a
	// long window rather than a failure.
	rerr := h.waitHealthy(30 * time.Second)
	w := summarize(h.probe.since(start), h.o.interval)
	w.from, w.to = start, time.Now()
	h.faults[name] = append(h.faults[name], w)
	h.logf("fault %-30s run %d (at %s): %d/%d requests failed, window %s (first error: %s)", name, run, start.UTC().Format("15:04:05.000"), w.failed, w.total, w.span.Round(time.Millisecond), tail(w.firstErr, 160))
	h.check(fmt.Sprintf("run %d: requests through the VIP succeed again after %q", run, name), rerr)
	return nil
}

func (h *harness) restartAPIServer(i int) error {
	m := h.masters[i]
	cmd := h.apiCmd[i]
	p, err := h.ps.start(m.name+"-apiserver", m.command(nil, cmd[0], cmd[1:]...), h.logPath(m.name+"-apiserver"))
	if err != nil {
		return err
	}
	h.api[i] = p
	c, err := httpsClient(m.nsPath(), h.ca, 2*time.Second)
	if err != nil {
		return err
	}
	return waitHTTP(c, fmt.Sprintf("https://%s:%d/readyz", m.addr, apiserverPort), 2*time.Minute, p.alive)
}

func lookPath(name string) (string, error) { return exec.LookPath(name) }
