package care

import (
	"net/netip"
	"testing"
	"time"
)

func TestAPIServerShutdownDelay(t *testing.T) {
	if got, want := APIServerShutdownDelay(), 14*time.Second; got != want {
		t.Fatalf("APIServerShutdownDelay() = %v, want %v (10 s + 1 s × 2 + 400 ms + 1 s, rounded up): if the defaults changed, update README and care/README", got, want)
	}
}

// TestShutdownDelayCoversDrain: an apiserver that got SIGTERM answers its
// /readyz with an error at once, its HTTP/2 PINGs as before, and keeps
// serving for the shutdown delay. Wherever the SIGTERM falls in the daemon's
// schedule of PINGs and full requests (HTTPProber's fullRequestDue),
// and however slowly (up to the timeout) the failing answers come, the
// daemon at its defaults has drained the server before the delay ends.
func TestShutdownDelayCoversDrain(t *testing.T) {
	o := NewOptions()
	delay := APIServerShutdownDelay()
	notReady := &StatusError{URL: "https://192.168.0.2:6443" + o.HealthPath, Status: "500 Internal Server Error"}
	var worst time.Duration
	for _, latency := range []time.Duration{time.Millisecond, o.HealthTimeout / 2, o.HealthTimeout - time.Millisecond} {
		for offset := time.Duration(0); offset < o.ReadyInterval+o.Interval; offset += o.Interval / 20 {
			sigterm := 10*time.Second + offset
			// The prober's own rule decides PING or full request; the
			// simulation's clock starts at the zero time.Duration.
			epoch := time.Unix(1, 0)
			lastFull := map[netip.AddrPort]time.Time{}
			p := func(rs netip.AddrPort, at time.Duration) outcome {
				now := epoch.Add(at)
				if !fullRequestDue(lastFull[rs], now, o.ReadyInterval) {
					return outcome{latency: time.Millisecond} // a PING
				}
				if rs == m0 && at >= sigterm {
					delete(lastFull, rs)
					return outcome{err: notReady, latency: latency}
				}
				lastFull[rs] = now
				return outcome{latency: time.Millisecond}
			}
			c := CoreConfig{VIP: vip, RealServers: []netip.AddrPort{m0, m1}, Rise: o.Rise, Fall: o.Fall, Drain: true, Interval: o.Interval, RetryInterval: o.RetryInterval}
			s := newSim(c, o.HealthTimeout, p)
			s.run(sigterm + delay)
			drained := s.firstAt(m0, Draining)
			if drained < 0 {
				t.Fatalf("SIGTERM at %v, answers after %v: not drained within the %v shutdown delay; log %+v", sigterm, latency, delay, s.log)
			}
			worst = max(worst, drained-sigterm)
		}
	}
	t.Logf("worst drain after SIGTERM %v, shutdown delay %v", worst, delay)
	if limit := o.ReadyInterval + o.Interval*time.Duration(o.Fall) + o.HealthTimeout; worst > limit {
		t.Errorf("worst drain %v exceeds ready interval + interval × fall + timeout = %v, the bound the delay is derived from", worst, limit)
	}
}

// TestHealthPathDefault: without --health-path the daemon probes /readyz
// (public lvscare: /healthz); an explicit path, as every manifest passes,
// is kept.
func TestHealthPathDefault(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"default", nil, "/readyz"},
		{"public lvscare's default, explicit", []string{"--health-path", "/healthz"}, "/healthz"},
		{"without the slash", []string{"--health-path", "livez"}, "/livez"},
	}
	for _, tc := range tests {
		cfg, err := parse(t, append([]string{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443"}, tc.args...)...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if cfg.Probe.Path != tc.want {
			t.Errorf("%s: probes %q, want %q", tc.name, cfg.Probe.Path, tc.want)
		}
	}
}
