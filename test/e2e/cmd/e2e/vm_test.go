package main

import (
	"strings"
	"testing"
	"time"
)

func TestIPVSHex(t *testing.T) {
	// As /proc/net/ip_vs prints 10.103.97.2:6443 (big-endian hex).
	if got := ipvsHex("10.103.97.2", 6443); got != "0A676102:192B" {
		t.Fatalf("ipvsHex = %s", got)
	}
	// /proc/net/route prints destinations little-endian; the /24 must not match the VIP.
	route := "Iface\tDestination\tGateway\neth0\t0061670A\t00000000\t0001\n"
	if strings.Contains(route, hexIPv4ForRoute("10.103.97.2")) {
		t.Fatal("the /24 route matched the VIP's host route")
	}
	if !strings.Contains("eth0\t0261670A\t00000000\t0005\n", hexIPv4ForRoute("10.103.97.2")) {
		t.Fatal("the VIP's host route did not match")
	}
}

func TestHostsMapsIn(t *testing.T) {
	hosts := []byte("127.0.0.1 localhost\n10.103.97.2 apiserver.cluster.local # added by kubeadm join (locallb)\n")
	if err := hostsMapsIn(hosts, "apiserver.cluster.local", "10.103.97.2"); err != nil {
		t.Fatal(err)
	}
	if err := hostsMapsIn(hosts, "apiserver.cluster.local", "10.103.97.200"); err == nil {
		t.Fatal("a wrong address was accepted")
	}
	if err := hostsMapsIn([]byte("127.0.0.1 localhost\n"), "apiserver.cluster.local", "10.103.97.2"); err == nil {
		t.Fatal("a missing line was accepted")
	}
}

func TestFirstBurst(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int, ok bool) sample { return sample{at: t0.Add(time.Duration(ms) * time.Millisecond), ok: ok} }
	ss := []sample{at(0, true), at(100, false), at(600, false), at(1100, true), at(1150, true), at(5000, false), at(5500, true)}
	span, late := firstBurst(ss, 50*time.Millisecond, time.Time{})
	if span != time.Second || late != 1 {
		t.Fatalf("firstBurst = %s, %d; want 1s, 1", span, late)
	}
	if span, late := firstBurst([]sample{at(0, true)}, 50*time.Millisecond, time.Time{}); span != 0 || late != 0 {
		t.Fatalf("no failure: %s, %d", span, late)
	}
	// A failure after the undo only (the master came back slowly) is late.
	if span, late := firstBurst([]sample{at(0, true), at(5000, false), at(5500, true)}, 50*time.Millisecond, t0.Add(4*time.Second)); span != 0 || late != 1 {
		t.Fatalf("after the undo: %s, %d; want 0, 1", span, late)
	}
}
