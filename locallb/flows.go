package locallb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Ending the connections of a dead real server.
//
// Draining (weight 0) keeps established connections: the real server is
// alive and finishes them. A real server that stopped answering is another
// matter: its established connections hang until the client's own timeouts
// (the kubelet's one HTTP/2 connection: about 45 s), because the kernel
// keeps sending their packets to it. FlushRealServer ends them at once.
//
// Every client of our virtual servers is a local socket: both backends
// catch locally generated packets only (IPVS on LOCAL_OUT, nftables in a
// hook-output chain). So the sure way to end a connection is to reset the
// client's socket itself (SOCK_DESTROY over NETLINK_SOCK_DIAG, what `ss -K`
// does; the kernel needs CONFIG_INET_DIAG_DESTROY): a blocked read returns
// ECONNABORTED at once, without waiting for the client to send anything.
// What each backend does besides:
//
//   - nftables deletes the conntrack entries of those connections. The
//     client's next packet then has no NAT mapping; our DNAT rule maps only
//     SYNs, and the filter-output rule answers anything still addressed to
//     VIP:port with a TCP reset (its sequence number is the packet's
//     acknowledgement, so the client accepts it). Without that rule the
//     packet would leave the node addressed to the VIP, which nobody owns: a
//     silent black hole. This is the fallback when the kernel cannot destroy
//     sockets: the connection ends at the client's next packet.
//   - IPVS has no call that deletes a connection entry. Its sysctl
//     net.ipv4.vs.expire_nodest_conn (per network namespace) would expire
//     the entries of a deleted destination, but IPVS schedules only SYNs, so
//     the client's next segment would leave the node addressed to the VIP:
//     the same black hole, not a failure. So the IPVS backend leaves the
//     sysctl alone and relies on resetting the sockets; /proc/net/ip_vs_conn
//     tells which local sockets go to the real server.

// FlowFlusher is implemented by balancers that can end the established
// connections through a virtual server to one real server (both kernel
// backends and the fake do). It is a separate interface so that balancers
// without it (e.g. a test's userspace proxy) still satisfy Balancer.
type FlowFlusher interface {
	// FlushRealServer ends every established TCP connection through vip
	// to rs, for a real server that was removed because it is dead: the
	// clients' sockets are reset now (they read an error at once) and the
	// backend's flow entries are removed. Call it after rs has left the
	// virtual server, so no new connection reaches it meanwhile. It returns
	// how many connections it ended (sockets reset; where the kernel cannot
	// reset them, conntrack entries deleted); none is not an error. An error
	// wrapping ErrSocketDestroyUnsupported means the kernel cannot reset
	// sockets: the connections were found but end only at their client's
	// next packet (nftables) or not at all (IPVS).
	FlushRealServer(vip, rs netip.AddrPort) (int, error)
}

// OrphanFlusher is implemented by balancers whose established connections
// can outlive their flow entries when the virtual server is deleted and
// put back (IPVS). Call FlushOrphans right after restoring a virtual server
// that something else deleted.
type OrphanFlusher interface {
	// FlushOrphans resets the local sockets connected to vip that have no
	// flow entry left: their packets would match nothing and be lost, so
	// their clients would hang until their own timeouts. It returns how
	// many it reset.
	FlushOrphans(vip netip.AddrPort) (int, error)
}

// ErrSocketDestroyUnsupported is wrapped when the kernel refuses
// SOCK_DESTROY (built without CONFIG_INET_DIAG_DESTROY) or has no TCP
// socket diagnostics (modules inet_diag, tcp_diag).
var ErrSocketDestroyUnsupported = errors.New("the kernel cannot reset sockets")

// clientFlow is one connection through a virtual server: the client's
// socket (local address) and the VIP:port it is connected to.
type clientFlow struct {
	client, vip netip.AddrPort
}

// withNetns runs f with a handle of the network namespace at path (the
// caller's when path is empty).
func withNetns(path string, f func(ns netns.NsHandle) error) error {
	if path == "" {
		return f(netns.None())
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	defer ns.Close()
	return f(ns)
}

// inNetnsThread runs f on a locked thread inside ns (as is when ns is None).
func inNetnsThread(ns netns.NsHandle, f func() error) error {
	if !ns.IsOpen() {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("reading the current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering network namespace: %w", err)
			return
		}
		err = f()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and dies with this goroutine
		errc <- err
	}()
	return <-errc
}

// destroySockets resets the local TCP sockets of flows in ns. Sockets that
// are already gone are not an error. It returns how many it reset.
func destroySockets(ns netns.NsHandle, flows []clientFlow) (int, error) {
	if len(flows) == 0 {
		return 0, nil
	}
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_INET_DIAG)
	if err != nil {
		return 0, fmt.Errorf("opening a NETLINK_SOCK_DIAG socket: %w", err)
	}
	defer s.Close()
	if err := tcpDiagAvailable(s, flows[0].vip.Addr()); err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, f := range flows {
		req := nl.NewNetlinkRequest(nl.SOCK_DESTROY, unix.NLM_F_ACK)
		req.AddData(newInetDiagReq(f.client, f.vip))
		req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_INET_DIAG: {Socket: s}}
		_, err := req.Execute(unix.NETLINK_INET_DIAG, 0)
		switch {
		case err == nil:
			n++
		case errors.Is(err, unix.ENOENT):
			// closed meanwhile
		case errors.Is(err, unix.EOPNOTSUPP):
			return n, fmt.Errorf("resetting the socket %s -> %s: %w: SOCK_DESTROY needs a kernel built with CONFIG_INET_DIAG_DESTROY (%v); without it the nftables backend still ends such connections at their next packet, IPVS does not", f.client, f.vip, ErrSocketDestroyUnsupported, err)
		default:
			errs = append(errs, fmt.Errorf("resetting the socket %s -> %s: %w", f.client, f.vip, err))
		}
	}
	return n, errors.Join(errs...)
}

// tcpDiagAvailable asks for a dump of TCP sockets in no state (an empty
// answer at no cost) to tell "no such socket" from "no TCP socket
// diagnostics": the kernel answers ENOENT to a SOCK_DESTROY in both cases.
// It loads inet_diag and tcp_diag on demand where modprobe can run; a
// kernel without them cannot reset sockets.
func tcpDiagAvailable(s *nl.NetlinkSocket, fam netip.Addr) error {
	req := nl.NewNetlinkRequest(nl.SOCK_DIAG_BY_FAMILY, unix.NLM_F_DUMP)
	r := newInetDiagReq(netip.AddrPortFrom(fam, 0), netip.AddrPortFrom(fam, 0))
	binary.NativeEndian.PutUint32(r[4:], 0) // no state: nothing to list
	req.AddData(r)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_INET_DIAG: {Socket: s}}
	if _, err := req.Execute(unix.NETLINK_INET_DIAG, nl.SOCK_DIAG_BY_FAMILY); err != nil {
		return fmt.Errorf("%w: no TCP socket diagnostics (%v); load them with `modprobe inet_diag tcp_diag`", ErrSocketDestroyUnsupported, err)
	}
	return nil
}

// inetDiagReq is struct inet_diag_req_v2 naming one TCP socket by its
// local and remote address (the kernel looks it up as an incoming packet
// would).
type inetDiagReq [56]byte

func newInetDiagReq(local, remote netip.AddrPort) *inetDiagReq {
	var r inetDiagReq
	r[0] = unix.AF_INET
	if local.Addr().Is6() {
		r[0] = unix.AF_INET6
	}
	r[1] = unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(r[4:], ^uint32(0)) // every state
	binary.BigEndian.PutUint16(r[8:], local.Port())
	binary.BigEndian.PutUint16(r[10:], remote.Port())
	copy(r[12:28], local.Addr().AsSlice())
	copy(r[28:44], remote.Addr().AsSlice())
	// interface 0; no cookie
	binary.NativeEndian.PutUint32(r[48:], nl.TCPDIAG_NOCOOKIE)
	binary.NativeEndian.PutUint32(r[52:], nl.TCPDIAG_NOCOOKIE)
	return &r
}

func (r *inetDiagReq) Len() int          { return len(r) }
func (r *inetDiagReq) Serialize() []byte { return r[:] }

// conntrackTable is the part of the kernel's conntrack table that the
// flush uses; netlinkConntrack is the kernel's, tests use a fake.
type conntrackTable interface {
	// dump calls f with each entry of family fam, one at a time, as the
	// kernel sends them: the netlink payload (nfgenmsg and attributes). f
	// must not keep msg; the buffer is reused.
	dump(fam uint8, f func(msg []byte)) error
	// delete deletes the entry that dump passed as msg.
	delete(fam uint8, msg []byte) error
}

// netlinkConntrack is conntrackTable over a NETLINK_NETFILTER socket.
//
// It streams the dump: the library's ConntrackTableList and
// ConntrackDeleteFilters each hold the whole table in memory, raw and
// parsed (about 1 KiB per entry: 100 MiB for a node with 100000 entries),
// far beyond the care daemon's 16 MiB; here one receive buffer is live at a
// time and only matching entries are kept.
type netlinkConntrack struct {
	s *nl.SocketHandle
}

func newNetlinkConntrack(ns netns.NsHandle) (*netlinkConntrack, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("opening a conntrack netlink socket: %w", err)
	}
	return &netlinkConntrack{s: &nl.SocketHandle{Socket: s}}, nil
}

func (c *netlinkConntrack) close() { c.s.Close() }

func (c *netlinkConntrack) request(op, flags int, fam uint8) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(int(netlink.ConntrackTable)<<8|op, flags)
	req.AddData(&nl.Nfgenmsg{NfgenFamily: fam, Version: nl.NFNETLINK_V0})
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_NETFILTER: c.s}
	return req
}

func (c *netlinkConntrack) dump(fam uint8, f func([]byte)) error {
	err := c.request(nl.IPCTNL_MSG_CT_GET, unix.NLM_F_DUMP, fam).ExecuteIter(unix.NETLINK_NETFILTER, 0, func(msg []byte) bool {
		f(msg)
		return true
	})
	if errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil // still a list; an entry it missed is left for the client's next packet
	}
	return err
}

func (c *netlinkConntrack) delete(fam uint8, msg []byte) error {
	if len(msg) < nfgenmsgLen {
		return fmt.Errorf("conntrack entry of %d bytes", len(msg))
	}
	req := c.request(nl.IPCTNL_MSG_CT_DELETE, unix.NLM_F_ACK, fam)
	// The entry's own attributes: its tuples and CTA_ID, so exactly this
	// entry goes, not a later one with the same addresses.
	req.AddRawData(msg[nfgenmsgLen:])
	_, err := req.Execute(unix.NETLINK_NETFILTER, 0)
	return err
}

// nfgenmsgLen is the size of struct nfgenmsg, before a conntrack entry's
// attributes.
const nfgenmsgLen = 4

// ctTuple is what the flush reads of one conntrack tuple.
type ctTuple struct {
	proto    uint8
	src, dst netip.AddrPort
}

// parseCTEntry reads the original and reply tuples of a conntrack entry
// (msg as dump passes it) without allocating: it runs once per entry of
// the whole table. ok is false for a message it cannot read.
func parseCTEntry(msg []byte) (orig, reply ctTuple, ok bool) {
	if len(msg) < nfgenmsgLen {
		return orig, reply, false
	}
	var haveOrig, haveReply bool
	forEachAttr(msg[nfgenmsgLen:], func(typ uint16, v []byte) {
		switch typ {
		case nl.CTA_TUPLE_ORIG:
			orig, haveOrig = parseCTTuple(v)
		case nl.CTA_TUPLE_REPLY:
			reply, haveReply = parseCTTuple(v)
		}
	})
	return orig, reply, haveOrig && haveReply
}

func parseCTTuple(b []byte) (t ctTuple, ok bool) {
	var src, dst netip.Addr
	var sport, dport uint16
	forEachAttr(b, func(typ uint16, v []byte) {
		switch typ {
		case nl.CTA_TUPLE_IP:
			forEachAttr(v, func(typ uint16, v []byte) {
				var a netip.Addr
				switch len(v) {
				case 4:
					a = netip.AddrFrom4([4]byte(v))
				case 16:
					a = netip.AddrFrom16([16]byte(v))
				default:
					return
				}
				switch typ {
				case nl.CTA_IP_V4_SRC, nl.CTA_IP_V6_SRC:
					src = a
				case nl.CTA_IP_V4_DST, nl.CTA_IP_V6_DST:
					dst = a
				}
			})
		case nl.CTA_TUPLE_PROTO:
			forEachAttr(v, func(typ uint16, v []byte) {
				switch {
				case typ == nl.CTA_PROTO_NUM && len(v) >= 1:
					t.proto = v[0]
				case typ == nl.CTA_PROTO_SRC_PORT && len(v) >= 2:
					sport = binary.BigEndian.Uint16(v)
				case typ == nl.CTA_PROTO_DST_PORT && len(v) >= 2:
					dport = binary.BigEndian.Uint16(v)
				}
			})
		}
	})
	t.src, t.dst = netip.AddrPortFrom(src.Unmap(), sport), netip.AddrPortFrom(dst.Unmap(), dport)
	return t, src.IsValid() && dst.IsValid()
}

// forEachAttr calls f with the type (flags masked off) and value of each
// netlink attribute in b, stopping at a malformed one.
func forEachAttr(b []byte, f func(typ uint16, v []byte)) {
	for len(b) >= unix.SizeofRtAttr {
		l := int(binary.NativeEndian.Uint16(b))
		if l < unix.SizeofRtAttr || l > len(b) {
			return
		}
		f(binary.NativeEndian.Uint16(b[2:])&nl.NLA_TYPE_MASK, b[unix.SizeofRtAttr:l])
		next := (l + unix.NLA_ALIGNTO - 1) &^ (unix.NLA_ALIGNTO - 1)
		if next > len(b) {
			return
		}
		b = b[next:]
	}
}

// endConntrackFlows finds, in one streamed dump of ct, the entries of TCP
// connections to vip that our DNAT sent to rs; resets their clients'
// sockets with destroy while the entries still exist, so the resets leave
// through their NAT mapping (destroy nil: tests of the fallback); then
// deletes those entries. Memory grows with the matching entries only.
func endConntrackFlows(ct conntrackTable, vip, rs netip.AddrPort, destroy func([]clientFlow) (int, error)) (int, error) {
	fam := uint8(unix.AF_INET)
	if vip.Addr().Is6() {
		fam = unix.AF_INET6
	}
	var flows []clientFlow
	var entries [][]byte
	err := ct.dump(fam, func(msg []byte) {
		orig, reply, ok := parseCTEntry(msg)
		if !ok || orig.proto != unix.IPPROTO_TCP || orig.dst != vip || reply.src != rs {
			return
		}
		flows = append(flows, clientFlow{client: orig.src, vip: vip})
		entries = append(entries, slices.Clone(msg))
	})
	if err != nil {
		return 0, fmt.Errorf("listing conntrack entries: %w", err)
	}
	ended := 0
	var destroyErr error
	if destroy != nil {
		ended, destroyErr = destroy(flows)
	}
	deleted := 0
	var errs []error
	for _, e := range entries {
		if err := ct.delete(fam, e); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
			continue
		}
		deleted++
	}
	if len(errs) > 0 {
		return ended, errors.Join(fmt.Errorf("deleting %d of %d conntrack entries: %w", len(errs), len(entries), errors.Join(errs...)), destroyErr)
	}
	if destroy == nil || destroyErr != nil {
		// They end at the client's next packet (see the reject rule).
		ended = max(ended, deleted)
	}
	return ended, destroyErr
}

// flushConntrack resets the local sockets of the connections through vip
// that conntrack maps to rs (unless resetSockets is false: tests of the
// fallback), and deletes those entries, in the network namespace at nsPath.
func flushConntrack(nsPath string, vip, rs netip.AddrPort, resetSockets bool) (int, error) {
	var ended int
	err := withNetns(nsPath, func(ns netns.NsHandle) error {
		ct, err := newNetlinkConntrack(ns)
		if err != nil {
			return err
		}
		defer ct.close()
		var destroy func([]clientFlow) (int, error)
		if resetSockets {
			destroy = func(flows []clientFlow) (int, error) { return destroySockets(ns, flows) }
		}
		ended, err = endConntrackFlows(ct, vip, rs, destroy)
		return err
	})
	if err != nil {
		return ended, fmt.Errorf("ending the connections through %s to real server %s: %w", vip, rs, err)
	}
	return ended, nil
}

// ipvsConn is one line of /proc/net/ip_vs_conn.
type ipvsConn struct {
	proto             string
	client, vip, dest netip.AddrPort
	state             string
}

// parseIPVSConns reads /proc/net/ip_vs_conn: a header line, then
// "TCP 0A000001 A1B2 0A000064 192B 0A000002 192B ESTABLISHED 899" with
// hexadecimal IPv4 addresses, or IPv6 addresses written out in full.
func parseIPVSConns(r io.Reader) ([]ipvsConn, error) {
	var out []ipvsConn
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] == "Pro" {
			continue
		}
		if len(f) < 8 {
			return nil, fmt.Errorf("ip_vs_conn line %d %q: want at least 8 fields", line, sc.Text())
		}
		var ap [3]netip.AddrPort
		for i := range ap {
			a, err := parseIPVSAddr(f[1+2*i])
			if err != nil {
				return nil, fmt.Errorf("ip_vs_conn line %d: %w", line, err)
			}
			p, err := strconv.ParseUint(f[2+2*i], 16, 16)
			if err != nil {
				return nil, fmt.Errorf("ip_vs_conn line %d: port %q: %w", line, f[2+2*i], err)
			}
			ap[i] = netip.AddrPortFrom(a, uint16(p))
		}
		out = append(out, ipvsConn{proto: f[0], client: ap[0], vip: ap[1], dest: ap[2], state: f[7]})
	}
	return out, sc.Err()
}

func parseIPVSAddr(s string) (netip.Addr, error) {
	if strings.Contains(s, ":") {
		return netip.ParseAddr(s)
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || len(s) != 8 {
		return netip.Addr{}, fmt.Errorf("address %q: want 8 hexadecimal digits or an IPv6 address", s)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), nil
}

// readIPVSConns reads the IPVS connection table of ns.
func readIPVSConns(ns netns.NsHandle) ([]ipvsConn, error) {
	var conns []ipvsConn
	err := inNetnsThread(ns, func() error {
		f, err := os.Open("/proc/thread-self/net/ip_vs_conn")
		if err != nil {
			return fmt.Errorf("reading the IPVS connection table: %w", err)
		}
		defer f.Close()
		conns, err = parseIPVSConns(f)
		return err
	})
	return conns, err
}

// flushIPVSOrphans resets the established local sockets connected to vip
// that have no IPVS connection entry, in the network namespace at nsPath.
//
// Deleting a virtual server (kube-proxy's IPVS flush, or its cleanup of
// virtual servers it does not own) leaves its connection entries pointing
// to real servers that are gone. Restored at once, the real servers come
// back and the entries work again. But with net.ipv4.vs.expire_nodest_conn
// = 1, which kube-proxy in ipvs mode sets, a packet sent in between expires
// its entry: the connection's later packets match none and, not being SYNs,
// are not scheduled either, so they leave the node addressed to the VIP and
// are lost. Resetting such a socket makes its client reconnect at once.
func flushIPVSOrphans(nsPath string, vip netip.AddrPort) (int, error) {
	var ended int
	err := withNetns(nsPath, func(ns netns.NsHandle) error {
		h, err := netlink.NewHandleAt(ns, unix.NETLINK_INET_DIAG)
		if err != nil {
			return fmt.Errorf("opening a NETLINK_SOCK_DIAG socket: %w", err)
		}
		defer h.Close()
		// The sockets first: a connection opened after this read has its
		// entry by the time the table is read.
		clients, err := establishedTo(h, vip)
		if err != nil {
			return err
		}
		conns, err := readIPVSConns(ns)
		if err != nil {
			return err
		}
		tracked := map[netip.AddrPort]bool{}
		for _, c := range conns {
			if c.proto == "TCP" && c.vip == vip {
				tracked[c.client] = true
			}
		}
		var flows []clientFlow
		for _, client := range clients {
			if !tracked[client] {
				flows = append(flows, clientFlow{client: client, vip: vip})
			}
		}
		ended, err = destroySockets(ns, flows)
		return err
	})
	if err != nil {
		return ended, fmt.Errorf("ending the connections through %s that lost their IPVS entries: %w", vip, err)
	}
	return ended, nil
}

// socketLister is the part of *netlink.Handle that establishedTo uses.
type socketLister interface {
	SocketDiagTCP(family uint8) ([]*netlink.Socket, error)
}

// establishedTo lists the clients (local address, unmapped) of the local
// TCP sockets established to vip. For an IPv4 VIP that includes the
// AF_INET6 sockets connected to ::ffff:VIP (a client that dials IPv4
// through an IPv6 socket, as Java's and many dual-stack clients do): the
// kernel lists those among the AF_INET6 sockets only.
func establishedTo(h socketLister, vip netip.AddrPort) ([]netip.AddrPort, error) {
	families := []uint8{unix.AF_INET6}
	if vip.Addr().Is4() {
		families = []uint8{unix.AF_INET, unix.AF_INET6}
	}
	var out []netip.AddrPort
	for _, fam := range families {
		socks, err := h.SocketDiagTCP(fam)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			// (An interrupted dump is still a list: a socket it missed
			// is left for the next restore.)
			return nil, fmt.Errorf("listing TCP sockets: %w", err)
		}
		for _, sk := range socks {
			remote, ok1 := netip.AddrFromSlice(sk.ID.Destination)
			local, ok2 := netip.AddrFromSlice(sk.ID.Source)
			if !ok1 || !ok2 || sk.State != tcpEstablished {
				continue
			}
			if netip.AddrPortFrom(remote.Unmap(), sk.ID.DestinationPort) != vip {
				continue
			}
			out = append(out, netip.AddrPortFrom(local.Unmap(), sk.ID.SourcePort))
		}
	}
	return out, nil
}

// tcpEstablished is TCP_ESTABLISHED in the kernel's socket states.
const tcpEstablished = 1

// flushIPVS resets the local sockets whose IPVS connection through vip
// goes to rs, in the network namespace at nsPath.
func flushIPVS(nsPath string, vip, rs netip.AddrPort) (int, error) {
	var ended int
	err := withNetns(nsPath, func(ns netns.NsHandle) error {
		conns, err := readIPVSConns(ns)
		if err != nil {
			return err
		}
		var flows []clientFlow
		for _, c := range conns {
			if c.proto == "TCP" && c.vip == vip && c.dest == rs {
				flows = append(flows, clientFlow{client: c.client, vip: vip})
			}
		}
		ended, err = destroySockets(ns, flows)
		return err
	})
	if err != nil {
		return ended, fmt.Errorf("ending the connections through %s to real server %s: %w", vip, rs, err)
	}
	return ended, nil
}
