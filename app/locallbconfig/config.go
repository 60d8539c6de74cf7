// Package locallbconfig is the LocalLoadBalancerConfiguration document that
// config-file runbooks add to kubeadm's --config file, and the seam that
// hands upstream kubeadm a copy of that file without it (upstream warns
// about every document it does not know).
package locallbconfig

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/yamldocs"
	"github.com/sealkube/kubeadm/manifests"
)

const (
	// Group is this project's API group, outside kubeadm's so no upstream
	// kind can ever collide with ours.
	Group      = "locallb.sealkube.io"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "LocalLoadBalancerConfiguration"
	// DefaultVIP is the seeds' VIP. On init it is added to the apiserver
	// certificate; on join the join endpoint is the default.
	DefaultVIP = "10.103.97.2:6443"
)

// Configuration is the LocalLoadBalancerConfiguration document.
type Configuration struct {
	metav1.TypeMeta `json:",inline"`
	// VIP is the node-local virtual server, IP:port. Join: defaults to
	// discovery.bootstrapToken.apiServerEndpoint. Init: defaults to
	// DefaultVIP; it is added to apiServer.certSANs.
	VIP string `json:"vip,omitempty"`
	// Masters are the control-plane apiservers (IP:port) a worker balances
	// over. Empty: the join is exactly upstream's.
	Masters []string `json:"masters,omitempty"`
	// Image is the lvscare image (tag or digest, never :latest); empty
	// follows the cluster's imageRepository (manifests.ImageFor).
	Image string `json:"image,omitempty"`
	// SkipEtcHosts leaves /etc/hosts alone.
	SkipEtcHosts bool `json:"skipEtcHosts,omitempty"`
	// Backend is the kernel mechanism: "ipvs" (default) or "nftables".
	Backend string `json:"backend,omitempty"`
	// AdoptSealos takes over the load balancer sealos set up on a worker
	// (--adopt-sealos): its lvscare static pod, IPVS virtual server and
	// VIP route become kubeadm's, removed by kubeadm reset.
	AdoptSealos bool `json:"adoptSealos,omitempty"`
	// Care configures the lvscare daemon of worker joins; unset fields keep
	// its defaults.
	Care *Care `json:"care,omitempty"`
}

// Care is the lvscare static pod's settings. Each field is a public
// lvscare flag, so it works with any image; extraArgs are checked against
// the image at join time (manifests.Render).
type Care struct {
	// HealthPath is probed on every master (--health-path); default
	// /readyz (care.DefaultHealthPath), which fails during the apiserver's
	// shutdown delay while /healthz passes.
	HealthPath string `json:"healthPath,omitempty"`
	// HealthStatus are statuses (400-599) accepted as healthy besides those
	// below 400 (--health-status), e.g. [401] for an apiserver without
	// anonymous access.
	HealthStatus []int `json:"healthStatus,omitempty"`
	// Interval between probes (--interval), e.g. 1s; default 1s.
	Interval *metav1.Duration `json:"interval,omitempty"`
	// HealthTimeout of one probe (--health-timeout), e.g. 400ms; default 400ms.
	HealthTimeout *metav1.Duration `json:"healthTimeout,omitempty"`
	// ExtraArgs are more `lvscare care` flags, e.g. ["--scheduler=wrr"].
	ExtraArgs []string `json:"extraArgs,omitempty"`
}

// Manifest is c as the manifest renders it; a nil c is the zero value.
func (c *Care) Manifest() manifests.Care {
	if c == nil {
		return manifests.Care{}
	}
	m := manifests.Care{HealthPath: c.HealthPath, HealthStatus: c.HealthStatus, ExtraArgs: c.ExtraArgs}
	if c.Interval != nil {
		m.Interval = c.Interval.Duration
	}
	if c.HealthTimeout != nil {
		m.HealthTimeout = c.HealthTimeout.Duration
	}
	return m
}

// Example is printed by `kubeadm config print locallb-defaults`.
const Example = `# Append this document to the file you pass to kubeadm init/join --config
# (separated by "---"). kubeadm of this distribution reads it and hands
# upstream kubeadm the file without it.
apiVersion: ` + APIVersion + `
kind: ` + Kind + `
# Worker joins: the node-local IPVS virtual server. Default: the join
# endpoint (discovery.bootstrapToken.apiServerEndpoint). kubeadm init adds
# its address to the apiserver certificate (default 10.103.97.2) and
# reserves it in the cluster when it lies in the service subnet.
vip: ` + DefaultVIP + `
# Worker joins: the control-plane apiservers behind the VIP. Without
# masters the join is exactly upstream's. Control-plane joins ignore them.
masters:
- 10.103.97.200:6443
- 10.103.97.201:6443
- 10.103.97.202:6443
# The lvscare static pod's image (a tag or digest, never :latest). Unset, it
# follows the cluster's imageRepository like kubeadm's own images:
# ghcr.io/sealkube/lvscare:v1.36.3, or <imageRepository>/lvscare:v1.36.3 when
# imageRepository is not registry.k8s.io.
# image: ghcr.io/sealkube/lvscare:v1.36.3
# true: leave /etc/hosts alone (your resolver maps the cluster endpoint's
# name to the VIP); false: map it with a line that kubeadm reset removes.
skipEtcHosts: false
# The kernel mechanism: ipvs (default) or nftables (for kernels without IPVS,
# or clusters whose kube-proxy runs in nftables mode and flushes IPVS).
backend: ipvs
# Worker joins on a node sealos set up (its lvscare static pod
# kube-sealos-lvscare.yaml, an IPVS virtual server at the VIP): true takes
# them over (--adopt-sealos); without it the join refuses and says so.
# adoptSealos: false
# Worker joins: the lvscare static pod's health checks. Unset fields keep the
# daemon's defaults: each master is probed every 1s with a 400ms timeout, by
# GET https://<master>/readyz every 10s (--ready-interval) and an HTTP/2 PING
# in between; every status below 400 is healthy. Each field is a public
# lvscare flag; the public lvscare image has its own interval and timeout.
# /readyz fails as soon as an apiserver is told to stop, while it keeps
# serving for its shutdown delay, so the node's connections leave it first;
# /healthz passes until it stops, and a restart then breaks them.
care:
  healthPath: ` + care.DefaultHealthPath + `
  # Statuses from 400 to 599 also counted as healthy (--health-status).
  # healthStatus: [401]
  # interval: 1s          # --interval
  # healthTimeout: 400ms  # --health-timeout; may exceed the interval
  # More lvscare care flags, e.g. an IPVS scheduler (rr wrr lc wlc dh sh;
  # nftables: rr only) or the route mode's interface (--ip, --mode ""):
  # extraArgs: ["--scheduler=wrr"]
  # Combinations the image cannot run fail the join before it changes
  # anything (e.g. the public lvscare image has no --backend nftables).
`

// Document is one YAML document of a config file.
type Document struct {
	GVK schema.GroupVersionKind
	Raw []byte
}

// File is a parsed --config file: our document (if any) and the rest.
type File struct {
	Path   string
	Ours   *Configuration
	Others []Document
}

// Mentions reports whether data names our API group or kind anywhere: a
// file (or document) that does is ours to parse, even when it is
// malformed, so the error names our document; any other file is
// upstream's to refuse in its own words.
func Mentions(data []byte) bool {
	return bytes.Contains(data, []byte(Group)) || bytes.Contains(data, []byte(Kind))
}

// Parse splits data into documents and decodes ours strictly: unknown or
// duplicate fields are errors that name the field.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	docs, err := yamldocs.Split(data)
	if de := (*yamldocs.DocError)(nil); errors.As(err, &de) && Mentions(de.Raw) {
		return nil, fmt.Errorf("%s: the %s document (document %d of the file) is not valid YAML: %w", path, Kind, de.Index, de.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, d := range docs {
		tm, doc := d.TypeMeta, d.Raw
		gvk := tm.GroupVersionKind()
		isOurGroup := gvk.Group == Group
		if gvk.Kind == Kind || isOurGroup {
			if tm.APIVersion != APIVersion || tm.Kind != Kind {
				return nil, fmt.Errorf("%s: unknown document apiVersion %q kind %q; this kubeadm knows apiVersion %s kind %s", path, tm.APIVersion, tm.Kind, APIVersion, Kind)
			}
			if f.Ours != nil {
				return nil, fmt.Errorf("%s: more than one %s document; merge them into one", path, Kind)
			}
			var c Configuration
			if err := yaml.UnmarshalStrict(doc, &c); err != nil {
				return nil, fmt.Errorf("%s: %s document: %w", path, Kind, err)
			}
			f.Ours = &c
			continue
		}
		f.Others = append(f.Others, Document{GVK: gvk, Raw: doc})
	}
	return f, nil
}

// Find returns the index of the first other document of kind, or -1.
func (f *File) Find(kind string) int {
	for i, d := range f.Others {
		if d.GVK.Kind == kind {
			return i
		}
	}
	return -1
}

// Fields decodes document i into a generic map for reading or editing.
func (f *File) Fields(i int) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(f.Others[i].Raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %s document: %w", f.Path, f.Others[i].GVK.Kind, err)
	}
	return m, nil
}

// SetFields replaces document i with m.
func (f *File) SetFields(i int, m map[string]any) error {
	b, err := yaml.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding the %s document: %w", f.Others[i].GVK.Kind, err)
	}
	f.Others[i].Raw = b
	return nil
}

// Add appends a document.
func (f *File) Add(m map[string]any) error {
	b, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	var tm metav1.TypeMeta
	_ = yaml.Unmarshal(b, &tm)
	f.Others = append(f.Others, Document{GVK: tm.GroupVersionKind(), Raw: b})
	return nil
}

// UpstreamBytes is the file as upstream kubeadm must see it: every other
// document, ours left out.
func (f *File) UpstreamBytes() []byte {
	raws := make([][]byte, len(f.Others))
	for i, d := range f.Others {
		raws[i] = d.Raw
	}
	return yamldocs.Join(raws...)
}

// StringSlice reads a list of strings at path in m.
func StringSlice(m map[string]any, path ...string) []string {
	v := lookup(m, path...)
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// String reads a string at path in m.
func String(m map[string]any, path ...string) string {
	s, _ := lookup(m, path...).(string)
	return s
}

// Has reports whether path exists in m with a non-null value.
func Has(m map[string]any, path ...string) bool { return lookup(m, path...) != nil }

func lookup(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

// SetStringSlice sets a list of strings at path, creating maps on the way;
// an empty list removes the key.
func SetStringSlice(m map[string]any, list []string, path ...string) {
	cur := m
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	last := path[len(path)-1]
	if len(list) == 0 {
		delete(cur, last)
		return
	}
	vals := make([]any, len(list))
	for i, s := range list {
		vals[i] = s
	}
	cur[last] = vals
}

// SetString sets a string at path, creating maps on the way.
func SetString(m map[string]any, value string, path ...string) { Set(m, value, path...) }

// Set sets value at path, creating maps on the way.
func Set(m map[string]any, value any, path ...string) {
	cur := m
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = value
}

// AppendMissing appends each of add not already in list (case-insensitive,
// as certificate SANs and CIDRs compare), keeping the user's order.
func AppendMissing(list []string, add ...string) []string {
	for _, a := range add {
		if a == "" {
			continue
		}
		dup := false
		for _, l := range list {
			if strings.EqualFold(strings.TrimSpace(l), a) {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}
