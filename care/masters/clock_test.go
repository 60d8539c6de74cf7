package masters

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"k8s.io/utils/clock"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a clock.Clock whose time moves only by Step. It counts the
// timers waiting, so a test knows when the code under test sleeps (the code
// arms its timers after it has done its work for an event).
// k8s.io/utils/clock/testing is not vendored, hence this one.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

var _ clock.Clock = (*fakeClock)(nil)

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *fakeClock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

func (c *fakeClock) Sleep(d time.Duration) { <-c.After(d) }

func (c *fakeClock) Tick(time.Duration) <-chan time.Time { panic("fakeClock.Tick is not used") }

func (c *fakeClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.arm(t, d)
	return t
}

// arm needs c.mu.
func (c *fakeClock) arm(t *fakeTimer, d time.Duration) {
	t.at, t.active = c.now.Add(d), true
	if d <= 0 {
		t.fire(c.now)
		return
	}
	c.timers = append(c.timers, t)
}

// Step moves the time on and fires the timers due.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var left []*fakeTimer
	for _, t := range c.timers {
		switch {
		case !t.active:
		case !c.now.Before(t.at):
			t.fire(c.now)
		default:
			left = append(left, t)
		}
	}
	c.timers = left
}

// Waiting returns the deadlines of the active timers, from now.
func (c *fakeClock) Waiting() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, t := range c.timers {
		if t.active {
			out = append(out, t.at.Sub(c.now))
		}
	}
	return out
}

type fakeTimer struct {
	c      *fakeClock
	at     time.Time
	active bool
	ch     chan time.Time
}

// fire needs c.mu.
func (t *fakeTimer) fire(now time.Time) {
	t.active = false
	select {
	case t.ch <- now:
	default:
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.c.arm(t, d)
	return was
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
