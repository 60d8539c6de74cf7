package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLongestGap(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	renewals := []time.Time{at(0), at(10), at(20), at(45), at(55)}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     time.Duration
	}{
		{"fault inside a normal interval", at(12), at(18), 10 * time.Second},
		{"fault across the long gap", at(22), at(30), 25 * time.Second},
		{"fault touching the long gap's end", at(44), at(50), 25 * time.Second},
		{"after the long gap", at(46), at(54), 10 * time.Second},
		{"open interval after the last renewal counts to the end", at(56), at(70), 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := longestGap(renewals, tc.from, tc.to); got != tc.want {
				t.Errorf("longestGap(%v..%v) = %v, want %v", tc.from.Sub(t0), tc.to.Sub(t0), got, tc.want)
			}
		})
	}
}

func TestEnvFileArgs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kubeadm-flags.env")
	data := "# written by kubeadm\nKUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock  --node-ip=10.0.0.1\"\nOTHER=x\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"--container-runtime-endpoint=unix:///run/containerd/containerd.sock", "--node-ip=10.0.0.1"}
	if got := envFileArgs(p, "KUBELET_KUBEADM_ARGS"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := envFileArgs(p, "KUBELET_EXTRA_ARGS"); got != nil {
		t.Errorf("missing variable: got %q, want nil", got)
	}
	if got := envFileArgs(filepath.Join(t.TempDir(), "absent"), "X"); got != nil {
		t.Errorf("missing file: got %q, want nil", got)
	}
}

func TestSumMetric(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       float64
		wantErr    bool
	}{
		{"no samples: a vector without children is not listed", "lvscare_real_server_up{real_server=\"10.0.0.1:6443\"} 1\n", 0, false},
		{"labelled samples add up", "lvscare_real_server_up{real_server=\"10.0.0.1:6443\"} 1\nlvscare_balancer_errors_total{op=\"get\"} 3\nlvscare_balancer_errors_total{op=\"ensure\"} 4\nlvscare_balancer_errors_totally 9\n", 7, false},
		{"unlabelled sample", "lvscare_real_server_up{real_server=\"10.0.0.1:6443\"} 1\nlvscare_balancer_errors_total 2\n", 2, false},
		{"not the daemon's metrics", "# HELP other x\nother 1\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sumMetric(strings.NewReader(tc.text), "lvscare_balancer_errors_total")
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s := func(ms int, ok bool) sample { return sample{at: t0.Add(time.Duration(ms) * time.Millisecond), ok: ok} }
	for _, tc := range []struct {
		name string
		ss   []sample
		want time.Duration
	}{
		{"never failed", []sample{s(0, true), s(100, true)}, 0},
		{"failed then recovered", []sample{s(0, true), s(100, false), s(2200, false), s(2300, true)}, 2300 * time.Millisecond},
		{"never recovered", []sample{s(100, false), s(200, false)}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := recovery(tc.ss, t0); got != tc.want {
				t.Errorf("recovery = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHexIPv4(t *testing.T) {
	// /proc/net/tcp prints 10.103.97.100 as 6461670A.
	if got := hexIPv4(net.ParseIP("10.103.97.100")); got != "6461670A" {
		t.Errorf("hexIPv4 = %s, want 6461670A", got)
	}
	if got := hexIPv4(net.ParseIP("1.0.0.0")); got != "00000001" {
		t.Errorf("hexIPv4 = %s, want 00000001", got)
	}
}

func TestEstablished(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tcp6")
	data := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:192B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF0000C861670A:192B 0000000000000000FFFF00006461670A:C1D2 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if !established(p, "6461670A:C1D2", "0000000000000000FFFF00006461670A:C1D2") {
		t.Error("the IPv4-mapped established socket was not found")
	}
	if established(p, "6461670A:C1D3", "0000000000000000FFFF00006461670A:C1D3") {
		t.Error("another port matched")
	}
}

func TestMentionsAddr(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"ip daddr 10.103.97.2 tcp dport 6443 dnat", true},
		{"ip daddr 10.103.97.2:6443", true},
		{"10.103.97.2", true},
		{"ip daddr 10.103.97.200 tcp dport 6443", false},
		{"ip daddr 110.103.97.2 tcp", false},
		{"elements = { 10.103.97.20, 10.103.97.21 }", false},
	} {
		if got := mentionsAddr(tc.text, "10.103.97.2"); got != tc.want {
			t.Errorf("mentionsAddr(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestCombineLeaseAnswers(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	down := errors.New("context deadline exceeded")
	for _, tc := range []struct {
		name         string
		answers      []leaseAnswer
		wantRenew    time.Time
		wantAnswered bool
		wantNotReady bool
	}{
		{"one master frozen: the others' answer counts",
			[]leaseAnswer{{err: down}, {renew: t0, readyOK: true}, {renew: t0, readyOK: true}}, t0, true, false},
		{"a lagging cache: the newest renewal wins",
			[]leaseAnswer{{renew: t0.Add(10 * time.Second), readyOK: true}, {renew: t0, readyOK: true}}, t0.Add(10 * time.Second), true, false},
		{"not Ready only when every answer says so",
			[]leaseAnswer{{renew: t0, readyOK: false}, {renew: t0, readyOK: true}}, t0, true, false},
		{"every answer not Ready",
			[]leaseAnswer{{renew: t0}, {err: down}, {renew: t0}}, t0, true, true},
		{"nobody answered", []leaseAnswer{{err: down}, {err: down}}, time.Time{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			renew, answered, notReady := combineLeaseAnswers(tc.answers)
			if !renew.Equal(tc.wantRenew) || answered != tc.wantAnswered || notReady != tc.wantNotReady {
				t.Errorf("got (%v, %v, %v), want (%v, %v, %v)", renew, answered, notReady, tc.wantRenew, tc.wantAnswered, tc.wantNotReady)
			}
		})
	}
}
