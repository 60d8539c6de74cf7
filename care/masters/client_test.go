package masters

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// apiServer is a loopback HTTP server speaking the part of the API the
// Watcher uses, to check what goes on the wire: that is what the
// apiserver's authorizer sees.
type apiServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []*url.URL
	status   int                        // non-zero: answer every request with this Status
	list     *discoveryv1.EndpointSlice // the slice listed
	events   chan string                // watch events, as JSON lines
}

func newAPIServer(t *testing.T, list *discoveryv1.EndpointSlice) *apiServer {
	a := &apiServer{list: list, events: make(chan string, 10)}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func typed(s *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	s = s.DeepCopy()
	s.TypeMeta = metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"}
	return s
}

func (a *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r.URL)
	status, list := a.status, a.list
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(metav1.Status{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Status: metav1.StatusFailure, Code: int32(status),
			Reason:  metav1.StatusReasonForbidden,
			Message: `endpointslices.discovery.k8s.io is forbidden: User "system:node:w1" cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "default"`,
		})
		return
	}
	if r.URL.Query().Get("watch") != "true" {
		l := discoveryv1.EndpointSliceList{
			TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSliceList"},
			ListMeta: metav1.ListMeta{ResourceVersion: "42"},
			Items:    []discoveryv1.EndpointSlice{*typed(list)},
		}
		json.NewEncoder(w).Encode(l)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-a.events:
			fmt.Fprintln(w, ev)
			w.(http.Flusher).Flush()
		}
	}
}

func (a *apiServer) send(t *testing.T, typ string, s *discoveryv1.EndpointSlice) {
	obj, err := json.Marshal(typed(s))
	if err != nil {
		t.Fatal(err)
	}
	a.events <- fmt.Sprintf(`{"type":%q,"object":%s}`, typ, obj)
}

func (a *apiServer) urls() []*url.URL {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*url.URL(nil), a.requests...)
}

// On the wire, the list and the watch name the one object with the field
// selector, in namespace default: what RBAC's resourceNames can authorise.
func TestSliceClientOnTheWire(t *testing.T) {
	a := newAPIServer(t, readySlice(mA, mB))
	c, err := NewSliceClient(&rest.Config{Host: a.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	updates := run(t, Options{Seed: aps(mA), Client: c, Clock: newFakeClock(), Debounce: -1})
	next(t, updates, EventStart, SourceFlags, mA)
	next(t, updates, EventLearnt, SourceCluster, mA, mB)
	a.send(t, "MODIFIED", readySlice(mA, mB, mC))
	next(t, updates, EventLearnt, SourceCluster, mA, mB, mC)
	a.send(t, "DELETED", readySlice(mA, mB, mC))
	next(t, updates, EventKept, SourceCluster, mA, mB, mC)

	reqs := a.urls()
	if len(reqs) < 2 {
		t.Fatalf("%d requests, want a list and a watch", len(reqs))
	}
	for i, u := range reqs[:2] {
		q := u.Query()
		if u.Path != "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices" || q.Get("fieldSelector") != "metadata.name=kubernetes" || q.Has("labelSelector") {
			t.Errorf("request %d: %s, want the endpointslices of namespace default with fieldSelector=metadata.name=kubernetes", i, u)
		}
	}
	if q := reqs[1].Query(); q.Get("watch") != "true" || q.Get("resourceVersion") != "42" || q.Get("allowWatchBookmarks") != "true" || q.Get("timeoutSeconds") == "" {
		t.Errorf("watch request %s: want watch=true from resourceVersion 42 with bookmarks and a timeout", reqs[1])
	}
}

// A 403 from a real HTTP answer is recognised as a denial.
func TestSliceClientForbidden(t *testing.T) {
	a := newAPIServer(t, readySlice(mA))
	a.status = http.StatusForbidden
	c, err := NewSliceClient(&rest.Config{Host: a.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	updates := run(t, Options{Seed: aps(mA), Client: c, Clock: newFakeClock()})
	next(t, updates, EventStart, SourceFlags, mA)
	u := next(t, updates, EventDenied, SourceFlags, mA)
	if !strings.Contains(u.Reason, `cannot list resource "endpointslices"`) {
		t.Fatalf("reason %q does not carry the API's message", u.Reason)
	}
}
