package masters

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Source says where a list of masters came from.
type Source string

const (
	SourceFlags   Source = "flags"   // the seed, --rs
	SourceFile    Source = "file"    // the list persisted from an earlier run
	SourceCluster Source = "cluster" // the EndpointSlice default/kubernetes
)

// Event says why an Update was sent.
type Event string

const (
	// EventStart: the first Update of a run, from the file or the seed.
	EventStart Event = "Start"
	// EventLearnt: the list is now the cluster's (it or its source changed,
	// or the cluster answers again after an error or an unusable answer).
	EventLearnt Event = "Learnt"
	// EventKept: the cluster's answer held no usable master; the list in
	// use is kept.
	EventKept Event = "Kept"
	// EventDenied: the API answered Forbidden or Unauthorized; the list in
	// use is kept and the API is asked again only every DeniedRetry.
	EventDenied Event = "Denied"
	// EventUnreachable: the API failed otherwise; the list is kept and the
	// request retried with backoff.
	EventUnreachable Event = "Unreachable"
	// EventPersistFailed: the cluster's list could not be written to the
	// file; it is still used.
	EventPersistFailed Event = "PersistFailed"
)

// Update is the list the load balancer should use now. Masters is sorted,
// free of duplicates and never empty.
type Update struct {
	Masters []netip.AddrPort
	Source  Source
	Event   Event
	// Reason is a sentence for the daemon's log and the Node's Events.
	Reason string
}

func (u Update) equal(v Update) bool {
	return u.Source == v.Source && u.Event == v.Event && u.Reason == v.Reason && slices.Equal(u.Masters, v.Masters)
}

// apiState is what the cluster last said.
type apiState int

const (
	apiUnknown apiState = iota // not answered yet
	apiOK                      // a usable list
	apiKept                    // an answer without a usable list
	apiDenied                  // Forbidden / Unauthorized
	apiDown                    // any other error
)

// state is the package's pure logic: what to use given the file, the seed
// and what the cluster says. It does no I/O and reads no clock: every method
// takes the time, so tests drive it with fake time.
type state struct {
	debounce time.Duration

	cur  Update // the list in use and its source
	last Update // the last Update returned, to send each only once

	api     apiState
	apiWhy  string           // the reason of the last Kept, Denied or Unreachable
	latest  []netip.AddrPort // the cluster's last usable list
	pending time.Time        // when latest is used in full; zero: nothing pending
}

// newState picks the starting list: the persisted one if it could be read,
// is valid and was learnt with the same seed; else the seed.
func newState(seed []netip.AddrPort, file string, doc document, docErr error, debounce time.Duration) (*state, Update) {
	s := &state{debounce: debounce}
	seed = normalize(seed)
	u := Update{Masters: seed, Source: SourceFlags, Event: EventStart}
	switch {
	case file == "":
		u.Reason = fmt.Sprintf("using the %d masters from flags %v (no file to persist the list in)", len(seed), seed)
	case errors.Is(docErr, fs.ErrNotExist):
		u.Reason = fmt.Sprintf("using the %d masters from flags %v: no list persisted in %s yet", len(seed), seed, file)
	case docErr != nil:
		u.Reason = fmt.Sprintf("using the %d masters from flags %v: ignoring the persisted list: %v", len(seed), seed, docErr)
	case !slices.Equal(normalize(doc.Seed), seed):
		u.Reason = fmt.Sprintf("using the %d masters from flags %v: ignoring %s, learnt while the flags said %v; "+
			"the flags changed since, so they win until the cluster answers", len(seed), seed, file, normalize(doc.Seed))
	default:
		u.Masters, u.Source = normalize(doc.Masters), SourceFile
		u.Reason = fmt.Sprintf("using the %d masters %v learnt from the cluster at %s, persisted in %s, until the cluster answers",
			len(u.Masters), u.Masters, doc.Updated.UTC().Format(time.RFC3339), file)
	}
	s.cur, s.last = u, u
	return s, u
}

// observe takes the slice the cluster holds now (nil: there is none).
func (s *state) observe(now time.Time, slice *discoveryv1.EndpointSlice) (Update, bool) {
	list, unusable := fromSlice(slice)
	was := s.api
	if len(list) == 0 {
		s.latest, s.pending = nil, time.Time{}
		if was == apiKept && s.apiWhy == unusable {
			return Update{}, false
		}
		s.api, s.apiWhy = apiKept, unusable
		return s.send(EventKept, fmt.Sprintf("%s; keeping the %d masters from %s", unusable, len(s.cur.Masters), s.cur.Source))
	}
	s.api, s.apiWhy = apiOK, ""
	prev := s.latest
	s.latest = list

	if s.cur.Source != SourceCluster || s.debounce <= 0 {
		// The cluster's first word replaces a file or seed list at once: a
		// stale persisted list must not outvote it.
		s.pending = time.Time{}
		why := "the cluster lists"
		if s.cur.Source != SourceCluster {
			why = fmt.Sprintf("the cluster's list replaces the one from %s", s.cur.Source)
		}
		return s.use(list, why, was != apiOK)
	}

	// Removed masters leave at once, unless no master would remain; added
	// ones wait until the list has been stable for the debounce.
	kept := intersect(s.cur.Masters, list)
	if len(kept) == len(list) {
		s.pending = time.Time{}
	} else if s.pending.IsZero() || !slices.Equal(prev, list) {
		s.pending = now.Add(s.debounce)
	}
	if len(kept) == 0 {
		kept = s.cur.Masters
	}
	why := "the cluster lists"
	if !s.pending.IsZero() {
		why = fmt.Sprintf("the cluster lists (adding %v once listed for %v)", minus(list, kept), s.debounce)
	}
	return s.use(kept, why, was != apiOK)
}

// tick uses the pending list once it has been stable for the debounce.
func (s *state) tick(now time.Time) (Update, bool) {
	if s.pending.IsZero() || now.Before(s.pending) {
		return Update{}, false
	}
	s.pending = time.Time{}
	return s.use(s.latest, fmt.Sprintf("listed for %v, the cluster's list is used in full", s.debounce), false)
}

// next is when tick has something to do; zero: never.
func (s *state) next() time.Time { return s.pending }

// failed takes an error from the API. retry is when the API is asked again.
func (s *state) failed(err error, retry time.Duration) (Update, bool) {
	st, ev := apiDown, EventUnreachable
	var why string
	switch {
	case apierrors.IsForbidden(err):
		st, ev = apiDenied, EventDenied
		why = fmt.Sprintf("the API refuses this node the EndpointSlice %s/%s (%v): the cluster lacks the Role and RoleBinding %q "+
			"in namespace %s that kubeadm creates for group %s", Namespace, SliceName, err, RBACName, Namespace, NodesGroup)
	case apierrors.IsUnauthorized(err):
		st, ev = apiDenied, EventDenied
		why = fmt.Sprintf("the API does not accept this node's credentials (%v): check the kubeconfig's client certificate", err)
	default:
		why = fmt.Sprintf("cannot read the EndpointSlice %s/%s: %v", Namespace, SliceName, err)
	}
	// A pending addition was seen on a stream that is gone; the next
	// answer decides afresh.
	s.pending = time.Time{}
	if s.api == st {
		return Update{}, false // once per streak, not once per retry
	}
	s.api, s.apiWhy = st, why
	return s.send(ev, fmt.Sprintf("%s; keeping the %d masters from %s; asking again in %v", why, len(s.cur.Masters), s.cur.Source, retry))
}

// use makes list the one in use, from the cluster.
func (s *state) use(list []netip.AddrPort, why string, answersAgain bool) (Update, bool) {
	if s.cur.Source == SourceCluster && slices.Equal(list, s.cur.Masters) && !answersAgain {
		return Update{}, false
	}
	reason := fmt.Sprintf("%s %d masters %v", why, len(list), list)
	if added, removed := minus(list, s.cur.Masters), minus(s.cur.Masters, list); len(added)+len(removed) > 0 {
		reason += fmt.Sprintf(" (added %v, removed %v)", added, removed)
	} else if answersAgain {
		reason += " (unchanged)"
	}
	s.cur = Update{Masters: list, Source: SourceCluster}
	return s.send(EventLearnt, reason)
}

func (s *state) send(ev Event, reason string) (Update, bool) {
	u := Update{Masters: s.cur.Masters, Source: s.cur.Source, Event: ev, Reason: reason}
	if u.equal(s.last) {
		return Update{}, false
	}
	s.last = u
	return u, true
}

// fromSlice returns the slice's ready masters, or why there is none.
func fromSlice(slice *discoveryv1.EndpointSlice) ([]netip.AddrPort, string) {
	name := Namespace + "/" + SliceName
	if slice == nil {
		return nil, fmt.Sprintf("the cluster has no EndpointSlice %s", name)
	}
	if t := slice.AddressType; t != discoveryv1.AddressTypeIPv4 && t != discoveryv1.AddressTypeIPv6 {
		return nil, fmt.Sprintf("the EndpointSlice %s has addressType %q; only IP addresses can be real servers", name, t)
	}
	port, ok := slicePort(slice.Ports)
	if !ok {
		var names []string
		for _, p := range slice.Ports {
			names = append(names, fmt.Sprintf("%q", ptrOr(p.Name, "")))
		}
		return nil, fmt.Sprintf("the EndpointSlice %s has no usable port named %q among its %d ports [%s]",
			name, PortName, len(slice.Ports), strings.Join(names, " "))
	}
	var out []netip.AddrPort
	notReady, bad := 0, 0
	for _, ep := range slice.Endpoints {
		if r := ep.Conditions.Ready; r != nil && !*r {
			notReady++
			continue
		}
		for _, a := range ep.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil || ip.Zone() != "" {
				bad++
				continue
			}
			out = append(out, netip.AddrPortFrom(ip.Unmap(), port))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("the EndpointSlice %s lists no ready endpoint (%d endpoints, %d not ready, %d addresses not IPs)",
			name, len(slice.Endpoints), notReady, bad)
	}
	return normalize(out), ""
}

// slicePort is the port named https, or else the only port.
func slicePort(ports []discoveryv1.EndpointPort) (uint16, bool) {
	valid := func(p discoveryv1.EndpointPort) (uint16, bool) {
		if p.Port == nil || *p.Port < 1 || *p.Port > 65535 {
			return 0, false
		}
		return uint16(*p.Port), true
	}
	for _, p := range ports {
		if ptrOr(p.Name, "") == PortName {
			return valid(p)
		}
	}
	if len(ports) == 1 {
		return valid(ports[0])
	}
	return 0, false
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// normalize returns a sorted copy without duplicates or invalid entries.
func normalize(in []netip.AddrPort) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(in))
	for _, a := range in {
		if a.IsValid() && a.Port() != 0 {
			out = append(out, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
		}
	}
	slices.SortFunc(out, netip.AddrPort.Compare)
	return slices.Compact(out)
}

// intersect: the members of a (sorted) also in b.
func intersect(a, b []netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// minus: the members of a not in b.
func minus(a, b []netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
