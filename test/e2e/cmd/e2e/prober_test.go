package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	iv := 50 * time.Millisecond
	for _, tc := range []struct {
		name     string
		ss       []sample
		failed   int
		span     time.Duration
		trailing int
	}{
		{"none", nil, 0, 0, 0},
		{"all ok", []sample{{at: at(0), ok: true}, {at: at(50), ok: true}}, 0, 0, 2},
		{"one failure", []sample{{at: at(0), ok: true}, {at: at(50), err: "x"}, {at: at(400), ok: true}}, 1, 350 * time.Millisecond, 1},
		{"burst", []sample{{at: at(0), err: "a"}, {at: at(50), err: "b"}, {at: at(100), ok: true}, {at: at(150), err: "c"}, {at: at(200), ok: true}}, 3, 200 * time.Millisecond, 1},
		{"failing at the end", []sample{{at: at(0), ok: true}, {at: at(50), err: "a"}}, 1, iv, 0},
	} {
		w := summarize(tc.ss, iv)
		if w.failed != tc.failed || w.span != tc.span || w.total != len(tc.ss) {
			t.Errorf("%s: summarize = %+v, want failed %d span %v", tc.name, w, tc.failed, tc.span)
		}
		if tc.failed > 0 && w.firstErr == "" {
			t.Errorf("%s: no first error recorded", tc.name)
		}
		if got := trailingOK(tc.ss); got != tc.trailing {
			t.Errorf("%s: trailingOK = %d, want %d", tc.name, got, tc.trailing)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(5, 1, 3, 2, 4), 50, 3 * time.Millisecond},
		{ms(5, 1, 3, 2, 4), 99, 5 * time.Millisecond},
		{ms(5, 1, 3, 2, 4), 0, 1 * time.Millisecond},
	} {
		if got := percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
}

func TestSlowest(t *testing.T) {
	ss := []sample{{took: 3 * time.Millisecond, ok: true}, {took: 9 * time.Second, err: "timeout"}, {took: 40 * time.Millisecond, ok: true}}
	if got := slowest(ss); got != 9*time.Second {
		t.Errorf("slowest = %v, want 9s", got)
	}
	if got := slowest(nil); got != 0 {
		t.Errorf("slowest(nil) = %v, want 0", got)
	}
}

// TestProberRetryAfter: like client-go, the persistent client waits out a
// 503 with Retry-After and resends; without the option, or without the
// header, the 503 is the answer.
func TestProberRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/retry" && n == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/plain":
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path       string
		retryAfter bool
		wantOK     bool
		wantRetry  int
	}{
		{"/retry", true, true, 1},
		{"/retry", false, false, 0},
		{"/plain", true, false, 0},
	} {
		calls.Store(0)
		p := &prober{c: srv.Client(), url: srv.URL + tc.path, retryAfter: tc.retryAfter}
		s := p.once(context.Background())
		if s.ok != tc.wantOK || s.retried != tc.wantRetry {
			t.Errorf("%s retryAfter=%v: ok %v retried %d (err %q), want ok %v retried %d", tc.path, tc.retryAfter, s.ok, s.retried, s.err, tc.wantOK, tc.wantRetry)
		}
	}
}
