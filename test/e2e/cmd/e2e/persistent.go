package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"k8s.io/client-go/tools/clientcmd"
)

// A client like a kubelet's: ONE HTTP/2 connection through the VIP, kept
// for as long as it works, with client-go's health check (ReadIdleTimeout
// 30 s, PingTimeout 15 s), authenticated with the node's client
// certificate. A fresh-connection client is balanced anew every request; this
// one shows what a node's own long-lived connections see when the master
// holding them fails.

const (
	persistentReadIdle = 30 * time.Second // client-go's http2 ReadIdleTimeout
	persistentPing     = 15 * time.Second // client-go's http2 PingTimeout
	persistentTimeout  = 10 * time.Second
	persistentInterval = 100 * time.Millisecond
	// persistentPath is a request the kubelet makes: its own Node.
	persistentPath = "/api/v1/nodes/w"
	// freshPath is what the anonymous fresh-connection client asks for.
	freshPath = "/livez"
)

// persistentConn remembers the local port of the client's current
// connection, which identifies the master holding it.
type persistentConn struct{ port atomic.Int32 }

// newPersistentClient builds the client from the worker's kubelet.conf.
func (h *harness) newPersistentClient() (*http.Client, *persistentConn, error) {
	return newPersistentClientAt(h.worker.path(kubeletConf), h.worker.resolve, h.ca, dialerIn(h.worker.nsPath(), persistentTimeout))
}

// newPersistentClientAt builds the client from the kubeconfig at path;
// resolve maps the kubeconfig's certificate paths to readable ones.
func newPersistentClientAt(path string, resolve func(string) string, ca []byte, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*http.Client, *persistentConn, error) {
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, nil, err
	}
	var certFile, keyFile string
	for _, a := range kc.AuthInfos {
		certFile, keyFile = resolve(a.ClientCertificate), resolve(a.ClientKey)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("the worker's client certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, nil, errors.New("no CA certificate in the cluster CA file")
	}
	pc := &persistentConn{}
	t := &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: endpointName, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}},
		ReadIdleTimeout: persistentReadIdle,
		PingTimeout:     persistentPing,
		DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			raw, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if a, ok := raw.LocalAddr().(*net.TCPAddr); ok {
				pc.port.Store(int32(a.Port))
			}
			c := tls.Client(raw, cfg)
			if err := c.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return c, nil
		},
	}
	return &http.Client{Transport: t, Timeout: persistentTimeout}, pc, nil
}

// holder returns the index of the master whose apiserver holds the
// persistent client's connection: the one with an established socket from
// the worker's address and the client's local port (the balancer's DNAT
// keeps the source).
func (h *harness) holder(pc *persistentConn) (int, error) {
	port := int(pc.port.Load())
	if port == 0 {
		return -1, errors.New("the persistent client has no connection yet")
	}
	// An apiserver listening on [::]:6443 lists IPv4 peers in tcp6 as
	// IPv4-mapped addresses.
	remote4 := fmt.Sprintf("%s:%04X", hexIPv4(net.ParseIP(workerAddr)), port)
	remote6 := "0000000000000000FFFF0000" + remote4
	for i, p := range h.api {
		if p == nil || !p.alive() {
			continue
		}
		for _, file := range []string{"tcp", "tcp6"} {
			if established(fmt.Sprintf("/proc/%d/net/%s", p.cmd.Process.Pid, file), remote4, remote6) {
				return i, nil
			}
		}
	}
	return -1, fmt.Errorf("no apiserver holds a connection from %s:%d", workerAddr, port)
}

// established reports whether the /proc/net/tcp{,6} file at path lists an
// ESTABLISHED socket whose remote address is one of remotes.
func established(path string, remotes ...string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fld := strings.Fields(sc.Text())
		// sl local_address rem_address st …; 01 is ESTABLISHED.
		if len(fld) > 3 && fld[3] == "01" && slices.Contains(remotes, fld[2]) {
			return true
		}
	}
	return false
}

// hexIPv4 is an address as /proc/net/tcp prints it (little-endian hex).
func hexIPv4(ip net.IP) string {
	v := ip.To4()
	return fmt.Sprintf("%08X", uint32(v[3])<<24|uint32(v[2])<<16|uint32(v[1])<<8|uint32(v[0]))
}

// recovery is how long after the fault began the client first succeeded
// again, counted from its first failure; 0 when it never failed.
func recovery(ss []sample, start time.Time) time.Duration {
	failed := false
	for _, s := range ss {
		if !s.ok {
			failed = true
			continue
		}
		if failed {
			return s.at.Sub(start)
		}
	}
	if failed {
		return -1 // never recovered within the samples
	}
	return 0
}
