package locallb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sealkube/kubeadm/internal/atomicfile"
)

// DefaultStatePath records what Install created, for Cleanup.
const DefaultStatePath = "/var/lib/kubeadm-locallb/state.json"

// State is the record of what we own. "Created by us" is known only from
// it: Cleanup deletes the virtual server at VIP and the routes for VIP that
// carry RouteProtocol, nothing else, and does nothing without a record.
type State struct {
	VIP netip.AddrPort `json:"vip"`
	// Backend is the kernel load balancer the virtual server lives in;
	// empty (records written before backends existed) means BackendIPVS.
	// kubeadm reset reads it to open the right backend for Cleanup.
	Backend Backend `json:"backend,omitempty"`
	// Route: Install added the route for the VIP (none covered it). Cleanup
	// removes routes carrying RouteProtocol for the VIP either way, since
	// only we add those.
	Route bool `json:"route,omitempty"`
	// Adopted says who set the virtual server up before kubeadm took it
	// over (Installer.Adopt), e.g. "sealos (/etc/kubernetes/manifests/
	// kube-sealos-lvscare.yaml)"; empty: kubeadm created it.
	Adopted string `json:"adopted,omitempty"`
	// AdoptedRoutes are host routes for the VIP that came with the adopted
	// virtual server (sealos' `VIP via <node address> metric 50`); Cleanup
	// removes exactly these.
	AdoptedRoutes []HostRoute `json:"adoptedRoutes,omitempty"`
}

// BackendOrDefault is s.Backend, or DefaultBackend when the record has none.
func (s State) BackendOrDefault() Backend {
	if s.Backend == "" {
		return DefaultBackend
	}
	return s.Backend
}

// Installer sets up the node-local load balancer for kubeadm join and
// removes it again (failed join, kubeadm reset).
type Installer struct {
	Balancer Balancer
	// Backend names Balancer's kind, for the record and messages; ""
	// means DefaultBackend.
	Backend Backend
	Routes  RouteManager
	// StatePath defaults to DefaultStatePath.
	StatePath string
}

func (in Installer) statePath() string {
	if in.StatePath == "" {
		return DefaultStatePath
	}
	return in.StatePath
}

// ReadState returns the recorded state; found is false when none exists.
func (in Installer) ReadState() (State, bool, error) {
	data, err := os.ReadFile(in.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("reading locallb state: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil || !s.VIP.IsValid() {
		return State{}, false, fmt.Errorf("locallb state %s is corrupt (%v): remove the virtual server by hand (IPVS: ipvsadm -D -t VIP; nftables: nft delete table ip %s) and delete the file", in.statePath(), err, NFTablesTable)
	}
	return s, true, nil
}

// Installed is what one Install call changed, so that Undo reverts exactly
// that and nothing a previous run set up.
type Installed struct {
	in  Installer
	vip netip.AddrPort

	// prevRecord is the record before this run; nil: there was none.
	prevRecord  *State
	wroteRecord bool
	// createdVS: the virtual server did not exist before this run.
	createdVS bool
	// prevVS is the virtual server before this run, when it existed.
	prevVS *VirtualServer
	// addedRoute: this run added the route for the VIP.
	addedRoute bool
	// adopted: this run took the virtual server over (Adopt) from
	// someone else; Undo gives it back as it was.
	adopted bool
	// after is the record as Install left it.
	after State
}

// Install programs e: the virtual server with every master, and a route for
// the VIP when none covers it. It records its intent before touching the
// kernel, so even a crash leaves a record for Cleanup. It refuses a VIP
// whose virtual server exists without our record, since that belongs to
// someone else.
//
// Install is a transaction: on failure it reverts what this call changed
// and leaves what an earlier run set up as it was (a failed re-run keeps
// the working load balancer); on success the returned Installed can revert
// it later (a failed join).
func (in Installer) Install(e Endpoints) (*Installed, error) {
	return in.Adopt(e, nil)
}

// Adopt is Install for a node where another installer (sealos) set up
// the virtual server at e.VIP: with a non-nil a it accepts a virtual server
// that has no record, rewrites it to e and records it (and a.Routes) as
// kubeadm's, so that Cleanup removes it. The caller has checked that it is
// that installer's and that its daemon has stopped. Undo restores the
// virtual server's previous real servers and removes the record; the
// adopted routes stay as they were. With a nil a it is Install.
func (in Installer) Adopt(e Endpoints, a *Adoption) (_ *Installed, err error) {
	if len(e.Masters) == 0 {
		return nil, fmt.Errorf("%w: no masters given; pass at least one --master IP:port", ErrInvalidEndpoint)
	}
	prev, found, err := in.ReadState()
	if err != nil {
		return nil, err
	}
	backend := State{Backend: in.Backend}.BackendOrDefault()
	if found && prev.BackendOrDefault() != backend {
		return nil, fmt.Errorf("the node-local load balancer is already set up with the %s backend (recorded in %s), not %s: run `kubeadm reset` first", prev.BackendOrDefault(), in.statePath(), backend)
	}
	if found && prev.VIP != e.VIP {
		return nil, fmt.Errorf("the node-local load balancer is already set up for VIP %s (recorded in %s), not %s: run `kubeadm reset` first", prev.VIP, in.statePath(), e.VIP)
	}
	cur, exists, err := in.Balancer.Get(e.VIP)
	if err != nil {
		return nil, err
	}
	if !found && exists && a == nil {
		return nil, fmt.Errorf("a %s virtual server %s already exists and kubeadm did not create it (no record in %s): remove it (%s) or choose another VIP; "+
			"if sealos set it up, run `kubeadm join phase locallb` with --adopt-sealos while sealos' lvscare manifest is still in /etc/kubernetes/manifests", backend, e.VIP, in.statePath(), backend.RemoveHint(e.VIP))
	}
	x := &Installed{in: in, vip: e.VIP, createdVS: !exists, adopted: a != nil && !found}
	if found {
		x.prevRecord = &prev
	}
	if exists {
		x.prevVS = &cur
	}
	defer func() {
		if err != nil {
			if uerr := x.Undo(); uerr != nil {
				err = fmt.Errorf("%w; undoing this run also failed: %v", err, uerr)
			}
		}
	}()
	rec := State{VIP: e.VIP, Backend: backend}
	if found {
		rec = prev
		rec.Backend = backend
	}
	adoptChanged := false
	if a != nil {
		if rec.Adopted == "" {
			rec.Adopted, adoptChanged = a.From, true
		}
		for _, h := range a.Routes {
			if !slices.Contains(rec.AdoptedRoutes, h) {
				rec.AdoptedRoutes, adoptChanged = append(slices.Clone(rec.AdoptedRoutes), h), true
			}
		}
	}
	if !found || prev.Backend != backend || adoptChanged {
		if err := in.writeState(rec); err != nil {
			return nil, err
		}
		x.wroteRecord = true
	}
	if err := in.Balancer.Ensure(e.VirtualServer()); err != nil {
		return nil, err
	}
	added, err := in.Routes.Ensure(e.VIP.Addr(), e.Masters[0].Addr())
	if err != nil {
		return nil, err
	}
	if added {
		x.addedRoute = true
		if !rec.Route {
			rec.Route = true
			if err := in.writeState(rec); err != nil {
				return nil, err
			}
			x.wroteRecord = true
		}
	}
	x.after = rec
	return x, nil
}

// Record writes the record as this run's Install left it, so that a later
// reset removes the virtual server: for when something brought it back
// after Undo.
func (x *Installed) Record() error {
	return x.in.writeState(x.after)
}

// CreatedVirtualServer reports whether this run created the virtual server
// (rather than changing one an earlier run set up).
func (x *Installed) CreatedVirtualServer() bool { return x != nil && x.createdVS }

// Undo reverts this run: it removes the route, virtual server and record
// if this run created them, and otherwise restores the virtual server's
// previous real servers and the previous record. It says what it did.
func (x *Installed) Undo() error {
	_, err := x.UndoSteps()
	return err
}

// UndoSteps is Undo, also returning what it undid in words.
func (x *Installed) UndoSteps() (undone []string, err error) {
	if x == nil {
		return nil, nil
	}
	in, backend := x.in, State{Backend: x.in.Backend}.BackendOrDefault().Title()
	var errs []error
	// A VIP this run set up has no route of ours from before it: the care
	// daemon in route mode may have written one even when the join did not
	// need it (another route covered the VIP), so that goes too.
	if x.addedRoute || x.createdVS || x.adopted {
		if err := in.Routes.Remove(x.vip.Addr()); err != nil {
			errs = append(errs, err)
		} else if x.addedRoute {
			undone = append(undone, fmt.Sprintf("removed the route for %s", x.vip.Addr()))
		}
	}
	switch {
	case x.createdVS:
		if err := in.Balancer.Delete(x.vip); err != nil {
			errs = append(errs, err)
		} else {
			undone = append(undone, fmt.Sprintf("removed the %s virtual server %s", backend, x.vip))
		}
	case x.prevVS != nil:
		if err := in.Balancer.Ensure(*x.prevVS); err != nil {
			errs = append(errs, err)
		} else {
			undone = append(undone, fmt.Sprintf("restored the previous real servers of %s (%s)", x.vip, realServersString(x.prevVS.RealServers)))
		}
	}
	if len(errs) > 0 {
		// Keep the record: it names what a later reset must remove.
		return undone, fmt.Errorf("undoing the node-local load balancer for %s: %w; run `kubeadm reset` to remove it", x.vip, errors.Join(errs...))
	}
	if x.wroteRecord {
		if x.prevRecord == nil {
			if err := os.Remove(in.statePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return undone, fmt.Errorf("removing locallb state %s: %w; this run created it and nothing it records is left: delete it by hand", in.statePath(), err)
			}
		} else if err := in.writeState(*x.prevRecord); err != nil {
			return undone, err
		}
	}
	return undone, nil
}

func realServersString(rs []RealServer) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.Addr.String()
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (in Installer) writeState(s State) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding locallb state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(in.statePath()), 0o700); err != nil {
		return fmt.Errorf("creating the locallb state directory: %w", err)
	}
	if _, err := atomicfile.WriteFile(in.statePath(), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("recording locallb state: %w", err)
	}
	return nil
}

// Cleanup removes what the record says we created, then the record. With
// no record it does nothing. It is safe to call repeatedly.
func (in Installer) Cleanup() error {
	s, found, err := in.ReadState()
	if err != nil || !found {
		return err
	}
	var errs []error
	if err := in.Balancer.Delete(s.VIP); err != nil {
		errs = append(errs, err)
	}
	if err := in.Routes.Remove(s.VIP.Addr()); err != nil {
		errs = append(errs, err)
	}
	for _, h := range s.AdoptedRoutes {
		if err := in.Routes.RemoveHostRoute(h); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// Keep the record so a later reset can try again.
		return fmt.Errorf("removing the node-local load balancer for %s: %w", s.VIP, errors.Join(errs...))
	}
	if err := os.Remove(in.statePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing locallb state: %w", err)
	}
	return nil
}
