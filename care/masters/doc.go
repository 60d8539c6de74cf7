// Package masters answers one question for the node-local load balancer:
// which masters (apiserver addresses) should be its real servers right now,
// and where that list came from.
//
// # Sources, in order of trust
//
//  1. The cluster. The apiserver's lease reconciler keeps the EndpointSlice
//     default/kubernetes (label kubernetes.io/service-name=kubernetes) listing
//     every live apiserver's advertise address and the port named "https".
//     A Watcher lists and watches that one object and uses its ready
//     endpoints. As soon as the cluster answers, its list replaces whatever
//     the node used before: a persisted list can be stale (k3s #11349: agents
//     kept a saved list of servers that no longer existed), so it never
//     outvotes the cluster.
//  2. The file. The last list learnt from the cluster, persisted atomically
//     (internal/atomicfile) as a small versioned JSON document. It is read at
//     start and used until the cluster answers, so a daemon restarted while
//     the API is unreachable still uses the masters it last saw, not the ones
//     of the join. A corrupt file or one of a newer version is ignored with
//     the reason, never fatal. The file also records the seed it was learnt
//     with: when the seed changed since (an operator re-ran the join's locallb
//     phase with other masters), the operator's newer word wins over the file.
//  3. The seed: the --rs list from the flags, the last resort.
//
// # Rules
//
//   - The cluster never empties the list. An absent or empty slice, one with
//     no ready endpoint or no usable port keeps the previous list, and the
//     Update says so (EventKept).
//   - A master removed from the slice leaves the list at once (an apiserver
//     removes itself at SIGTERM; that is the cue to drain it), unless that
//     would empty the list. An added master joins only once the list has been
//     stable for Options.Debounce (default 1 s, as k3s): a joining apiserver
//     adds, removes and re-adds itself while it starts. Debounce applies only
//     between cluster lists; the first cluster answer replaces a file or seed
//     list at once.
//   - Forbidden or Unauthorized (a cluster without the RBAC of RBAC(), or
//     credentials the API refuses) is reported once per streak (EventDenied),
//     the list in use is kept, and the API is asked again only every
//     Options.DeniedRetry (default 5 min), not in a tight loop. Other errors
//     (API unreachable) are reported once per streak too and retried with a
//     capped exponential backoff.
//
// What this package does not do: it does not touch the virtual server, and it
// does not end connections. Closing the connections of a master that left the
// list (k3s #7193: clients stayed on removed servers) is the daemon's job, as
// it already is for a dead master; the daemon diffs each Update's Masters
// against its real servers.
//
// # Why a field selector, and why a Role
//
// A node's own credentials (group system:nodes) may get endpoints but not
// list or watch endpointslices, so kubeadm creates RBAC() for them: get, list
// and watch of the one EndpointSlice, restricted by resourceNames. RBAC can
// authorise a list or watch by resource name only when the request names the
// object, and a list or watch names it only through the field selector
// metadata.name=<name>: the apiserver's request resolver
// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, RequestInfoFactory.
// NewRequestInfo: "if there's no name on the request and we thought it was a
// get before, then the actual verb is a list or a watch", then
// opts.FieldSelector.RequiresExactMatch("metadata.name") sets
// RequestInfo.Name) copies that name into the authorisation attributes, and
// RBAC's rule matcher (k8s.io/kubernetes/pkg/apis/rbac/v1/
// evaluation_helpers.go, ResourceNameMatches) lets a rule with resourceNames
// match only a request whose name is one of them, so an unnamed list is
// denied. The RBAC documentation says the same ("If you restrict list or
// watch by resourceName, clients must include a metadata.name field selector
// in their list or watch request that matches the specified resourceName in
// order to be authorized"). Neither file is in this module's vendor/ (only
// k8s.io/apiserver/pkg/authentication/user is), so this was read in the
// upstream source, not here. Hence the Watcher always lists and watches with
// that selector in namespace default.
//
// The object is namespaced, so a Role and RoleBinding in namespace default
// are smaller than a ClusterRole: a ClusterRole with resourceNames
// [kubernetes] would also let every node read any EndpointSlice named
// "kubernetes" in any namespace. Endpoints (core/v1) are not needed: only the
// EndpointSlice is read, and Endpoints are deprecated since v1.33.
//
// The package does not link client-go's typed clients or k8s.io/kubernetes:
// NewSliceClient is a REST client that knows the discovery/v1 types only,
// which keeps the daemon's image small; a typed clientset's
// DiscoveryV1().EndpointSlices(Namespace) fits Options.Client as well.
package masters
