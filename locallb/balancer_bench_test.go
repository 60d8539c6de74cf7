package locallb

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// benchVIP measures, from a client namespace over veth, connection setup
// (connect, read the greeting, close with RST) and echo throughput, to a
// server directly and through the VIP, and logs VIP/direct ratios. It
// prints figures only; nothing is asserted about speed.
func benchVIP(b *testing.B, open func(tb testing.TB, ns netns.NsHandle) Balancer) {
	requireNetns(b)
	ns, h := newNetns(b)
	env := suiteEnv{lb: open(b, ns), ns: ns, h: h, fam: suiteFamilies[0]}
	vip, a, _ := setupForwarding(b, env)
	results := map[string]testing.BenchmarkResult{}
	targets := []struct {
		name string
		addr netip.AddrPort
	}{{"direct", a.addr}, {"vip", vip}}
	for _, tg := range targets {
		b.Run("connect/"+tg.name, func(b *testing.B) {
			// The whole loop runs on one thread inside the client
			// namespace, so each dial costs no namespace switch.
			var loopErr error
			inNetns(b, ns, func() {
				for b.Loop() {
					if loopErr = connectOnce(tg.addr); loopErr != nil {
						return
					}
				}
			})
			if loopErr != nil {
				b.Fatal(loopErr)
			}
			results["connect/"+tg.name] = testing.BenchmarkResult{N: b.N, T: b.Elapsed()}
		})
	}
	const chunk = 64 << 10
	for _, tg := range targets {
		b.Run("echo64KiB/"+tg.name, func(b *testing.B) {
			c, err := dialIn(b, ns, tg.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			if _, err := r.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
			out, in := make([]byte, chunk), make([]byte, chunk)
			b.SetBytes(chunk)
			for b.Loop() {
				done := make(chan error, 1)
				go func() { _, err := c.Write(out); done <- err }()
				if _, err := io.ReadFull(r, in); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			results["echo/"+tg.name] = testing.BenchmarkResult{N: b.N, T: b.Elapsed(), Bytes: chunk}
		})
	}
	d, v := results["connect/direct"], results["connect/vip"]
	if d.N > 0 && v.N > 0 {
		b.Logf("connection setup: direct %v/op, via VIP %v/op, ratio VIP/direct %.2f", d.T/time.Duration(d.N), v.T/time.Duration(v.N), float64(v.NsPerOp())/float64(d.NsPerOp()))
	}
	d, v = results["echo/direct"], results["echo/vip"]
	if d.N > 0 && v.N > 0 {
		mbs := func(r testing.BenchmarkResult) float64 { return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6 }
		b.Logf("echo throughput: direct %.0f MB/s, via VIP %.0f MB/s, ratio VIP/direct %.2f", mbs(d), mbs(v), mbs(v)/mbs(d))
	}
}

// connectOnce connects, reads the greeting and closes with RST (no
// TIME_WAIT pile-up over many iterations).
func connectOnce(addr netip.AddrPort) error {
	c, err := net.DialTimeout("tcp", addr.String(), 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		return err
	}
	return c.(*net.TCPConn).SetLinger(0)
}

func BenchmarkNFTablesVIP(b *testing.B) {
	benchVIP(b, func(tb testing.TB, ns netns.NsHandle) Balancer { return openNFTables(tb, ns) })
}

func BenchmarkIPVSVIP(b *testing.B) {
	requireIPVS(b)
	benchVIP(b, func(tb testing.TB, ns netns.NsHandle) Balancer {
		lb, err := NewIPVS(IPVSOptions{NetnsPath: nsPath(ns)})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(lb.Close)
		return lb
	})
}
