package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// sample is one request through the VIP.
type sample struct {
	at   time.Time
	ok   bool
	err  string
	took time.Duration // how long the request took, answered or not
	// retried: answers 429 or 5xx with Retry-After that the request
	// waited out and sent again, as client-go does.
	retried int
}

// clientGoMaxRetries is client-go's default for a request answered 429 or
// 5xx with a Retry-After header (rest.Request's maxRetries).
const clientGoMaxRetries = 10

// slowest is the longest request among ss.
func slowest(ss []sample) time.Duration {
	var d time.Duration
	for _, s := range ss {
		d = max(d, s.took)
	}
	return d
}

// prober sends GET url every interval (each on a fresh connection, so every
// request is balanced anew) until stopped, keeping at most max samples.
type prober struct {
	c        *http.Client
	url      string
	interval time.Duration
	max      int
	// retryAfter: wait out and resend answers that carry Retry-After, as
	// client-go does for a kubelet (an apiserver at the end of its
	// shutdown delay answers 503 with Retry-After: 1 to a request that
	// races its connection's GOAWAY).
	retryAfter bool

	mu      sync.Mutex
	samples []sample
	cancel  context.CancelFunc
	done    chan struct{}
}

func startProber(c *http.Client, url string, interval time.Duration, max int, retryAfter bool) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{c: c, url: url, interval: interval, max: max, retryAfter: retryAfter, cancel: cancel, done: make(chan struct{})}
	go p.loop(ctx)
	return p
}

func (p *prober) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		s := p.once(ctx)
		p.mu.Lock()
		if len(p.samples) < p.max {
			p.samples = append(p.samples, s)
		}
		full := len(p.samples) >= p.max
		p.mu.Unlock()
		if full {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *prober) once(ctx context.Context) sample {
	now := time.Now()
	for retried := 0; ; retried++ {
		s, wait := p.try(ctx, now)
		s.took, s.retried = time.Since(now), retried
		if !p.retryAfter || wait < 0 || retried >= clientGoMaxRetries {
			return s
		}
		select {
		case <-ctx.Done():
			return s
		case <-time.After(wait):
		}
	}
}

// try sends the request once; wait is the answer's Retry-After when it is
// one client-go waits out (429 or 5xx), else negative.
func (p *prober) try(ctx context.Context, now time.Time) (sample, time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return sample{at: now, err: err.Error()}, -1
	}
	resp, err := p.c.Do(req)
	if err != nil {
		return sample{at: now, err: err.Error()}, -1
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{at: now, err: fmt.Sprintf("HTTP %d", resp.StatusCode)}, retryAfter(resp)
	}
	return sample{at: now, ok: true}, -1
}

// retryAfter is client-go's checkWait: a 429 or 5xx answer with a
// Retry-After of whole seconds is waited out and sent again.
func retryAfter(resp *http.Response) time.Duration {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return -1
	}
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 0 {
		return -1
	}
	return time.Duration(n) * time.Second
}

func (p *prober) stop() {
	p.cancel()
	<-p.done
}

// since returns the samples taken at or after t.
func (p *prober) since(t time.Time) []sample {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := sort.Search(len(p.samples), func(i int) bool { return !p.samples[i].at.Before(t) })
	return append([]sample(nil), p.samples[i:]...)
}

// window summarises samples after a fault: how many failed, and the span
// from the first failed request's start to the end of the last failed one
// (its start plus the request timeout bound, capped at the next sample).
type window struct {
	total, failed int
	span          time.Duration
	firstErr      string
	// from is when the fault was applied, to when requests had recovered
	// (the node's lease renewals are judged over this interval).
	from, to time.Time
	// recovery (persistent client): first success after its first failure,
	// from the fault's start; 0 if it never failed, -1 if it never recovered.
	recovery time.Duration
}

func summarize(ss []sample, interval time.Duration) window {
	w := window{total: len(ss)}
	var first, last time.Time
	for i, s := range ss {
		if s.ok {
			continue
		}
		w.failed++
		if first.IsZero() {
			first, w.firstErr = s.at, s.err
		}
		end := s.at.Add(interval)
		if i+1 < len(ss) {
			end = ss[i+1].at
		}
		last = end
	}
	if w.failed > 0 {
		w.span = last.Sub(first)
	}
	return w
}

// trailingOK is how many samples at the end of ss succeeded in a row.
func trailingOK(ss []sample) int {
	n := 0
	for i := len(ss) - 1; i >= 0 && ss[i].ok; i-- {
		n++
	}
	return n
}

// percentile returns the p-th percentile (0..100, nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(s) {
		rank = len(s) - 1
	}
	return s[rank]
}
