package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// nodeWatch records what the kubelet's own long-lived connection achieves:
// every renewal of the node's Lease (kube-node-lease/<node>, renewTime as
// the kubelet wrote it) and the node's Ready condition. Each poll asks every
// master at once, each through its own client: one frozen or cut-off master
// must not blind the observer (it would miss renewals and report the
// kubelet's gaps longer than they were).
type nodeWatch struct {
	clients []*kubernetes.Clientset
	node    string
	cancel  context.CancelFunc
	done    chan struct{}

	mu       sync.Mutex
	renewals []time.Time // distinct renewTimes, ascending
	notReady []time.Time // polls that saw Ready != True
	polls    int
	pollErrs int // polls that no master answered
}

func startNodeWatch(clients []*kubernetes.Clientset, node string, every time.Duration) *nodeWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &nodeWatch{clients: clients, node: node, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			w.poll(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// leaseAnswer is what one master said in one poll.
type leaseAnswer struct {
	err     error
	renew   time.Time // zero: the Lease has no renewTime
	readyOK bool      // the node's Ready condition is True
}

func (w *nodeWatch) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	answers := make([]leaseAnswer, len(w.clients))
	var wg sync.WaitGroup
	for i, cs := range w.clients {
		wg.Go(func() {
			lease, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, w.node, metav1.GetOptions{})
			if err != nil {
				answers[i].err = err
				return
			}
			node, err := cs.CoreV1().Nodes().Get(ctx, w.node, metav1.GetOptions{})
			if err != nil {
				answers[i].err = err
				return
			}
			if rt := lease.Spec.RenewTime; rt != nil {
				answers[i].renew = rt.Time
			}
			answers[i].readyOK = nodeReady(node)
		})
	}
	wg.Wait()
	renew, answered, notReady := combineLeaseAnswers(answers)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.polls++
	if !answered {
		w.pollErrs++
		return
	}
	if n := len(w.renewals); !renew.IsZero() && (n == 0 || renew.After(w.renewals[n-1])) {
		w.renewals = append(w.renewals, renew)
	}
	if notReady {
		w.notReady = append(w.notReady, now)
	}
}

// combineLeaseAnswers merges one poll's answers: the newest renewTime any
// master returned (a master's watch cache may lag the others), whether any
// answered at all, and "not Ready" only when every master that answered
// says so (so a lagging cache cannot invent a NotReady node).
func combineLeaseAnswers(answers []leaseAnswer) (renew time.Time, answered, notReady bool) {
	notReady = true
	for _, a := range answers {
		if a.err != nil {
			continue
		}
		answered = true
		if a.renew.After(renew) {
			renew = a.renew
		}
		if a.readyOK {
			notReady = false
		}
	}
	return renew, answered, answered && notReady
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (w *nodeWatch) stop() {
	w.cancel()
	<-w.done
}

// longestGap is the longest time between two consecutive renewals that
// overlaps [from, to]; an interval still open at the last renewal counts up
// to the end of the observation (the last poll).
func (w *nodeWatch) longestGap(from, to time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return longestGap(w.renewals, from, to)
}

func longestGap(renewals []time.Time, from, to time.Time) time.Duration {
	var g time.Duration
	for i := 1; i < len(renewals); i++ {
		a, b := renewals[i-1], renewals[i]
		if b.Before(from) || a.After(to) {
			continue
		}
		g = max(g, b.Sub(a))
	}
	if n := len(renewals); n > 0 && renewals[n-1].Before(to) {
		g = max(g, to.Sub(renewals[n-1]))
	}
	return g
}

// notReadyIn lists the polls in [from, to] that saw the node not Ready.
func (w *nodeWatch) notReadyIn(from, to time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := sort.Search(len(w.notReady), func(i int) bool { return !w.notReady[i].Before(from) })
	n := 0
	for ; i < len(w.notReady) && !w.notReady[i].After(to); i++ {
		n++
	}
	return n
}

func (w *nodeWatch) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var gaps []time.Duration
	for i := 1; i < len(w.renewals); i++ {
		gaps = append(gaps, w.renewals[i].Sub(w.renewals[i-1]))
	}
	return fmt.Sprintf("%d renewals, gap p50 %s, max %s; %d/%d polls saw the node not Ready; %d polls failed",
		len(w.renewals), percentile(gaps, 50).Round(10*time.Millisecond), percentile(gaps, 100).Round(10*time.Millisecond),
		len(w.notReady), w.polls, w.pollErrs)
}
