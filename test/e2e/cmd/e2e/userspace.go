package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/locallb"
)

// userspaceLB is a locallb.Balancer that balances in this process: one TCP
// listener per virtual server, round robin over the real servers with a
// weight above zero, each accepted connection spliced to one of them. It
// stands in for the kernel backends on machines that have neither (this
// one has no IPVS, and the nftables backend is not merged yet); the care
// daemon drives it through the same interface as the kernel's.
type userspaceLB struct {
	dialTimeout time.Duration

	mu  sync.Mutex
	vss map[netip.AddrPort]*uvs
}

type uvs struct {
	l    net.Listener
	rss  []locallb.RealServer
	next int
}

var _ locallb.Balancer = (*userspaceLB)(nil)

func newUserspaceLB() *userspaceLB {
	return &userspaceLB{dialTimeout: time.Second, vss: map[netip.AddrPort]*uvs{}}
}

func (b *userspaceLB) Ensure(vs locallb.VirtualServer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.vss[vs.VIP]
	if !ok {
		l, err := net.Listen("tcp", vs.VIP.String())
		if err != nil {
			return fmt.Errorf("userspace balancer: listening on %s: %w", vs.VIP, err)
		}
		cur = &uvs{l: l}
		b.vss[vs.VIP] = cur
		go b.serve(vs.VIP, cur)
	}
	cur.rss = append([]locallb.RealServer(nil), vs.RealServers...)
	return nil
}

func (b *userspaceLB) SetWeight(vip, rs netip.AddrPort, weight int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.vss[vip]
	if !ok {
		return fmt.Errorf("userspace balancer: no virtual server %s", vip)
	}
	for i := range v.rss {
		if v.rss[i].Addr == rs {
			v.rss[i].Weight = weight
			return nil
		}
	}
	return fmt.Errorf("userspace balancer: %s has no real server %s", vip, rs)
}

func (b *userspaceLB) Delete(vip netip.AddrPort) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.vss[vip]; ok {
		v.l.Close()
		delete(b.vss, vip)
	}
	return nil
}

func (b *userspaceLB) Get(vip netip.AddrPort) (locallb.VirtualServer, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.vss[vip]
	if !ok {
		return locallb.VirtualServer{}, false, nil
	}
	return locallb.VirtualServer{VIP: vip, RealServers: append([]locallb.RealServer(nil), v.rss...)}, true, nil
}

// pick returns the next real server with weight > 0, round robin.
func (b *userspaceLB) pick(v *uvs) (netip.AddrPort, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range v.rss {
		rs := v.rss[v.next%len(v.rss)]
		v.next++
		if rs.Weight > 0 {
			return rs.Addr, true
		}
	}
	return netip.AddrPort{}, false
}

func (b *userspaceLB) serve(vip netip.AddrPort, v *uvs) {
	for {
		c, err := v.l.Accept()
		if err != nil {
			return // closed by Delete
		}
		go b.splice(v, c)
	}
}

// splice connects c to one real server. Like IPVS without a real server,
// a connection with no usable backend is closed at once; a backend that
// does not answer is not retried elsewhere (IPVS does not retry either).
func (b *userspaceLB) splice(v *uvs, c net.Conn) {
	defer c.Close()
	rs, ok := b.pick(v)
	if !ok {
		return
	}
	up, err := net.DialTimeout("tcp", rs.String(), b.dialTimeout)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(up, c)
	go cp(c, up)
	<-done
	<-done
}

// lbUserspaceMain runs our care daemon (package care, the lvscare command
// line from the manifest) over the userspace balancer. SIGUSR1 deletes the
// virtual server behind the daemon's back, as `nft delete table` or
// `ipvsadm -C` would: the daemon must restore it.
func lbUserspaceMain(args []string) error {
	b := newUserspaceLB()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	vipArg := ""
	for i, a := range args {
		if a == "--vs" && i+1 < len(args) {
			vipArg = args[i+1]
		}
	}
	v, err := netip.ParseAddrPort(vipArg)
	if err != nil {
		return fmt.Errorf("lb-userspace needs the care daemon's --vs IP:port: %w", err)
	}
	go func() {
		for range usr1 {
			_ = b.Delete(v)
			fmt.Fprintf(os.Stderr, "%s lb-userspace: deleted the virtual server %s (SIGUSR1)\n", time.Now().UTC().Format(time.RFC3339Nano), v)
		}
	}()
	cmd := care.NewCommand("e2e-userspace", func(locallb.Backend) (locallb.Balancer, error) { return b, nil }, os.Stdout, os.Stderr)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return err
	}
	// The daemon leaves its rules in place on SIGTERM; ours die with the
	// process.
	return errors.Join(b.Delete(v))
}
