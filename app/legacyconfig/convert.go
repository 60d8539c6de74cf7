// Package legacyconfig converts kubeadm.k8s.io/v1beta1 (Kubernetes
// 1.13–1.14) and v1beta2 (1.15–1.21) configuration documents, which kubeadm
// v1.36 refuses, to kubeadm.k8s.io/v1beta4, so 2019-era runbooks keep
// working. It is an explicit mapping of the fields those versions had, not
// upstream's long-deleted packages: every field is carried, converted,
// dropped with a note, or refused with an error that names it.
// Documents of other groups and versions pass through byte for byte.
package legacyconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/internal/yamldocs"
)

const (
	// Group is kubeadm's API group.
	Group = "kubeadm.k8s.io"
	// Target is the version legacy documents become.
	Target  = Group + "/v1beta4"
	v1beta1 = Group + "/v1beta1"
	v1beta2 = Group + "/v1beta2"
)

// IsLegacy reports whether apiVersion is one this package converts.
func IsLegacy(apiVersion string) bool { return apiVersion == v1beta1 || apiVersion == v1beta2 }

// Document is one YAML document of a file.
type Document struct {
	APIVersion, Kind string
	Raw              []byte
}

// Result is a converted file.
type Result struct {
	// Documents in the file's order: converted ones in v1beta4, added ones
	// (an InitConfiguration that carries a moved timeout) last, the rest
	// untouched.
	Documents []Document
	// Converted is false when the file has no legacy document; it is then
	// to be used as it is.
	Converted bool
	// Versions are the legacy apiVersions found.
	Versions []string
	// Notes name each field that was dropped or changed, one line each.
	Notes []string
}

// Bytes is the converted file.
func (r Result) Bytes() []byte { return join(r.Documents) }

// KubeadmBytes are the kubeadm.k8s.io documents only.
func (r Result) KubeadmBytes() []byte {
	return join(slices.DeleteFunc(slices.Clone(r.Documents), func(d Document) bool { return !isKubeadm(d.APIVersion) }))
}

// Others are the documents of other groups, untouched.
func (r Result) Others() []Document {
	return slices.DeleteFunc(slices.Clone(r.Documents), func(d Document) bool { return isKubeadm(d.APIVersion) })
}

func isKubeadm(apiVersion string) bool { return strings.HasPrefix(apiVersion, Group+"/") }

func join(docs []Document) []byte {
	raws := make([][]byte, len(docs))
	for i, d := range docs {
		raws[i] = d.Raw
	}
	return yamldocs.Join(raws...)
}

// Convert converts the legacy kubeadm documents of data. The error lists
// every field that cannot be carried, with its value and what to do.
func Convert(data []byte) (Result, error) {
	var res Result
	c := &converter{}
	var timeout any
	var timeoutFrom string
	initOrJoin := map[string]map[string]any{}
	type pending struct {
		index int
		m     map[string]any
	}
	var converted []pending
	docs, err := yamldocs.Split(data)
	if err != nil {
		return res, err
	}
	for _, d := range docs {
		tm, raw := d.TypeMeta, d.Raw
		if !IsLegacy(tm.APIVersion) {
			res.Documents = append(res.Documents, Document{APIVersion: tm.APIVersion, Kind: tm.Kind, Raw: raw})
			continue
		}
		res.Converted = true
		if !slices.Contains(res.Versions, tm.APIVersion) {
			res.Versions = append(res.Versions, tm.APIVersion)
		}
		in := map[string]any{}
		if err := yaml.Unmarshal(raw, &in); err != nil {
			return res, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
		}
		c.kind, c.v2 = tm.Kind, tm.APIVersion == v1beta2
		delete(in, "apiVersion")
		delete(in, "kind")
		var out map[string]any
		switch tm.Kind {
		case "ClusterConfiguration":
			out = c.cluster(in)
			if t, ok := out[movedTimeout]; ok {
				timeout, timeoutFrom = t, tm.Kind
				delete(out, movedTimeout)
			}
		case "InitConfiguration":
			out = c.init(in)
			initOrJoin[tm.Kind] = out
		case "JoinConfiguration":
			out = c.joinCfg(in)
			initOrJoin[tm.Kind] = out
		case "ClusterStatus":
			c.notef("", "dropped the whole document: kubeadm has read the control-plane endpoints from the cluster since v1.22 (no ClusterStatus kind)")
			continue
		default:
			c.errs = append(c.errs, fmt.Sprintf("kind %q is not a kind of %s; this kubeadm converts ClusterConfiguration, InitConfiguration, JoinConfiguration and ClusterStatus: remove the document", tm.Kind, tm.APIVersion))
			continue
		}
		out["apiVersion"], out["kind"] = Target, tm.Kind
		converted = append(converted, pending{index: len(res.Documents), m: out})
		res.Documents = append(res.Documents, Document{APIVersion: Target, Kind: tm.Kind})
	}
	if timeout != nil {
		c.kind = timeoutFrom
		var carriers []string
		for _, kind := range []string{"InitConfiguration", "JoinConfiguration"} {
			if m, ok := initOrJoin[kind]; ok {
				locallbconfig.Set(m, timeout, "timeouts", "controlPlaneComponentHealthCheck")
				carriers = append(carriers, kind)
			}
		}
		if len(carriers) == 0 {
			m := map[string]any{"apiVersion": Target, "kind": "InitConfiguration"}
			locallbconfig.Set(m, timeout, "timeouts", "controlPlaneComponentHealthCheck")
			converted = append(converted, pending{index: len(res.Documents), m: m})
			res.Documents = append(res.Documents, Document{APIVersion: Target, Kind: "InitConfiguration"})
			carriers = append(carriers, "InitConfiguration (added)")
		}
		c.notef("apiServer.timeoutForControlPlane", "moved to timeouts.controlPlaneComponentHealthCheck of %s (value %v)", strings.Join(carriers, " and "), timeout)
	}
	if len(c.errs) > 0 {
		return res, fmt.Errorf("cannot convert to %s:\n  - %s", Target, strings.Join(c.errs, "\n  - "))
	}
	for _, p := range converted {
		b, err := yaml.Marshal(p.m)
		if err != nil {
			return res, fmt.Errorf("encoding the converted %s: %w", res.Documents[p.index].Kind, err)
		}
		res.Documents[p.index].Raw = b
	}
	res.Notes = c.notes
	return res, nil
}

// movedTimeout is where cluster() leaves apiServer.timeoutForControlPlane
// for Convert to move into InitConfiguration and JoinConfiguration.
const movedTimeout = "\x00timeoutForControlPlane"

// converter collects notes and errors of one file; kind and v2 describe
// the document being converted.
type converter struct {
	kind  string
	v2    bool
	notes []string
	errs  []string
}

func (c *converter) where(path string) string {
	if path == "" {
		return c.kind
	}
	return c.kind + " " + path
}

func (c *converter) notef(path, format string, args ...any) {
	c.notes = append(c.notes, c.where(path)+": "+fmt.Sprintf(format, args...))
}

func (c *converter) errorf(path string, value any, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s: %s: %s", c.where(path), show(value), fmt.Sprintf(format, args...)))
}

// show is a value as the user would write it: scalars bare, objects and
// lists as compact JSON.
func show(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// walk walks object v at path: each handler gets the value of its key;
// a key without handler is an error naming it.
type handlers map[string]func(path string, v any)

func (c *converter) walk(path string, v any, h handlers) {
	m, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			c.errorf(path, v, "must be an object")
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		if f, ok := h[k]; ok {
			f(p, m[k])
			continue
		}
		c.errorf(p, m[k], "unknown field in %s %s (kubeadm of that time ignored unknown fields): remove it or fix its spelling", map[bool]string{false: v1beta1, true: v1beta2}[c.v2], c.kind)
	}
}

// into returns a handler that stores the value unchanged at key of out.
func into(out map[string]any, key string) func(string, any) {
	return func(_ string, v any) { out[key] = v }
}

// object converts a nested object with h, which fills the returned map.
func (c *converter) object(out map[string]any, key string, build func(out map[string]any) handlers) func(string, any) {
	return func(path string, v any) {
		sub := map[string]any{}
		c.walk(path, v, build(sub))
		if len(sub) > 0 {
			out[key] = sub
		}
	}
}

// keep is a handler set that carries the named fields unchanged.
func keep(out map[string]any, names ...string) handlers {
	h := handlers{}
	for _, n := range names {
		h[n] = into(out, n)
	}
	return h
}

func (h handlers) with(more handlers) handlers {
	for k, v := range more {
		h[k] = v
	}
	return h
}

// v2only refuses a v1beta2 field in a v1beta1 document, where kubeadm
// v1.14 silently ignored it.
func (c *converter) v2only(out map[string]any, key string) func(string, any) {
	return func(path string, v any) {
		if !c.v2 {
			c.errorf(path, v, "is a %s field, not %s, and kubeadm v1.14 ignored it: set apiVersion %s if you mean it, or remove it", v1beta2, v1beta1, v1beta2)
			return
		}
		out[key] = v
	}
}

// extraArgs converts a map of flags to v1beta4's list of {name, value},
// sorted by name (the order kubeadm of that time wrote them in).
func (c *converter) extraArgs(out map[string]any, key string) func(string, any) {
	return func(path string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			if v != nil {
				c.errorf(path, v, "must be a map of flag names to values")
			}
			return
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		list := []any{}
		for _, n := range names {
			switch val := m[n].(type) {
			case string:
				list = append(list, map[string]any{"name": n, "value": val})
			case bool, float64:
				list = append(list, map[string]any{"name": n, "value": fmt.Sprint(val)})
			default:
				c.errorf(path+"."+n, m[n], "must be a string value of the flag")
			}
		}
		if len(list) > 0 {
			out[key] = list
			c.notef(path, "changed from a map to a list of {name, value} (%s)", plural(len(list), "flag"))
		}
	}
}

func (c *converter) component(out map[string]any) handlers {
	return handlers{
		"extraArgs": c.extraArgs(out, "extraArgs"),
		"extraVolumes": c.list(out, "extraVolumes", func(o map[string]any) handlers {
			return keep(o, "name", "hostPath", "mountPath", "readOnly", "pathType")
		}),
	}
}

// list converts a list of objects element by element.
func (c *converter) list(out map[string]any, key string, build func(out map[string]any) handlers) func(string, any) {
	return func(path string, v any) {
		items, ok := v.([]any)
		if !ok {
			if v != nil {
				c.errorf(path, v, "must be a list")
			}
			return
		}
		res := []any{}
		for i, item := range items {
			o := map[string]any{}
			c.walk(fmt.Sprintf("%s[%d]", path, i), item, build(o))
			res = append(res, o)
		}
		out[key] = res
	}
}

func (c *converter) cluster(in map[string]any) map[string]any {
	out := map[string]any{}
	c.walk("", in, keep(out, "kubernetesVersion", "controlPlaneEndpoint", "certificatesDir", "clusterName", "featureGates").with(handlers{
		"imageRepository": func(path string, v any) {
			if v == "k8s.gcr.io" {
				out["imageRepository"] = "registry.k8s.io"
				c.notef(path, "changed k8s.gcr.io to registry.k8s.io: the old registry is frozen and has no images of this Kubernetes version")
				return
			}
			out["imageRepository"] = v
		},
		"networking": c.object(out, "networking", func(o map[string]any) handlers { return keep(o, "serviceSubnet", "podSubnet", "dnsDomain") }),
		"etcd": c.object(out, "etcd", func(o map[string]any) handlers {
			return handlers{
				"local": c.object(o, "local", func(l map[string]any) handlers {
					return keep(l, "imageRepository", "imageTag", "dataDir", "serverCertSANs", "peerCertSANs").with(handlers{"extraArgs": c.extraArgs(l, "extraArgs")})
				}),
				"external": c.object(o, "external", func(e map[string]any) handlers {
					return keep(e, "endpoints", "caFile", "certFile", "keyFile")
				}),
			}
		}),
		"apiServer": c.object(out, "apiServer", func(o map[string]any) handlers {
			return c.component(o).with(handlers{
				"certSANs": into(o, "certSANs"),
				"timeoutForControlPlane": func(_ string, v any) {
					if v != nil {
						out[movedTimeout] = v
					}
				},
			})
		}),
		"controllerManager": c.object(out, "controllerManager", c.component),
		"scheduler":         c.object(out, "scheduler", c.component),
		"dns": c.object(out, "dns", func(o map[string]any) handlers {
			return keep(o, "imageRepository", "imageTag").with(handlers{
				"type": func(path string, v any) {
					switch v {
					case "CoreDNS", "":
						c.notef(path, "dropped (was %v): CoreDNS is the only DNS kubeadm installs", v)
					default:
						c.errorf(path, v, "kubeadm has installed only CoreDNS since v1.21: remove dns.type to get CoreDNS, or set dns.disabled: true and install %v yourself", v)
					}
				},
			})
		}),
		"useHyperKubeImage": func(path string, v any) {
			if v == true {
				c.notef(path, "dropped (was true): there is no hyperkube image since v1.19; the control plane runs from the separate component images")
				return
			}
			c.notef(path, "dropped (was %v): the field no longer exists", v)
		},
	}))
	return out
}

func (c *converter) nodeRegistration(out map[string]any) handlers {
	return keep(out, "name", "taints").with(handlers{
		"kubeletExtraArgs":      c.extraArgs(out, "kubeletExtraArgs"),
		"ignorePreflightErrors": c.v2only(out, "ignorePreflightErrors"),
		"criSocket": func(path string, v any) {
			s, ok := v.(string)
			switch {
			case !ok:
				c.errorf(path, v, "must be a string")
			case strings.Contains(s, "dockershim"):
				c.errorf(path, s, "dockershim was removed in Kubernetes v1.24: remove criSocket to detect the runtime, or set e.g. unix:///run/containerd/containerd.sock (containerd) or unix:///var/run/cri-dockerd.sock (cri-dockerd)")
			case strings.HasPrefix(s, "/"):
				out["criSocket"] = "unix://" + s
				c.notef(path, "changed %s to unix://%s: the socket is a URL now", s, s)
			default:
				out["criSocket"] = s
			}
		},
	})
}

func apiEndpoint(o map[string]any) handlers { return keep(o, "advertiseAddress", "bindPort") }

func (c *converter) init(in map[string]any) map[string]any {
	out := map[string]any{}
	c.walk("", in, handlers{
		"bootstrapTokens": c.list(out, "bootstrapTokens", func(o map[string]any) handlers {
			return keep(o, "token", "description", "ttl", "expires", "usages", "groups")
		}),
		"nodeRegistration": c.object(out, "nodeRegistration", c.nodeRegistration),
		"localAPIEndpoint": c.object(out, "localAPIEndpoint", apiEndpoint),
		"certificateKey":   c.v2only(out, "certificateKey"),
	})
	return out
}

func (c *converter) joinCfg(in map[string]any) map[string]any {
	out := map[string]any{}
	c.walk("", in, handlers{
		"nodeRegistration": c.object(out, "nodeRegistration", c.nodeRegistration),
		"caCertPath":       into(out, "caCertPath"),
		"discovery": c.object(out, "discovery", func(o map[string]any) handlers {
			return keep(o, "tlsBootstrapToken").with(handlers{
				"bootstrapToken": c.object(o, "bootstrapToken", func(b map[string]any) handlers {
					return keep(b, "token", "apiServerEndpoint", "caCertHashes", "unsafeSkipCAVerification")
				}),
				"file": c.object(o, "file", func(f map[string]any) handlers { return keep(f, "kubeConfigPath") }),
				"timeout": func(path string, v any) {
					if v != nil {
						locallbconfig.Set(out, v, "timeouts", "discovery")
						c.notef(path, "moved to timeouts.discovery (value %v)", v)
					}
				},
			})
		}),
		"controlPlane": func(path string, v any) {
			if v == nil {
				return // null: a worker join, as when absent
			}
			cp := map[string]any{}
			c.walk(path, v, handlers{
				"localAPIEndpoint": c.object(cp, "localAPIEndpoint", apiEndpoint),
				"certificateKey":   c.v2only(cp, "certificateKey"),
			})
			out["controlPlane"] = cp // present, even empty: it makes the join a control-plane join
		},
	})
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
