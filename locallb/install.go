package locallb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"

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
}

// BackendOrDefault is s.Backend, or DefaultBackend when the record has none.
func (s State) BackendOrDefault() Backend {
	if s.Backend == "" {
		return DefaultBackend
	}
	return s.Backend
}

// removeHint says how to remove a virtual server by hand.
func removeHint(b Backend, vip netip.AddrPort) string {
	if b == BackendNFTables {
		fam := "ip"
		if vip.Addr().Is6() {
			fam = "ip6"
		}
		return fmt.Sprintf("nft delete table %s %s", fam, NFTablesTable)
	}
	return fmt.Sprintf("ipvsadm -D -t %s", vip)
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

// Install programs e: the virtual server with every master, and a route for
// the VIP when none covers it. It records its intent before touching the
// kernel, so even a crash leaves a record for Cleanup; on failure it removes
// what it created. It refuses a VIP whose virtual server exists without
// our record, since that belongs to someone else.
func (in Installer) Install(e Endpoints) (err error) {
	if len(e.Masters) == 0 {
		return fmt.Errorf("%w: no masters given; pass at least one --master IP:port", ErrInvalidEndpoint)
	}
	prev, found, err := in.ReadState()
	if err != nil {
		return err
	}
	backend := State{Backend: in.Backend}.BackendOrDefault()
	if found && prev.BackendOrDefault() != backend {
		return fmt.Errorf("the node-local load balancer is already set up with the %s backend (recorded in %s), not %s: run `kubeadm reset` first", prev.BackendOrDefault(), in.statePath(), backend)
	}
	if found && prev.VIP != e.VIP {
		return fmt.Errorf("the node-local load balancer is already set up for VIP %s (recorded in %s), not %s: run `kubeadm reset` first", prev.VIP, in.statePath(), e.VIP)
	}
	if !found {
		if _, exists, err := in.Balancer.Get(e.VIP); err != nil {
			return err
		} else if exists {
			return fmt.Errorf("a %s virtual server %s already exists and kubeadm did not create it (no record in %s): remove it (%s) or choose another VIP", backend, e.VIP, in.statePath(), removeHint(backend, e.VIP))
		}
		if err := in.writeState(State{VIP: e.VIP, Backend: backend}); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil {
			if cerr := in.Cleanup(); cerr != nil {
				err = fmt.Errorf("%w; cleaning up also failed: %v", err, cerr)
			}
		}
	}()
	if err := in.Balancer.Ensure(e.VirtualServer()); err != nil {
		return err
	}
	if _, err := in.Routes.Ensure(e.VIP.Addr(), e.Masters[0].Addr()); err != nil {
		return err
	}
	return nil
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
	if len(errs) > 0 {
		// Keep the record so a later reset can try again.
		return fmt.Errorf("removing the node-local load balancer for %s: %w", s.VIP, errors.Join(errs...))
	}
	if err := os.Remove(in.statePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing locallb state: %w", err)
	}
	return nil
}
