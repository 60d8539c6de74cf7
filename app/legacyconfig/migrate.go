package legacyconfig

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/sealkube/kubeadm/internal/yamldocs"
)

// MigratedFile is what `kubeadm config migrate` writes for a converted
// file: upstream's output with its timeouts repaired, then the documents of
// other groups as they were.
//
// Upstream's migrate (v1.36) copies the internal
// apiServer.timeoutForControlPlane and discovery.timeout, which only
// v1beta3 input sets, over timeouts.controlPlaneComponentHealthCheck and
// timeouts.discovery: for v1beta4 input, which is what it gets from us,
// they come out as 0s, which would be used as real timeouts. A 0s timeout
// is replaced by the value this conversion carried, or removed so the
// default applies.
func MigratedFile(migrated []byte, res Result) ([]byte, error) {
	docs, err := yamldocs.Split(migrated)
	if err != nil {
		return nil, fmt.Errorf("the migrated configuration: %w", err)
	}
	var raws [][]byte
	for _, d := range docs {
		raw, err := repairTimeouts(d, res)
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
	for _, o := range res.Others() {
		raws = append(raws, o.Raw)
	}
	return yamldocs.Join(raws...), nil
}

func repairTimeouts(d yamldocs.Doc, res Result) ([]byte, error) {
	if d.Kind != "InitConfiguration" && d.Kind != "JoinConfiguration" {
		return d.Raw, nil
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(d.Raw, &m); err != nil {
		return nil, fmt.Errorf("the migrated %s: %w", d.Kind, err)
	}
	timeouts, _ := m["timeouts"].(map[string]any)
	carried := map[string]any{}
	for _, c := range res.Documents {
		if c.Kind == d.Kind && c.APIVersion == Target {
			cm := map[string]any{}
			if err := yaml.Unmarshal(c.Raw, &cm); err == nil {
				carried, _ = cm["timeouts"].(map[string]any)
			}
		}
	}
	changed := false
	for k, v := range timeouts {
		if v != "0s" {
			continue
		}
		if c, ok := carried[k]; ok {
			timeouts[k] = c
		} else {
			delete(timeouts, k)
		}
		changed = true
	}
	if !changed {
		return d.Raw, nil
	}
	return yaml.Marshal(m)
}
