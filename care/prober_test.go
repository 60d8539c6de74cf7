package care

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHTTPProberStatus(t *testing.T) {
	m := newTestMaster(t)
	tests := []struct {
		name    string
		status  int
		extraOK []int
		wantErr string
	}{
		{"200", 200, nil, ""},
		{"302 is an answer", 302, nil, ""},
		{"500", 500, nil, "500"},
		{"403 anonymous refused", 403, nil, "403"},
		{"403 accepted by --health-status", 403, []int{403}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.setStatus(tc.status)
			p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/healthz", Timeout: time.Second, InsecureSkipVerify: true, ExtraOK: tc.extraOK}, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			err = p.Probe(context.Background(), m.addr)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Probe = %v, want nil", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Probe = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestHTTPProberPlainHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/livez" {
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	p, err := NewHTTPProber(ProbeConfig{Scheme: "http", Path: "/livez", Timeout: time.Second}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Probe(context.Background(), netip.MustParseAddrPort(srv.Listener.Addr().String())); err != nil {
		t.Fatalf("Probe over http = %v", err)
	}
}

func TestHTTPProberVerifiesAgainstTheCA(t *testing.T) {
	m := newTestMaster(t)
	good := caFile(t, m)
	other := otherCA(t)
	tests := []struct {
		name    string
		ca      string
		wantErr string
	}{
		{"cluster CA", good, ""},
		{"another CA", other, "not signed by the cluster CA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/healthz", Timeout: time.Second, CAFile: tc.ca}, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			err = p.Probe(context.Background(), m.addr)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Probe = %v, want nil", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Probe = %v, want %q", err, tc.wantErr)
			}
		})
	}
	empty := filepath.Join(t.TempDir(), "empty.crt")
	if err := os.WriteFile(empty, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHTTPProber(ProbeConfig{Scheme: "https", CAFile: empty, Timeout: time.Second}, ""); err == nil || !strings.Contains(err.Error(), empty) {
		t.Fatalf("NewHTTPProber with a non-PEM CA = %v, want an error naming the file", err)
	}
}

func TestHTTPProberReportsAConnectionClosedByThePeer(t *testing.T) {
	m := newTestMaster(t)
	p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/healthz", Timeout: time.Second, InsecureSkipVerify: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Probe(context.Background(), m.addr); err != nil {
		t.Fatal(err)
	}
	select {
	case rs := <-p.Lost():
		t.Fatalf("lost %s while the connection is healthy", rs)
	default:
	}
	m.kill()
	select {
	case rs := <-p.Lost():
		if rs != m.addr {
			t.Fatalf("lost %s, want %s", rs, m.addr)
		}
	case <-time.After(waitLimit):
		t.Fatal("a killed server's kept-alive connection was not reported")
	}
	// Our own close is not reported.
	m.revive()
	if err := p.Probe(context.Background(), m.addr); err != nil {
		t.Fatal(err)
	}
	p.Close()
	select {
	case rs := <-p.Lost():
		t.Fatalf("our own close reported as lost %s", rs)
	case <-time.After(50 * time.Millisecond): // bounded wait for a report that must not come
	}
}

// otherCA writes a self-signed CA that signed nothing the test servers use.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// h2Master is an HTTPS server counting the requests it answers, behind a
// proxy that counts connections and can black-hole them all (hold their
// bytes), as a frozen or cut-off apiserver does to both requests and
// HTTP/2 PINGs. Like kube-apiserver, it closes an HTTP/2 connection after
// an anonymous request (every request here is anonymous).
type h2Master struct {
	srv      *httptest.Server
	requests atomic.Int64
	status   atomic.Int64
	proxy    *holdingProxy
	addr     netip.AddrPort
}

func newH2Master(t *testing.T, http2 bool) *h2Master {
	t.Helper()
	m := &h2Master{}
	m.status.Store(http.StatusOK)
	m.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		if r.ProtoMajor == 2 {
			w.Header().Set("Connection", "close") // GOAWAY after this stream
		}
		w.WriteHeader(int(m.status.Load()))
	}))
	m.srv.EnableHTTP2 = http2
	m.srv.TLS = &tls.Config{Certificates: []tls.Certificate{testMasterCert(t)}}
	m.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	m.srv.StartTLS()
	t.Cleanup(m.srv.Close)
	m.proxy = newHoldingProxy(t, m.srv.Listener.Addr().String())
	m.addr = m.proxy.addr
	return m
}

// holdingProxy forwards loopback TCP connections to target; while held, it
// forwards nothing in either direction (the bytes wait, as retransmissions
// would through a black hole that later heals).
type holdingProxy struct {
	addr  netip.AddrPort
	conns atomic.Int64 // accepted so far
	mu    sync.Mutex
	open  chan struct{} // closed while forwarding
}

func newHoldingProxy(t *testing.T, target string) *holdingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	p := &holdingProxy{addr: netip.MustParseAddrPort(l.Addr().String()), open: make(chan struct{})}
	close(p.open)
	var conns sync.WaitGroup
	t.Cleanup(conns.Wait)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			conns.Add(2)
			go p.pipe(&conns, u, c)
			go p.pipe(&conns, c, u)
		}
	}()
	t.Cleanup(func() { p.release() })
	return p
}

func (p *holdingProxy) pipe(wg *sync.WaitGroup, dst, src net.Conn) {
	defer wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			open := p.open
			p.mu.Unlock()
			<-open
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *holdingProxy) hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = make(chan struct{})
}

func (p *holdingProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

func TestHTTPProberSendsTheFullRequestEveryReadyInterval(t *testing.T) {
	tests := []struct {
		name          string
		http2         bool
		readyInterval time.Duration
		status        int
		probes        int
		wantRequests  int64
		wantConns     int64
		wantErr       string
	}{
		{"HTTP/2: one request, PINGs after it on a second connection", true, time.Hour, 200, 5, 1, 2, ""},
		{"HTTP/2 with --ready-interval 0: a request every probe", true, 0, 200, 5, 5, 1, ""},
		{"HTTP/1.1 only: a request every probe", false, time.Hour, 200, 5, 5, 2, ""},
		{"HTTP/2, not ready: a request every probe until it passes", true, time.Hour, 500, 3, 3, 1, "500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newH2Master(t, tc.http2)
			m.status.Store(int64(tc.status))
			p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/readyz", Timeout: time.Second, InsecureSkipVerify: true, ReadyInterval: tc.readyInterval}, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i := range tc.probes {
				err := p.Probe(context.Background(), m.addr)
				if tc.wantErr == "" && err != nil {
					t.Fatalf("probe %d = %v, want nil", i, err)
				}
				if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
					t.Fatalf("probe %d = %v, want an error containing %q", i, err, tc.wantErr)
				}
			}
			if got := m.requests.Load(); got != tc.wantRequests {
				t.Fatalf("%d probes made %d requests, want %d", tc.probes, got, tc.wantRequests)
			}
			// Kept connections: the request's and, for HTTP/2, the PINGs'
			// (the HTTP/1.1-only server's second was the ALPN check).
			if got := m.proxy.conns.Load(); got != tc.wantConns {
				t.Fatalf("%d probes opened %d connections, want %d", tc.probes, got, tc.wantConns)
			}
		})
	}
}

func TestHTTPProberPingFailsOnABlackHoledServer(t *testing.T) {
	m := newH2Master(t, true)
	const timeout = 300 * time.Millisecond
	p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/readyz", Timeout: timeout, InsecureSkipVerify: true, ReadyInterval: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 2 { // the request, then a PING (which dials its connection)
		if err := p.Probe(context.Background(), m.addr); err != nil {
			t.Fatal(err)
		}
	}
	m.proxy.hold()
	start := time.Now()
	err = p.Probe(context.Background(), m.addr)
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "PING") || answered(err) {
		t.Fatalf("probe of a black-holed server = %v, want an unanswered PING error", err)
	}
	if took > timeout+waitLimit {
		t.Fatalf("the failing PING took %s, want about the %s timeout", took, timeout)
	}
	m.proxy.release()
	// The failed connection was dropped: the next probe dials again and
	// sends the full request.
	if err := p.Probe(context.Background(), m.addr); err != nil {
		t.Fatalf("probe after the black hole healed = %v", err)
	}
	if got := m.requests.Load(); got != 2 {
		t.Fatalf("requests = %d, want 2 (the first probe and the one after the PING failed)", got)
	}
}

// TestHTTPProberReportsAClosedConnectionBetweenRequests: while PINGs stand
// in for the request, a killed server still shows at once, through the
// request's kept connection.
func TestHTTPProberReportsAClosedConnectionBetweenRequests(t *testing.T) {
	m := newH2Master(t, true)
	p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/readyz", Timeout: time.Second, InsecureSkipVerify: true, ReadyInterval: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 2 { // the request, then a PING
		if err := p.Probe(context.Background(), m.addr); err != nil {
			t.Fatal(err)
		}
	}
	m.srv.CloseClientConnections()
	select {
	case rs := <-p.Lost():
		if rs != m.addr {
			t.Fatalf("lost %s, want %s", rs, m.addr)
		}
	case <-time.After(waitLimit):
		t.Fatal("a connection closed by the server was not reported")
	}
}

func TestFullRequestDue(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lastFull time.Time
		ri       time.Duration
		want     bool
	}{
		{"none passed yet, or the last failed", time.Time{}, 10 * time.Second, true},
		{"passed just now", now, 10 * time.Second, false},
		{"passed less than the ready interval ago", now.Add(-9999 * time.Millisecond), 10 * time.Second, false},
		{"passed exactly the ready interval ago", now.Add(-10 * time.Second), 10 * time.Second, true},
		{"passed longer ago", now.Add(-time.Minute), 10 * time.Second, true},
	}
	for _, tc := range tests {
		if got := fullRequestDue(tc.lastFull, now, tc.ri); got != tc.want {
			t.Errorf("%s: fullRequestDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// testCA is a CA made by the test, and the server certificates it signs.
type testCA struct {
	t    *testing.T
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{t: t, cert: cert, key: key, file: file}
}

// serve starts an HTTPS server on loopback whose certificate, signed by
// ca, names cn, ips and dns.
func (ca *testCA) serve(cn string, ips []net.IP, dns []string) netip.AddrPort {
	t := ca.t
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: ips, DNSNames: dns,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

// A certificate signed by the cluster CA passes only when it is issued for
// the address probed, as for a client dialing https://IP:port: a kubelet's
// serving certificate (same CA, its node's address) or an apiserver
// certificate for another node does not. Both the full request and the
// HTTP/2 PING connection check it.
func TestHTTPProberChecksTheMastersAddress(t *testing.T) {
	ca := newTestCA(t)
	loop := net.IPv4(127, 0, 0, 1)
	tests := []struct {
		name    string
		cn      string
		ips     []net.IP
		dns     []string
		wantErr []string
	}{
		{"apiserver certificate for the address", "kube-apiserver", []net.IP{net.IPv4(10, 96, 0, 1), loop}, []string{"kubernetes"}, nil},
		{"kubelet serving certificate of another node", "system:node:worker-1", []net.IP{net.IPv4(10, 0, 0, 7)}, []string{"worker-1"},
			[]string{"127.0.0.1", "not issued for 127.0.0.1", "10.0.0.7", "system:node:worker-1", "certSANs"}},
		{"names only", "kube-apiserver", nil, []string{"localhost", "kubernetes"}, []string{"not issued for 127.0.0.1", "localhost"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := ca.serve(tc.cn, tc.ips, tc.dns)
			for _, ready := range []time.Duration{0, time.Hour} {
				p, err := NewHTTPProber(ProbeConfig{Scheme: "https", Path: "/readyz", Timeout: 5 * time.Second, CAFile: ca.file, ReadyInterval: ready}, "")
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				// With a ready interval the second probe is a PING on
				// its own connection.
				for i := range 2 {
					err := p.Probe(context.Background(), rs)
					if tc.wantErr == nil {
						if err != nil {
							t.Fatalf("probe %d (ready interval %s) = %v, want nil", i+1, ready, err)
						}
						continue
					}
					if err == nil {
						t.Fatalf("probe %d (ready interval %s) passed with a certificate for %v %v", i+1, ready, tc.ips, tc.dns)
					}
					for _, w := range tc.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("probe %d error %q does not contain %q", i+1, err, w)
						}
					}
				}
			}
		})
	}
}
