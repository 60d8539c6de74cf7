package care

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// PortHolder is a TCP socket that keeps an address from being bound, as
// /proc shows it.
type PortHolder struct {
	// Local is the address the socket is bound to: the one asked for, or
	// the wildcard address with its port.
	Local netip.AddrPort
	// Listening: the socket listens; otherwise it is only bound.
	Listening bool
	// UID owns the socket.
	UID uint32
	// Inode is the socket's inode (socket:[inode] in /proc/PID/fd).
	Inode uint64
	// Processes have the socket open. Empty when /proc shows none: they
	// run in another PID namespace (the care daemon's pod has its own) or
	// as another user, whose descriptors only root may read.
	Processes []Process
}

// Process is a process as /proc shows it.
type Process struct {
	PID  int
	Comm string
}

func (h PortHolder) String() string {
	state := "a socket bound to"
	if h.Listening {
		state = "a listening socket on"
	}
	s := fmt.Sprintf("%s %s of uid %d", state, h.Local, h.UID)
	if len(h.Processes) == 0 {
		return s + fmt.Sprintf(" (socket inode %d; no process visible from here: it runs in another PID namespace or as another user; as root on the node, `ss -ltnp 'sport = :%d'` names it)", h.Inode, h.Local.Port())
	}
	procs := make([]string, len(h.Processes))
	for i, p := range h.Processes {
		procs[i] = fmt.Sprintf("pid %d (%s)", p.PID, p.Comm)
	}
	return s + ", open in " + strings.Join(procs, ", ")
}

// FindPortHolders returns the TCP sockets of this network namespace that
// keep addr from being bound (bound to it, or to its port on the wildcard
// address), with the processes that hold them, from /proc. Exact matches
// come first.
func FindPortHolders(addr netip.AddrPort) ([]PortHolder, error) {
	return findPortHolders(os.DirFS("/proc"), binary.NativeEndian, addr)
}

// findPortHolders reads proc (a /proc tree), whose socket tables print
// addresses in the byte order order.
func findPortHolders(proc fs.FS, order binary.ByteOrder, addr netip.AddrPort) ([]PortHolder, error) {
	want := addr.Addr().Unmap()
	var holders []PortHolder
	var errs []error
	for _, table := range []string{"net/tcp", "net/tcp6"} {
		data, err := fs.ReadFile(proc, table)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || table == "net/tcp" {
				errs = append(errs, fmt.Errorf("reading /proc/%s: %w", table, err))
			}
			continue
		}
		socks, err := parseTCPTable(data, order)
		if err != nil {
			errs = append(errs, fmt.Errorf("/proc/%s: %w", table, err))
			continue
		}
		for _, s := range socks {
			local := s.Local.Addr().Unmap()
			// A socket only bound (CLOSE, no peer) holds the address too.
			bound := s.State == tcpListen || (s.State == tcpClose && !s.Remote.Addr().IsValid())
			if !bound || s.Local.Port() != addr.Port() {
				continue
			}
			// An IPv6 wildcard socket takes IPv4 too unless IPV6_V6ONLY,
			// which /proc does not show: count it.
			if local != want && !local.IsUnspecified() {
				continue
			}
			holders = append(holders, PortHolder{Local: netip.AddrPortFrom(local, s.Local.Port()), Listening: s.State == tcpListen, UID: s.UID, Inode: s.Inode})
		}
	}
	if len(holders) == 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(holders, func(a, b PortHolder) int {
		ea, eb := a.Local.Addr() == want, b.Local.Addr() == want
		switch {
		case ea && !eb:
			return -1
		case eb && !ea:
			return 1
		}
		return 0
	})
	owners := socketOwners(proc, holders)
	for i := range holders {
		holders[i].Processes = owners[holders[i].Inode]
	}
	return holders, nil
}

// socketOwners scans /proc/PID/fd for the holders' sockets. Processes
// whose descriptors cannot be read are skipped: that is what the
// holder's String says when none is found.
func socketOwners(proc fs.FS, holders []PortHolder) map[uint64][]Process {
	links := map[string]uint64{}
	for _, h := range holders {
		links["socket:["+strconv.FormatUint(h.Inode, 10)+"]"] = h.Inode
	}
	owners := map[uint64][]Process{}
	pids, err := fs.ReadDir(proc, ".")
	if err != nil {
		return owners
	}
	for _, e := range pids {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		fds, err := fs.ReadDir(proc, path.Join(e.Name(), "fd"))
		if err != nil {
			continue
		}
		seen := map[uint64]bool{}
		for _, fd := range fds {
			target, err := fs.ReadLink(proc, path.Join(e.Name(), "fd", fd.Name()))
			if err != nil {
				continue
			}
			inode, ok := links[target]
			if !ok || seen[inode] {
				continue
			}
			seen[inode] = true
			comm, _ := fs.ReadFile(proc, path.Join(e.Name(), "comm"))
			owners[inode] = append(owners[inode], Process{PID: pid, Comm: strings.TrimSpace(string(comm))})
		}
	}
	return owners
}

// TCP states in /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpClose  = 0x07
	tcpListen = 0x0A
)

// tcpSocket is one line of /proc/net/tcp or /proc/net/tcp6.
type tcpSocket struct {
	Local, Remote netip.AddrPort // Remote is invalid when unset (0:0)
	State         int
	UID           uint32
	Inode         uint64
}

// parseTCPTable parses /proc/net/tcp or tcp6 (net/ipv4/tcp_ipv4.c,
// net/ipv6/tcp_ipv6.c): after a header line,
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//
// where an address is the hex of its 32-bit words as the kernel holds
// them (host order, hence order) and the port is hex.
func parseTCPTable(data []byte, order binary.ByteOrder) ([]tcpSocket, error) {
	var socks []tcpSocket
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if first {
			first = false
			if len(f) > 0 && f[0] == "sl" {
				continue
			}
		}
		if len(f) == 0 {
			continue
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("line %d %q: %d fields, want at least 10", n, sc.Text(), len(f))
		}
		local, err := parseProcAddr(f[1], order)
		if err != nil {
			return nil, fmt.Errorf("line %d: local address: %w", n, err)
		}
		remote, err := parseProcAddr(f[2], order)
		if err != nil {
			return nil, fmt.Errorf("line %d: remote address: %w", n, err)
		}
		if remote.Port() == 0 && remote.Addr().IsUnspecified() {
			remote = netip.AddrPort{}
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("line %d: state %q: %w", n, f[3], err)
		}
		uid, err := strconv.ParseUint(f[7], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: uid %q: %w", n, f[7], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: inode %q: %w", n, f[9], err)
		}
		socks = append(socks, tcpSocket{Local: local, Remote: remote, State: int(state), UID: uint32(uid), Inode: inode})
	}
	return socks, sc.Err()
}

// parseProcAddr parses ADDR:PORT as /proc/net/tcp{,6} print it.
func parseProcAddr(s string, order binary.ByteOrder) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%q is not ADDR:PORT", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("%q: the address is not 8 or 32 hex digits", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: port: %w", s, err)
	}
	// Each 32-bit word was printed as a number: its bytes in memory
	// (network order) come back by writing it in host order.
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		order.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
