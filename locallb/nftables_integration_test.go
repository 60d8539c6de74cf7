package locallb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"

	"github.com/sealkube/kubeadm/internal/testenv"
)

// These tests need root and a kernel with nf_tables (NAT, numgen, maps,
// masquerade). They run on the host: everything they program lives in
// network namespaces they create.

const nftSkip = "nftables (with nat, numgen, masquerade) not available on this kernel; run these tests on a host with nf_tables as root: go test -run Integration ./locallb/"

// openNFTables opens the backend in ns, skipping when the kernel lacks it.
func openNFTables(t testing.TB, ns netns.NsHandle) *NFTables {
	t.Helper()
	b, err := NewNFTables(NFTablesOptions{NetnsPath: nsPath(ns)})
	if errors.Is(err, ErrNFTablesUnavailable) {
		testenv.Unavailable(t, "%s (%v)", nftSkip, err)
	}
	if err != nil {
		t.Fatalf("NewNFTables: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// rawConn is a plain google/nftables connection in ns, for the test to
// play "someone else".
func rawConn(t testing.TB, ns netns.NsHandle) *nftables.Conn {
	t.Helper()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns)), nftables.AsLasting())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseLasting() })
	return c
}

var nftSuite = suiteBackend{
	name: "nftables",
	open: func(t *testing.T, ns netns.NsHandle) Balancer { return openNFTables(t, ns) },
	// Another program's nat table with a rule for the same VIP.
	foreign: func(t *testing.T, ns netns.NsHandle, vip netip.AddrPort) func() error {
		c := rawConn(t, ns)
		tbl := c.AddTable(&nftables.Table{Name: "foreign-nat", Family: nftFamily(vip.Addr())})
		ch := c.AddChain(&nftables.Chain{Name: "output", Table: tbl, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest})
		c.AddRule(&nftables.Rule{Table: tbl, Chain: ch, Exprs: append(matchVIP(vip), &expr.Counter{})})
		if err := c.Flush(); err != nil {
			t.Fatalf("creating the foreign table: %v", err)
		}
		return func() error {
			rules, err := c.GetRules(tbl, ch)
			if err != nil {
				return fmt.Errorf("foreign table: %w", err)
			}
			if len(rules) != 1 {
				return fmt.Errorf("foreign table has %d rules, want 1", len(rules))
			}
			return nil
		}
	},
}

func requireRootNetns(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	if os.Geteuid() != 0 {
		testenv.Unavailable(t, "needs root to create network namespaces and program nftables in them: run as root: go test -run Integration ./locallb/")
	}
}

func TestIntegrationNFTablesBalancer(t *testing.T) {
	requireRootNetns(t)
	runBalancerSuite(t, nftSuite)
}

// TestIntegrationNFTablesNoopEnsureWritesNothing: a repeated Ensure leaves
// the rules (their handles) alone.
func TestIntegrationNFTablesNoopEnsureWritesNothing(t *testing.T) {
	requireRootNetns(t)
	ns, _ := newNetns(t)
	b := openNFTables(t, ns)
	vip := ap("10.251.0.100:6443")
	vs := VirtualServer{VIP: vip, RealServers: []RealServer{rs("10.251.1.2:6443", 1), rs("10.251.1.3:6443", 2)}}
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	before, err := b.read(vip)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := b.Ensure(vs); err != nil {
			t.Fatal(err)
		}
	}
	after, err := b.read(vip)
	if err != nil {
		t.Fatal(err)
	}
	if before.dnat[0].Handle != after.dnat[0].Handle || before.masq[0].Handle != after.masq[0].Handle {
		t.Fatalf("no-op Ensure rewrote the rules: handles %d,%d -> %d,%d", before.dnat[0].Handle, before.masq[0].Handle, after.dnat[0].Handle, after.masq[0].Handle)
	}
	// A real change does rewrite them.
	vs.RealServers[1].Weight = 1
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	changed, err := b.read(vip)
	if err != nil {
		t.Fatal(err)
	}
	if changed.dnat[0].Handle == after.dnat[0].Handle {
		t.Fatal("a weight change left the DNAT rule as it was")
	}
}

// TestIntegrationNFTablesTamper: whatever part of our objects someone else
// removes, Get reports absent and Ensure puts everything back.
func TestIntegrationNFTablesTamper(t *testing.T) {
	requireRootNetns(t)
	vip := ap("10.251.0.100:6443")
	want := []RealServer{rs("10.251.1.2:6443", 1), rs("10.251.1.3:6443", 0)}
	for _, tc := range []struct {
		name   string
		tamper func(c *nftables.Conn, tbl *nftables.Table) error
	}{
		{"delete table", func(c *nftables.Conn, tbl *nftables.Table) error { c.DelTable(tbl); return nil }},
		{"flush table", func(c *nftables.Conn, tbl *nftables.Table) error { c.FlushTable(tbl); return nil }},
		{"flush schedule map", func(c *nftables.Conn, tbl *nftables.Table) error { c.FlushSet(schedSet(tbl, vip)); return nil }},
		{"flush weight map", func(c *nftables.Conn, tbl *nftables.Table) error { c.FlushSet(weightSet(tbl, vip)); return nil }},
		{"flush output chain", func(c *nftables.Conn, tbl *nftables.Table) error {
			c.FlushChain(&nftables.Chain{Name: nftOutputChain, Table: tbl})
			return nil
		}},
		{"flush filter-output chain", func(c *nftables.Conn, tbl *nftables.Table) error {
			c.FlushChain(&nftables.Chain{Name: nftFilterChain, Table: tbl})
			return nil
		}},
		{"delete postrouting chain", func(c *nftables.Conn, tbl *nftables.Table) error {
			c.FlushChain(&nftables.Chain{Name: nftPostroutingChain, Table: tbl})
			c.DelChain(&nftables.Chain{Name: nftPostroutingChain, Table: tbl})
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns, _ := newNetns(t)
			b := openNFTables(t, ns)
			c := rawConn(t, ns)
			mustEnsure(t, b, vip, want...)
			if err := tc.tamper(c, nftTable(vip)); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(); err != nil {
				t.Fatalf("tampering: %v", err)
			}
			wantAbsent(t, b, vip, "after tampering")
			mustEnsure(t, b, vip, want...)
			wantServers(t, b, vip, "after Ensure", want...)
		})
	}
}

// TestIntegrationNFTablesDeleteRemovesTable: with the last VIP gone, our
// table is gone too; RemoveTables removes every VIP in both families.
func TestIntegrationNFTablesDeleteRemovesTable(t *testing.T) {
	requireRootNetns(t)
	ns, _ := newNetns(t)
	b := openNFTables(t, ns)
	c := rawConn(t, ns)
	v4, v6 := ap("10.251.0.100:6443"), ap("[fd00:251::100]:6443")
	mustEnsure(t, b, v4, rs("10.251.1.2:6443", 1))
	if err := b.Delete(v4); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTableOfFamily(NFTablesTable, nftables.TableFamilyIPv4); !notExist(err) {
		t.Fatalf("table after deleting its last VIP: %v, want it gone", err)
	}
	mustEnsure(t, b, v4, rs("10.251.1.2:6443", 1))
	mustEnsure(t, b, v6, rs("[fd00:251:1::2]:6443", 1))
	if err := b.RemoveTables(); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, b, v4, "after RemoveTables")
	wantAbsent(t, b, v6, "after RemoveTables")
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		if _, err := c.ListTableOfFamily(NFTablesTable, fam); !notExist(err) {
			t.Fatalf("table of family %d after RemoveTables: %v, want it gone", fam, err)
		}
	}
	if err := b.RemoveTables(); err != nil {
		t.Fatalf("second RemoveTables: %v", err)
	}
}

// TestIntegrationNFTablesWeightsReadAsNumbers: the weight map's values are
// written in network byte order, which is how nft prints integers without a
// byte-order annotation, so `nft list ruleset` shows weight 1 as 1 (not
// 16777216 on little-endian machines).
func TestIntegrationNFTablesWeightsReadAsNumbers(t *testing.T) {
	requireRootNetns(t)
	ns, _ := newNetns(t)
	b := openNFTables(t, ns)
	vip := ap("10.251.0.100:6443")
	vs := VirtualServer{VIP: vip, RealServers: []RealServer{rs("10.251.1.2:6443", 1), rs("10.251.1.3:6443", 3)}}
	if err := b.Ensure(vs); err != nil {
		t.Fatal(err)
	}
	elems, err := rawConn(t, ns).GetSetElements(weightSet(nftTable(vip), vip))
	if err != nil {
		t.Fatal(err)
	}
	got := map[netip.AddrPort]uint32{}
	for _, e := range elems {
		a, _ := decodeAddrPort(e.Key)
		got[a] = binary.BigEndian.Uint32(e.Val)
	}
	if want := map[netip.AddrPort]uint32{ap("10.251.1.2:6443"): 1, ap("10.251.1.3:6443"): 3}; !maps.Equal(got, want) {
		t.Fatalf("weight map read in network order: %v, want %v", got, want)
	}
	if gv, found, err := b.Get(vip); err != nil || !found || !sameRealServers(gv.RealServers, vs.RealServers) {
		t.Fatalf("Get: %+v %v %v", gv, found, err)
	}
}

// TestIntegrationNFTablesFlushFallback: when only the conntrack entries of
// a dead real server's connections are deleted (the kernel cannot reset
// sockets), the client's next packet has no NAT mapping. It must get a TCP
// reset from this node at once: neither be mapped afresh to another real
// server (which would have to answer with a reset itself; here it is as
// silent as the dead one) nor leave the node addressed to the VIP. With
// nf_conntrack_tcp_loose 1 (the default) the packet makes a new conntrack
// entry and passes the nat chain; with 0 it has none and skips it.
func TestIntegrationNFTablesFlushFallback(t *testing.T) {
	requireRootNetns(t)
	for _, fam := range suiteFamilies {
		for _, loose := range []string{"1", "0"} {
			t.Run(fam.name+"/tcp_loose="+loose, func(t *testing.T) {
				env := newSuiteEnv(t, nftSuite, fam)
				var werr error
				inNetns(t, env.ns, func() {
					werr = os.WriteFile("/proc/sys/net/netfilter/nf_conntrack_tcp_loose", []byte(loose), 0o644)
				})
				if werr != nil {
					t.Fatalf("setting nf_conntrack_tcp_loose: %v", werr)
				}
				vip, a, b := setupForwarding(t, env)
				toA := connTo(t, env, vip, a)
				blackhole(t, a, fam.hostA, fam.hostB)
				blackhole(t, b, fam.hostA, fam.hostB)
				mustEnsure(t, env.lb, vip, rs(b.addr.String(), 1))
				n, err := flushConntrack(nsPath(env.ns), vip, a.addr, false)
				if err != nil || n != 1 {
					t.Fatalf("deleting the conntrack entries: %d, %v; want 1, nil", n, err)
				}
				start := time.Now()
				err = echo(toA)
				took := time.Since(start)
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("next packet on the connection to the dead %s: %v after %v, want a reset (ECONNRESET)", a.name, err, took)
				}
				if took > flushDeadline {
					t.Fatalf("reset came %v after the client's next packet, want under %v", took, flushDeadline)
				}
				t.Logf("client's next packet answered by a reset after %v", took.Round(10*time.Microsecond))
			})
		}
	}
}
