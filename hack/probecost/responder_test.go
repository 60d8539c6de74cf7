package main

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

func TestResponderRoundTrip(t *testing.T) {
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	for _, secure := range []bool{false, true} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := l
		if secure {
			served = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
		}
		go func() { _ = acceptEchoes(served) }()
		n, err := responderNode(l.Addr().String(), secure, time.Second)()
		if err != nil {
			t.Fatalf("secure=%v: %v", secure, err)
		}
		for i := range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := n.probe(ctx)
			cancel()
			if err != nil {
				t.Fatalf("secure=%v: probe %d: %v", secure, i, err)
			}
		}
		n.close()
		_ = l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		if err := n.probe(ctx); err == nil {
			t.Errorf("secure=%v: a probe on a closed connection passed", secure)
		}
		cancel()
	}
}

func TestResponderKindNeedsPID(t *testing.T) {
	if err := run([]string{"-pid", "1", "-paths", "/healthz,responder-tls"}, io.Discard); err == nil {
		t.Error("-paths responder without -responder-pid was accepted")
	}
}
