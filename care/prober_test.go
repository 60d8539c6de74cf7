package care

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
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
