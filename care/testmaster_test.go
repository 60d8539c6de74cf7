package care

import (
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
	"sync"
	"testing"
	"time"
)

// testMaster is an apiserver stand-in: HTTPS on a loopback port that can be
// killed (listener and connections closed: refused), frozen (connections
// accepted, requests never answered), slowed, and revived on the same port.
type testMaster struct {
	t    testing.TB
	addr netip.AddrPort

	mu     sync.Mutex
	srv    *httptest.Server
	frozen chan struct{} // closed when not frozen
	delay  time.Duration
	status int
}

func newTestMaster(t testing.TB) *testMaster {
	m := &testMaster{t: t, status: http.StatusOK}
	m.frozen = make(chan struct{})
	close(m.frozen)
	m.start("127.0.0.1:0")
	t.Cleanup(m.stop)
	return m
}

func (m *testMaster) handler(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	frozen, delay, status := m.frozen, m.delay, m.status
	m.mu.Unlock()
	select {
	case <-frozen:
	case <-r.Context().Done():
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("ok"))
}

func (m *testMaster) start(addr string) {
	m.t.Helper()
	var l net.Listener
	var err error
	// Re-binding the port just released can race with its TIME_WAIT
	// neighbours on a busy machine; retry briefly.
	for i := 0; i < 200; i++ {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil {
		m.t.Fatalf("listening on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(m.handler))
	srv.Listener = l
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testMasterCert(m.t)}}
	// Killed clients make the server log handshake errors; they are expected.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	m.mu.Lock()
	m.srv = srv
	m.addr = netip.MustParseAddrPort(l.Addr().String())
	m.mu.Unlock()
}

var (
	testCertOnce sync.Once
	testCert     tls.Certificate
	testCertErr  error
)

// testMasterCert is one self-signed ECDSA P-256 certificate for 127.0.0.1
// and ::1, shared by every test master (caFile hands it out as the CA).
// httptest's built-in certificate is RSA 2048, whose server signature
// makes a cold handshake take tens of milliseconds under the race detector
// on a busy machine: longer than the tests' 60 ms probe timeout, so every
// probe of a revived master (cold handshakes until one passes) could fail.
// ECDSA signs in microseconds; the probes' timing stays what it was.
func testMasterCert(t testing.TB) tls.Certificate {
	testCertOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			testCertErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "lvscare test master"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			testCertErr = err
			return
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	if testCertErr != nil {
		t.Fatalf("creating the test masters' certificate: %v", testCertErr)
	}
	return testCert
}

// warmTLS completes one TLS handshake with m.
func warmTLS(t testing.TB, m *testMaster) {
	t.Helper()
	c, err := tls.Dial("tcp", m.addr.String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake with test master %s: %v", m.addr, err)
	}
	c.Close()
}

// kill closes the listener and every connection, as a process exit does.
func (m *testMaster) kill() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		// Listener first: a dead process accepts nothing after its
		// connections drop, and the daemon re-probes at once when they do.
		_ = srv.Listener.Close()
		srv.CloseClientConnections()
		srv.Close()
	}
}

func (m *testMaster) revive() { m.start(m.addr.String()) }

func (m *testMaster) freeze() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frozen = make(chan struct{})
}

func (m *testMaster) thaw() {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.frozen:
	default:
		close(m.frozen)
	}
}

func (m *testMaster) setDelay(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delay = d
}

func (m *testMaster) setStatus(code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = code
}

func (m *testMaster) stop() {
	m.thaw()
	m.kill()
}

// caFile writes the test servers' certificate (httptest uses one
// self-signed certificate for all) as a CA bundle.
func caFile(t testing.TB, m *testMaster) string {
	t.Helper()
	m.mu.Lock()
	cert := m.srv.Certificate()
	m.mu.Unlock()
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventually polls cond every few milliseconds for at most limit of wall
// time; it never asserts on timing, only bounds the wait.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s", what, limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
