package nodestatus

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

var (
	vip = netip.MustParseAddrPort("10.103.97.2:6443")
	m0  = netip.MustParseAddrPort("10.103.97.200:6443")
	m1  = netip.MustParseAddrPort("10.103.97.201:6443")
	m2  = netip.MustParseAddrPort("10.103.97.202:6443")
)

func TestCondition(t *testing.T) {
	tests := []struct {
		name       string
		s          Snapshot
		status     corev1.ConditionStatus
		reason     string
		msgContain []string
		msgLacks   []string
	}{
		{"all healthy", Snapshot{VIP: vip, Source: "cluster", Servers: []Server{{m0, "active", true, false}, {m1, "active", true, false}}},
			corev1.ConditionTrue, ReasonAllHealthy, []string{"2/2 masters healthy", "10.103.97.2:6443", "list from cluster", "10.103.97.200:6443 active"}, nil},
		{"one draining", Snapshot{VIP: vip, Servers: []Server{{m0, "active", true, false}, {m1, "draining", false, false}, {m2, "active", true, false}}},
			corev1.ConditionTrue, ReasonSomeUnhealthy, []string{"2/3 masters healthy", "list from flags", "10.103.97.201:6443 draining"}, nil},
		{"fail open", Snapshot{VIP: vip, Source: "file", FailOpen: true, Servers: []Server{{m0, "removed", false, false}, {m1, "removed", false, false}}},
			corev1.ConditionFalse, ReasonFailOpen, []string{"0/2 masters healthy", "fail open", "list from file"}, nil},
		{"a retired master is not counted; gone once removed", Snapshot{VIP: vip, Source: "cluster", Servers: []Server{{m0, "active", true, false}, {m1, "draining", true, true}, {m2, "removed", false, true}}},
			corev1.ConditionTrue, ReasonAllHealthy, []string{"1/1 masters healthy", "10.103.97.201:6443 draining (left the cluster)"}, []string{"10.103.97.202"}},
		{"an active master whose last probe failed is not healthy", Snapshot{VIP: vip, Servers: []Server{{m0, "active", false, false}, {m1, "active", true, false}}},
			corev1.ConditionTrue, ReasonSomeUnhealthy, []string{"1/2 masters healthy"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Condition(tc.s)
			if c.Type != ConditionType || c.Status != tc.status || c.Reason != tc.reason {
				t.Errorf("condition %s %s %s, want %s %s %s", c.Type, c.Status, c.Reason, ConditionType, tc.status, tc.reason)
			}
			for _, want := range tc.msgContain {
				if !strings.Contains(c.Message, want) {
					t.Errorf("message %q lacks %q", c.Message, want)
				}
			}
			for _, not := range tc.msgLacks {
				if strings.Contains(c.Message, not) {
					t.Errorf("message %q names %q", c.Message, not)
				}
			}
		})
	}
}

// clientsetAPI adapts client-go's fake clientset to API.
type clientsetAPI struct{ c *fake.Clientset }

func (a clientsetAPI) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	return a.c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
}

func (a clientsetAPI) PatchNodeStatus(ctx context.Context, name string, patch []byte) error {
	_, err := a.c.CoreV1().Nodes().PatchStatus(ctx, name, patch)
	return err
}

func (a clientsetAPI) CreateEvent(ctx context.Context, ev *corev1.Event) error {
	_, err := a.c.CoreV1().Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	return err
}

func node(conds ...corev1.NodeCondition) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w"}, Status: corev1.NodeStatus{Conditions: conds}}
}

func conditionOf(t *testing.T, c *fake.Clientset, typ corev1.NodeConditionType) *corev1.NodeCondition {
	t.Helper()
	n, err := c.CoreV1().Nodes().Get(context.Background(), "w", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == typ {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

func patches(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "patch" && a.GetSubresource() == "status" {
			n++
		}
	}
	return n
}

func TestReporter(t *testing.T) {
	ctx := context.Background()
	earlier := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}
	// The node already carries our condition, True since earlier (a
	// daemon restart), and the kubelet's Ready.
	ours := corev1.NodeCondition{Type: ConditionType, Status: corev1.ConditionTrue, Reason: ReasonAllHealthy, LastTransitionTime: earlier}
	c := fake.NewClientset(node(ready, ours))
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	r := NewReporter(clientsetAPI{c}, "w", func() time.Time { return clock })

	healthy := Snapshot{VIP: vip, Source: "cluster", Servers: []Server{{m0, "active", true, false}, {m1, "active", true, false}}}
	if err := r.Report(ctx, healthy); err != nil {
		t.Fatal(err)
	}
	got := conditionOf(t, c, ConditionType)
	if got == nil || got.Status != corev1.ConditionTrue || !got.LastTransitionTime.Equal(&earlier) {
		t.Fatalf("after a restart with the same status: %+v, want True since %v", got, earlier)
	}
	if k := conditionOf(t, c, corev1.NodeReady); k == nil || k.Reason != "KubeletReady" {
		t.Fatalf("the kubelet's Ready condition was lost: %+v", k)
	}

	// The same again: nothing written.
	before := patches(c)
	if err := r.Report(ctx, healthy); err != nil {
		t.Fatal(err)
	}
	if patches(c) != before {
		t.Errorf("an unchanged snapshot was patched again")
	}

	// Same status, new message: written, transition time kept.
	clock = clock.Add(time.Minute)
	degraded := Snapshot{VIP: vip, Source: "cluster", Servers: []Server{{m0, "active", true, false}, {m1, "draining", false, false}}}
	if err := r.Report(ctx, degraded); err != nil {
		t.Fatal(err)
	}
	got = conditionOf(t, c, ConditionType)
	if got.Reason != ReasonSomeUnhealthy || !got.LastTransitionTime.Equal(&earlier) || !got.LastHeartbeatTime.Time.Equal(clock) {
		t.Errorf("degraded: %+v, want %s, transition %v, heartbeat %v", got, ReasonSomeUnhealthy, earlier, clock)
	}

	// Status change: the transition time moves.
	clock = clock.Add(time.Minute)
	down := Snapshot{VIP: vip, Source: "cluster", FailOpen: true, Servers: []Server{{m0, "active", false, false}, {m1, "active", false, false}}}
	if err := r.Report(ctx, down); err != nil {
		t.Fatal(err)
	}
	got = conditionOf(t, c, ConditionType)
	if got.Status != corev1.ConditionFalse || !got.LastTransitionTime.Time.Equal(clock) {
		t.Errorf("fail open: %+v, want False since %v", got, clock)
	}
}

func TestReporterErrorsSayWhatToDo(t *testing.T) {
	c := fake.NewClientset(node())
	c.PrependReactor("patch", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "w", nil)
	})
	r := NewReporter(clientsetAPI{c}, "w", nil)
	err := r.Report(context.Background(), Snapshot{VIP: vip, Servers: []Server{{m0, "active", true, false}}})
	if err == nil || !strings.Contains(err.Error(), `node "w"`) || !strings.Contains(err.Error(), "kubelet.conf") {
		t.Fatalf("forbidden patch: %v, want the node and the credentials named", err)
	}
	// A failed write is retried by the next Report, not remembered as done.
	c.ReactionChain = c.ReactionChain[1:]
	if err := r.Report(context.Background(), Snapshot{VIP: vip, Servers: []Server{{m0, "active", true, false}}}); err != nil {
		t.Fatal(err)
	}
	if conditionOf(t, c, ConditionType) == nil {
		t.Fatal("the retry did not write the condition")
	}
}

func TestEvent(t *testing.T) {
	c := fake.NewClientset(node())
	r := NewReporter(clientsetAPI{c}, "w", nil)
	if err := r.Event(context.Background(), true, EventMasterDrained, "master 10.103.97.201:6443 drained"); err != nil {
		t.Fatal(err)
	}
	evs, err := c.CoreV1().Events(metav1.NamespaceDefault).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs.Items) != 1 {
		t.Fatalf("%d events, want 1", len(evs.Items))
	}
	e := evs.Items[0]
	if e.InvolvedObject.Kind != "Node" || e.InvolvedObject.Name != "w" || e.Type != corev1.EventTypeWarning || e.Reason != EventMasterDrained || e.Source.Component != "lvscare" {
		t.Errorf("event %+v", e)
	}
}

// TestRESTAPIOnTheWire: the requests the daemon's own client sends are the
// ones the Node authorizer allows a node: its Node's status, Events.
func TestRESTAPIOnTheWire(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet:
			fmt.Fprint(w, `{"kind":"Node","apiVersion":"v1","metadata":{"name":"w"}}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	defer srv.Close()
	api, err := NewRESTAPI(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReporter(api, "w", nil)
	ctx := context.Background()
	if err := r.Report(ctx, Snapshot{VIP: vip, Servers: []Server{{m0, "active", true, false}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Event(ctx, false, EventMasterAdded, "added"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/nodes/w ",
		"PATCH /api/v1/nodes/w/status application/strategic-merge-patch+json",
		"POST /api/v1/namespaces/default/events application/json",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("requests\n%q\nwant\n%q", seen, want)
	}
}
