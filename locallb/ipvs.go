package locallb

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ipvsHandle is the part of *ipvs.Handle the reconcile logic uses, so that
// logic is unit-tested against an in-memory handle.
type ipvsHandle interface {
	GetService(*ipvs.Service) (*ipvs.Service, error)
	NewService(*ipvs.Service) error
	UpdateService(*ipvs.Service) error
	DelService(*ipvs.Service) error
	GetDestinations(*ipvs.Service) ([]*ipvs.Destination, error)
	NewDestination(*ipvs.Service, *ipvs.Destination) error
	UpdateDestination(*ipvs.Service, *ipvs.Destination) error
	DelDestination(*ipvs.Service, *ipvs.Destination) error
	Close()
}

// IPVS is the Balancer on the kernel's IPVS: TCP virtual servers,
// round-robin, masquerade (NAT) to the real servers. Safe for use by one
// goroutine at a time.
type IPVS struct {
	h      ipvsHandle
	nsPath string
	// sched is the virtual server's scheduler; "" is round-robin.
	sched string
}

// IPVSSchedulers are the schedulers SetScheduler takes (github.com/moby/ipvs
// names them; public lvscare accepts exactly these).
var IPVSSchedulers = []string{ipvs.RoundRobin, ipvs.WeightedRoundRobin, ipvs.LeastConnection, ipvs.WeightedLeastConnection, ipvs.DestinationHashing, ipvs.SourceHashing}

// SetScheduler makes Ensure program (and restore) name as the virtual
// server's scheduler instead of round-robin. The kernel loads the
// scheduler's module (ip_vs_<name>) on first use.
func (b *IPVS) SetScheduler(name string) error {
	if !slices.Contains(IPVSSchedulers, name) {
		return fmt.Errorf("IPVS scheduler %q is not supported: use one of %s", name, strings.Join(IPVSSchedulers, ", "))
	}
	b.sched = name
	return nil
}

var _ Balancer = (*IPVS)(nil)

// IPVSOptions configures NewIPVS.
type IPVSOptions struct {
	// NetnsPath is the network namespace to program, e.g.
	// /var/run/netns/x; empty means the caller's.
	NetnsPath string
	// Modules loads the kernel modules IPVS needs; the zero value uses the
	// running kernel's /lib/modules.
	Modules KernelModules
}

// ErrStaleIPVSFamily means IPVS is available now but this process asked for
// it before the module was loaded: github.com/moby/ipvs looks up the IPVS
// netlink family once per process and keeps the failed answer, after which
// every call "succeeds" without reaching the kernel.
var ErrStaleIPVSFamily = errors.New("this process looked up IPVS before the ip_vs module was loaded and github.com/moby/ipvs caches that lookup for the life of the process; restart the process")

// NewIPVS checks that the kernel has IPVS (loading ip_vs, ip_vs_rr and
// nf_conntrack when needed) and only then opens the moby/ipvs handle, because
// moby/ipvs reports success on a kernel without IPVS and never retries its
// family lookup. It also probes the handle so a process that touched
// moby/ipvs too early gets ErrStaleIPVSFamily instead of silent no-ops.
func NewIPVS(opts IPVSOptions) (*IPVS, error) {
	if err := DetectIPVS(opts.Modules); err != nil {
		return nil, err
	}
	if _, err := netlink.GenlFamilyGet("IPVS"); err != nil {
		return nil, fmt.Errorf("%w: /proc/net/ip_vs exists but the kernel has no IPVS generic netlink family (%v); load it with `modprobe ip_vs ip_vs_rr nf_conntrack`, or use the nftables backend", ErrIPVSUnavailable, err)
	}
	h, err := ipvs.New(opts.NetnsPath)
	if err != nil {
		return nil, fmt.Errorf("opening IPVS netlink handle (netns %q): %w", opts.NetnsPath, err)
	}
	if err := probeHandle(h); err != nil {
		h.Close()
		return nil, err
	}
	return &IPVS{h: h, nsPath: opts.NetnsPath}, nil
}

// probeHandle asks for the IPVS timeouts, a request that always has an
// answer on a working handle. With a cached family of 0, moby/ipvs gets no
// answer and panics indexing it; recover turns that into an error.
func probeHandle(h interface{ GetConfig() (*ipvs.Config, error) }) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w (probe panicked: %v)", ErrStaleIPVSFamily, r)
		}
	}()
	cfg, err := h.GetConfig()
	if err != nil {
		return fmt.Errorf("probing the IPVS handle: %w", err)
	}
	if cfg == nil {
		return ErrStaleIPVSFamily
	}
	return nil
}

// Close releases the netlink socket.
func (b *IPVS) Close() { b.h.Close() }

// FlushRealServer resets the local sockets whose IPVS connection through
// vip goes to rs (see FlowFlusher and flows.go).
func (b *IPVS) FlushRealServer(vip, rs netip.AddrPort) (int, error) {
	return flushIPVS(b.nsPath, vip, rs)
}

// FlushOrphans resets the local sockets connected to vip whose IPVS
// connection entry is gone (see OrphanFlusher and flushIPVSOrphans).
func (b *IPVS) FlushOrphans(vip netip.AddrPort) (int, error) {
	return flushIPVSOrphans(b.nsPath, vip)
}

// toService is the IPVS service for vip with scheduler sched ("" is
// round-robin). The kernel finds a service by address, port and protocol,
// so lookups and deletes may pass any scheduler; what Ensure writes and what
// Get compares against must pass the balancer's (IPVS.sched).
//
// The netmask is what kube-proxy and ipvsadm use: only meaningful for
// persistence, which we do not set, but the kernel stores it.
func toService(vip netip.AddrPort, sched string) *ipvs.Service {
	if sched == "" {
		sched = ipvs.RoundRobin
	}
	s := &ipvs.Service{
		Address:   net.IP(vip.Addr().AsSlice()),
		Protocol:  syscall.IPPROTO_TCP,
		Port:      vip.Port(),
		SchedName: sched,
	}
	if vip.Addr().Is4() {
		s.AddressFamily, s.Netmask = syscall.AF_INET, 0xffffffff
	} else {
		s.AddressFamily, s.Netmask = syscall.AF_INET6, 128
	}
	return s
}

func toDestination(rs RealServer) *ipvs.Destination {
	d := &ipvs.Destination{
		Address:         net.IP(rs.Addr.Addr().AsSlice()),
		Port:            rs.Addr.Port(),
		Weight:          rs.Weight,
		ConnectionFlags: ipvs.ConnectionFlagMasq,
		AddressFamily:   syscall.AF_INET,
	}
	if rs.Addr.Addr().Is6() {
		d.AddressFamily = syscall.AF_INET6
	}
	return d
}

func destAddr(d *ipvs.Destination) netip.AddrPort {
	a, _ := netip.AddrFromSlice(d.Address)
	return netip.AddrPortFrom(a.Unmap(), d.Port)
}

// isAbsent reports the kernel's "no such virtual server / real server".
func isAbsent(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT)
}

// validateVirtualServer rejects what the kernel would reject less clearly.
func validateVirtualServer(vs VirtualServer) error {
	v := vs.VIP.Addr()
	if !v.IsValid() || vs.VIP.Port() == 0 || v.Zone() != "" || v.Is4In6() {
		return fmt.Errorf("virtual server %q: need an unzoned, unmapped IP and a port 1-65535", vs.VIP)
	}
	seen := make(map[netip.AddrPort]bool, len(vs.RealServers))
	for _, rs := range vs.RealServers {
		a := rs.Addr.Addr()
		if !a.IsValid() || rs.Addr.Port() == 0 || a.Zone() != "" || a.Is4In6() {
			return fmt.Errorf("virtual server %s: real server %q: need an unzoned, unmapped IP and a port 1-65535", vs.VIP, rs.Addr)
		}
		if a.Is4() != v.Is4() {
			return fmt.Errorf("virtual server %s: real server %s is of another address family; use one family", vs.VIP, rs.Addr)
		}
		if rs.Weight < 0 || rs.Weight > math.MaxInt32 {
			return fmt.Errorf("virtual server %s: real server %s: weight %d out of range 0-%d", vs.VIP, rs.Addr, rs.Weight, math.MaxInt32)
		}
		if seen[rs.Addr] {
			return fmt.Errorf("virtual server %s: real server %s listed twice", vs.VIP, rs.Addr)
		}
		seen[rs.Addr] = true
	}
	return nil
}

// Ensure reconciles vs into the kernel. When nothing differs it costs one
// service lookup and one real-server dump and writes nothing. Missing and
// changed real servers are handled before extra ones are removed, so the
// virtual server never passes through an empty state.
func (b *IPVS) Ensure(vs VirtualServer) error {
	return ensureSched(b.h, vs, b.sched)
}

func ensure(h ipvsHandle, vs VirtualServer) error { return ensureSched(h, vs, "") }

// ensureSched is ensure with scheduler sched ("" is round-robin).
func ensureSched(h ipvsHandle, vs VirtualServer, sched string) error {
	if err := validateVirtualServer(vs); err != nil {
		return err
	}
	svc := toService(vs.VIP, sched)
	cur, err := h.GetService(svc)
	switch {
	case isAbsent(err):
		if err := h.NewService(svc); err != nil {
			if svc.SchedName != ipvs.RoundRobin {
				return fmt.Errorf("creating IPVS virtual server %s with scheduler %s: %w (the kernel needs the module ip_vs_%s: modprobe ip_vs_%s, or use --scheduler rr)", vs.VIP, svc.SchedName, err, svc.SchedName, svc.SchedName)
			}
			return fmt.Errorf("creating IPVS virtual server %s: %w", vs.VIP, err)
		}
		for _, rs := range vs.RealServers {
			if err := h.NewDestination(svc, toDestination(rs)); err != nil {
				return fmt.Errorf("adding real server %s to IPVS virtual server %s: %w", rs.Addr, vs.VIP, err)
			}
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading IPVS virtual server %s: %w", vs.VIP, err)
	}
	if cur.SchedName != svc.SchedName || cur.Flags&ipvsPersistentFlag != 0 {
		if err := h.UpdateService(svc); err != nil {
			return fmt.Errorf("resetting IPVS virtual server %s to scheduler %s without persistence (was %q, flags %#x): %w", vs.VIP, svc.SchedName, cur.SchedName, cur.Flags, err)
		}
	}
	dests, err := h.GetDestinations(svc)
	if err != nil {
		return fmt.Errorf("listing real servers of IPVS virtual server %s: %w", vs.VIP, err)
	}
	have := make(map[netip.AddrPort]*ipvs.Destination, len(dests))
	for _, d := range dests {
		have[destAddr(d)] = d
	}
	want := make(map[netip.AddrPort]bool, len(vs.RealServers))
	for _, rs := range vs.RealServers {
		want[rs.Addr] = true
		d, ok := have[rs.Addr]
		switch {
		case !ok:
			if err := h.NewDestination(svc, toDestination(rs)); err != nil {
				return fmt.Errorf("adding real server %s to IPVS virtual server %s: %w", rs.Addr, vs.VIP, err)
			}
		case d.Weight != rs.Weight || d.ConnectionFlags&ipvs.ConnectionFlagFwdMask != ipvs.ConnectionFlagMasq:
			if err := h.UpdateDestination(svc, toDestination(rs)); err != nil {
				return fmt.Errorf("setting weight %d and masquerade on real server %s of IPVS virtual server %s: %w", rs.Weight, rs.Addr, vs.VIP, err)
			}
		}
	}
	for addr, d := range have {
		if !want[addr] {
			if err := h.DelDestination(svc, d); err != nil && !isAbsent(err) {
				return fmt.Errorf("removing real server %s from IPVS virtual server %s: %w", addr, vs.VIP, err)
			}
		}
	}
	return nil
}

// forwardingName is ipvsadm's name of an IPVS forwarding method.
func forwardingName(fwd uint32) string {
	switch fwd {
	case ipvs.ConnectionFlagMasq:
		return "masquerade"
	case ipvs.ConnectionFlagLocalNode:
		return "local"
	case ipvs.ConnectionFlagTunnel:
		return "tunnel"
	case ipvs.ConnectionFlagDirectRoute:
		return "route"
	}
	return fmt.Sprintf("%#x", fwd)
}

// ipvsPersistentFlag is IP_VS_SVC_F_PERSISTENT: sticky clients would defeat
// round-robin and failover, so Ensure clears it.
const ipvsPersistentFlag = 0x1

// SetWeight changes one real server's weight; 0 drains it.
func (b *IPVS) SetWeight(vip, rs netip.AddrPort, weight int) error {
	return setWeight(b.h, vip, rs, weight)
}

func setWeight(h ipvsHandle, vip, rs netip.AddrPort, weight int) error {
	if weight < 0 || weight > math.MaxInt32 {
		return fmt.Errorf("real server %s of %s: weight %d out of range 0-%d", rs, vip, weight, math.MaxInt32)
	}
	err := h.UpdateDestination(toService(vip, ""), toDestination(RealServer{Addr: rs, Weight: weight}))
	if isAbsent(err) {
		return fmt.Errorf("setting weight of real server %s of IPVS virtual server %s: no such virtual or real server (%w); call Ensure first", rs, vip, err)
	}
	if err != nil {
		return fmt.Errorf("setting weight %d on real server %s of IPVS virtual server %s: %w", weight, rs, vip, err)
	}
	return nil
}

// Delete removes the virtual server at vip (and with it its real servers).
func (b *IPVS) Delete(vip netip.AddrPort) error { return deleteService(b.h, vip) }

func deleteService(h ipvsHandle, vip netip.AddrPort) error {
	if err := h.DelService(toService(vip, "")); err != nil && !isAbsent(err) {
		return fmt.Errorf("deleting IPVS virtual server %s: %w", vip, err)
	}
	return nil
}

// Get reads the virtual server at vip, real servers sorted by address.
func (b *IPVS) Get(vip netip.AddrPort) (VirtualServer, bool, error) {
	return getSched(b.h, vip, b.sched)
}

func get(h ipvsHandle, vip netip.AddrPort) (VirtualServer, bool, error) { return getSched(h, vip, "") }

// getSched is get for a balancer whose scheduler is sched ("" is
// round-robin): another scheduler in the kernel is a deviation.
func getSched(h ipvsHandle, vip netip.AddrPort, sched string) (VirtualServer, bool, error) {
	svc := toService(vip, sched)
	cur, err := h.GetService(svc)
	if isAbsent(err) {
		return VirtualServer{}, false, nil
	} else if err != nil {
		return VirtualServer{}, false, fmt.Errorf("reading IPVS virtual server %s: %w", vip, err)
	}
	dests, err := h.GetDestinations(svc)
	if err != nil {
		return VirtualServer{}, false, fmt.Errorf("listing real servers of IPVS virtual server %s: %w", vip, err)
	}
	vs := VirtualServer{VIP: vip, RealServers: make([]RealServer, 0, len(dests))}
	if cur != nil && cur.SchedName != svc.SchedName {
		vs.Deviations = append(vs.Deviations, fmt.Sprintf("scheduler %s", cur.SchedName))
	}
	if cur != nil && cur.Flags&ipvsPersistentFlag != 0 {
		vs.Deviations = append(vs.Deviations, "persistent")
	}
	for _, d := range dests {
		vs.RealServers = append(vs.RealServers, RealServer{Addr: destAddr(d), Weight: d.Weight})
	}
	SortRealServers(vs.RealServers)
	for _, d := range dests {
		if fwd := d.ConnectionFlags & ipvs.ConnectionFlagFwdMask; fwd != ipvs.ConnectionFlagMasq {
			vs.Deviations = append(vs.Deviations, fmt.Sprintf("real server %s forwarding %s", destAddr(d), forwardingName(fwd)))
		}
	}
	slices.Sort(vs.Deviations)
	return vs, true, nil
}

// SortRealServers orders real servers by address then port, the order Get
// returns, so callers can compare with reflect.DeepEqual.
func SortRealServers(rs []RealServer) {
	slices.SortFunc(rs, func(a, b RealServer) int { return a.Addr.Compare(b.Addr) })
}
