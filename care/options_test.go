package care

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/sealkube/kubeadm/locallb"
)

func parse(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("care", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := NewOptions()
	o.CAFile = filepath.Join(t.TempDir(), "absent-ca.crt")
	o.HostsFile = filepath.Join(t.TempDir(), "absent-hosts")
	o.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return o.Validate()
}

func TestOptionsPublicManifest(t *testing.T) {
	// The arguments public lvscare static pods are written with.
	cfg, err := parse(t, "--vs", "10.103.97.2:6443", "--health-path", "healthz", "--health-schem", "https",
		"--rs", "172.16.7.31:6443", "--rs", "172.16.7.32:6443,172.16.7.33:6443", "--logger", "DEBG", "--interval", "5")
	if err != nil {
		t.Fatalf("public manifest arguments rejected: %v", err)
	}
	if cfg.VIP != netip.MustParseAddrPort("10.103.97.2:6443") {
		t.Errorf("VIP = %s", cfg.VIP)
	}
	if len(cfg.RealServers) != 3 || cfg.RealServers[2] != netip.MustParseAddrPort("172.16.7.33:6443") {
		t.Errorf("RealServers = %v, want the three masters in order", cfg.RealServers)
	}
	if cfg.Interval != 5*time.Second {
		t.Errorf("--interval 5 = %s, want 5s", cfg.Interval)
	}
	if cfg.Probe.Path != "/healthz" {
		t.Errorf("--health-path healthz = %q, want /healthz", cfg.Probe.Path)
	}
	if !cfg.Probe.InsecureSkipVerify {
		t.Error("without a CA file the probe must not verify, as public lvscare does")
	}
}

func TestOptionsDefaults(t *testing.T) {
	cfg, err := parse(t, "--vs", "169.254.0.1:6443", "--rs", "[fd00::2]:6443")
	if err == nil {
		t.Fatalf("mixed families accepted: %+v", cfg)
	}
	cfg, err = parse(t, "--vs", "169.254.0.1:6443", "--rs", "192.168.0.2:6443")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != time.Second || cfg.Probe.Timeout != 400*time.Millisecond || cfg.Rise != 2 || cfg.Fall != 2 ||
		cfg.RetryInterval != 100*time.Millisecond || cfg.RestorePeriod != 200*time.Millisecond || cfg.MetricsAddress != DefaultMetricsAddress ||
		cfg.Probe.ReadyInterval != 10*time.Second {
		t.Errorf("defaults changed: %+v", cfg)
	}
}

func TestOptionsCAFile(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parse(t, "--vs", "10.0.0.1:6443", "--rs", "127.0.0.2:6443", "--ca-file", ca)
	if err != nil || cfg.Probe.CAFile != ca || cfg.Probe.InsecureSkipVerify {
		t.Fatalf("existing --ca-file: cfg %+v err %v; want verification against it", cfg.Probe, err)
	}
	cfg, err = parse(t, "--vs", "10.0.0.1:6443", "--rs", "127.0.0.2:6443", "--ca-file", ca, "--health-insecure-skip-verify")
	if err != nil || !cfg.Probe.InsecureSkipVerify || cfg.Probe.CAFile != "" {
		t.Fatalf("--health-insecure-skip-verify: cfg %+v err %v; want no verification", cfg.Probe, err)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // every substring must be in the error
	}{
		{"no vs", []string{"--rs", "1.1.1.1:6443"}, []string{"--vs is required", "IP:port"}},
		{"no rs", []string{"--vs", "10.0.0.1:6443"}, []string{"--rs is required"}},
		{"bad vs", []string{"--vs", "10.0.0.1", "--rs", "1.1.1.1:6443"}, []string{`--vs "10.0.0.1"`, "192.168.0.2:6443"}},
		{"port 0", []string{"--vs", "10.0.0.1:0", "--rs", "1.1.1.1:6443"}, []string{`--vs "10.0.0.1:0"`, "port 0"}},
		{"scheme", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--health-schem", "tcp"}, []string{`"tcp"`, "https or http"}},
		{"rise", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--rise", "0"}, []string{"--rise 0"}},
		{"scheduler", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--scheduler", "mh"}, []string{`--scheduler "mh"`, "rr, wrr, lc, wlc, dh, sh"}},
		{"scheduler on nftables", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--scheduler", "wrr", "--backend", "nftables"}, []string{"--scheduler wrr", "--backend nftables", "use --scheduler rr, or --backend ipvs"}},
		{"link mode", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--mode", "link"}, []string{"--mode link is not supported", "use --mode route"}},
		{"unknown mode", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--mode", "tunnel"}, []string{`--mode "tunnel"`, "route"}},
		{"bad --ip", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--ip", "node1"}, []string{`--ip "node1"`, "--ip 192.168.0.10"}},
		{"--ip of another family", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--ip", "fd00::1"}, []string{"--ip fd00::1", "different IP families"}},
		{"method", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--health-req-method", "GET /x"}, []string{`--health-req-method "GET /x"`, "GET or HEAD"}},
		{"header name", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--health-req-headers", "X Y=1"}, []string{`"X Y" is not a header name`}},
		{"negative interval", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--interval", "-1"}, []string{"--interval -1s"}},
		{"negative ready interval", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--ready-interval", "-5s"}, []string{"--ready-interval -5s", "or 0"}},
		{"metrics not loopback", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--metrics-address", "0.0.0.0:10296"}, []string{"not a loopback"}},
		{"missing explicit CA", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--ca-file", "/nonexistent/ca.crt"}, []string{`--ca-file "/nonexistent/ca.crt"`}},
		{"interval", []string{"--vs", "10.0.0.1:6443", "--rs", "1.1.1.1:6443", "--interval", "soon"}, []string{`"soon"`, "whole seconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.args...)
			if err == nil {
				t.Fatalf("%v accepted", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOptionsCleanNeedsNoRealServers(t *testing.T) {
	cfg, err := parse(t, "--vs", "10.0.0.1:6443", "-C")
	if err != nil || !cfg.Clean {
		t.Fatalf("-C without --rs: cfg %+v err %v", cfg, err)
	}
}

func TestCommandRejectsBadFlagsBeforeOpeningTheBalancer(t *testing.T) {
	opened := false
	var out, errOut bytes.Buffer
	cmd := NewCommand("test", func(locallb.Backend) (lb locallb.Balancer, err error) { opened = true; return nil, nil }, &out, &errOut)
	cmd.SetArgs([]string{"care", "--vs", "nope", "--rs", "1.1.1.1:6443"})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), `--vs "nope"`) {
		t.Fatalf("Execute = %v, want the bad --vs named", err)
	}
	if opened {
		t.Fatal("the balancer was opened although the flags were invalid")
	}
}

func TestOptionsBackend(t *testing.T) {
	base := []string{"--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443"}
	for _, tc := range []struct {
		name    string
		args    []string
		want    locallb.Backend
		wantErr string
	}{
		{"default is ipvs", nil, locallb.BackendIPVS, ""},
		{"ipvs", []string{"--backend", "ipvs"}, locallb.BackendIPVS, ""},
		{"nftables", []string{"--backend", "nftables"}, locallb.BackendNFTables, ""},
		{"case and space", []string{"--backend", " NFTables "}, locallb.BackendNFTables, ""},
		{"unknown", []string{"--backend", "iptables"}, "", `"iptables"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parse(t, append(append([]string{}, base...), tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "nftables") {
					t.Fatalf("err = %v, want one naming %s and the valid backends", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Backend != tc.want {
				t.Fatalf("Backend = %q, want %q", cfg.Backend, tc.want)
			}
		})
	}
}

func TestCommandPassesBackendToFactory(t *testing.T) {
	var got locallb.Backend
	var out, errOut bytes.Buffer
	cmd := NewCommand("test", func(b locallb.Backend) (locallb.Balancer, error) {
		got = b
		return nil, errors.New("no kernel here")
	}, &out, &errOut)
	cmd.SetArgs([]string{"care", "--vs", "10.103.97.2:6443", "--rs", "192.168.0.2:6443", "--backend", "nftables", "--metrics-address", ""})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "--backend nftables") {
		t.Fatalf("Execute = %v, want the factory's error naming the backend", err)
	}
	if got != locallb.BackendNFTables {
		t.Fatalf("factory got backend %q, want nftables", got)
	}
}

func TestCheckArgs(t *testing.T) {
	cfg, err := CheckArgs([]string{"--vs", "10.103.97.2:6443", "--rs", "10.103.97.200:6443", "--ca-file", "/nonexistent/ca.crt", "--interval", "5s"})
	if err != nil {
		t.Fatalf("CheckArgs looked at this machine's files: %v", err)
	}
	if cfg.Interval != 5*time.Second || cfg.Probe.CAFile != "/nonexistent/ca.crt" {
		t.Fatalf("cfg %+v", cfg)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--vs", "10.103.97.2:6443", "--rs", "10.103.97.200:6443", "--rize", "2"}, "unknown flag: --rize"},
		{[]string{"--vs", "10.103.97.2:6443", "--rs", "10.103.97.200:6443", "--backend", "nftables", "--scheduler", "lc"}, "--scheduler lc"},
	} {
		if _, err := CheckArgs(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckArgs(%q) = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestNonPublicFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
		err  string
	}{
		{[]string{"--scheduler=wrr", "-i", "lvs0", "--mode", "link", "-C"}, nil, ""},
		{[]string{"--rise", "3", "--backend=nftables", "--rise=4", "--interval", "5"}, []string{"rise", "backend"}, ""},
		{[]string{"--health-req-body", "--rise"}, nil, ""}, // a value
		{[]string{"--nope"}, nil, "unknown flag: --nope"},
	} {
		got, err := NonPublicFlags(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NonPublicFlags(%q) = %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("NonPublicFlags(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}
