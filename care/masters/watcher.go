package masters

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"
)

// Defaults for the zero fields of Options.
const (
	DefaultDebounce     = time.Second
	DefaultRetryMin     = time.Second
	DefaultRetryMax     = 30 * time.Second
	DefaultDeniedRetry  = 5 * time.Minute
	DefaultWatchTimeout = 5 * time.Minute
)

// Options configure a Watcher. Zero durations take the defaults above.
type Options struct {
	// Seed is the static list (--rs), used when neither the file nor the
	// cluster gives one. Required.
	Seed []netip.AddrPort
	// File persists the last list learnt from the cluster; "" persists
	// nothing. Its directory must exist.
	File string
	// Client reads EndpointSlices in namespace default: NewSliceClient with
	// the kubelet's kubeconfig, or clientset.DiscoveryV1().EndpointSlices(
	// Namespace). Nil: the cluster is not asked (--masters-from-cluster=false)
	// and the list is the file's or the seed.
	Client SliceClient
	// Debounce is how long the cluster's list must stay the same before a
	// master it adds is used; negative: at once. Removals never wait.
	Debounce time.Duration
	// RetryMin and RetryMax bound the exponential backoff after an API
	// error other than Forbidden or Unauthorized.
	RetryMin, RetryMax time.Duration
	// DeniedRetry is how often the API is asked again after Forbidden or
	// Unauthorized: rarely, since the RBAC is missing until an operator
	// creates it.
	DeniedRetry time.Duration
	// WatchTimeout is the base of the server-side timeout of each watch
	// (each is given between 1 and 2 times this, as client-go's reflector
	// does, so that nodes do not reconnect in step).
	WatchTimeout time.Duration
	// Clock is for tests; nil: the real clock.
	Clock clock.Clock
}

// Watcher follows the masters. Make one with New and call Run.
type Watcher struct {
	o Options
}

// New checks the options and fills the defaults.
func New(o Options) (*Watcher, error) {
	o.Seed = slices.Clone(o.Seed)
	if len(normalize(o.Seed)) == 0 {
		return nil, fmt.Errorf("no valid seed master in %v: give at least one address:port (--rs), the list of last resort", o.Seed)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Debounce, DefaultDebounce)
	def(&o.RetryMin, DefaultRetryMin)
	def(&o.RetryMax, DefaultRetryMax)
	def(&o.DeniedRetry, DefaultDeniedRetry)
	def(&o.WatchTimeout, DefaultWatchTimeout)
	if o.RetryMin < 0 || o.RetryMax < o.RetryMin || o.DeniedRetry < 0 || o.WatchTimeout < time.Second {
		return nil, fmt.Errorf("invalid retry options: RetryMin %v, RetryMax %v, DeniedRetry %v, WatchTimeout %v: want 0 <= RetryMin <= RetryMax, DeniedRetry >= 0, WatchTimeout >= 1s",
			o.RetryMin, o.RetryMax, o.DeniedRetry, o.WatchTimeout)
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return &Watcher{o: o}, nil
}

// observation is one thing the cluster said: a slice (nil: none) or an
// error, with when it will be asked again.
type observation struct {
	slice *discoveryv1.EndpointSlice
	err   error
	retry time.Duration
}

// Run sends the starting list to emit, then every change, until ctx ends.
// emit is called from Run's goroutine only, one call at a time; a slow emit
// delays the next Update, never loses it.
func (w *Watcher) Run(ctx context.Context, emit func(Update)) {
	clk := w.o.Clock
	doc, docErr := document{}, error(nil)
	if w.o.File != "" {
		doc, docErr = readFile(w.o.File)
	}
	st, first := newState(w.o.Seed, w.o.File, doc, docErr, w.o.Debounce)
	emit(first)
	if w.o.Client == nil {
		<-ctx.Done()
		return
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	obs := make(chan observation)
	wg.Go(func() { w.follow(ctx, obs) })

	p := persister{path: w.o.File, seed: normalize(w.o.Seed)}
	var timer clock.Timer
	var due <-chan time.Time
	for {
		var u Update
		var ok bool
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case o := <-obs:
			if o.err != nil {
				u, ok = st.failed(o.err, o.retry)
			} else {
				u, ok = st.observe(clk.Now(), o.slice)
			}
		case <-due:
			timer, due = nil, nil
			u, ok = st.tick(clk.Now())
		}
		if ok {
			emit(u)
			if f, failed := p.persist(u, clk.Now()); failed {
				emit(f)
			}
		}
		if timer != nil {
			timer.Stop()
			timer, due = nil, nil
		}
		if next := st.next(); !next.IsZero() {
			timer = clk.NewTimer(max(next.Sub(clk.Now()), 0))
			due = timer.C()
		}
	}
}

// persister writes each list learnt from the cluster, and says once per
// streak when that fails.
type persister struct {
	path    string
	seed    []netip.AddrPort
	written []netip.AddrPort // nil: not written by this run
	failing bool
}

// persist writes u's list if it is the cluster's and differs from what this
// run wrote. The first cluster list is always written, so a stale file is
// replaced as soon as the cluster answers.
func (p *persister) persist(u Update, now time.Time) (Update, bool) {
	if p.path == "" || u.Source != SourceCluster || (p.written != nil && slices.Equal(p.written, u.Masters)) {
		return Update{}, false
	}
	err := writeFile(p.path, document{Updated: now.UTC(), Seed: p.seed, Masters: u.Masters})
	if err == nil {
		p.written, p.failing = u.Masters, false
		return Update{}, false
	}
	if p.failing {
		return Update{}, false
	}
	p.failing = true
	return Update{Masters: u.Masters, Source: u.Source, Event: EventPersistFailed,
		Reason: fmt.Sprintf("%v; still using the %d masters from the cluster, but a restart before the API answers will use the older list", err, len(u.Masters))}, true
}

// errRelist: the watch's resource version expired; list again at once.
var errRelist = errors.New("resource version expired")

// follow lists and watches the slice until ctx ends, sending what it sees.
func (w *Watcher) follow(ctx context.Context, out chan<- observation) {
	delay := w.o.RetryMin
	for {
		err := w.listAndWatch(ctx, out, &delay)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRelist) {
			continue
		}
		base := delay
		if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
			base = w.o.DeniedRetry
		} else {
			delay = min(2*delay, w.o.RetryMax)
		}
		if !send(ctx, out, observation{err: err, retry: base}) {
			return
		}
		// Up to 20% more, so that many nodes denied or cut off together
		// do not come back together.
		if !w.sleep(ctx, base+time.Duration(rand.Int64N(int64(base)/5+1))) {
			return
		}
	}
}

// listAndWatch lists the slice, then watches it from the list's resource
// version, re-watching when the server ends a watch, until an error. A
// successful list resets the backoff.
func (w *Watcher) listAndWatch(ctx context.Context, out chan<- observation, delay *time.Duration) error {
	api := w.o.Client
	// The field selector is what lets RBAC's resourceNames authorise the
	// list and the watch (see the package documentation).
	sel := fields.OneTermEqualSelector("metadata.name", SliceName).String()
	list, err := api.List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return fmt.Errorf("listing EndpointSlice %s/%s: %w", Namespace, SliceName, err)
	}
	*delay = w.o.RetryMin
	var slice *discoveryv1.EndpointSlice
	for i := range list.Items {
		if list.Items[i].Name == SliceName {
			slice = &list.Items[i]
		}
	}
	if !send(ctx, out, observation{slice: slice}) {
		return ctx.Err()
	}
	rv := list.ResourceVersion
	for {
		started := w.o.Clock.Now()
		timeout := int64((w.o.WatchTimeout + rand.N(w.o.WatchTimeout)) / time.Second)
		wi, err := api.Watch(ctx, metav1.ListOptions{
			FieldSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true, TimeoutSeconds: &timeout,
		})
		if err != nil {
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return errRelist
			}
			return fmt.Errorf("watching EndpointSlice %s/%s: %w", Namespace, SliceName, err)
		}
		rv, err = w.drain(ctx, wi, out, rv)
		wi.Stop()
		if err != nil || ctx.Err() != nil {
			return err
		}
		// A server or proxy that ends every watch at once must not make
		// this a tight loop.
		if w.o.Clock.Since(started) < w.o.RetryMin && !w.sleep(ctx, w.o.RetryMin) {
			return ctx.Err()
		}
	}
}

// drain forwards one watch's events until it ends; it returns the last
// resource version seen.
func (w *Watcher) drain(ctx context.Context, wi watch.Interface, out chan<- observation, rv string) (string, error) {
	for {
		var ev watch.Event
		var open bool
		select {
		case <-ctx.Done():
			return rv, nil
		case ev, open = <-wi.ResultChan():
		}
		if !open {
			return rv, nil
		}
		switch ev.Type {
		case watch.Error:
			err := apierrors.FromObject(ev.Object)
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return rv, errRelist
			}
			return rv, fmt.Errorf("watching EndpointSlice %s/%s: %w", Namespace, SliceName, err)
		case watch.Bookmark:
			if m, err := meta.Accessor(ev.Object); err == nil {
				rv = m.GetResourceVersion()
			}
		case watch.Added, watch.Modified, watch.Deleted:
			slice, ok := ev.Object.(*discoveryv1.EndpointSlice)
			if !ok || slice.Name != SliceName {
				continue
			}
			rv = slice.ResourceVersion
			if ev.Type == watch.Deleted {
				slice = nil
			}
			if !send(ctx, out, observation{slice: slice}) {
				return rv, nil
			}
		}
	}
}

func (w *Watcher) sleep(ctx context.Context, d time.Duration) bool {
	t := w.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

func send(ctx context.Context, out chan<- observation, o observation) bool {
	select {
	case <-ctx.Done():
		return false
	case out <- o:
		return true
	}
}
