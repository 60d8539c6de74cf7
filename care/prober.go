package care

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

// Prober checks one real server.
type Prober interface {
	// Probe returns nil when rs is healthy. It must honour ctx.
	Probe(ctx context.Context, rs netip.AddrPort) error
}

// ConnWatcher is implemented by probers that keep connections open and can
// tell when a peer closed one: a killed apiserver shows there at once,
// before the next probe is due.
type ConnWatcher interface {
	Lost() <-chan netip.AddrPort
}

// HTTPProber probes scheme://rs/path anonymously over a kept-alive
// HTTP/1.1 connection, with GET or --health-req-method, --health-req-body
// and --health-req-headers. Over https, a server that passed that request
// less than ReadyInterval ago gets an HTTP/2 PING instead, on a second
// connection that carries PINGs only: the apiserver answers a PING in its
// HTTP/2 framing, without authenticating, authorizing or logging a
// request, while a frozen or black-holed server misses it as it would miss
// the request. The PINGs cannot share a connection with the requests: for
// an anonymous HTTP/2 request the apiserver sends GOAWAY and closes the
// connection (its UnauthenticatedHTTP2DOSMitigation), and the probes are
// anonymous because the daemon must work before the node has credentials.
type HTTPProber struct {
	cfg       ProbeConfig
	client    *http.Client
	transport *http.Transport
	lost      chan netip.AddrPort
	extraOK   map[int]bool
	userAgent string

	dialer    *net.Dialer
	tlsConfig *tls.Config
	// roots verify the real servers' certificates (with their address);
	// nil when they are not verified or verified by tlsConfig alone.
	roots   *x509.CertPool
	h2      *http2.Transport
	mu      sync.Mutex
	servers map[netip.AddrPort]*pinged
}

// pingConnMaxAge is how long a PING connection is used before a new one
// replaces it: the apiserver closes an HTTP/2 connection that has carried
// no request for 90 s (its http2.Server IdleTimeout), PINGs or not, and a
// PING racing that close would count as a failure.
const pingConnMaxAge = 60 * time.Second

// pinged is what HTTPProber keeps per real server for PINGs. Only the one
// probe of that server in flight touches it; mu guards the map and cc
// against Close.
type pinged struct {
	cc     *http2.ClientConn
	dialed time.Time
	// lastFull is when the last full request that passed started; zero
	// makes the next probe a full request.
	lastFull time.Time
	// h1Only: the server did not offer HTTP/2, so every probe is a full
	// request.
	h1Only bool
}

// NewHTTPProber builds the prober; it reads the CA bundle now so that a bad
// file fails at start.
func NewHTTPProber(cfg ProbeConfig, userAgent string) (*HTTPProber, error) {
	p := &HTTPProber{cfg: cfg, lost: make(chan netip.AddrPort, 64), extraOK: map[int]bool{}, userAgent: userAgent,
		servers: map[netip.AddrPort]*pinged{}}
	for _, c := range cfg.ExtraOK {
		p.extraOK[c] = true
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case cfg.InsecureSkipVerify:
		tlsConfig.InsecureSkipVerify = true // #nosec G402 -- the operator asked for it, as public lvscare defaults to
	case cfg.CAFile != "":
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA bundle %s: %w", cfg.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate: give the cluster CA (e.g. %s)", cfg.CAFile, DefaultCAFile)
		}
		// Verified as a client dialing https://IP:port verifies (client-go,
		// and the kubelet through the VIP): the chain leads to the cluster
		// CA and the certificate is issued for the address probed. The CA
		// signs other servers' certificates too (every kubelet's serving
		// certificate); without the address, any of them passed as a
		// master. Done in VerifyConnection (set per dial by dialTLS, which
		// knows the address), to say which of the two failed.
		tlsConfig.InsecureSkipVerify = true // #nosec G402 -- verified in VerifyConnection
		p.roots = pool
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	p.dialer, p.tlsConfig = dialer, tlsConfig
	p.h2 = &http2.Transport{DisableCompression: true}
	watch := func(c net.Conn, addr string) net.Conn {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return c
		}
		return &watchedConn{Conn: c, addr: ap, lost: p.lost}
	}
	p.transport = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return watch(c, addr), nil
		},
		// The TLS layer is watched, not the socket under it: a peer that
		// shuts down cleanly sends close_notify, which ends the TLS stream
		// without any error from the socket.
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			tc, err := p.dialTLS(ctx, network, addr, nil)
			if err != nil {
				return nil, err
			}
			return watch(tc, addr), nil
		},
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		// HTTP/1.1 keeps one request per connection at a time, which is all
		// a probe needs.
		ForceAttemptHTTP2: false,
	}
	p.client = &http.Client{
		Transport: p.transport,
		// A redirect answer is a health answer; do not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p, nil
}

// verifyServer checks the server's certificate chain against roots and
// that the certificate is issued for host, the IP address dialed.
func verifyServer(cs tls.ConnectionState, roots *x509.CertPool, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return fmt.Errorf("server certificate is not signed by the cluster CA: %w", err)
	}
	// An IP address matches IP SANs only, as for any client.
	if err := leaf.VerifyHostname(host); err != nil {
		return fmt.Errorf("server certificate (subject %q, IP SANs %v, DNS names %q) is signed by the cluster CA but not issued for %s, as a client dialing that address requires: "+
			"it is not that master's apiserver certificate (a kubelet's serving certificate has the same CA), or the address is missing from it; "+
			"give the master's address that its apiserver certificate names, or add %s to ClusterConfiguration apiServer.certSANs and renew the apiserver certificate",
			leaf.Subject.CommonName, leaf.IPAddresses, leaf.DNSNames, host, host)
	}
	return nil
}

// Lost reports real servers whose kept-alive connection the peer closed.
func (p *HTTPProber) Lost() <-chan netip.AddrPort { return p.lost }

// Close drops kept-alive connections.
func (p *HTTPProber) Close() {
	p.transport.CloseIdleConnections()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.servers {
		if s.cc != nil {
			_ = s.cc.Close()
		}
	}
}

// dialTLS connects and completes the handshake, offering protos by ALPN.
func (p *HTTPProber) dialTLS(ctx context.Context, network, addr string, protos []string) (*tls.Conn, error) {
	raw, err := p.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := p.tlsConfig.Clone()
	cfg.NextProtos = protos
	// The certificate must be issued for the address dialed; an
	// unparsable addr leaves host empty, which no certificate matches.
	// ServerName also lets the standard verification (the system's roots,
	// when there is no CA bundle) check it, as an http.Client does; an IP
	// address is not sent as SNI.
	host, _, _ := net.SplitHostPort(addr)
	cfg.ServerName = host
	if p.roots != nil {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyServer(cs, p.roots, host) }
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return tc, nil
}

// Probe implements Prober.
func (p *HTTPProber) Probe(ctx context.Context, rs netip.AddrPort) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if p.cfg.Scheme != "https" || p.cfg.ReadyInterval <= 0 {
		return p.request(ctx, rs)
	}
	p.mu.Lock()
	s := p.servers[rs]
	if s == nil {
		s = &pinged{}
		p.servers[rs] = s
	}
	p.mu.Unlock()
	start := time.Now()
	if s.h1Only || fullRequestDue(s.lastFull, start, p.cfg.ReadyInterval) {
		err := p.request(ctx, rs)
		if err == nil {
			s.lastFull = start
		} else {
			s.lastFull = time.Time{}
		}
		return err
	}
	if err := p.ping(ctx, rs, s); err != nil {
		p.dropPing(s)
		// The next probe is the full request: rise and fall count what
		// the server answers to it, not only to PINGs.
		s.lastFull = time.Time{}
		return err
	}
	return nil
}

// fullRequestDue reports whether a probe of a server that offers HTTP/2,
// starting at now, must be the full request rather than a PING: no full
// request has passed yet or the last one failed (lastFull is zero then), or
// the last that passed started readyInterval ago or more.
func fullRequestDue(lastFull, now time.Time, readyInterval time.Duration) bool {
	return lastFull.IsZero() || now.Sub(lastFull) >= readyInterval
}

// ping sends an HTTP/2 PING to rs on its PING connection, dialing one when
// there is none usable.
func (p *HTTPProber) ping(ctx context.Context, rs netip.AddrPort, s *pinged) error {
	p.mu.Lock()
	cc := s.cc
	p.mu.Unlock()
	if cc == nil || !cc.CanTakeNewRequest() || time.Since(s.dialed) > pingConnMaxAge {
		p.dropPing(s)
		tc, err := p.dialTLS(ctx, "tcp", rs.String(), []string{http2.NextProtoTLS, "http/1.1"})
		if err != nil {
			return err
		}
		if tc.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
			// Not an apiserver, or one behind something that speaks
			// HTTP/1.1 only: probe it with the request every time, as
			// public lvscare does.
			_ = tc.Close()
			s.h1Only = true
			return p.request(ctx, rs)
		}
		// Not watched for a close: the server closes an idle PING
		// connection by itself, and the request connection (watched)
		// shows a killed server as soon.
		if cc, err = p.h2.NewClientConn(tc); err != nil {
			_ = tc.Close()
			return fmt.Errorf("starting HTTP/2 with %s: %w", rs, err)
		}
		p.mu.Lock()
		s.cc, s.dialed = cc, time.Now()
		p.mu.Unlock()
	}
	if err := cc.Ping(ctx); err != nil {
		return fmt.Errorf("HTTP/2 PING to %s: %w", rs, err)
	}
	return nil
}

// dropPing closes the server's PING connection.
func (p *HTTPProber) dropPing(s *pinged) {
	p.mu.Lock()
	cc := s.cc
	s.cc = nil
	p.mu.Unlock()
	if cc != nil {
		_ = cc.Close()
	}
}

// request sends the configured request to rs on its kept-alive HTTP/1.1
// connection.
func (p *HTTPProber) request(ctx context.Context, rs netip.AddrPort) error {
	u := url.URL{Scheme: p.cfg.Scheme, Host: rs.String(), Path: p.cfg.Path}
	method := p.cfg.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if p.cfg.Body != "" {
		body = strings.NewReader(p.cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("building probe request %s %s: %w", method, u.String(), err)
	}
	if p.userAgent != "" {
		req.Header.Set("User-Agent", p.userAgent)
	}
	// --health-req-headers add to (and may replace) the User-Agent.
	for k, vs := range p.cfg.Header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 400 && !p.extraOK[resp.StatusCode] {
		return &StatusError{Method: method, URL: u.String(), Status: resp.Status}
	}
	return nil
}

// StatusError is a failed probe that got an HTTP answer: the server is
// alive but says it is not ready (an apiserver's /readyz during startup or
// after SIGTERM, while it still serves during --shutdown-delay-duration).
// Every other probe error (refused, reset, timeout, TLS) means no answer.
type StatusError struct {
	Method, URL, Status string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s answered %s", e.Method, e.URL, e.Status)
}

// answered reports whether err is a probe failure that got an HTTP answer.
func answered(err error) bool {
	var se *StatusError
	return errors.As(err, &se)
}

// watchedConn reports a read error that we did not cause by closing the
// connection ourselves: on an idle kept-alive connection the transport's
// reader is always waiting, so a peer's FIN or RST shows up at once.
type watchedConn struct {
	net.Conn
	addr   netip.AddrPort
	lost   chan<- netip.AddrPort
	closed atomic.Bool
	once   sync.Once
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && !c.closed.Load() {
		c.once.Do(func() {
			select {
			case c.lost <- c.addr:
			default: // a kick is already queued; one is enough
			}
		})
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}
