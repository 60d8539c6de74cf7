package care

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

const (
	// HealthPath is where the daemon answers on its --metrics-address
	// (DefaultMetricsAddress): the static pod's liveness probe, and
	// kubeadm's check whether the daemon still runs.
	HealthPath = "/healthz"
	// VirtualServerHeader is in every answer of HealthPath: the virtual
	// server (VIP:port) the daemon cares for. Any local user can listen
	// on the loopback port first, so an answer without it is not our
	// daemon's, and one naming another virtual server is another
	// daemon's.
	VirtualServerHeader = "X-Lvscare-Virtual-Server"
)

// DaemonAnswer is what the listener on a care daemon's health address
// answered to GET HealthPath (AskDaemon).
type DaemonAnswer struct {
	// Listening: something accepted the connection.
	Listening bool
	// VirtualServer is the virtual server the answering care daemon names
	// (VirtualServerHeader); invalid when what answered is not a care
	// daemon.
	VirtualServer netip.AddrPort
	// Healthy: a care daemon answered 200 (its loop turns); false for
	// 503, and for anything that is not a care daemon.
	Healthy bool
	// Detail describes the answer for messages: its status and header,
	// or why it was no HTTP answer.
	Detail string
}

// IsDaemon reports whether a care daemon answered.
func (a DaemonAnswer) IsDaemon() bool { return a.VirtualServer.IsValid() }

// AskDaemon asks the listener on addr (IP:port, e.g. DefaultMetricsAddress)
// whether it is a care daemon, and of which virtual server. Nothing
// listening is an answer (Listening false), and so is a listener that is
// not a care daemon (it gives no answer, no HTTP answer or one without
// VirtualServerHeader: IsDaemon false). The error is for when there is no
// answer either way: ctx ended first (a daemon answers at once; a
// listener that keeps the connection without a word is not one, but the
// caller decides when to stop asking), or the connection failed other
// than by being refused.
func AskDaemon(ctx context.Context, addr string) (DaemonAnswer, error) {
	u := "http://" + addr + HealthPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return DaemonAnswer{}, fmt.Errorf("asking %s: %w", u, err)
	}
	client := &http.Client{
		// Loopback only: no proxy, no connection kept for later.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: (&net.Dialer{}).DialContext},
		// A redirect is an answer, and not a care daemon's.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return DaemonAnswer{Detail: "nothing listens on " + addr}, nil
	case err != nil && ctx.Err() != nil:
		return DaemonAnswer{}, fmt.Errorf("no answer from %s before %w", u, context.Cause(ctx))
	case err != nil && isOpError(err, "dial"):
		return DaemonAnswer{}, fmt.Errorf("asking %s: %w", u, err)
	case err != nil:
		// Accepted, then no HTTP answer (closed, reset, another
		// protocol): not a care daemon, which always answers.
		return DaemonAnswer{Listening: true, Detail: fmt.Sprintf("no HTTP answer from %s: %v", u, err)}, nil
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	a := DaemonAnswer{Listening: true}
	name := resp.Header.Get(VirtualServerHeader)
	if name == "" {
		a.Detail = fmt.Sprintf("GET %s answered %s without the %s header: not an lvscare care daemon", u, resp.Status, VirtualServerHeader)
		if s := resp.Header.Get("Server"); s != "" {
			a.Detail += " (Server: " + strings.TrimSpace(s) + ")"
		}
		return a, nil
	}
	vs, err := netip.ParseAddrPort(name)
	if err != nil {
		a.Detail = fmt.Sprintf("GET %s answered %s with %s %q, which is no IP:port: not an lvscare care daemon", u, resp.Status, VirtualServerHeader, name)
		return a, nil
	}
	a.VirtualServer, a.Healthy = vs, resp.StatusCode == http.StatusOK
	a.Detail = fmt.Sprintf("the lvscare care daemon of the virtual server %s answers on %s (%s)", vs, addr, resp.Status)
	return a, nil
}

// IsOurDaemon reports whether the care daemon of the virtual server vs
// listens on addr, healthy or not: nothing listening, another program, or
// the daemon of another virtual server is false. The error is AskDaemon's:
// no answer either way yet.
func IsOurDaemon(ctx context.Context, addr string, vs netip.AddrPort) (bool, error) {
	a, err := AskDaemon(ctx, addr)
	if err != nil {
		return false, err
	}
	unmap := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) }
	return a.IsDaemon() && unmap(a.VirtualServer) == unmap(vs), nil
}

func isOpError(err error, op string) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == op
}

// askTimeout bounds the question Listen asks the holder of a taken port.
const askTimeout = 500 * time.Millisecond
