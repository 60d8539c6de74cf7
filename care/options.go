// Package care is the lvscare health-checker daemon: it keeps one virtual
// server VIP:port on this node pointing at the control-plane nodes that
// answer their health check, removing a dead one and re-adding it when it
// recovers. It talks to the kernel only through locallb.Balancer.
package care

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sealkube/kubeadm/internal/etchosts"
	"github.com/sealkube/kubeadm/locallb"
)

// DefaultCAFile is the cluster CA that kubeadm writes on every node.
const DefaultCAFile = "/etc/kubernetes/pki/ca.crt"

// DefaultHealthPath is probed when --health-path is not given: the
// apiserver's readiness endpoint, which fails at once on SIGTERM while the
// apiserver keeps serving for its --shutdown-delay-duration, so a planned
// restart is drained before it stops. Public lvscare defaults to /healthz;
// manifests written for it, and ours, pass --health-path explicitly.
const DefaultHealthPath = "/readyz"

// DefaultReadyInterval is how often a healthy apiserver gets the full
// request (DefaultHealthPath); the probes in between are HTTP/2 PINGs on the
// kept connection. A request runs the apiserver's whole filter chain, a PING
// only its HTTP/2 framing: see care/README.md "Probe load" for the cost.
// It lengthens the drain of a planned restart (APIServerShutdownDelay).
const DefaultReadyInterval = 10 * time.Second

// DefaultMetricsAddress serves /metrics and /healthz on loopback only: the
// daemon runs with hostNetwork and must not expose anything off the node.
const DefaultMetricsAddress = "127.0.0.1:10296"

// Public lvscare's modes (--mode). Route mode is its default.
const (
	// ModeRoute: the daemon owns a VIP/32 (/128) route on the interface
	// towards the masters (or --ip) and restores it when it is deleted.
	ModeRoute = "route"
	// ModeLink: public lvscare binds the VIP to a dummy interface and
	// masquerades with iptables/ipset; not implemented here.
	ModeLink = "link"
	// ModeNone ("") leaves routes alone.
	ModeNone = ""

	// DefaultIface is public lvscare's --iface default (link mode only).
	DefaultIface = "lvscare"
	// NodeIPHostname is the /etc/hosts name sealos maps to the node's
	// address; public lvscare's route mode uses it when --ip is not given.
	NodeIPHostname = "lvscare.node.ip"
	// DefaultHostsFile is where NodeIPHostname is looked up.
	DefaultHostsFile = "/etc/hosts"
	// EnvPrefix starts the environment variable of every flag: public
	// lvscare takes an unset flag --some-name from CARE_SOME_NAME.
	EnvPrefix = "CARE_"
	// PublicDefaultInterval is what public lvscare uses for --interval 0
	// (and when unset); we take 0 to mean the same.
	PublicDefaultInterval = 5 * time.Second
)

// Schedulers are the IPVS schedulers public lvscare accepts (--scheduler);
// the IPVS backend passes them to the kernel, nftables knows rr only.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "dh", "sh"}

// PublicFlags are public lvscare's care flags (long names; -C and -i are
// the shorthands of clean and iface). Any other flag is ours, which an image
// that is not ours rejects as unknown.
var PublicFlags = []string{
	"vs", "rs", "scheduler", "iface", "logger", "mode", "run-once", "clean", "interval", "ip", "masqueradebit",
	"health-path", "health-schem", "health-req-method", "health-req-body", "health-req-headers",
	"health-status", "health-insecure-skip-verify", "health-timeout",
}

// PublicShorthands maps public lvscare's one-letter flags to their names.
var PublicShorthands = map[string]string{"C": "clean", "i": "iface"}

// Options are the raw command-line values. Every public lvscare flag keeps
// its name and meaning, so existing static-pod manifests work unchanged.
type Options struct {
	VirtualServer      string
	RealServers        []string
	HealthPath         string
	HealthScheme       string
	HealthReqMethod    string
	HealthReqBody      string
	HealthReqHeaders   map[string]string
	Interval           time.Duration
	HealthTimeout      time.Duration
	InsecureSkipVerify bool
	HealthStatus       []int
	RunOnce            bool
	Clean              bool
	Logger             string
	Scheduler          string
	Mode               string
	TargetIP           string
	Iface              string
	MasqueradeBit      int
	// Args are positional arguments, which public lvscare ignores.
	Args []string

	// Our own.
	Rise           int
	Fall           int
	RetryInterval  time.Duration
	ReadyInterval  time.Duration
	RestorePeriod  time.Duration
	CAFile         string
	MetricsAddress string
	Backend        locallb.Backend

	// HostsFile is where route mode looks up NodeIPHostname.
	HostsFile string
	// Offline skips every look at this machine's files (the CA bundle,
	// the hosts file), for checking a command line that runs elsewhere.
	Offline bool

	// changed tells an explicit flag (or environment variable) from a
	// default; nil means none was given.
	changed func(name string) bool
}

// NewOptions returns the defaults (see Validate for what they mean together).
func NewOptions() *Options {
	return &Options{
		HealthPath:      DefaultHealthPath,
		HealthScheme:    "https",
		HealthReqMethod: http.MethodGet,
		Interval:        time.Second,
		HealthTimeout:   400 * time.Millisecond,
		Logger:          "INFO",
		Scheduler:       "rr",
		Mode:            ModeRoute,
		Iface:           DefaultIface,
		Rise:            2,
		Fall:            2,
		RetryInterval:   100 * time.Millisecond,
		ReadyInterval:   DefaultReadyInterval,
		RestorePeriod:   200 * time.Millisecond,
		CAFile:          DefaultCAFile,
		MetricsAddress:  DefaultMetricsAddress,
		Backend:         locallb.DefaultBackend,
		HostsFile:       DefaultHostsFile,
	}
}

// RegisterFlags binds the options to fs.
func (o *Options) RegisterFlags(fs *pflag.FlagSet) {
	// Public lvscare flags.
	fs.StringVar(&o.VirtualServer, "vs", o.VirtualServer, "virtual server address IP:port, e.g. 10.103.97.2:6443")
	fs.StringSliceVar(&o.RealServers, "rs", o.RealServers, "real server (control-plane) address IP:port; repeat or comma-separate for several")
	fs.StringVar(&o.Scheduler, "scheduler", o.Scheduler, "scheduler: rr, wrr, lc, wlc, dh or sh (IPVS); the nftables backend balances round-robin (rr) only")
	fs.StringVar(&o.Mode, "mode", o.Mode, `route (default): own a VIP/32 route on the interface towards the masters (or --ip) and restore it when deleted; "" leaves routes alone; link (public lvscare's dummy interface) is not supported`)
	fs.StringVar(&o.TargetIP, "ip", o.TargetIP, "route mode: route the VIP on the interface of this address (the node's own address, as sealos passes it, or one reached through that interface) instead of the one towards the first master")
	fs.StringVarP(&o.Iface, "iface", "i", o.Iface, "link mode only (not supported): name of the dummy interface")
	fs.IntVar(&o.MasqueradeBit, "masqueradebit", o.MasqueradeBit, "link mode only (not supported): iptables masquerade mark bit")
	fs.StringVar(&o.HealthPath, "health-path", o.HealthPath, "URL path probed on every real server")
	fs.StringVar(&o.HealthScheme, "health-schem", o.HealthScheme, "probe scheme: https or http")
	fs.StringVar(&o.HealthReqMethod, "health-req-method", o.HealthReqMethod, "HTTP method of the probe")
	fs.StringVar(&o.HealthReqBody, "health-req-body", o.HealthReqBody, "body sent with every probe")
	fs.StringToStringVar(&o.HealthReqHeaders, "health-req-headers", o.HealthReqHeaders, `headers sent with every probe: Name=value pairs, comma-separated; a value holding commas ("Name=a,b", quoted) becomes several values`)
	fs.Var((*secondsOrDuration)(&o.Interval), "interval", "health check interval: a duration (1s, 500ms) or whole seconds (5) as public lvscare takes; 0 means public lvscare's 5s")
	fs.DurationVar(&o.HealthTimeout, "health-timeout", o.HealthTimeout, "timeout of one probe; longer than --interval is allowed: a server's next probe then starts when the last one ends")
	fs.BoolVar(&o.InsecureSkipVerify, "health-insecure-skip-verify", o.InsecureSkipVerify,
		"do not verify the real server's certificate. When not given, it is verified against --ca-file if that file exists, and not verified otherwise (as public lvscare does)")
	fs.IntSliceVar(&o.HealthStatus, "health-status", o.HealthStatus, "extra HTTP status codes (>= 400) counted as healthy; any status below 400 is healthy")
	fs.BoolVar(&o.RunOnce, "run-once", o.RunOnce, "create the virtual server (and the route in route mode), probe every real server once, keep the healthy ones and exit")
	fs.BoolVarP(&o.Clean, "clean", "C", o.Clean, "delete the virtual server --vs (and our VIP route in route mode) and exit")
	fs.StringVar(&o.Logger, "logger", o.Logger, "log level: DEBG, INFO, WARN or ERROR (others: INFO, as public lvscare)")

	// Ours.
	fs.IntVar(&o.Rise, "rise", o.Rise, "consecutive passing probes before a removed real server is added back")
	fs.IntVar(&o.Fall, "fall", o.Fall, "consecutive failing probes before a real server is drained (weight 0); one more failure at the next interval deletes it unless the server still answers (not ready: it stays drained)")
	fs.DurationVar(&o.RetryInterval, "retry-interval", o.RetryInterval, "delay before re-probing a real server whose last probe disagrees with its state, instead of waiting --interval")
	fs.DurationVar(&o.ReadyInterval, "ready-interval", o.ReadyInterval, "https: how often a healthy real server that speaks HTTP/2 gets the full request (--health-path); the probes in between are HTTP/2 PINGs on the same kept connection, which the server answers without running a request. 0 sends the full request at every --interval, as public lvscare does")
	fs.DurationVar(&o.RestorePeriod, "restore-period", o.RestorePeriod, "how often the virtual server (and the route in route mode) is read back and restored if something deleted or changed it")
	fs.StringVar(&o.CAFile, "ca-file", o.CAFile, "PEM CA bundle used to verify the real servers' certificates (https)")
	fs.Var(&o.Backend, "backend", "kernel load balancer: ipvs (an IPVS virtual server, as public lvscare) or nftables (our own nftables table sealkube-locallb, for kernels without IPVS or kube-proxy in nftables mode)")
	fs.StringVar(&o.MetricsAddress, "metrics-address", o.MetricsAddress, "loopback address serving /metrics and /healthz; empty disables it")

	o.changed = func(name string) bool { return fs.Changed(name) }
}

// EnvName is the environment variable that sets flag name when the command
// line does not: public lvscare's rule, CARE_ + the name in upper case with
// "-" as "_" (--health-req-method: CARE_HEALTH_REQ_METHOD).
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets every flag of fs that the command line left unset from its
// environment variable (EnvName), when that is not empty, as public lvscare
// does. Public lvscare silently ignores a value it cannot parse; we fail,
// naming the variable.
func ApplyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		name := EnvName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q (for --%s): %v; fix or unset it", name, v, f.Name, err))
		}
	})
	return errors.Join(errs...)
}

// Config is the validated form of Options.
type Config struct {
	// Backend is the kernel mechanism the balancer programs.
	Backend locallb.Backend
	// Scheduler is the balancer's scheduler (IPVS names; nftables: rr).
	Scheduler     string
	VIP           netip.AddrPort
	RealServers   []netip.AddrPort
	Probe         ProbeConfig
	Interval      time.Duration
	RetryInterval time.Duration
	RestorePeriod time.Duration
	Rise, Fall    int
	RunOnce       bool
	Clean         bool
	LogLevel      slog.Level
	// Route is what route mode does; zero in mode "".
	Route RouteConfig
	// MetricsAddress is empty when the endpoint is disabled.
	MetricsAddress string
	// Notes are facts about the configuration worth one log line at start
	// (among them every public flag value we accept but ignore).
	Notes []string
}

// RouteConfig is route mode's VIP route.
type RouteConfig struct {
	// Own: the daemon keeps a VIP/32 (/128) route of ours (locallb's
	// protocol) on the interface towards Toward.
	Own bool
	// Toward picks the interface and source address: --ip, the node
	// address in /etc/hosts, or (invalid) the first reachable real server.
	Toward netip.Addr
	// From says where Toward came from, for messages.
	From string
}

// ProbeConfig describes the HTTP(S) health probe.
type ProbeConfig struct {
	Scheme  string
	Path    string
	Timeout time.Duration
	// Method is the request method; "" is GET.
	Method string
	// Body is sent with every probe when not empty.
	Body string
	// Header is added to every probe.
	Header http.Header
	// ExtraOK are status codes >= 400 that still count as healthy.
	ExtraOK []int
	// InsecureSkipVerify disables certificate verification.
	InsecureSkipVerify bool
	// CAFile, when not empty, is the bundle the certificate chain is verified
	// against.
	CAFile string
	// ReadyInterval is how often a passing HTTP/2 server gets the full
	// request; the probes in between are PINGs. 0: every probe is a request.
	ReadyInterval time.Duration
}

func (o *Options) set(name string) bool { return o.changed != nil && o.changed(name) }

// Validate checks every option and returns the Config. Each error names the
// flag, the offending value and what to use instead. A value public lvscare
// accepts is never an error unless we cannot do what it means there; values
// it accepts without effect are accepted too, with a note in Config.Notes.
func (o *Options) Validate() (Config, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	cfg := Config{
		Interval:       o.Interval,
		RetryInterval:  o.RetryInterval,
		RestorePeriod:  o.RestorePeriod,
		Rise:           o.Rise,
		Fall:           o.Fall,
		RunOnce:        o.RunOnce,
		Clean:          o.Clean,
		MetricsAddress: o.MetricsAddress,
		Backend:        o.Backend,
		Scheduler:      o.Scheduler,
	}
	note := func(format string, args ...any) { cfg.Notes = append(cfg.Notes, fmt.Sprintf(format, args...)) }
	if cfg.Backend == "" {
		cfg.Backend = locallb.DefaultBackend
	}
	if len(o.Args) > 0 {
		note("ignoring positional arguments %q, as public lvscare does: every setting is a flag", o.Args)
	}

	if o.VirtualServer == "" {
		fail(`--vs is required: give the virtual server as IP:port, e.g. --vs 10.103.97.2:6443`)
	} else if vip, err := parseAddrPort("--vs", o.VirtualServer); err != nil {
		errs = append(errs, err)
	} else {
		cfg.VIP = vip
	}

	if len(o.RealServers) == 0 && !o.Clean {
		fail(`--rs is required: give every control-plane node as IP:port, e.g. --rs 192.168.0.2:6443 --rs 192.168.0.3:6443`)
	}
	seen := map[netip.AddrPort]bool{}
	for _, s := range o.RealServers {
		rs, err := parseAddrPort("--rs", s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[rs] {
			// Public lvscare ensures the same real server twice.
			note("--rs %s is given more than once; using it once", rs)
			continue
		}
		seen[rs] = true
		if cfg.VIP.IsValid() && rs.Addr().Is4() != cfg.VIP.Addr().Is4() {
			fail("--rs %q and --vs %q are of different IP families: use real servers of the virtual server's family", s, o.VirtualServer)
			continue
		}
		cfg.RealServers = append(cfg.RealServers, rs)
	}

	o.validateProbe(&cfg, fail, note)

	if o.Interval < 0 {
		fail("--interval %s must not be negative: give e.g. --interval 1s, or 0 for public lvscare's %s", o.Interval, PublicDefaultInterval)
	} else if o.Interval == 0 {
		cfg.Interval = PublicDefaultInterval
	}
	if o.HealthTimeout <= 0 {
		fail("--health-timeout %s must be positive, e.g. --health-timeout 400ms", o.HealthTimeout)
	} else if cfg.Interval > 0 && o.HealthTimeout >= cfg.Interval {
		// Public lvscare's own defaults are a 10s timeout at a 5s interval.
		note("--health-timeout %s is not shorter than --interval %s: a real server's next probe starts when its last one ends (they never overlap), so a slow server is probed less often than every interval", o.HealthTimeout, cfg.Interval)
	}
	if o.Rise < 1 {
		fail("--rise %d must be at least 1", o.Rise)
	}
	if o.Fall < 1 {
		fail("--fall %d must be at least 1", o.Fall)
	}
	if o.RetryInterval <= 0 || (cfg.Interval > 0 && o.RetryInterval > cfg.Interval) {
		fail("--retry-interval %s must be positive and at most --interval %s", o.RetryInterval, cfg.Interval)
	}
	if o.RestorePeriod <= 0 {
		fail("--restore-period %s must be positive, e.g. --restore-period 200ms", o.RestorePeriod)
	}

	switch {
	case !slices.Contains(Schedulers, o.Scheduler):
		fail("--scheduler %q is not a scheduler lvscare knows: use one of %s", o.Scheduler, strings.Join(Schedulers, ", "))
	case o.Scheduler != "rr" && cfg.Backend == locallb.BackendNFTables:
		fail("--scheduler %s is not available with --backend nftables, which balances round-robin only: use --scheduler rr, or --backend ipvs for %s", o.Scheduler, o.Scheduler)
	}

	if level, ok := parseLevel(o.Logger); ok {
		cfg.LogLevel = level
	} else {
		// Public lvscare logs at INFO for any level it does not know.
		cfg.LogLevel = slog.LevelInfo
		note("--logger %q is not a level (DEBG, INFO, WARN, ERROR); logging at INFO, as public lvscare does", o.Logger)
	}
	if o.MetricsAddress != "" {
		if err := checkLoopback(o.MetricsAddress); err != nil {
			errs = append(errs, err)
		}
	}
	o.validateMode(&cfg, fail, note)
	return cfg, errors.Join(errs...)
}

func (o *Options) validateProbe(cfg *Config, fail func(string, ...any), note func(string, ...any)) {
	switch o.HealthScheme {
	case "http", "https":
	default:
		fail("--health-schem %q is not supported: use https or http", o.HealthScheme)
	}
	path := o.HealthPath
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !isToken(o.HealthReqMethod) {
		fail("--health-req-method %q is not an HTTP method: use e.g. GET or HEAD", o.HealthReqMethod)
	}
	header := http.Header{}
	keys := make([]string, 0, len(o.HealthReqHeaders))
	for k := range o.HealthReqHeaders {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !isToken(k) {
			fail("--health-req-headers: %q is not a header name: give Name=value, e.g. --health-req-headers Authorization='Bearer x'", k)
			continue
		}
		// As public lvscare: a value holding commas is several values.
		for _, v := range strings.Split(o.HealthReqHeaders[k], ",") {
			if strings.ContainsAny(v, "\r\n") {
				fail("--health-req-headers %s: the value %q holds a line break: remove it", k, v)
				break
			}
			header.Add(k, v)
		}
	}
	var extra []int
	for _, code := range o.HealthStatus {
		switch {
		case code < 100 || code > 599:
			note("--health-status %d is not an HTTP status code (100-599); no answer has it, so it changes nothing", code)
		case code < 400:
			note("--health-status %d changes nothing: every status below 400 is healthy", code)
		default:
			extra = append(extra, code)
		}
	}
	cfg.Probe = ProbeConfig{
		Scheme:             o.HealthScheme,
		Path:               path,
		Timeout:            o.HealthTimeout,
		Method:             o.HealthReqMethod,
		Body:               o.HealthReqBody,
		Header:             header,
		ExtraOK:            extra,
		InsecureSkipVerify: o.InsecureSkipVerify,
		ReadyInterval:      o.ReadyInterval,
	}
	if o.ReadyInterval < 0 {
		fail("--ready-interval %s must not be negative: give e.g. --ready-interval 5s, or 0 to send --health-path at every --interval", o.ReadyInterval)
	}
	if o.HealthScheme == "https" && !o.InsecureSkipVerify {
		explicitCA := o.set("ca-file")
		explicitVerify := o.set("health-insecure-skip-verify")
		var statErr error = errors.New("not checked")
		if !o.Offline {
			_, statErr = os.Stat(o.CAFile)
		}
		switch {
		case o.Offline && o.CAFile != "":
			// Checked where the command runs.
			cfg.Probe.CAFile = o.CAFile
		case o.CAFile != "" && statErr == nil:
			cfg.Probe.CAFile = o.CAFile
		case explicitCA && o.CAFile != "":
			fail("--ca-file %q cannot be read: %v; give the cluster CA bundle or pass --health-insecure-skip-verify", o.CAFile, statErr)
		case explicitVerify:
			// Public lvscare verifies against the system's roots then,
			// which do not hold the cluster CA: every probe fails.
			note("--health-insecure-skip-verify=false without a CA bundle (%s is missing): verifying against the system's roots and names, as public lvscare does; they do not hold the cluster CA, so pass --ca-file", o.CAFile)
		default:
			// Public lvscare never verifies; without the cluster CA we do
			// the same rather than failing every probe.
			cfg.Probe.InsecureSkipVerify = true
			note("not verifying real server certificates: no CA bundle at %s (pass --ca-file)", o.CAFile)
		}
	}
	if o.HealthScheme == "https" && o.InsecureSkipVerify {
		note("not verifying real server certificates: --health-insecure-skip-verify is set")
	}
}

// validateMode checks --mode and the flags that only some modes use.
func (o *Options) validateMode(cfg *Config, fail func(string, ...any), note func(string, ...any)) {
	var target netip.Addr
	if o.TargetIP != "" {
		a, err := netip.ParseAddr(o.TargetIP)
		switch {
		case err != nil || a.Zone() != "":
			fail("--ip %q is not an IP address: give the node's address towards the masters, e.g. --ip 192.168.0.10", o.TargetIP)
		case cfg.VIP.IsValid() && a.Unmap().Is4() != cfg.VIP.Addr().Is4():
			fail("--ip %s and --vs %s are of different IP families: give an address of the VIP's family", o.TargetIP, cfg.VIP)
		default:
			target = a.Unmap()
		}
	}
	linkOnly := func() {
		if o.set("iface") {
			note("--iface %s is used by --mode link only; ignored", o.Iface)
		}
		if o.set("masqueradebit") {
			note("--masqueradebit %d is used by --mode link only; ignored", o.MasqueradeBit)
		}
	}
	switch o.Mode {
	case ModeRoute:
		linkOnly()
		cfg.Route = RouteConfig{Own: true, Toward: target, From: "--ip"}
		if !target.IsValid() {
			cfg.Route.From = "the first reachable --rs"
			if !o.Offline && o.HostsFile != "" {
				if a, ok := lookupHosts(o.HostsFile, NodeIPHostname); ok && cfg.VIP.IsValid() && a.Is4() == cfg.VIP.Addr().Is4() {
					cfg.Route.Toward, cfg.Route.From = a, NodeIPHostname+" in "+o.HostsFile
				}
			}
		}
		if !cfg.Route.Toward.IsValid() && len(cfg.RealServers) > 0 && !slices.ContainsFunc(cfg.RealServers, func(rs netip.AddrPort) bool { return !rs.Addr().IsLoopback() }) {
			// No interface leads to a loopback master: there is no VIP
			// route to own. Public lvscare writes none either.
			cfg.Route = RouteConfig{}
			note("route mode: every --rs is a loopback address, so no interface leads to the masters; not managing a VIP route (give --ip to route the VIP on an interface)")
		}
	case ModeNone:
		linkOnly()
		if o.TargetIP != "" {
			note("--ip %s is used by --mode route only; ignored with --mode \"\"", o.TargetIP)
		}
	case ModeLink:
		fail("--mode link is not supported: public lvscare binds the VIP to a dummy interface (--iface %s) and masquerades with iptables and ipset (--masqueradebit), which needs the dummy kernel module and binaries this daemon does not use; use --mode route (the default), which routes the VIP on the interface towards the masters (or --ip) and needs neither", o.Iface)
	default:
		fail("--mode %q is not a mode: use route (the default) or \"\" (leave routes alone)", o.Mode)
	}
}

// lookupHosts returns the first address that name has in a hosts file, as
// the resolver would (internal/etchosts reads it for kubeadm too).
func lookupHosts(path, name string) (netip.Addr, bool) {
	entries, err := etchosts.File{Path: path}.Lookup(name)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, e := range entries {
		if e.Addr.Zone() == "" {
			return e.Addr.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// isToken reports whether s is an HTTP token (RFC 9110): methods and
// header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func parseAddrPort(flag, s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%s %q is not an IP:port address (%v): write it as 192.168.0.2:6443 or [fd00::2]:6443", flag, s, err)
	}
	if ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%s %q has port 0: give the apiserver port, e.g. :6443", flag, s)
	}
	if ap.Addr().Zone() != "" || ap.Addr().IsUnspecified() || ap.Addr().IsMulticast() {
		return netip.AddrPort{}, fmt.Errorf("%s %q is not a unicast address without zone: give a node or virtual IP", flag, s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

func checkLoopback(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("--metrics-address %q is not an IP:port address (%v): use e.g. %s, or empty to disable", addr, err, DefaultMetricsAddress)
	}
	if !ap.Addr().IsLoopback() {
		return fmt.Errorf("--metrics-address %q is not a loopback address: the endpoint must stay on the node, use e.g. %s", addr, DefaultMetricsAddress)
	}
	return nil
}

// parseLevel maps public lvscare's level names (and the usual spellings)
// to slog levels; ok is false for anything else.
func parseLevel(s string) (slog.Level, bool) {
	switch strings.ToUpper(s) {
	case "DEBG", "DEBUG":
		return slog.LevelDebug, true
	case "INFO", "":
		return slog.LevelInfo, true
	case "WARN", "WARNING":
		return slog.LevelWarn, true
	case "EROR", "ERROR":
		return slog.LevelError, true
	}
	return 0, false
}

// secondsOrDuration accepts "5" (seconds, as public lvscare's --interval
// once did) as well as a Go duration ("5s", "500ms").
type secondsOrDuration time.Duration

func (d *secondsOrDuration) String() string { return time.Duration(*d).String() }
func (d *secondsOrDuration) Type() string   { return "duration" }
func (d *secondsOrDuration) Set(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		*d = secondsOrDuration(time.Duration(n) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither whole seconds (5) nor a duration (1s, 500ms)", s)
	}
	*d = secondsOrDuration(v)
	return nil
}
