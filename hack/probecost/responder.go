package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// The responder measures a design that issue 11's note proposes but the
// project does not build: a small process on each master that checks its
// local apiserver itself and answers the workers' probes, so the apiserver
// no longer pays per worker. Its per-probe cost is what the workers' probes
// would cost each master instead. A probe is one byte each way on a kept
// connection, plain TCP ("responder") or TLS ("responder-tls", as a
// protocol that authenticates the master would need).

// serveResponders answers every byte read with one byte, on plain TCP at
// plainAddr and TLS at tlsAddr, until ctx ends.
func serveResponders(ctx context.Context, plainAddr, tlsAddr string) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	plain, err := net.Listen("tcp", plainAddr)
	if err != nil {
		return err
	}
	defer plain.Close()
	tl, err := net.Listen("tcp", tlsAddr)
	if err != nil {
		return err
	}
	defer tl.Close()
	secure := tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	errs := make(chan error, 2)
	for _, l := range []net.Listener{plain, secure} {
		go func() { errs <- acceptEchoes(l) }()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errs:
		return err
	}
}

func acceptEchoes(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			b := make([]byte, 1)
			for {
				if _, err := io.ReadFull(c, b); err != nil {
					return
				}
				if _, err := c.Write(b); err != nil {
					return
				}
			}
		}()
	}
}

// responderNode probes addr with one byte each way on one kept connection,
// over TLS when secure.
func responderNode(addr string, secure bool, timeout time.Duration) func() (node, error) {
	return func() (node, error) {
		var c net.Conn
		var err error
		d := &net.Dialer{Timeout: timeout}
		if secure {
			c, err = tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}) // #nosec G402 -- loopback benchmark against a throwaway responder
		} else {
			c, err = d.Dial("tcp", addr)
		}
		if err != nil {
			return node{}, fmt.Errorf("connecting to the responder %s: %w", addr, err)
		}
		b := []byte{1}
		return node{close: func() { _ = c.Close() }, probe: func(ctx context.Context) error {
			deadline, ok := ctx.Deadline()
			if !ok {
				deadline = time.Now().Add(timeout)
			}
			_ = c.SetDeadline(deadline)
			if _, err := c.Write(b); err != nil {
				return err
			}
			_, err := io.ReadFull(c, b)
			return err
		}}, nil
	}
}

func selfSigned() (tls.Certificate, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probecost responder"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, nil
}
