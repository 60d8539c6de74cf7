package main

import (
	"net"
	"testing"
)

func TestParseProcAddr(t *testing.T) {
	for _, c := range []struct {
		in   string
		ip   string
		port int
	}{
		{"0261670A:192B", "10.103.97.2", 6443},                         // /proc/net/tcp
		{"0000000000000000FFFF00000261670A:192B", "10.103.97.2", 6443}, // IPv4-mapped in tcp6
		{"C861670A:0050", "10.103.97.200", 80},                         // a master
		{"00000000000000000000000001000000:0016", "::1", 22},           // IPv6 loopback
	} {
		a := parseProcAddr(c.in)
		if a == nil || !a.IP.Equal(net.ParseIP(c.ip)) || a.Port != c.port {
			t.Errorf("parseProcAddr(%q) = %v, want %s:%d", c.in, a, c.ip, c.port)
		}
	}
	for _, bad := range []string{"", "0261670A", "0261670A:XYZ", "0261:192B", "ZZ61670A:192B"} {
		if a := parseProcAddr(bad); a != nil {
			t.Errorf("parseProcAddr(%q) = %v, want nil", bad, a)
		}
	}
}
