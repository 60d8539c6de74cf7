package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// sample is one request through the VIP.
type sample struct {
	at   time.Time
	ok   bool
	err  string
	took time.Duration // how long the request took, answered or not
}

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

	mu      sync.Mutex
	samples []sample
	cancel  context.CancelFunc
	done    chan struct{}
}

func startProber(c *http.Client, url string, interval time.Duration, max int) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{c: c, url: url, interval: interval, max: max, cancel: cancel, done: make(chan struct{})}
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return sample{at: now, err: err.Error(), took: time.Since(now)}
	}
	resp, err := p.c.Do(req)
	if err != nil {
		return sample{at: now, err: err.Error(), took: time.Since(now)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{at: now, err: fmt.Sprintf("HTTP %d", resp.StatusCode), took: time.Since(now)}
	}
	return sample{at: now, ok: true, took: time.Since(now)}
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
