package care

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealkube/kubeadm/locallb"
)

// The compatibility suite: command lines public lvscare (labring/sealos,
// lifecycle/cmd/lvscare, care/options.go and care/prober.go) is run with,
// each parsed by our care command (cobra, flags, CARE_* variables,
// validation) and checked to mean what it means there; then every accepted
// one is run once against the in-memory balancer and a fake route table.
// A command line public lvscare runs must never fail here unless we cannot do
// what it means (link mode), and then with the fix in the error.

// meaning is what a command line asks for, in public lvscare's terms.
type meaning struct {
	VIP       string
	RS        []string
	Scheduler string
	Backend   locallb.Backend
	// Route: "" leaves routes alone; otherwise the address the VIP route
	// points towards, or "masters".
	Route    string
	Interval time.Duration
	Timeout  time.Duration
	// Request is "METHOD scheme path".
	Request string
	Body    string
	Header  http.Header
	ExtraOK []int
	// Verify: "none" (public lvscare's default), "system roots", or the CA
	// file.
	Verify  string
	RunOnce bool
	Clean   bool
	Level   slog.Level
}

func meaningOf(c Config) meaning {
	m := meaning{
		VIP: c.VIP.String(), Scheduler: c.Scheduler, Backend: c.Backend,
		Interval: c.Interval, Timeout: c.Probe.Timeout,
		Request: c.Probe.Method + " " + c.Probe.Scheme + " " + c.Probe.Path,
		Body:    c.Probe.Body, Header: c.Probe.Header, ExtraOK: c.Probe.ExtraOK,
		RunOnce: c.RunOnce, Clean: c.Clean, Level: c.LogLevel,
	}
	for _, rs := range c.RealServers {
		m.RS = append(m.RS, rs.String())
	}
	switch {
	case !c.Route.Own:
	case c.Route.Toward.IsValid():
		m.Route = c.Route.Toward.String()
	default:
		m.Route = "masters"
	}
	switch {
	case c.Probe.InsecureSkipVerify || c.Probe.Scheme == "http":
		m.Verify = "none"
	case c.Probe.CAFile != "":
		m.Verify = c.Probe.CAFile
	default:
		m.Verify = "system roots"
	}
	if len(m.Header) == 0 {
		m.Header = nil
	}
	return m
}

// public is the meaning of `care --vs vs --rs rs...` with nothing else.
// Where our defaults differ on purpose it says so; every explicit value
// must mean what it means in public lvscare.
func public(vs string, rs ...string) meaning {
	return meaning{
		VIP: vs, RS: rs, Scheduler: "rr", Backend: locallb.BackendIPVS,
		Route:    "masters",                        // public: via lvscare.node.ip from /etc/hosts, else no route (see the cases with hosts)
		Interval: time.Second,                      // public: 5s; ours is 1s (care/README.md, "Why these defaults")
		Timeout:  400 * time.Millisecond,           // public: 10s; ours 400ms, same reason
		Request:  "GET https " + DefaultHealthPath, // public: /healthz; ours /readyz (issue 11; care/README.md)
		Verify:   "none",                           // public never verifies by default; we verify when the cluster CA exists (absent here)
		Level:    slog.LevelInfo,
	}
}

var (
	seedsMasters = []string{"10.103.97.200:6443", "10.103.97.201:6443", "10.103.97.202:6443"}
	docsMasters  = []string{"192.168.0.2:6443", "192.168.0.3:6443", "192.168.0.4:6443"}
	echoServers  = []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"}
)

// rsArgs is --rs a --rs b ...
func rsArgs(rs ...string) []string {
	var out []string
	for _, r := range rs {
		out = append(out, "--rs", r)
	}
	return out
}

func args(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, v)
		case []string:
			out = append(out, v...)
		}
	}
	return out
}

type compatCase struct {
	name string
	// source is where the command line comes from.
	source string
	// args follow the binary (/usr/bin/lvscare): "care", flags…
	args  []string
	env   map[string]string
	hosts string // /etc/hosts content; "" none
	want  meaning
	// notes must each be a substring of one of the configuration's notes.
	notes []string
	// wantErr: every substring must be in the error.
	wantErr []string
}

// A flag alone on top of the docs' worker command line.
func alone(flagArgs []string, edit func(*meaning), notes ...string) compatCase {
	m := public("10.103.97.12:6443", docsMasters...)
	if edit != nil {
		edit(&m)
	}
	return compatCase{
		name:   "alone " + strings.Join(flagArgs, " "),
		source: "each public flag (lifecycle/staging/src/github.com/labring/lvscare/care/options.go, prober.go)",
		args:   args("care", "--vs", "10.103.97.12:6443", rsArgs(docsMasters...), flagArgs),
		want:   m, notes: notes,
	}
}

// healthz is m probing /healthz, as the sealos manifests ask explicitly.
func healthz(m meaning) meaning {
	m.Request = "GET https /healthz"
	return m
}

func compatCases() []compatCase {
	base := args("care", "--vs", "10.103.97.12:6443", rsArgs(docsMasters...))
	return []compatCase{
		{
			name:   "seeds",
			source: "the seeds' kubeadm fork (fanux/kube v0.0.30-kubeadm-lvscare, locallb.InitConfig): the worker's kube-sealyun-lvscare static pod",
			args:   args("care", "--vs", "10.103.97.2:6443", "--health-path", "/healthz", "--health-schem", "https", rsArgs(seedsMasters...)),
			want:   healthz(public("10.103.97.2:6443", seedsMasters...)),
		},
		{
			name:   "sealos v3",
			source: "sealos v3.3.9 ipvs/lvscare.go LvsStaticPodYaml (command /usr/bin/lvscare, masters get :6443)",
			args:   args("care", "--vs", "10.103.97.2:6443", "--health-path", "/healthz", "--health-schem", "https", rsArgs("172.16.0.2:6443", "172.16.0.3:6443", "172.16.0.4:6443")),
			want:   healthz(public("10.103.97.2:6443", "172.16.0.2:6443", "172.16.0.3:6443", "172.16.0.4:6443")),
		},
		{
			// v4.0.0 to v5: also LVSCARE_NODE_IP in the environment (which
			// lvscare never reads) and lvscare.node.ip in /etc/hosts, which
			// route mode routes the VIP towards.
			name:   "sealos v4/v5 kubernetes",
			source: "sealos v4.0.0–v5 lifecycle/pkg/ipvs/lvscare.go LvsStaticPodYaml via runtime/kubernetes (sealctl static-pod lvscare)",
			args:   args("care", "--vs", "10.103.97.2:6443", "--health-path", "/healthz", "--health-schem", "https", rsArgs("192.168.64.2:6443", "192.168.64.3:6443")),
			env:    map[string]string{"LVSCARE_NODE_IP": "192.168.64.10"},
			hosts:  "127.0.0.1 localhost\n192.168.64.10 lvscare.node.ip\n10.103.97.2 apiserver.cluster.local\n",
			want: func() meaning {
				m := healthz(public("10.103.97.2:6443", "192.168.64.2:6443", "192.168.64.3:6443"))
				m.Route = "192.168.64.10"
				return m
			}(),
		},
		{
			name:   "sealos v5 k3s",
			source: "sealos v5 lifecycle/pkg/runtime/k3s/k3s.go: StaticPod(..., \"--health-status\", \"401\")",
			args:   args("care", "--vs", "10.103.97.2:6443", "--health-path", "/healthz", "--health-schem", "https", rsArgs("192.168.64.2:6443"), "--health-status", "401"),
			want: func() meaning {
				m := healthz(public("10.103.97.2:6443", "192.168.64.2:6443"))
				m.ExtraOK = []int{401}
				return m
			}(),
		},
		{
			name:   "docs: static pod",
			source: "sealos docs 4.0/5.0 lifecycle-management/reference/lvscare/lvscare.md",
			args:   args(base, "--interval", "5", "--mode", "route"),
			want: func() meaning {
				m := public("10.103.97.12:6443", docsMasters...)
				m.Interval = 5 * time.Second
				return m
			}(),
		},
		{
			name:   "docs: echo servers",
			source: "sealos docs lvscare.md usage example",
			args:   args("care", "--vs", "169.254.0.1:80", rsArgs(echoServers...), "--logger", "DEBG", "--health-schem", "http", "--health-path", "/"),
			want: func() meaning {
				m := public("169.254.0.1:80", echoServers...)
				m.Level, m.Request = slog.LevelDebug, "GET http /"
				m.Route = "" // loopback masters: no interface leads there, no VIP route (public lvscare writes none either)
				return m
			}(),
		},
		{
			name:   "docs: cleanup",
			source: "sealos docs lvscare.md cleanup",
			args:   args("care", "--vs", "169.254.0.1:80", "--logger", "DEBG", "-C"),
			want: func() meaning {
				m := public("169.254.0.1:80")
				m.Level, m.Clean = slog.LevelDebug, true
				return m
			}(),
		},
		{
			name:   "readme: run once",
			source: "labring/lvscare README quick start",
			args:   args("care", "--run-once", "--vs", "10.103.97.12:6443", rsArgs(docsMasters...)),
			want: func() meaning {
				m := public("10.103.97.12:6443", docsMasters...)
				m.RunOnce = true
				return m
			}(),
		},
		{
			name:    "readme: link mode",
			source:  "labring/lvscare README (control planes)",
			args:    args(base, "--interval", "5", "--mode", "link"),
			wantErr: []string{"--mode link is not supported", "--iface lvscare", "use --mode route"},
		},
		{
			name:    "readme: link mode cleanup",
			source:  "labring/lvscare README",
			args:    args("care", "--vs", "169.254.0.1:80", "--logger", "DEBG", "--mode", "link", "-C"),
			wantErr: []string{"--mode link is not supported", "use --mode route"},
		},

		// Each public flag alone.
		alone([]string{"--scheduler", "wrr"}, func(m *meaning) { m.Scheduler = "wrr" }),
		alone([]string{"--scheduler", "sh"}, func(m *meaning) { m.Scheduler = "sh" }),
		alone([]string{"--iface", "lvs0"}, nil, "--iface lvs0 is used by --mode link only"),
		alone([]string{"-i", "lvs0"}, nil, "--iface lvs0 is used by --mode link only"),
		alone([]string{"--logger", "DEBG"}, func(m *meaning) { m.Level = slog.LevelDebug }),
		alone([]string{"--logger", "TRACE"}, nil, `--logger "TRACE" is not a level`),
		alone([]string{"--mode", "route"}, nil),
		alone([]string{"--mode", ""}, func(m *meaning) { m.Route = "" }),
		alone([]string{"--run-once"}, func(m *meaning) { m.RunOnce = true }),
		alone([]string{"--clean"}, func(m *meaning) { m.Clean = true }),
		alone([]string{"-C"}, func(m *meaning) { m.Clean = true }),
		alone([]string{"--interval", "5"}, func(m *meaning) { m.Interval = 5 * time.Second }),
		alone([]string{"--interval", "5s"}, func(m *meaning) { m.Interval = 5 * time.Second }),
		alone([]string{"--interval", "0"}, func(m *meaning) { m.Interval = 5 * time.Second }),
		alone([]string{"--interval", "1500ms"}, func(m *meaning) { m.Interval = 1500 * time.Millisecond }),
		alone([]string{"--ip", "192.168.0.10"}, func(m *meaning) { m.Route = "192.168.0.10" }),
		alone([]string{"--masqueradebit", "14"}, nil, "--masqueradebit 14 is used by --mode link only"),
		alone([]string{"--health-path", "healthz"}, func(m *meaning) { m.Request = "GET https /healthz" }),
		alone([]string{"--health-path", "/readyz"}, func(m *meaning) { m.Request = "GET https /readyz" }),
		alone([]string{"--health-schem", "http"}, func(m *meaning) { m.Request = "GET http " + DefaultHealthPath }),
		alone([]string{"--health-req-method", "HEAD"}, func(m *meaning) { m.Request = "HEAD https " + DefaultHealthPath }),
		alone([]string{"--health-req-body", `{"kind":"probe"}`}, func(m *meaning) { m.Body = `{"kind":"probe"}` }),
		alone([]string{"--health-req-headers", "Authorization=Bearer abc,X-Probe=lvscare"}, func(m *meaning) {
			m.Header = http.Header{"Authorization": {"Bearer abc"}, "X-Probe": {"lvscare"}}
		}),
		// Public lvscare splits a value on commas into several values.
		alone([]string{"--health-req-headers", `"Accept=text/plain,application/json"`}, func(m *meaning) {
			m.Header = http.Header{"Accept": {"text/plain", "application/json"}}
		}),
		alone([]string{"--health-status", "401"}, func(m *meaning) { m.ExtraOK = []int{401} }),
		alone([]string{"--health-status", "401,403", "--health-status", "503"}, func(m *meaning) { m.ExtraOK = []int{401, 403, 503} }),
		alone([]string{"--health-status", "200"}, nil, "--health-status 200 changes nothing"),
		alone([]string{"--health-insecure-skip-verify"}, nil),
		alone([]string{"--health-insecure-skip-verify=false"}, func(m *meaning) { m.Verify = "system roots" }, "verifying against the system's roots"),
		alone([]string{"--health-timeout", "10s"}, func(m *meaning) { m.Timeout = 10 * time.Second },
			"--health-timeout 10s is not shorter than --interval 1s"),
		alone([]string{"--health-timeout", "10s", "--interval", "5"}, func(m *meaning) { m.Timeout, m.Interval = 10*time.Second, 5*time.Second }),
		{
			name: "repeated --rs", source: "public lvscare ensures a real server twice",
			args: args(base, "--rs", "192.168.0.2:6443", "--rs", "192.168.0.3:6443,192.168.0.2:6443"),
			want: public("10.103.97.12:6443", docsMasters...), notes: []string{"--rs 192.168.0.2:6443 is given more than once"},
		},
		{
			name: "positional arguments", source: "public lvscare's care command takes and ignores them",
			args: args("care", "extra", "--vs", "10.103.97.12:6443", rsArgs(docsMasters...), "more"),
			want: public("10.103.97.12:6443", docsMasters...), notes: []string{`ignoring positional arguments ["extra" "more"]`},
		},
		{
			name: "--ip beats lvscare.node.ip", source: "options.go ValidateAndSetDefaults",
			args:  args(base, "--ip", "192.168.0.99"),
			hosts: "192.168.0.10 lvscare.node.ip\n",
			want: func() meaning {
				m := public("10.103.97.12:6443", docsMasters...)
				m.Route = "192.168.0.99"
				return m
			}(),
		},
		{
			name: "mode \"\" ignores lvscare.node.ip", source: "options.go ValidateAndSetDefaults",
			args:  args(base, "--mode", ""),
			hosts: "192.168.0.10 lvscare.node.ip\n",
			want: func() meaning {
				m := public("10.103.97.12:6443", docsMasters...)
				m.Route = ""
				return m
			}(),
		},

		// CARE_* variables: flags.SetFlagsFromEnv("care", …): CARE_ + the
		// flag name upper-cased with - as _, for every flag not given.
		{
			name: "env only", source: "lifecycle/pkg/utils/flags/flags.go SetFlagsFromEnv",
			args: []string{"care"},
			env: map[string]string{
				"CARE_VS": "10.103.97.2:6443", "CARE_RS": strings.Join(seedsMasters, ","), "CARE_INTERVAL": "5",
				"CARE_HEALTH_PATH": "/livez", "CARE_HEALTH_SCHEM": "http", "CARE_SCHEDULER": "wlc", "CARE_RUN_ONCE": "true",
				"CARE_HEALTH_REQ_METHOD": "HEAD", "CARE_HEALTH_REQ_HEADERS": "X-Probe=1", "CARE_HEALTH_STATUS": "401",
				"CARE_HEALTH_TIMEOUT": "2s", "CARE_LOGGER": "DEBG", "CARE_IP": "10.103.97.200", "CARE_HEALTH_REQ_BODY": "x",
			},
			want: func() meaning {
				m := public("10.103.97.2:6443", seedsMasters...)
				m.Interval, m.Request, m.Scheduler, m.RunOnce = 5*time.Second, "HEAD http /livez", "wlc", true
				m.Header, m.ExtraOK, m.Timeout, m.Level, m.Route, m.Body = http.Header{"X-Probe": {"1"}}, []int{401}, 2*time.Second, slog.LevelDebug, "10.103.97.200", "x"
				m.Verify = "none"
				return m
			}(),
		},
		{
			name: "env: the command line wins, empty is unset", source: "SetFlagsFromEnv skips changed flags and empty values",
			args: args(base, "--interval", "2"),
			env:  map[string]string{"CARE_INTERVAL": "9", "CARE_VS": "10.9.9.9:6443", "CARE_MODE": "", "CARE_CLEAN": "false"},
			want: func() meaning {
				m := public("10.103.97.12:6443", docsMasters...)
				m.Interval = 2 * time.Second
				return m
			}(),
		},
		{
			name: "env: -C and our flags too", source: "SetFlagsFromEnv visits every flag",
			args: []string{"care"},
			env:  map[string]string{"CARE_VS": "169.254.0.1:80", "CARE_CLEAN": "true", "CARE_BACKEND": "nftables"},
			want: func() meaning {
				m := public("169.254.0.1:80")
				m.Clean, m.Backend = true, locallb.BackendNFTables
				return m
			}(),
		},
		{
			name: "env: a bad value", source: "public lvscare ignores it silently; we name it",
			args:    base,
			env:     map[string]string{"CARE_INTERVAL": "soon"},
			wantErr: []string{`environment variable CARE_INTERVAL="soon"`, "--interval", "fix or unset it"},
		},
		{
			name: "scheduler public lvscare rejects", source: "options.go ValidateAndSetDefaults",
			args:    args(base, "--scheduler", "mh"),
			wantErr: []string{`--scheduler "mh"`, "rr, wrr, lc, wlc, dh, sh"},
		},
	}
}

// parseCompat runs our care command on tc up to the validated Config.
func parseCompat(t *testing.T, tc compatCase) (Config, error) {
	t.Helper()
	dir := t.TempDir()
	opts := NewOptions()
	opts.CAFile = filepath.Join(dir, "absent-ca.crt")
	opts.HostsFile = filepath.Join(dir, "hosts")
	if tc.hosts != "" {
		if err := os.WriteFile(opts.HostsFile, []byte(tc.hosts), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got *Config
	var out bytes.Buffer
	cmd := newCommand("compat", &out, &out, func(k string) string { return tc.env[k] }, opts, func(_ context.Context, c Config) error {
		got = &c
		return nil
	})
	cmd.SetArgs(tc.args)
	if err := cmd.Execute(); err != nil {
		return Config{}, err
	}
	if got == nil {
		t.Fatalf("the command did not run: %s", out.String())
	}
	return *got, nil
}

func TestCompatPublicCommandLines(t *testing.T) {
	for _, tc := range compatCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseCompat(t, tc)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("%s\n%q accepted; want an error", tc.source, tc.args)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "unknown flag") || strings.Contains(err.Error(), "unknown shorthand") {
					t.Errorf("a public flag is unknown: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%q rejected: %v", tc.source, tc.args, err)
			}
			if got := meaningOf(cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s\n%q means\n  %+v\nwant\n  %+v", tc.source, tc.args, got, tc.want)
			}
			for _, n := range tc.notes {
				if !slices.ContainsFunc(cfg.Notes, func(s string) bool { return strings.Contains(s, n) }) {
					t.Errorf("no note contains %q; notes: %q", n, cfg.Notes)
				}
			}
			runCompat(t, tc, cfg)
		})
	}
}

// runCompat runs the parsed configuration once (run-once or clean) against
// the in-memory balancer, a prober that passes every server and a fake
// route table: no network, no root.
func runCompat(t *testing.T, tc compatCase, cfg Config) {
	t.Helper()
	lb := newMemBalancer()
	routes := &fakeRoutes{}
	vip := cfg.VIP
	if cfg.Clean {
		if err := lb.Ensure(locallbVS{VIP: vip, RealServers: []locallbRS{{Addr: netip.MustParseAddrPort("192.168.0.2:6443"), Weight: 1}}}); err != nil {
			t.Fatal(err)
		}
		routes.owned = map[netip.Addr][]netip.Addr{vip.Addr(): nil}
	}
	cfg.RunOnce = !cfg.Clean
	d := NewDaemon(cfg, lb, passAll{}, nil, nil)
	d.SetRoutes(routes)
	if err := d.Run(context.Background()); err != nil {
		t.Fatalf("running %q once: %v", tc.args, err)
	}
	owned, hasRoute := routes.get(vip.Addr())
	if cfg.Clean {
		if w := lb.weights(vip); w != nil {
			t.Errorf("--clean left the virtual server %v", w)
		}
		if hasRoute != !cfg.Route.Own {
			t.Errorf("--clean in route mode %v: route left = %v", cfg.Route.Own, hasRoute)
		}
		return
	}
	want := map[netip.AddrPort]int{}
	for _, rs := range cfg.RealServers {
		want[rs] = 1
	}
	if got := lb.weights(vip); !maps.Equal(got, want) {
		t.Errorf("virtual server after one round = %v, want %v", got, want)
	}
	switch {
	case !cfg.Route.Own && hasRoute:
		t.Errorf("routes touched without route mode: %v", owned)
	case cfg.Route.Own && !hasRoute:
		t.Error("route mode did not route the VIP")
	case cfg.Route.Own && cfg.Route.Toward.IsValid() && !slices.Equal(owned, []netip.Addr{cfg.Route.Toward}):
		t.Errorf("VIP routed towards %v, want %s", owned, cfg.Route.Toward)
	case cfg.Route.Own && !cfg.Route.Toward.IsValid() && (len(owned) == 0 || owned[0] != cfg.RealServers[0].Addr()):
		t.Errorf("VIP routed towards %v, want the masters from %s", owned, cfg.RealServers[0].Addr())
	}
}

type passAll struct{}

func (passAll) Probe(context.Context, netip.AddrPort) error { return nil }

// fakeRoutes is an in-memory RouteOwner: VIP -> the addresses it was
// routed towards.
type fakeRoutes struct {
	mu    sync.Mutex
	owned map[netip.Addr][]netip.Addr
	owns  int
	fail  error
}

func (f *fakeRoutes) Own(vip netip.Addr, toward []netip.Addr) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owns++
	if f.fail != nil {
		return false, f.fail
	}
	if f.owned == nil {
		f.owned = map[netip.Addr][]netip.Addr{}
	}
	cur, ok := f.owned[vip]
	if ok && slices.Equal(cur, toward) {
		return false, nil
	}
	f.owned[vip] = slices.Clone(toward)
	return true, nil
}

func (f *fakeRoutes) Remove(vip netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.owned, vip)
	return nil
}

func (f *fakeRoutes) get(vip netip.Addr) ([]netip.Addr, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.owned[vip]
	return v, ok
}

func (f *fakeRoutes) del(vip netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.owned, vip)
}

var errNoRoute = errors.New("no route towards any of the given addresses")

// Every public flag (and shorthand) exists in our command and is exercised
// by the table above, on the command line or as a CARE_* variable.
func TestCompatCoversEveryPublicFlag(t *testing.T) {
	cmd := newCommand("compat", &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }, NewOptions(), nil)
	careCmd, _, err := cmd.Find([]string{"care"})
	if err != nil {
		t.Fatal(err)
	}
	fs := careCmd.Flags()
	used := map[string]bool{}
	for _, tc := range compatCases() {
		for _, a := range tc.args {
			if strings.HasPrefix(a, "--") {
				name, _, _ := strings.Cut(a[2:], "=")
				used[name] = true
			} else if strings.HasPrefix(a, "-") && len(a) == 2 {
				used["-"+a[1:]] = true
			}
		}
		for k := range tc.env {
			used["env "+k] = true
		}
	}
	for _, name := range PublicFlags {
		if fs.Lookup(name) == nil {
			t.Errorf("public flag --%s is not a flag of ours", name)
		}
		if !used[name] {
			t.Errorf("no compatibility case passes --%s", name)
		}
	}
	for short, name := range PublicShorthands {
		if f := fs.ShorthandLookup(short); f == nil || f.Name != name {
			t.Errorf("-%s is not the shorthand of --%s", short, name)
		}
		if !used["-"+short] {
			t.Errorf("no compatibility case passes -%s", short)
		}
	}
	if !used["env "+EnvName("health-req-method")] || EnvName("health-req-method") != "CARE_HEALTH_REQ_METHOD" {
		t.Errorf("EnvName(health-req-method) = %s; the table must use it", EnvName("health-req-method"))
	}
}
