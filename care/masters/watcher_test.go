package masters

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// apiFake is the API as the Watcher sees it: client-go's fake clientset with
// reactors that answer each list with list() and each watch with a fresh
// FakeWatcher the test drives.
type apiFake struct {
	client *fake.Clientset

	mu      sync.Mutex
	list    func() (*discoveryv1.EndpointSliceList, error)
	lists   []clienttesting.ListActionImpl
	watches []clienttesting.WatchActionImpl
	current *watch.FakeWatcher
}

func newAPIFake(list func() (*discoveryv1.EndpointSliceList, error)) *apiFake {
	a := &apiFake{client: fake.NewClientset(), list: list}
	a.client.PrependReactor("list", "endpointslices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.lists = append(a.lists, action.(clienttesting.ListActionImpl))
		l, err := a.list()
		if err != nil {
			return true, nil, err // not a typed nil: the fake lister would use it
		}
		return true, l, nil
	})
	a.client.PrependWatchReactor("endpointslices", func(action clienttesting.Action) (bool, watch.Interface, error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.watches = append(a.watches, action.(clienttesting.WatchActionImpl))
		a.current = watch.NewFake()
		return true, a.current, nil
	})
	return a
}

func (a *apiFake) setList(list func() (*discoveryv1.EndpointSliceList, error)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = list
}

func (a *apiFake) counts() (lists, watches int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.lists), len(a.watches)
}

// watcher waits for the n-th watch and returns it.
func (a *apiFake) watcher(t *testing.T, n int) *watch.FakeWatcher {
	t.Helper()
	eventually(t, "watch number "+string(rune('0'+n)), func() bool { _, w := a.counts(); return w >= n })
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.current
}

func listOf(rv string, slices ...*discoveryv1.EndpointSlice) func() (*discoveryv1.EndpointSliceList, error) {
	return func() (*discoveryv1.EndpointSliceList, error) {
		l := &discoveryv1.EndpointSliceList{ListMeta: metav1.ListMeta{ResourceVersion: rv}}
		for _, s := range slices {
			l.Items = append(l.Items, *s)
		}
		return l, nil
	}
}

func failing(err error) func() (*discoveryv1.EndpointSliceList, error) {
	return func() (*discoveryv1.EndpointSliceList, error) { return nil, err }
}

// run starts a Watcher and returns its updates; the test's end stops it and
// waits for it.
func run(t *testing.T, o Options) <-chan Update {
	t.Helper()
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	updates := make(chan Update, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func(u Update) { updates <- u })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return updates
}

func next(t *testing.T, updates <-chan Update, want Event, wantSource Source, wantMasters ...string) Update {
	t.Helper()
	select {
	case u := <-updates:
		if u.Event != want || u.Source != wantSource || !slices.Equal(u.Masters, aps(wantMasters...)) {
			t.Fatalf("got %s %s %v (%s), want %s %s %v", u.Event, u.Source, u.Masters, u.Reason, want, wantSource, wantMasters)
		}
		return u
	case <-time.After(10 * time.Second):
		t.Fatalf("no update; want %s %s %v", want, wantSource, wantMasters)
	}
	return Update{}
}

func noUpdate(t *testing.T, updates <-chan Update) {
	t.Helper()
	select {
	case u := <-updates:
		t.Fatalf("unexpected update %s %s %v (%s)", u.Event, u.Source, u.Masters, u.Reason)
	default:
	}
}

// The list and the watch ask for the one object by name: the only form
// RBAC's resourceNames can authorise (TestSliceClientOnTheWire checks the
// namespace and the query on the wire). The watch continues from the list's
// resource version and asks for bookmarks.
func TestRunListsAndWatchesByName(t *testing.T) {
	a := newAPIFake(listOf("42", readySlice(mA, mB)))
	updates := run(t, Options{Seed: aps(mA), Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: newFakeClock()})
	next(t, updates, EventStart, SourceFlags, mA)
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	a.watcher(t, 1)

	a.mu.Lock()
	defer a.mu.Unlock()
	l, w := a.lists[0], a.watches[0]
	for what, r := range map[string]struct {
		fields, labels string
	}{
		"list":  {l.ListRestrictions.Fields.String(), l.ListRestrictions.Labels.String()},
		"watch": {w.WatchRestrictions.Fields.String(), w.WatchRestrictions.Labels.String()},
	} {
		if r.fields != "metadata.name=kubernetes" || r.labels != "" {
			t.Errorf("%s: field selector %q, label selector %q; want metadata.name=kubernetes and none", what, r.fields, r.labels)
		}
	}
	if l.GetResource().Resource != "endpointslices" || l.GetResource().Group != "discovery.k8s.io" {
		t.Errorf("listed %v, want discovery.k8s.io endpointslices", l.GetResource())
	}
	if w.WatchRestrictions.ResourceVersion != "42" || !w.ListOptions.AllowWatchBookmarks {
		t.Errorf("watch from resource version %q with bookmarks %v; want 42 and true", w.WatchRestrictions.ResourceVersion, w.ListOptions.AllowWatchBookmarks)
	}
	if ts := w.ListOptions.TimeoutSeconds; ts == nil || *ts < 300 || *ts >= 600 {
		t.Errorf("watch timeout %v, want 300..599 s", ts)
	}
}

// Forbidden (no RBAC) is said once, the seed stays in use, and the API is
// asked again only after DeniedRetry, not in a loop.
func TestRunDeniedOnceThenRarely(t *testing.T) {
	clk := newFakeClock()
	a := newAPIFake(failing(forbidden))
	updates := run(t, Options{Seed: aps(mA), Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: clk, DeniedRetry: time.Minute})
	next(t, updates, EventStart, SourceFlags, mA)
	u := next(t, updates, EventDenied, SourceFlags, mA)
	if !strings.Contains(u.Reason, RBACName) || !strings.Contains(u.Reason, "asking again in 1m0s") {
		t.Fatalf("reason %q does not name the missing RBAC and the retry", u.Reason)
	}
	eventually(t, "the watcher to sleep", func() bool { return len(clk.Waiting()) == 1 })
	if d := clk.Waiting()[0]; d < time.Minute || d > time.Minute*6/5 {
		t.Fatalf("retry in %v, want 1m..1m12s", d)
	}
	clk.Step(50 * time.Second)
	if l, _ := a.counts(); l != 1 {
		t.Fatalf("%d lists before the retry time, want 1", l)
	}
	clk.Step(30 * time.Second)
	eventually(t, "the second list", func() bool { l, _ := a.counts(); return l == 2 })
	eventually(t, "the watcher to sleep again", func() bool { return len(clk.Waiting()) == 1 })
	// Nothing was said about the second denial: the next update is the
	// cluster's answer once the RBAC exists.
	a.setList(listOf("7", readySlice(mB)))
	clk.Step(2 * time.Minute)
	next(t, updates, EventLearnt, SourceCluster, mB)
	noUpdate(t, updates)
}

// Other errors back off exponentially up to RetryMax.
func TestRunUnreachableBacksOff(t *testing.T) {
	clk := newFakeClock()
	a := newAPIFake(failing(apierrors.NewServiceUnavailable("no apiserver")))
	updates := run(t, Options{Seed: aps(mA), Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: clk, RetryMin: time.Second, RetryMax: 4 * time.Second})
	next(t, updates, EventStart, SourceFlags, mA)
	next(t, updates, EventUnreachable, SourceFlags, mA)
	var delays []time.Duration
	for i := range 5 {
		eventually(t, "the watcher to sleep", func() bool { return len(clk.Waiting()) == 1 })
		d := clk.Waiting()[0]
		delays = append(delays, d)
		clk.Step(d)
		eventually(t, "the next list", func() bool { l, _ := a.counts(); return l == i+2 })
	}
	for i, want := range []time.Duration{1, 2, 4, 4, 4} {
		if d := delays[i]; d < want*time.Second || d > want*time.Second*6/5 {
			t.Fatalf("delays %v: #%d is %v, want %v s plus at most 20%%", delays, i, d, want)
		}
	}
	noUpdate(t, updates)
}

// The debounce runs on the injected clock: an added master is used only
// once the clock has moved by Debounce; a removed one leaves at once.
func TestRunDebounce(t *testing.T) {
	clk := newFakeClock()
	a := newAPIFake(listOf("1", readySlice(mA, mB)))
	updates := run(t, Options{Seed: aps(mA, mB), Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: clk, Debounce: 2 * time.Second})
	next(t, updates, EventStart, SourceFlags, mA, mB)
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	w := a.watcher(t, 1)

	w.Modify(readySlice(mA, mB, mC))
	eventually(t, "the debounce timer", func() bool { return len(clk.Waiting()) == 1 })
	if d := clk.Waiting()[0]; d != 2*time.Second {
		t.Fatalf("debounce timer in %v, want 2s", d)
	}
	noUpdate(t, updates)
	clk.Step(1999 * time.Millisecond)
	noUpdate(t, updates)
	clk.Step(time.Millisecond)
	next(t, updates, EventLearnt, SourceCluster, mA, mB, mC)

	w.Modify(readySlice(mA, mC))
	next(t, updates, EventLearnt, SourceCluster, mA, mC)
	w.Delete(readySlice(mA, mC))
	u := next(t, updates, EventKept, SourceCluster, mA, mC)
	if !strings.Contains(u.Reason, "has no EndpointSlice") {
		t.Fatalf("reason %q", u.Reason)
	}
}

// A stale file is used at start, replaced (and rewritten) by the cluster's
// first answer; an empty slice later changes neither the list nor the file.
func TestRunPersists(t *testing.T) {
	clk := newFakeClock()
	p := filepath.Join(t.TempDir(), "masters.json")
	if err := writeFile(p, document{Updated: clk.Now().Add(-time.Hour), Seed: aps(mA), Masters: aps(mC, mD)}); err != nil {
		t.Fatal(err)
	}
	a := newAPIFake(listOf("1", readySlice(mA, mB)))
	updates := run(t, Options{Seed: aps(mA), File: p, Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: clk})
	next(t, updates, EventStart, SourceFile, mC, mD)
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	w := a.watcher(t, 1)
	// The Update goes out before the write, so that the load balancer
	// does not wait for an fsync.
	var d document
	var err error
	eventually(t, "the file to be rewritten", func() bool {
		d, err = readFile(p)
		return err == nil && slices.Equal(d.Masters, aps(mA, mB))
	})
	if !d.Updated.Equal(clk.Now()) || !slices.Equal(d.Seed, aps(mA)) {
		t.Fatalf("file after the cluster answered: %+v; want it learnt now with seed %v", d, aps(mA))
	}
	before, _ := os.ReadFile(p)
	w.Modify(readySlice())
	next(t, updates, EventKept, SourceCluster, mA, mB)
	// Updates are handled one at a time: once the next one is out, any
	// write for the Kept one would be done.
	w.Modify(readySlice(mA, mB))
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Fatalf("an empty slice rewrote the file:\n%s", after)
	}
}

// A failed write is said once; the cluster's list is used anyway.
func TestRunPersistFailure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no-such-dir", "masters.json")
	a := newAPIFake(listOf("1", readySlice(mA)))
	updates := run(t, Options{Seed: aps(mA), File: p, Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: newFakeClock(), Debounce: -1})
	next(t, updates, EventStart, SourceFlags, mA)
	next(t, updates, EventLearnt, SourceCluster, mA)
	u := next(t, updates, EventPersistFailed, SourceCluster, mA)
	if !strings.Contains(u.Reason, p) {
		t.Fatalf("reason %q does not name the file", u.Reason)
	}
	w := a.watcher(t, 1)
	w.Modify(readySlice(mA, mB))
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	w.Modify(readySlice(mB))
	next(t, updates, EventLearnt, SourceCluster, mB)
	noUpdate(t, updates)
}

// An expired resource version makes the Watcher list again at once, without
// backoff; a watch the server ends is resumed from the last version seen.
func TestRunRewatchAndRelist(t *testing.T) {
	clk := newFakeClock()
	a := newAPIFake(listOf("1", readySlice(mA)))
	updates := run(t, Options{Seed: aps(mA), Client: a.client.DiscoveryV1().EndpointSlices(Namespace), Clock: clk, RetryMin: time.Second})
	next(t, updates, EventStart, SourceFlags, mA)
	next(t, updates, EventLearnt, SourceCluster, mA)
	w := a.watcher(t, 1)
	s := readySlice(mA)
	s.ResourceVersion = "5"
	w.Modify(s)
	w.Action(watch.Bookmark, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "9"}})
	w.Stop()
	// The watch ended at once: the Watcher waits RetryMin before the next.
	eventually(t, "the pause before re-watching", func() bool { return len(clk.Waiting()) == 1 })
	clk.Step(time.Second)
	w = a.watcher(t, 2)
	a.mu.Lock()
	rv := a.watches[1].WatchRestrictions.ResourceVersion
	a.mu.Unlock()
	if rv != "9" {
		t.Fatalf("re-watch from %q, want the bookmark's 9", rv)
	}
	w.Error(&apierrors.NewResourceExpired("too old resource version: 9").ErrStatus)
	eventually(t, "the relist", func() bool { l, _ := a.counts(); return l == 2 })
	a.watcher(t, 3)
	noUpdate(t, updates)
}

func TestRunWithoutClient(t *testing.T) {
	updates := run(t, Options{Seed: aps(mB, mA)})
	next(t, updates, EventStart, SourceFlags, mA, mB)
	noUpdate(t, updates)
}

func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"no seed", Options{}, "no valid seed master"},
		{"seed without port", Options{Seed: aps("10.0.0.1:0")}, "no valid seed master"},
		{"max below min", Options{Seed: aps(mA), RetryMin: time.Minute, RetryMax: time.Second}, "RetryMax 1s"},
		{"short watch", Options{Seed: aps(mA), WatchTimeout: time.Millisecond}, "WatchTimeout >= 1s"},
		{"defaults", Options{Seed: aps(mA)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := New(c.o)
			if c.wantErr == "" {
				if err != nil || w.o.Debounce != DefaultDebounce || w.o.DeniedRetry != DefaultDeniedRetry || w.o.Clock == nil {
					t.Fatalf("New = %+v, %v; want the defaults", w, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}
