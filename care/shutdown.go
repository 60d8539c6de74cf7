package care

import "time"

// ShutdownDelayMargin is what APIServerShutdownDelay adds to the daemon's
// detection time: for the new weights to reach the kernel, and for probe
// schedules that are not in step with the apiserver's SIGTERM.
const ShutdownDelayMargin = time.Second

// APIServerShutdownDelay is the kube-apiserver --shutdown-delay-duration
// that lets every worker's daemon, at its default settings, drain an
// apiserver that got SIGTERM before it stops serving: from SIGTERM its
// /readyz fails while it keeps serving for the delay, and the daemon needs
// at most interval × fall + timeout to take it out of rotation (each of the
// fall failing probes may start up to an interval apart, the last may take
// the whole timeout; the retry interval makes it faster in practice), plus
// ShutdownDelayMargin, rounded up to whole seconds. With the defaults (1 s,
// 2, 400 ms): 1 s × 2 + 0.4 s + 1 s = 3.4 s, so 4 s.
func APIServerShutdownDelay() time.Duration {
	o := NewOptions()
	d := o.Interval*time.Duration(o.Fall) + o.HealthTimeout + ShutdownDelayMargin
	return (d + time.Second - 1).Truncate(time.Second)
}
