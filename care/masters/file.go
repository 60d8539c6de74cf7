package masters

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/sealkube/kubeadm/internal/atomicfile"
)

// FileVersion is the version of the persisted document this package writes
// and the only one it reads.
const FileVersion = 1

// maxFileSize bounds what is read: the document holds a few addresses, and a
// file grown by corruption must not be read whole.
const maxFileSize = 1 << 20

// document is the persisted list, for example:
//
//	{"version":1,"source":"cluster","updated":"2026-01-02T03:04:05Z",
//	 "seed":["10.0.0.1:6443"],"masters":["10.0.0.1:6443","10.0.0.4:6443"]}
//
// Seed is the --rs list the daemon ran with when it learnt Masters; a
// different seed at start means the operator changed the flags since.
type document struct {
	Version int              `json:"version"`
	Source  Source           `json:"source"`
	Updated time.Time        `json:"updated"`
	Seed    []netip.AddrPort `json:"seed"`
	Masters []netip.AddrPort `json:"masters"`
}

// readFile reads and checks the persisted list. Every error says what is
// wrong with the file; the caller ignores the file then.
func readFile(path string) (document, error) {
	f, err := os.Open(path)
	if err != nil {
		return document{}, fmt.Errorf("reading the persisted list: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return document{}, fmt.Errorf("reading the persisted list %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return document{}, fmt.Errorf("%s is larger than %d bytes: not a list written by lvscare (it is rewritten once the cluster answers)", path, maxFileSize)
	}
	// The version first, so a newer document is reported as such rather
	// than as a field this release does not know.
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return document{}, fmt.Errorf("%s is not a JSON document (%v): corrupt; it is rewritten once the cluster answers", path, err)
	}
	if v.Version != FileVersion {
		if v.Version > FileVersion {
			return document{}, fmt.Errorf("%s has version %d, newer than this lvscare reads (%d): written by a newer release; it is rewritten once the cluster answers",
				path, v.Version, FileVersion)
		}
		return document{}, fmt.Errorf("%s has version %d, want %d: corrupt; it is rewritten once the cluster answers", path, v.Version, FileVersion)
	}
	var d document
	if err := json.Unmarshal(data, &d); err != nil {
		return document{}, fmt.Errorf("%s is not a valid version %d document (%v): corrupt; it is rewritten once the cluster answers", path, FileVersion, err)
	}
	if d.Source != SourceCluster {
		return document{}, fmt.Errorf("%s has source %q, want %q: only lists learnt from the cluster are persisted", path, d.Source, SourceCluster)
	}
	for _, m := range append(append([]netip.AddrPort{}, d.Masters...), d.Seed...) {
		if m.Port() == 0 {
			return document{}, fmt.Errorf("%s lists %s without a port: corrupt; it is rewritten once the cluster answers", path, m)
		}
	}
	if len(d.Masters) == 0 {
		return document{}, fmt.Errorf("%s lists no master: corrupt; it is rewritten once the cluster answers", path)
	}
	d.Masters, d.Seed = normalize(d.Masters), normalize(d.Seed)
	return d, nil
}

// writeFile replaces the persisted list atomically: a reader, or the next
// start after a crash, sees the old document or the new one, never a torn one.
func writeFile(path string, d document) error {
	d.Version, d.Source = FileVersion, SourceCluster
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the list of masters: %w", err)
	}
	if _, err := atomicfile.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("persisting the list of masters: %w", err)
	}
	return nil
}
