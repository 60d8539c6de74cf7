package care

import "time"

// ShutdownDelayMargin is what APIServerShutdownDelay adds to the daemon's
// detection time: for the new weights to reach the kernel, and for probe
// schedules that are not in step with the apiserver's SIGTERM.
const ShutdownDelayMargin = time.Second

// APIServerShutdownDelay is the kube-apiserver --shutdown-delay-duration
// that lets every worker's daemon, at its default settings, drain an
// apiserver that got SIGTERM before it stops serving: from SIGTERM its
// /readyz fails while it keeps serving for the delay. A healthy server gets
// /readyz once per ready interval (HTTP/2 PINGs in between, which a
// terminating apiserver still answers), so the first failing /readyz starts
// up to ready interval + interval after SIGTERM; the fall-1 failures after
// it are full requests too, each up to an interval later, the last may take
// the whole timeout: ready interval + interval × fall + timeout, plus
// ShutdownDelayMargin, rounded up to whole seconds. With the defaults (10 s,
// 1 s, 2, 400 ms): 10 + 2 + 0.4 + 1 = 13.4 s, so 14 s.
func APIServerShutdownDelay() time.Duration {
	o := NewOptions()
	d := o.ReadyInterval + o.Interval*time.Duration(o.Fall) + o.HealthTimeout + ShutdownDelayMargin
	return (d + time.Second - 1).Truncate(time.Second)
}
