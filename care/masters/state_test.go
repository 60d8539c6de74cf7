package masters

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

const (
	mA = "10.0.0.1:6443"
	mB = "10.0.0.2:6443"
	mC = "10.0.0.3:6443"
	mD = "10.0.0.4:6443"
)

func aps(ss ...string) []netip.AddrPort {
	out := []netip.AddrPort{}
	for _, s := range ss {
		out = append(out, netip.MustParseAddrPort(s))
	}
	return out
}

// readySlice is default/kubernetes as the apiserver writes it: one ready
// endpoint per address, port https. An address prefixed with "!" is not
// ready.
func readySlice(addrs ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: SliceName, Namespace: Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](6443)}},
	}
	for _, a := range addrs {
		ready := !strings.HasPrefix(a, "!")
		ap := netip.MustParseAddrPort(strings.TrimPrefix(a, "!"))
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{ap.Addr().String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)},
		})
	}
	return s
}

var (
	forbidden = apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New(`User "system:node:w1" cannot list resource "endpointslices"`))
	// The same denial for the watch: another message, the same streak.
	forbiddenWatch = apierrors.NewForbidden(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, "", errors.New(`User "system:node:w1" cannot watch resource "endpointslices"`))
	unauthorized   = apierrors.NewUnauthorized("Unauthorized")
	unreachable    = errors.New("dial tcp 10.96.0.1:443: connect: connection refused")
)

func TestFromSlice(t *testing.T) {
	withPorts := func(ports ...discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
		s := readySlice(mB, mA)
		s.Ports = ports
		return s
	}
	port := func(name string, p int32) discoveryv1.EndpointPort {
		return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(p)}
	}
	cases := []struct {
		name    string
		slice   *discoveryv1.EndpointSlice
		want    []string
		wantWhy string // substring, when want is empty
	}{
		{"sorted, with the https port", readySlice(mC, mA, mB), []string{mA, mB, mC}, ""},
		{"https among several ports", withPorts(port("metrics", 9), port("https", 7443)), []string{"10.0.0.1:7443", "10.0.0.2:7443"}, ""},
		{"the only port, whatever its name", withPorts(port("", 8443)), []string{"10.0.0.1:8443", "10.0.0.2:8443"}, ""},
		{"two ports, none https", withPorts(port("a", 1), port("b", 2)), nil, `no usable port named "https" among its 2 ports`},
		{"https without a number", withPorts(discoveryv1.EndpointPort{Name: ptr.To("https")}), nil, "no usable port"},
		{"no port", withPorts(), nil, "no usable port"},
		{"not ready endpoints are left out", readySlice(mA, "!"+mB), []string{mA}, ""},
		{"all not ready", readySlice("!"+mA, "!"+mB), nil, "no ready endpoint (2 endpoints, 2 not ready"},
		{"empty", readySlice(), nil, "no ready endpoint (0 endpoints"},
		{"absent", nil, nil, "the cluster has no EndpointSlice default/kubernetes"},
		{"FQDN", func() *discoveryv1.EndpointSlice {
			s := readySlice(mA)
			s.AddressType = discoveryv1.AddressTypeFQDN
			return s
		}(), nil, `addressType "FQDN"`},
		{"ready unset means ready; duplicates and non-IPs dropped", func() *discoveryv1.EndpointSlice {
			s := readySlice(mA)
			s.Endpoints = append(s.Endpoints,
				discoveryv1.Endpoint{Addresses: []string{"10.0.0.1", "10.0.0.2"}},
				discoveryv1.Endpoint{Addresses: []string{"master.example", "fe80::1%eth0"}})
			return s
		}(), []string{mA, mB}, ""},
		{"IPv6", func() *discoveryv1.EndpointSlice {
			s := readySlice()
			s.AddressType = discoveryv1.AddressTypeIPv6
			s.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{"fd00::2"}}, {Addresses: []string{"fd00::1"}}}
			return s
		}(), []string{"[fd00::1]:6443", "[fd00::2]:6443"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := fromSlice(c.slice)
			if !slices.Equal(got, aps(c.want...)) && !(len(got) == 0 && len(c.want) == 0) {
				t.Fatalf("masters = %v, want %v (why %q)", got, c.want, why)
			}
			if len(c.want) == 0 && !strings.Contains(why, c.wantWhy) {
				t.Fatalf("why = %q, want it to contain %q", why, c.wantWhy)
			}
			if len(c.want) > 0 && why != "" {
				t.Fatalf("why = %q for a usable slice", why)
			}
		})
	}
}

func TestNewState(t *testing.T) {
	seed := aps(mB, mA, mA)
	learnt := document{Version: 1, Source: SourceCluster, Updated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Seed: aps(mA, mB), Masters: aps(mD, mC)}
	cases := []struct {
		name        string
		file        string
		doc         document
		err         error
		wantSource  Source
		wantMasters []string
		wantWhy     string
	}{
		{"no file", "", document{}, nil, SourceFlags, []string{mA, mB}, "no file to persist"},
		{"file not written yet", "/m.json", document{}, fmt.Errorf("reading: %w", fs.ErrNotExist), SourceFlags, []string{mA, mB}, "no list persisted in /m.json yet"},
		{"corrupt file", "/m.json", document{}, errors.New("/m.json is not a JSON document"), SourceFlags, []string{mA, mB}, "ignoring the persisted list: /m.json is not a JSON document"},
		{"file learnt with other flags", "/m.json", document{Version: 1, Source: SourceCluster, Seed: aps(mC), Masters: aps(mD)}, nil, SourceFlags, []string{mA, mB}, "the flags changed since"},
		{"file learnt with these flags", "/m.json", learnt, nil, SourceFile, []string{mC, mD}, "learnt from the cluster at 2026-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, u := newState(seed, c.file, c.doc, c.err, time.Second)
			if u.Event != EventStart || u.Source != c.wantSource || !slices.Equal(u.Masters, aps(c.wantMasters...)) || !strings.Contains(u.Reason, c.wantWhy) {
				t.Fatalf("got %+v, want %s %v with a reason containing %q", u, c.wantSource, c.wantMasters, c.wantWhy)
			}
		})
	}
}

// A step is one input to the state and the Update it must give.
type step struct {
	at    time.Duration // since the start
	slice *discoveryv1.EndpointSlice
	err   error
	tick  bool // a timer fired, no input
	// want: the Update's event, or "" for none; its masters and source.
	want        Event
	wantMasters []string
	wantSource  Source
	wantWhy     string // substring of the reason, if set
}

func TestStateRules(t *testing.T) {
	const debounce = time.Second
	ms := time.Millisecond
	// fromCluster starts with the cluster's list {A,B,C} in use.
	fromCluster := []step{{slice: readySlice(mA, mB, mC), want: EventLearnt, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster}}
	cases := []struct {
		name     string
		file     document // used when it has masters; the seed is {A}
		debounce time.Duration
		steps    []step
	}{
		{name: "a stale file never outvotes the cluster: its first answer replaces it at once",
			file: document{Seed: aps(mA), Masters: aps(mC, mD)},
			steps: []step{
				{slice: readySlice(mA, mB), want: EventLearnt, wantMasters: []string{mA, mB}, wantSource: SourceCluster, wantWhy: "replaces the one from file"},
			}},
		{name: "a first answer without masters keeps the seed and says so",
			steps: []step{
				{slice: readySlice(), want: EventKept, wantMasters: []string{mA}, wantSource: SourceFlags, wantWhy: "keeping the 1 masters from flags"},
				{slice: readySlice(mB), want: EventLearnt, wantMasters: []string{mB}, wantSource: SourceCluster},
			}},
		{name: "the API never empties the list, and says so once per cause",
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(), want: EventKept, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster, wantWhy: "no ready endpoint"},
				step{slice: readySlice()},
				step{slice: readySlice("!" + mA), want: EventKept, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster, wantWhy: "1 not ready"},
				step{slice: nil, want: EventKept, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster, wantWhy: "has no EndpointSlice"},
				step{slice: readySlice(mA, mB, mC), want: EventLearnt, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster, wantWhy: "(unchanged)"},
				step{slice: readySlice(mA, mB, mC)},
			)},
		{name: "a removed master leaves at once",
			steps: append(slices.Clone(fromCluster),
				step{at: 10 * ms, slice: readySlice(mA, mC), want: EventLearnt, wantMasters: []string{mA, mC}, wantSource: SourceCluster, wantWhy: "removed [" + mB + "]"},
			)},
		{name: "an added master waits for the debounce",
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(mA, mB, mC, mD)},
				step{at: 999 * ms, tick: true},
				step{at: 1000 * ms, tick: true, want: EventLearnt, wantMasters: []string{mA, mB, mC, mD}, wantSource: SourceCluster, wantWhy: "added [" + mD + "]"},
			)},
		{name: "a joining apiserver adds, removes and re-adds itself: used once stable",
			steps: append(slices.Clone(fromCluster),
				step{at: 0, slice: readySlice(mA, mB, mC, mD)},
				step{at: 200 * ms, slice: readySlice(mA, mB, mC)},
				step{at: 400 * ms, slice: readySlice(mA, mB, mC, mD)},
				step{at: 1000 * ms, tick: true},
				step{at: 1399 * ms, tick: true},
				step{at: 1400 * ms, tick: true, want: EventLearnt, wantMasters: []string{mA, mB, mC, mD}, wantSource: SourceCluster},
			)},
		{name: "a further change restarts the debounce",
			steps: append(slices.Clone(fromCluster),
				step{at: 0, slice: readySlice(mA, mB, mC, mD)},
				step{at: 800 * ms, slice: readySlice(mA, mB, mC, mD, "10.0.0.5:6443")},
				step{at: 1000 * ms, tick: true},
				step{at: 1800 * ms, tick: true, want: EventLearnt, wantMasters: []string{mA, mB, mC, mD, "10.0.0.5:6443"}, wantSource: SourceCluster},
			)},
		{name: "a replaced master: the old one leaves at once, the new one after the debounce",
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(mA, mB, mD), want: EventLearnt, wantMasters: []string{mA, mB}, wantSource: SourceCluster, wantWhy: "adding [" + mD + "] once listed for 1s"},
				step{at: time.Second, tick: true, want: EventLearnt, wantMasters: []string{mA, mB, mD}, wantSource: SourceCluster},
			)},
		{name: "every master replaced: the old list stays until the new one is used",
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(mD)},
				step{at: time.Second, tick: true, want: EventLearnt, wantMasters: []string{mD}, wantSource: SourceCluster},
			)},
		{name: "a negative debounce adds at once",
			debounce: -1,
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(mA, mB, mC, mD), want: EventLearnt, wantMasters: []string{mA, mB, mC, mD}, wantSource: SourceCluster},
			)},
		{name: "Forbidden is reported once per streak and keeps the static list",
			steps: []step{
				{err: forbidden, want: EventDenied, wantMasters: []string{mA}, wantSource: SourceFlags, wantWhy: `Role and RoleBinding "kubeadm:locallb-masters"`},
				{err: forbidden},
				{err: forbiddenWatch},
				{slice: readySlice(mA), want: EventLearnt, wantMasters: []string{mA}, wantSource: SourceCluster},
				{err: forbidden, want: EventDenied, wantMasters: []string{mA}, wantSource: SourceCluster},
			}},
		{name: "Unauthorized is a denial too; other errors are reported once each",
			steps: []step{
				{err: unauthorized, want: EventDenied, wantMasters: []string{mA}, wantSource: SourceFlags, wantWhy: "does not accept this node's credentials"},
				{err: unauthorized},
				{err: unreachable, want: EventUnreachable, wantMasters: []string{mA}, wantSource: SourceFlags, wantWhy: "connection refused"},
				{err: unreachable},
				{err: forbidden, want: EventDenied, wantMasters: []string{mA}, wantSource: SourceFlags},
			}},
		{name: "an error drops a pending addition; the next answer decides",
			steps: append(slices.Clone(fromCluster),
				step{slice: readySlice(mA, mB, mC, mD)},
				step{at: 500 * ms, err: unreachable, want: EventUnreachable, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster},
				step{at: 2 * time.Second, tick: true},
				step{at: 3 * time.Second, slice: readySlice(mA, mB, mC), want: EventLearnt, wantMasters: []string{mA, mB, mC}, wantSource: SourceCluster, wantWhy: "(unchanged)"},
			)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debounce := debounce
			if c.debounce != 0 {
				debounce = c.debounce
			}
			var docErr error = fs.ErrNotExist
			if len(c.file.Masters) > 0 {
				c.file.Version, c.file.Source, docErr = 1, SourceCluster, nil
			}
			s, _ := newState(aps(mA), "/m.json", c.file, docErr, debounce)
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, st := range c.steps {
				now := t0.Add(st.at)
				var u Update
				var ok bool
				switch {
				case st.tick:
					if n := s.next(); !n.IsZero() && now.Before(n) && st.want != "" {
						t.Fatalf("step %d: next() = %v, after the step's time %v", i, n.Sub(t0), st.at)
					}
					u, ok = s.tick(now)
				case st.err != nil:
					u, ok = s.failed(st.err, time.Minute)
				default:
					u, ok = s.observe(now, st.slice)
				}
				if st.want == "" {
					if ok {
						t.Fatalf("step %d: got %+v, want no update", i, u)
					}
					continue
				}
				if !ok || u.Event != st.want || u.Source != st.wantSource || !slices.Equal(u.Masters, aps(st.wantMasters...)) {
					t.Fatalf("step %d: got %+v (sent %v), want %s %s %v", i, u, ok, st.want, st.wantSource, st.wantMasters)
				}
				if !strings.Contains(u.Reason, st.wantWhy) {
					t.Fatalf("step %d: reason %q does not contain %q", i, u.Reason, st.wantWhy)
				}
				if len(u.Masters) == 0 {
					t.Fatalf("step %d: an empty list was sent", i)
				}
			}
		})
	}
}
