package care

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// /proc/net/tcp and tcp6 as an x86 (little-endian) kernel prints them.
const (
	procTCPHeader  = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	procTCP6Header = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
)

func procTCPLine(sl int, local, remote, state string, uid int, inode uint64) string {
	return fmt.Sprintf("  %2d: %s %s %s 00000000:00000000 00:00000000 00000000  %5d        0 %d 1 0000000000000000 100 0 0 10 0\n", sl, local, remote, state, uid, inode)
}

func TestParseTCPTable(t *testing.T) {
	data := procTCPHeader +
		procTCPLine(0, "0100007F:2838", "00000000:0000", "0A", 1000, 4242) +
		procTCPLine(1, "0200A8C0:A3F2", "0A00A8C0:192B", "01", 0, 0)
	socks, err := parseTCPTable([]byte(data), binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	want := []tcpSocket{
		{Local: netip.MustParseAddrPort("127.0.0.1:10296"), State: tcpListen, UID: 1000, Inode: 4242},
		{Local: netip.MustParseAddrPort("192.168.0.2:41970"), Remote: netip.MustParseAddrPort("192.168.0.10:6443"), State: 0x01},
	}
	if fmt.Sprint(socks) != fmt.Sprint(want) {
		t.Errorf("parsed\n%v\nwant\n%v", socks, want)
	}

	v6 := procTCP6Header +
		procTCPLine(0, "00000000000000000000000001000000:2838", "00000000000000000000000000000000:0000", "0A", 0, 7) +
		procTCPLine(1, "0000000000000000FFFF00000100007F:2838", "00000000000000000000000000000000:0000", "07", 65532, 8) +
		procTCPLine(2, "B80D0120000000000000000001000000:01BB", "00000000000000000000000000000000:0000", "0A", 0, 9)
	socks, err = parseTCPTable([]byte(v6), binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{"[::1]:10296", "[::ffff:127.0.0.1]:10296", "[2001:db8::1]:443"} {
		if socks[i].Local != netip.MustParseAddrPort(w) || socks[i].Remote.IsValid() {
			t.Errorf("tcp6 line %d: local %s remote %s, want %s and none", i, socks[i].Local, socks[i].Remote, w)
		}
	}

	for _, bad := range []string{
		procTCPHeader + "   0: 0100007F:2838 00000000:0000 0A\n",
		procTCPHeader + procTCPLine(0, "0100007:2838", "00000000:0000", "0A", 0, 1),
		procTCPHeader + procTCPLine(0, "0100007F-2838", "00000000:0000", "0A", 0, 1),
		procTCPHeader + procTCPLine(0, "0100007F:2838", "00000000:0000", "ZZ", 0, 1),
	} {
		if _, err := parseTCPTable([]byte(bad), binary.LittleEndian); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("parsing %q = %v, want an error naming line 2", bad, err)
		}
	}
}

// procFixture is a /proc tree: socket tables and processes with their
// descriptors.
func procFixture(tcp, tcp6 string, procs map[int][2]string) fstest.MapFS {
	fsys := fstest.MapFS{"net/tcp": {Data: []byte(procTCPHeader + tcp)}, "net/tcp6": {Data: []byte(procTCP6Header + tcp6)}}
	for pid, p := range procs {
		comm, link := p[0], p[1]
		fsys[fmt.Sprintf("%d/comm", pid)] = &fstest.MapFile{Data: []byte(comm + "\n")}
		fsys[fmt.Sprintf("%d/fd/0", pid)] = &fstest.MapFile{Data: []byte("/dev/null"), Mode: fs.ModeSymlink}
		if link != "" {
			fsys[fmt.Sprintf("%d/fd/3", pid)] = &fstest.MapFile{Data: []byte(link), Mode: fs.ModeSymlink}
		}
	}
	fsys["self/comm"] = &fstest.MapFile{Data: []byte("not a pid\n")}
	return fsys
}

func TestFindPortHolders(t *testing.T) {
	addr := netip.MustParseAddrPort("127.0.0.1:10296")
	listen := procTCPLine(0, "0100007F:2838", "00000000:0000", "0A", 1000, 4242)
	tests := []struct {
		name      string
		tcp, tcp6 string
		procs     map[int][2]string
		want      []string // each holder's String, in order
	}{
		{"listener with its process", listen, "", map[int][2]string{1: {"systemd", "socket:[1]"}, 777: {"nc", "socket:[4242]"}},
			[]string{"a listening socket on 127.0.0.1:10296 of uid 1000, open in pid 777 (nc)"}},
		{"process not visible", listen, "", map[int][2]string{1: {"systemd", ""}},
			[]string{"a listening socket on 127.0.0.1:10296 of uid 1000 (socket inode 4242; no process visible from here: it runs in another PID namespace or as another user; as root on the node, `ss -ltnp 'sport = :10296'` names it)"}},
		{"wildcard addresses, exact first",
			procTCPLine(0, "00000000:2838", "00000000:0000", "0A", 0, 10) + listen,
			procTCPLine(0, "00000000000000000000000000000000:2838", "00000000000000000000000000000000:0000", "0A", 0, 11),
			map[int][2]string{777: {"nc", "socket:[4242]"}, 900: {"python3", "socket:[10]"}},
			[]string{"a listening socket on 127.0.0.1:10296 of uid 1000, open in pid 777 (nc)", "a listening socket on 0.0.0.0:10296 of uid 0, open in pid 900 (python3)", "a listening socket on [::]:10296 of uid 0 (socket inode 11"}},
		{"bound, not listening, as IPv4-mapped", "", procTCPLine(0, "0000000000000000FFFF00000100007F:2838", "00000000000000000000000000000000:0000", "07", 65532, 12), nil,
			[]string{"a socket bound to 127.0.0.1:10296 of uid 65532 (socket inode 12"}},
		{"others are not holders",
			procTCPLine(0, "0200007F:2838", "00000000:0000", "0A", 0, 20) + // 127.0.0.2
				procTCPLine(1, "0100007F:2839", "00000000:0000", "0A", 0, 21) + // another port
				procTCPLine(2, "0100007F:2838", "0100007F:A3F2", "06", 0, 0), // TIME_WAIT
			"", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := findPortHolders(procFixture(tc.tcp, tc.tcp6, tc.procs), binary.LittleEndian, addr)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) != len(tc.want) {
				t.Fatalf("holders %v, want %d: %q", hs, len(tc.want), tc.want)
			}
			for i, h := range hs {
				if !strings.HasPrefix(h.String(), tc.want[i]) {
					t.Errorf("holder %d = %q, want %q", i, h, tc.want[i])
				}
			}
		})
	}
	if _, err := findPortHolders(fstest.MapFS{}, binary.LittleEndian, addr); err == nil || !strings.Contains(err.Error(), "/proc/net/tcp") {
		t.Errorf("without /proc/net/tcp: %v, want an error naming it", err)
	}
}

// The daemon's start fails on a taken port saying which process holds it
// (here this test, on a port it picked), and whether that is a care
// daemon.
func TestIntegrationListenNamesTheHolder(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skipf("no /proc/net/tcp (%v): the holder is found on Linux only", err)
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	holder := fmt.Sprintf("pid %d (%s)", os.Getpid(), strings.TrimSpace(string(comm)))
	for _, daemon := range []bool{false, true} {
		t.Run(fmt.Sprintf("care daemon %v", daemon), func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if daemon {
				srv := &http.Server{Handler: Handler(nil, vip, func(time.Time) error { return nil }), ReadHeaderTimeout: time.Second}
				go func() { _ = srv.Serve(l) }()
				defer srv.Close()
			}
			addr := l.Addr().String()
			second, err := Listen(addr)
			if err == nil {
				second.Close()
				t.Fatalf("Listen(%s) succeeded on a taken port", addr)
			}
			want := []string{addr, "address already in use", "a listening socket on " + addr, holder, "Stop that process"}
			if daemon {
				want = append(want, "the lvscare care daemon of the virtual server "+vip.String())
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !daemon && strings.Contains(err.Error(), "care daemon of") {
				t.Errorf("error %q calls a plain listener a care daemon", err)
			}
		})
	}
}

// AskDaemon tells the care daemon of a virtual server from nothing, from
// any other listener and from the daemon of another virtual server.
func TestAskDaemon(t *testing.T) {
	serve := func(t *testing.T, h http.Handler) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		return l.Addr().String()
	}
	raw := func(t *testing.T, conn func(net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go conn(c)
			}
		}()
		return l.Addr().String()
	}
	free := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	other := netip.MustParseAddrPort("10.103.97.3:6443")
	tests := []struct {
		name           string
		addr           func(t *testing.T) string
		listening, our bool
		daemon         netip.AddrPort
		healthy        bool
		detail         string
	}{
		{"our daemon", func(t *testing.T) string { return serve(t, Handler(nil, vip, func(time.Time) error { return nil })) }, true, true, vip, true, "care daemon of the virtual server " + vip.String()},
		{"our daemon, stuck (503)", func(t *testing.T) string {
			return serve(t, Handler(nil, vip, func(time.Time) error { return errors.New("stuck") }))
		}, true, true, vip, false, "503"},
		{"the daemon of another virtual server", func(t *testing.T) string { return serve(t, Handler(nil, other, func(time.Time) error { return nil })) }, true, false, other, true, other.String()},
		{"another HTTP server", func(t *testing.T) string {
			return serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Server", "squatter/1")
				_, _ = w.Write([]byte("ok\n"))
			}))
		}, true, false, netip.AddrPort{}, false, "without the " + VirtualServerHeader + " header: not an lvscare care daemon (Server: squatter/1)"},
		{"a forged header that is no address", func(t *testing.T) string {
			return serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Set(VirtualServerHeader, "yes") }))
		}, true, false, netip.AddrPort{}, false, "no IP:port"},
		{"not HTTP", func(t *testing.T) string {
			return raw(t, func(c net.Conn) { _, _ = c.Write([]byte("SSH-2.0-x\r\n")); c.Close() })
		}, true, false, netip.AddrPort{}, false, "no HTTP answer"},
		{"nothing", free, false, false, netip.AddrPort{}, false, "nothing listens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			a, err := AskDaemon(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			if a.Listening != tc.listening || a.VirtualServer != tc.daemon || a.Healthy != tc.healthy || !strings.Contains(a.Detail, tc.detail) {
				t.Errorf("AskDaemon = %+v, want listening %v, virtual server %v, healthy %v, detail with %q", a, tc.listening, tc.daemon, tc.healthy, tc.detail)
			}
			ours, err := IsOurDaemon(ctx, addr, vip)
			if err != nil || ours != tc.our {
				t.Errorf("IsOurDaemon(%s) = %v, %v, want %v", vip, ours, err, tc.our)
			}
		})
	}

	// A listener that says nothing: no answer before ctx ends, an error.
	done := make(chan struct{})
	defer close(done)
	silent := raw(t, func(c net.Conn) { <-done; c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if ours, err := IsOurDaemon(ctx, silent, vip); ours || err == nil || !strings.Contains(err.Error(), "no answer from") {
		t.Errorf("IsOurDaemon of a silent listener = %v, %v, want false and a no-answer error", ours, err)
	}
}
