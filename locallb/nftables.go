package locallb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// The nftables backend owns one table per address family, NFTablesTable in
// the ip and ip6 families, and nothing outside it. Per virtual server
// VIP:port it keeps, in that table:
//
//   - map "sched-<vip>": integer -> addr . port, the round-robin schedule:
//     each real server repeated in proportion to its weight (weight 0: not
//     at all);
//   - map "weight-<vip>": addr . port -> integer, every real server with its
//     weight, including drained ones, which is what Get reads back;
//   - in chain "output" (nat, hook output, priority -100) one rule
//     `meta l4proto tcp <fam> daddr VIP tcp dport PORT tcp flags & (fin |
//     syn | rst | ack) == syn dnat to numgen inc mod N map @sched-<vip>`
//     (with all weights 0: `reject with tcp reset`, as IPVS refuses a
//     virtual server without an available real server). Only a SYN opens
//     a connection: a later packet whose conntrack entry is gone (flushed
//     for a dead real server, see flows.go) must not be mapped afresh to
//     some other real server;
//   - in chain "filter-output" (filter, hook output, priority 0) one rule
//     `meta l4proto tcp <fam> daddr VIP tcp dport PORT reject with tcp
//     reset`: after the nat chain, a packet still addressed to VIP:port
//     has no mapping (its connection's entry was flushed, or conntrack did
//     not take it up), and would leave the node addressed to an address
//     nobody owns; the reset ends the client's connection at once instead;
//   - in chain "postrouting" (nat, hook postrouting, priority 100) one rule
//     `<fam> saddr VIP ct status dnat masquerade`, for the one case where
//     the source would otherwise be the VIP (the VIP is a local address,
//     e.g. on lo) and the masters could not answer.
//
// Both rules carry the comment NFTablesRuleComment(vip), which is how they
// are found again. Every change is one netlink batch, so the kernel swaps
// the whole schedule atomically and connections never see a half-written
// map. The nat chains see only a connection's first packet: established
// connections keep their real server when the schedule changes (drain).
//
// Weights: the schedule has sum(weights)/gcd(weights) entries (at most
// NFTablesMaxSchedule), interleaved smoothly, so weights 1,3 send one
// connection in four to the first server, as IPVS's weighted round-robin
// would; with all weights equal it is plain round-robin.

// NFTablesTable is the name of our table in the ip and ip6 families.
const NFTablesTable = "sealkube-locallb"

// NFTablesMaxSchedule bounds the schedule map of one virtual server.
const NFTablesMaxSchedule = 1024

const (
	nftOutputChain      = "output"
	nftPostroutingChain = "postrouting"
	nftFilterChain      = "filter-output"
	nftCommentPrefix    = "sealkube-locallb vs "
)

// ErrNFTablesUnavailable is wrapped when the kernel cannot do what the
// nftables backend needs (nf_tables with NAT, numgen, maps, masquerade).
var ErrNFTablesUnavailable = errors.New("nftables is not available on this kernel")

// NFTablesModules are the kernel modules the nftables backend may need when
// they are not built in. Loading is best effort: the availability probe,
// not the module list, decides.
func NFTablesModules() []string {
	return []string{"nf_tables", "nft_chain_nat", "nft_nat", "nft_numgen", "nft_ct", "nft_masq", "nft_reject_ipv4", "nft_reject_ipv6"}
}

// NFTablesOptions configures NewNFTables.
type NFTablesOptions struct {
	// NetnsPath is the network namespace to program, e.g.
	// /var/run/netns/x; empty means the caller's.
	NetnsPath string
	// Modules loads the kernel modules when the first probe fails; the zero
	// value uses the running kernel's /lib/modules.
	Modules KernelModules
}

// NFTables is the Balancer on nftables (see the comment at the top of
// nftables.go). Safe for use by one goroutine at a time.
type NFTables struct {
	c      *nftables.Conn
	nsPath string
}

var _ KernelBalancer = (*NFTables)(nil)

// NewNFTables opens a netlink socket (in opts.NetnsPath when given) and
// checks, with a batch that creates and deletes a probe table, that the
// kernel has everything the backend uses. It loads NFTablesModules when the
// first probe fails.
func NewNFTables(opts NFTablesOptions) (*NFTables, error) {
	if err := nfnetlinkAvailable(); err != nil {
		loadErr := opts.Modules.Load(NFTablesModules()...)
		if err := nfnetlinkAvailable(); err != nil {
			msg := ""
			if loadErr != nil {
				msg = fmt.Sprintf(" (loading %s failed: %s)", strings.Join(NFTablesModules(), ", "), strings.ReplaceAll(loadErr.Error(), "\n", "; "))
			}
			return nil, fmt.Errorf("%w: no netfilter netlink socket (%v)%s; load nf_tables (`modprobe nf_tables`) or use the %s backend", ErrNFTablesUnavailable, err, msg, BackendIPVS)
		}
	}
	var connOpts []nftables.ConnOption
	if opts.NetnsPath != "" {
		f, err := os.Open(opts.NetnsPath)
		if err != nil {
			return nil, fmt.Errorf("opening network namespace %s for nftables: %w", opts.NetnsPath, err)
		}
		// The lasting socket is created in the namespace right away; the
		// file is not needed afterwards.
		defer f.Close()
		connOpts = append(connOpts, nftables.WithNetNSFd(int(f.Fd())))
	}
	c, err := newNFTConn(append(connOpts, nftables.AsLasting())...)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket (netns %q): %w", opts.NetnsPath, err)
	}
	b := &NFTables{c: c, nsPath: opts.NetnsPath}
	if err := b.probe(); err != nil {
		loadErr := opts.Modules.Load(NFTablesModules()...)
		if err2 := b.probe(); err2 != nil {
			b.Close()
			msg := fmt.Sprintf("%v: %v", ErrNFTablesUnavailable, err2)
			if loadErr != nil {
				msg += fmt.Sprintf(" (loading %s failed: %s)", strings.Join(NFTablesModules(), ", "), strings.ReplaceAll(loadErr.Error(), "\n", "; "))
			}
			return nil, fmt.Errorf("%w%s; the kernel needs nf_tables with nat chains, numgen, maps and masquerade (CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_NUMGEN, CONFIG_NFT_MASQ, CONFIG_NFT_CT); use the %s backend",
				ErrNFTablesUnavailable, strings.TrimPrefix(msg, ErrNFTablesUnavailable.Error()), BackendIPVS)
		}
	}
	return b, nil
}

// nfnetlinkAvailable opens and closes a NETLINK_NETFILTER socket: the
// protocol exists only when nfnetlink is loaded. Checked first because
// github.com/mdlayher/socket loses the error of a failed socket(2) inside a
// network namespace and github.com/mdlayher/netlink then dereferences nil.
func nfnetlinkAvailable() error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return fmt.Errorf("socket(AF_NETLINK, NETLINK_NETFILTER): %w", err)
	}
	return unix.Close(fd)
}

// newNFTConn turns a panic in the netlink dial (see nfnetlinkAvailable)
// into an error.
func newNFTConn(opts ...nftables.ConnOption) (c *nftables.Conn, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("netlink dial panicked: %v", r)
		}
	}()
	return nftables.New(opts...)
}

// probe builds, in one batch, a throwaway table with every kind of object
// and expression we use, and deletes it again; the kernel validates it all
// and commits nothing that stays.
func (b *NFTables) probe() error {
	vs := VirtualServer{VIP: netip.MustParseAddrPort("192.0.2.1:1"), RealServers: []RealServer{{Addr: netip.MustParseAddrPort("192.0.2.2:1"), Weight: 1}}}
	t := &nftables.Table{Name: NFTablesTable + "-probe", Family: nftables.TableFamilyIPv4}
	if err := b.program(t, vs, nftState{}); err != nil {
		return err
	}
	b.c.AddRule(&nftables.Rule{Table: t, Chain: &nftables.Chain{Name: nftOutputChain, Table: t}, Exprs: rejectExprs()})
	b.c.DelTable(t)
	if err := b.c.Flush(); err != nil {
		return fmt.Errorf("probing nftables: %w", err)
	}
	return nil
}

// Close releases the netlink socket; the kernel state stays.
func (b *NFTables) Close() { _ = b.c.CloseLasting() }

// FlushRealServer resets the local sockets of the connections through vip
// that conntrack maps to rs and deletes their conntrack entries (see
// FlowFlusher and flows.go).
func (b *NFTables) FlushRealServer(vip, rs netip.AddrPort) (int, error) {
	return flushConntrack(b.nsPath, vip, rs, true)
}

func nftFamily(a netip.Addr) nftables.TableFamily {
	if a.Is4() {
		return nftables.TableFamilyIPv4
	}
	return nftables.TableFamilyIPv6
}

func nftTable(vip netip.AddrPort) *nftables.Table {
	return &nftables.Table{Name: NFTablesTable, Family: nftFamily(vip.Addr())}
}

// nftName is vip in a form that reads well in `nft list` and needs no
// quoting: 10.0.0.1-6443, fd00_1-6443.
func nftName(vip netip.AddrPort) string {
	return strings.ReplaceAll(vip.Addr().String(), ":", "_") + "-" + fmt.Sprint(vip.Port())
}

// NFTablesRuleComment is the comment on our rules for vip.
func NFTablesRuleComment(vip netip.AddrPort) string { return nftCommentPrefix + vip.String() }

func addrType(a netip.Addr) nftables.SetDatatype {
	if a.Is4() {
		return nftables.TypeIPAddr
	}
	return nftables.TypeIP6Addr
}

func schedSet(t *nftables.Table, vip netip.AddrPort) *nftables.Set {
	return &nftables.Set{
		Table: t, Name: "sched-" + nftName(vip), IsMap: true,
		KeyType:      nftables.TypeInteger,
		KeyByteOrder: binaryutil.NativeEndian,
		DataType:     nftables.MustConcatSetType(addrType(vip.Addr()), nftables.TypeInetService),
	}
}

// weightSet's values are in network byte order: the set has no data byte
// order annotation, so nft prints its integers as big-endian numbers (a
// weight written in host order would list as 16777216 instead of 1). A map
// written in host order by an older version reads back as huge weights,
// differs from what the daemon wants, and is rewritten by its next Ensure.
func weightSet(t *nftables.Table, vip netip.AddrPort) *nftables.Set {
	return &nftables.Set{
		Table: t, Name: "weight-" + nftName(vip), IsMap: true,
		KeyType:  nftables.MustConcatSetType(addrType(vip.Addr()), nftables.TypeInetService),
		DataType: nftables.TypeInteger,
	}
}

// encodeAddrPort is the register layout of `addr . port`: the address, then
// the port in network order padded to 4 bytes.
func encodeAddrPort(ap netip.AddrPort) []byte {
	out := ap.Addr().AsSlice()
	return append(out, byte(ap.Port()>>8), byte(ap.Port()), 0, 0)
}

func decodeAddrPort(b []byte) (netip.AddrPort, bool) {
	var a netip.Addr
	switch len(b) {
	case 8:
		a = netip.AddrFrom4([4]byte(b[:4]))
	case 20:
		a = netip.AddrFrom16([16]byte(b[:16]))
	default:
		return netip.AddrPort{}, false
	}
	n := len(b) - 4
	return netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[n:n+2])), true
}

// Schedule expands weighted real servers into the round-robin order the
// nftables backend writes: sorted by address, weights divided by their gcd,
// interleaved by smooth weighted round-robin (each step picks the server
// with the highest running credit). Weight 0 servers do not appear. It
// fails when the schedule would exceed NFTablesMaxSchedule entries.
func Schedule(rss []RealServer) ([]netip.AddrPort, error) {
	rs := slices.Clone(rss)
	SortRealServers(rs)
	g := 0
	for _, r := range rs {
		g = gcd(g, r.Weight)
	}
	if g == 0 {
		return nil, nil
	}
	total := 0
	for i := range rs {
		rs[i].Weight /= g
		total += rs[i].Weight
		if total > NFTablesMaxSchedule {
			return nil, fmt.Errorf("weights %v need more than %d schedule entries in the nftables backend (their sum divided by their greatest common divisor); use smaller weights", weightsOf(rss), NFTablesMaxSchedule)
		}
	}
	out := make([]netip.AddrPort, 0, total)
	credit := make([]int, len(rs))
	for range total {
		best := -1
		for i, r := range rs {
			if r.Weight == 0 {
				continue
			}
			credit[i] += r.Weight
			if best < 0 || credit[i] > credit[best] {
				best = i
			}
		}
		credit[best] -= total
		out = append(out, rs[best].Addr)
	}
	return out, nil
}

func weightsOf(rs []RealServer) []int {
	w := make([]int, len(rs))
	for i, r := range rs {
		w[i] = r.Weight
	}
	return w
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// nftState is what the kernel holds for one VIP.
type nftState struct {
	tableExists bool
	dnat, masq  []*nftables.Rule // ours for this VIP, by comment
	reject      []*nftables.Rule
	weights     map[netip.AddrPort]int
	hasWeights  bool
	sched       map[uint32]netip.AddrPort
	hasSched    bool
}

// notExist reports ENOENT. google/nftables formats some errors with %v,
// losing the errno, hence the text comparison as a fallback.
func notExist(err error) bool {
	return err != nil && (errors.Is(err, unix.ENOENT) || strings.Contains(err.Error(), unix.ENOENT.Error()))
}

// read fetches our objects for vip: the two chains' rules and two maps.
// A missing table, chain or map is reported as absent, not as an error.
func (b *NFTables) read(vip netip.AddrPort) (nftState, error) {
	t := nftTable(vip)
	var s nftState
	s.tableExists = true
	comment := NFTablesRuleComment(vip)
	for _, ch := range []struct {
		name string
		into *[]*nftables.Rule
	}{{nftOutputChain, &s.dnat}, {nftPostroutingChain, &s.masq}, {nftFilterChain, &s.reject}} {
		rules, err := b.c.GetRules(t, &nftables.Chain{Name: ch.name, Table: t})
		if err != nil {
			if _, terr := b.c.ListTableOfFamily(t.Name, t.Family); notExist(terr) {
				return nftState{}, nil
			}
			if notExist(err) {
				continue
			}
			return nftState{}, fmt.Errorf("reading nftables chain %s in table %s: %w", ch.name, t.Name, err)
		}
		for _, r := range rules {
			if c, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok && c == comment {
				*ch.into = append(*ch.into, r)
			}
		}
	}
	ws, err := b.c.GetSetElements(weightSet(t, vip))
	switch {
	case notExist(err):
	case err != nil:
		return nftState{}, fmt.Errorf("reading nftables map weight-%s: %w", nftName(vip), err)
	default:
		s.hasWeights = true
		s.weights = make(map[netip.AddrPort]int, len(ws))
		for _, e := range ws {
			ap, ok := decodeAddrPort(e.Key)
			if !ok || len(e.Val) != 4 {
				return nftState{}, fmt.Errorf("nftables map weight-%s holds an element we did not write (key %x, value %x); delete table %s to start over", nftName(vip), e.Key, e.Val, NFTablesTable)
			}
			s.weights[ap] = int(binary.BigEndian.Uint32(e.Val))
		}
	}
	ss, err := b.c.GetSetElements(schedSet(t, vip))
	switch {
	case notExist(err):
	case err != nil:
		return nftState{}, fmt.Errorf("reading nftables map sched-%s: %w", nftName(vip), err)
	default:
		s.hasSched = true
		s.sched = make(map[uint32]netip.AddrPort, len(ss))
		for _, e := range ss {
			ap, ok := decodeAddrPort(e.Val)
			if !ok || len(e.Key) != 4 {
				return nftState{}, fmt.Errorf("nftables map sched-%s holds an element we did not write (key %x, value %x); delete table %s to start over", nftName(vip), e.Key, e.Val, NFTablesTable)
			}
			s.sched[binaryutil.NativeEndian.Uint32(e.Key)] = ap
		}
	}
	return s, nil
}

// virtualServer returns what s holds for vip if it is complete and
// consistent: one DNAT rule matching the schedule, one masquerade rule,
// one reject rule, both maps, the schedule being the expansion of the weights. Anything
// else (a flushed map, a deleted rule) counts as absent, so that the care
// daemon's Get-compare-Ensure loop rewrites it.
func (s nftState) virtualServer(vip netip.AddrPort) (VirtualServer, bool) {
	if !s.tableExists || !s.hasWeights || !s.hasSched || len(s.dnat) != 1 || len(s.masq) != 1 || len(s.reject) != 1 {
		return VirtualServer{}, false
	}
	vs := VirtualServer{VIP: vip, RealServers: make([]RealServer, 0, len(s.weights))}
	for ap, w := range s.weights {
		vs.RealServers = append(vs.RealServers, RealServer{Addr: ap, Weight: w})
	}
	SortRealServers(vs.RealServers)
	sched, err := Schedule(vs.RealServers)
	if err != nil || len(sched) != len(s.sched) {
		return VirtualServer{}, false
	}
	for i, ap := range sched {
		if s.sched[uint32(i)] != ap {
			return VirtualServer{}, false
		}
	}
	if !dnatRuleMatches(s.dnat[0], vip, len(sched)) || !masqRuleMatches(s.masq[0]) || !rejectRuleMatches(s.reject[0]) {
		return VirtualServer{}, false
	}
	return vs, true
}

// dnatRuleMatches checks the parts of the DNAT rule that change with the
// schedule; the match on VIP:port is implied by the comment we found it by.
func dnatRuleMatches(r *nftables.Rule, vip netip.AddrPort, n int) bool {
	var numgen *expr.Numgen
	var lookup *expr.Lookup
	var nat, reject, synOnly bool
	for _, e := range r.Exprs {
		switch e := e.(type) {
		case *expr.Bitwise:
			synOnly = synOnly || slices.Equal(e.Mask, []byte{tcpFlagsMask})
		case *expr.Numgen:
			numgen = e
		case *expr.Lookup:
			lookup = e
		case *expr.NAT:
			nat = e.Type == expr.NATTypeDestNAT
		case *expr.Reject:
			reject = true
		}
	}
	if n == 0 {
		return reject && numgen == nil && !nat
	}
	return numgen != nil && numgen.Modulus == uint32(n) && lookup != nil && lookup.SetName == schedSet(nil, vip).Name && nat && !reject && synOnly
}

func rejectRuleMatches(r *nftables.Rule) bool {
	return slices.ContainsFunc(r.Exprs, func(e expr.Any) bool { _, ok := e.(*expr.Reject); return ok })
}

// TCP header flags: only a SYN without ACK, FIN or RST opens a connection.
const (
	tcpFlagFIN    = 0x01
	tcpFlagSYN    = 0x02
	tcpFlagRST    = 0x04
	tcpFlagACK    = 0x10
	tcpFlagsMask  = tcpFlagFIN | tcpFlagSYN | tcpFlagRST | tcpFlagACK
	tcpFlagsField = 13 // offset in the TCP header
)

// matchSYN is `tcp flags & (fin | syn | rst | ack) == syn`.
func matchSYN() []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: tcpFlagsField, Len: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{tcpFlagsMask}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{tcpFlagSYN}},
	}
}

func masqRuleMatches(r *nftables.Rule) bool {
	for _, e := range r.Exprs {
		if _, ok := e.(*expr.Masq); ok {
			return true
		}
	}
	return false
}

// payloadOffsets are the network-header offsets of source and destination.
func payloadOffsets(a netip.Addr) (src, dst uint32) {
	if a.Is4() {
		return 12, 16
	}
	return 8, 24
}

func portBytes(p uint16) []byte { return []byte{byte(p >> 8), byte(p)} }

// matchVIP is `meta l4proto tcp <fam> daddr VIP tcp dport PORT`.
func matchVIP(vip netip.AddrPort) []expr.Any {
	_, dst := payloadOffsets(vip.Addr())
	a := vip.Addr().AsSlice()
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: dst, Len: uint32(len(a))},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: portBytes(vip.Port())},
	}
}

func rejectExprs() []expr.Any {
	return []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}}
}

// dnatExprs: numgen into register 1, the map lookup fills the address from
// register 1 on and the port right after it (32-bit register 9 for IPv4,
// 16-byte register 2 for IPv6), which nat reads.
func dnatExprs(vip netip.AddrPort, set *nftables.Set, n int) []expr.Any {
	ex := matchVIP(vip)
	if n == 0 {
		return append(ex, rejectExprs()...)
	}
	fam, protoReg := uint32(unix.NFPROTO_IPV4), uint32(9)
	if vip.Addr().Is6() {
		fam, protoReg = unix.NFPROTO_IPV6, 2
	}
	ex = append(ex, matchSYN()...)
	return append(ex,
		&expr.Numgen{Register: 1, Modulus: uint32(n), Type: unix.NFT_NG_INCREMENTAL},
		&expr.Lookup{SourceRegister: 1, DestRegister: 1, IsDestRegSet: true, SetName: set.Name, SetID: set.ID},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: fam, RegAddrMin: 1, RegProtoMin: protoReg, Specified: true},
	)
}

// masqExprs: `<fam> saddr VIP ct status dnat masquerade`. (Matching on
// `ct original daddr` would be tighter, but google/nftables v0.3.0 cannot
// decode the ct direction attribute the kernel dumps, so Get could not read
// the rule back.)
func masqExprs(vip netip.AddrPort) []expr.Any {
	src, _ := payloadOffsets(vip.Addr())
	a := vip.Addr().AsSlice()
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: src, Len: uint32(len(a))},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ctStatusDstNAT), Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
		&expr.Masq{},
	}
}

// ctStatusDstNAT is IPS_DST_NAT: the connection's destination was NATed.
const ctStatusDstNAT = 1 << 5

// program queues (without flushing) the batch that makes table t hold
// exactly vs, given the current state cur: table, chains and maps are
// added if missing, both maps rewritten, our old rules for the VIP deleted
// and new ones added.
func (b *NFTables) program(t *nftables.Table, vs VirtualServer, cur nftState) error {
	sched, err := Schedule(vs.RealServers)
	if err != nil {
		return fmt.Errorf("virtual server %s: %w", vs.VIP, err)
	}
	b.c.AddTable(t)
	output := b.c.AddChain(&nftables.Chain{
		Name: nftOutputChain, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest,
	})
	post := b.c.AddChain(&nftables.Chain{
		Name: nftPostroutingChain, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	filter := b.c.AddChain(&nftables.Chain{
		Name: nftFilterChain, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter,
	})
	for _, r := range slices.Concat(cur.dnat, cur.masq, cur.reject) {
		if err := b.c.DelRule(r); err != nil {
			return fmt.Errorf("deleting old nftables rule for %s: %w", vs.VIP, err)
		}
	}
	ss, ws := schedSet(t, vs.VIP), weightSet(t, vs.VIP)
	sElems := make([]nftables.SetElement, 0, len(sched))
	for i, ap := range sched {
		sElems = append(sElems, nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)), Val: encodeAddrPort(ap)})
	}
	wElems := make([]nftables.SetElement, 0, len(vs.RealServers))
	for _, r := range vs.RealServers {
		wElems = append(wElems, nftables.SetElement{Key: encodeAddrPort(r.Addr), Val: binary.BigEndian.AppendUint32(nil, uint32(r.Weight))})
	}
	for _, set := range []struct {
		s     *nftables.Set
		elems []nftables.SetElement
	}{{ss, sElems}, {ws, wElems}} {
		if err := b.c.AddSet(set.s, nil); err != nil {
			return fmt.Errorf("adding nftables map %s: %w", set.s.Name, err)
		}
		b.c.FlushSet(set.s)
		if len(set.elems) > 0 {
			if err := b.c.SetAddElements(set.s, set.elems); err != nil {
				return fmt.Errorf("filling nftables map %s: %w", set.s.Name, err)
			}
		}
	}
	comment := userdata.AppendString(nil, userdata.TypeComment, NFTablesRuleComment(vs.VIP))
	b.c.AddRule(&nftables.Rule{Table: t, Chain: output, Exprs: dnatExprs(vs.VIP, ss, len(sched)), UserData: comment})
	b.c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: masqExprs(vs.VIP), UserData: comment})
	b.c.AddRule(&nftables.Rule{Table: t, Chain: filter, Exprs: append(matchVIP(vs.VIP), rejectExprs()...), UserData: comment})
	return nil
}

// Ensure reconciles vs into our table. When the kernel already holds it,
// Ensure costs five reads (three chains, two maps) and writes nothing;
// otherwise it rewrites everything for the VIP in one atomic batch.
func (b *NFTables) Ensure(vs VirtualServer) error {
	if err := validateVirtualServer(vs); err != nil {
		return err
	}
	if _, err := Schedule(vs.RealServers); err != nil {
		return fmt.Errorf("virtual server %s: %w", vs.VIP, err)
	}
	cur, err := b.read(vs.VIP)
	if err != nil {
		return err
	}
	if got, ok := cur.virtualServer(vs.VIP); ok && sameRealServers(got.RealServers, vs.RealServers) {
		return nil
	}
	if err := b.program(nftTable(vs.VIP), vs, cur); err != nil {
		return err
	}
	if err := b.c.Flush(); err != nil {
		return fmt.Errorf("programming nftables virtual server %s in table %s: %w", vs.VIP, NFTablesTable, err)
	}
	return nil
}

func sameRealServers(sorted, other []RealServer) bool {
	o := slices.Clone(other)
	SortRealServers(o)
	return slices.Equal(sorted, o)
}

// SetWeight changes one real server's weight; 0 drains it (no new
// connections, established ones stay).
func (b *NFTables) SetWeight(vip, rs netip.AddrPort, weight int) error {
	vs, found, err := b.Get(vip)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("setting weight of real server %s of nftables virtual server %s: no such virtual server; call Ensure first", rs, vip)
	}
	i := slices.IndexFunc(vs.RealServers, func(r RealServer) bool { return r.Addr == rs })
	if i < 0 {
		return fmt.Errorf("setting weight of real server %s of nftables virtual server %s: no such real server; call Ensure first", rs, vip)
	}
	vs.RealServers[i].Weight = weight
	return b.Ensure(vs)
}

// Delete removes our rules and maps for vip, and our table when no other
// virtual server is left in it. Absent is not an error.
func (b *NFTables) Delete(vip netip.AddrPort) error {
	cur, err := b.read(vip)
	if err != nil || !cur.tableExists {
		return err
	}
	t := nftTable(vip)
	sets, err := b.c.GetSets(t)
	if err != nil && !notExist(err) {
		return fmt.Errorf("listing nftables maps in table %s: %w", t.Name, err)
	}
	ours := map[string]bool{schedSet(t, vip).Name: true, weightSet(t, vip).Name: true}
	others := slices.ContainsFunc(sets, func(s *nftables.Set) bool { return !ours[s.Name] })
	if !others {
		b.c.DelTable(t)
	} else {
		for _, r := range slices.Concat(cur.dnat, cur.masq, cur.reject) {
			if err := b.c.DelRule(r); err != nil {
				return fmt.Errorf("deleting nftables rule for %s: %w", vip, err)
			}
		}
		if cur.hasSched {
			b.c.DelSet(schedSet(t, vip))
		}
		if cur.hasWeights {
			b.c.DelSet(weightSet(t, vip))
		}
	}
	if err := b.c.Flush(); err != nil && !notExist(err) {
		return fmt.Errorf("deleting nftables virtual server %s from table %s: %w", vip, t.Name, err)
	}
	return nil
}

// Get reads the virtual server at vip, real servers sorted by address,
// with the weights Ensure or SetWeight wrote. found is false when our
// objects for vip are missing or inconsistent (see nftState.virtualServer).
func (b *NFTables) Get(vip netip.AddrPort) (VirtualServer, bool, error) {
	cur, err := b.read(vip)
	if err != nil {
		return VirtualServer{}, false, err
	}
	vs, ok := cur.virtualServer(vip)
	return vs, ok, nil
}

// RemoveTables deletes our table in both families, with every virtual
// server in it: for `kubeadm reset` and tests. Absent is not an error.
func (b *NFTables) RemoveTables() error {
	var errs []error
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		t := &nftables.Table{Name: NFTablesTable, Family: fam}
		if _, err := b.c.ListTableOfFamily(t.Name, fam); notExist(err) {
			continue
		}
		b.c.DelTable(t)
		if err := b.c.Flush(); err != nil && !notExist(err) {
			errs = append(errs, fmt.Errorf("deleting nftables table %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}
