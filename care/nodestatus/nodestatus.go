// Package nodestatus shows what a worker's node-local load balancer sees
// where operators look: a condition on the worker's own Node object
// (`kubectl describe node`) and Events about it. It needs only what a node's
// own credentials allow: patching its own Node's status (Node authorizer and
// NodeRestriction) and creating Events. The kubelet merges conditions by
// type when it updates the status, so a condition of another type — ours —
// survives its updates, as Node Problem Detector's do.
package nodestatus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/sealkube/kubeadm/internal/kubeclient"
)

// ConditionType is the Node condition the care daemon keeps.
const ConditionType corev1.NodeConditionType = "ControlPlaneReachable"

// Reasons of the condition.
const (
	// ReasonAllHealthy: every master listed passes its probe.
	ReasonAllHealthy = "AllMastersHealthy"
	// ReasonSomeUnhealthy: at least one passes, at least one does not.
	ReasonSomeUnhealthy = "SomeMastersUnhealthy"
	// ReasonFailOpen: none passes; all are kept (status False).
	ReasonFailOpen = "NoMasterHealthy"
)

// Event reasons, one per kind of change.
const (
	EventMasterAdded    = "MasterAdded"
	EventMasterDrained  = "MasterDrained"
	EventMasterRemoved  = "MasterRemoved"
	EventMasterRetired  = "MasterLeftCluster"
	EventMasterListed   = "MasterJoinedCluster"
	EventFailOpen       = "ControlPlaneUnreachable"
	EventFailOpenEnded  = "ControlPlaneReachable"
	eventSourceLvscare  = "lvscare"
	eventNamespace      = metav1.NamespaceDefault
	maxMessageServerLen = 12
)

// Server is one real server as the daemon sees it.
type Server struct {
	Addr netip.AddrPort
	// Phase is active, draining or removed.
	Phase string
	// Healthy: its last probe passed.
	Healthy bool
	// Retired: the cluster no longer lists it.
	Retired bool
}

// Snapshot is what the condition says.
type Snapshot struct {
	VIP netip.AddrPort
	// Source is where the master list came from: flags, file or cluster.
	Source   string
	Servers  []Server
	FailOpen bool
}

// Condition renders s as the Node condition (times left to the caller).
func Condition(s Snapshot) corev1.NodeCondition {
	listed, healthy := 0, 0
	var parts []string
	for _, rs := range s.Servers {
		if rs.Retired {
			if rs.Phase != "removed" {
				parts = append(parts, fmt.Sprintf("%s %s (left the cluster)", rs.Addr, rs.Phase))
			}
			continue
		}
		listed++
		if rs.Healthy && rs.Phase == "active" {
			healthy++
		}
		parts = append(parts, fmt.Sprintf("%s %s", rs.Addr, rs.Phase))
	}
	if len(parts) > maxMessageServerLen {
		parts = append(parts[:maxMessageServerLen], fmt.Sprintf("and %d more", len(parts)-maxMessageServerLen))
	}
	c := corev1.NodeCondition{Type: ConditionType, Status: corev1.ConditionTrue}
	switch {
	case s.FailOpen || healthy == 0:
		c.Status, c.Reason = corev1.ConditionFalse, ReasonFailOpen
	case healthy < listed:
		c.Reason = ReasonSomeUnhealthy
	default:
		c.Reason = ReasonAllHealthy
	}
	src := s.Source
	if src == "" {
		src = "flags"
	}
	c.Message = fmt.Sprintf("%d/%d masters healthy behind the node-local load balancer %s (list from %s)", healthy, listed, s.VIP, src)
	if s.FailOpen {
		c.Message += "; none passes its probe, so all are kept (fail open)"
	}
	if len(parts) > 0 {
		c.Message += ": " + strings.Join(parts, ", ")
	}
	return c
}

// Reporter keeps the condition on one Node and sends Events about it.
// Report and Event may be called from the daemon's loop; neither blocks it
// for long (the caller bounds ctx) and a failure is returned for the
// caller to log and retry: the API may be unreachable exactly when the
// condition matters most, and the next change or retry writes it again.
type Reporter struct {
	client API
	node   string
	now    func() time.Time

	mu sync.Mutex
	// last is the condition last written (status, reason, message), and
	// since when its status holds (lastTransitionTime).
	last  *corev1.NodeCondition
	since metav1.Time
}

// API is what the Reporter asks of the apiserver.
type API interface {
	GetNode(ctx context.Context, name string) (*corev1.Node, error)
	// PatchNodeStatus applies a strategic merge patch to the node's status.
	PatchNodeStatus(ctx context.Context, name string, patch []byte) error
	CreateEvent(ctx context.Context, ev *corev1.Event) error
}

// NewRESTAPI is the API over a REST client that knows only core/v1: the
// daemon runs on every node, and client-go's typed clientset would link
// every API group into it (about 10 MB more).
func NewRESTAPI(cfg *rest.Config) (API, error) {
	rc, _, err := kubeclient.For(cfg, corev1.SchemeGroupVersion, "/api", corev1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return restAPI{rc}, nil
}

type restAPI struct{ c rest.Interface }

func (r restAPI) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	n := &corev1.Node{}
	return n, r.c.Get().Resource("nodes").Name(name).Do(ctx).Into(n)
}

func (r restAPI) PatchNodeStatus(ctx context.Context, name string, patch []byte) error {
	return r.c.Patch(types.StrategicMergePatchType).Resource("nodes").Name(name).SubResource("status").Body(patch).Do(ctx).Error()
}

func (r restAPI) CreateEvent(ctx context.Context, ev *corev1.Event) error {
	return r.c.Post().Namespace(ev.Namespace).Resource("events").Body(ev).Do(ctx).Error()
}

// NewReporter reports on node through client. now may be nil (time.Now).
func NewReporter(client API, node string, now func() time.Time) *Reporter {
	if now == nil {
		now = time.Now
	}
	return &Reporter{client: client, node: node, now: now}
}

// Report writes the condition for s when it differs from what was last
// written (or nothing was yet). The transition time moves only when the
// status changes, as for the kubelet's own conditions; on the first call it
// is taken from the Node when the status there is the same, so a daemon
// restart does not reset it.
func (r *Reporter) Report(ctx context.Context, s Snapshot) error {
	c := Condition(s)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last != nil && r.last.Status == c.Status && r.last.Reason == c.Reason && r.last.Message == c.Message {
		return nil
	}
	now := metav1.NewTime(r.now())
	since := now
	switch {
	case r.last != nil && r.last.Status == c.Status:
		since = r.since
	case r.last == nil:
		if old, err := r.current(ctx); err == nil && old != nil && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
			since = old.LastTransitionTime
		}
	}
	c.LastHeartbeatTime, c.LastTransitionTime = now, since
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.NodeCondition{c}}})
	if err != nil {
		return fmt.Errorf("encoding the %s condition: %w", ConditionType, err)
	}
	if err := r.client.PatchNodeStatus(ctx, r.node, patch); err != nil {
		return fmt.Errorf("setting condition %s on node %q: %w", ConditionType, r.node, explain(err))
	}
	r.last, r.since = &c, since
	return nil
}

func (r *Reporter) current(ctx context.Context) (*corev1.NodeCondition, error) {
	n, err := r.client.GetNode(ctx, r.node)
	if err != nil {
		return nil, err
	}
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == ConditionType {
			return &n.Status.Conditions[i], nil
		}
	}
	return nil, nil
}

// Event records one change on the Node: warning true for the changes an
// operator should look at (a master drained or removed, fail open).
func (r *Reporter) Event(ctx context.Context, warning bool, reason, message string) error {
	now := metav1.NewTime(r.now())
	typ := corev1.EventTypeNormal
	if warning {
		typ = corev1.EventTypeWarning
	}
	ev := &corev1.Event{
		// Named as client-go's recorder names them: unique per node and time.
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", r.node, now.UnixNano()), Namespace: eventNamespace},
		// The kubelet refers to its Node with the node's name as UID;
		// doing the same puts our Events beside its own in describe.
		InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: r.node, UID: types.UID(r.node)},
		Reason:         reason,
		Message:        message,
		Source:         corev1.EventSource{Component: eventSourceLvscare, Host: r.node},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
		Type:           typ,
	}
	if err := r.client.CreateEvent(ctx, ev); err != nil {
		return fmt.Errorf("recording event %s on node %q: %w", reason, r.node, explain(err))
	}
	return nil
}

// explain adds what to do to the API errors a cluster's setup causes.
func explain(err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w (the daemon uses the node's own credentials, /etc/kubernetes/kubelet.conf: they must belong to this node, system:node:<name>)", err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%w (the node is not registered yet, or the daemon's --node-name is not this node's name)", err)
	}
	return err
}
