// Package care is the lvscare health-checker daemon: it keeps one virtual
// server VIP:port on this node pointing at the control-plane nodes that
// answer their health check, removing a dead one and re-adding it when it
// recovers. It talks to the kernel only through locallb.Balancer.
package care

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

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

// DefaultMetricsAddress serves /metrics and /healthz on loopback only: the
// daemon runs with hostNetwork and must not expose anything off the node.
const DefaultMetricsAddress = "127.0.0.1:10296"

// Options are the raw command-line values. The public lvscare flags keep
// their names and meanings so existing static-pod manifests work unchanged.
type Options struct {
	VirtualServer      string
	RealServers        []string
	HealthPath         string
	HealthScheme       string
	Interval           time.Duration
	HealthTimeout      time.Duration
	InsecureSkipVerify bool
	HealthStatus       []int
	RunOnce            bool
	Clean              bool
	Logger             string
	Scheduler          string

	// Our own.
	Rise           int
	Fall           int
	RetryInterval  time.Duration
	RestorePeriod  time.Duration
	CAFile         string
	MetricsAddress string
	Backend        locallb.Backend

	// insecureSet and caFileSet tell an explicit flag from a default.
	insecureSet func() bool
	caFileSet   func() bool
}

// NewOptions returns the defaults (see Validate for what they mean together).
func NewOptions() *Options {
	return &Options{
		HealthPath:     DefaultHealthPath,
		HealthScheme:   "https",
		Interval:       time.Second,
		HealthTimeout:  400 * time.Millisecond,
		Logger:         "INFO",
		Scheduler:      "rr",
		Rise:           2,
		Fall:           2,
		RetryInterval:  100 * time.Millisecond,
		RestorePeriod:  200 * time.Millisecond,
		CAFile:         DefaultCAFile,
		MetricsAddress: DefaultMetricsAddress,
		Backend:        locallb.DefaultBackend,
	}
}

// RegisterFlags binds the options to fs.
func (o *Options) RegisterFlags(fs *pflag.FlagSet) {
	// Public lvscare flags.
	fs.StringVar(&o.VirtualServer, "vs", o.VirtualServer, "virtual server address IP:port, e.g. 10.103.97.2:6443")
	fs.StringSliceVar(&o.RealServers, "rs", o.RealServers, "real server (control-plane) address IP:port; repeat or comma-separate for several")
	fs.StringVar(&o.HealthPath, "health-path", o.HealthPath, "URL path probed on every real server")
	fs.StringVar(&o.HealthScheme, "health-schem", o.HealthScheme, "probe scheme: https or http")
	fs.Var((*secondsOrDuration)(&o.Interval), "interval", "health check interval: a duration (1s, 500ms) or a whole number of seconds as public lvscare takes (5)")
	fs.DurationVar(&o.HealthTimeout, "health-timeout", o.HealthTimeout, "timeout of one probe; must be shorter than --interval")
	fs.BoolVar(&o.InsecureSkipVerify, "health-insecure-skip-verify", o.InsecureSkipVerify,
		"do not verify the real server's certificate. When not given, it is verified against --ca-file if that file exists, and not verified otherwise (as public lvscare does)")
	fs.IntSliceVar(&o.HealthStatus, "health-status", o.HealthStatus, "extra HTTP status codes (>= 400) counted as healthy; any status below 400 is healthy")
	fs.BoolVar(&o.RunOnce, "run-once", o.RunOnce, "create the virtual server, probe every real server once, keep the healthy ones and exit")
	fs.BoolVarP(&o.Clean, "clean", "C", o.Clean, "delete the virtual server --vs and exit")
	fs.StringVar(&o.Logger, "logger", o.Logger, "log level: DEBG, INFO, WARN or ERROR")
	fs.StringVar(&o.Scheduler, "scheduler", o.Scheduler, "IPVS scheduler; only rr (round robin) is supported")

	// Ours.
	fs.IntVar(&o.Rise, "rise", o.Rise, "consecutive passing probes before a removed real server is added back")
	fs.IntVar(&o.Fall, "fall", o.Fall, "consecutive failing probes before a real server is drained (weight 0); one more failure at the next interval deletes it")
	fs.DurationVar(&o.RetryInterval, "retry-interval", o.RetryInterval, "delay before re-probing a real server whose last probe disagrees with its state, instead of waiting --interval")
	fs.DurationVar(&o.RestorePeriod, "restore-period", o.RestorePeriod, "how often the virtual server is read back and restored if something deleted or changed it")
	fs.StringVar(&o.CAFile, "ca-file", o.CAFile, "PEM CA bundle used to verify the real servers' certificates (https)")
	fs.Var(&o.Backend, "backend", "kernel load balancer: ipvs (an IPVS virtual server, as public lvscare) or nftables (our own nftables table sealkube-locallb, for kernels without IPVS or kube-proxy in nftables mode)")
	fs.StringVar(&o.MetricsAddress, "metrics-address", o.MetricsAddress, "loopback address serving /metrics and /healthz; empty disables it")

	o.insecureSet = func() bool { return fs.Changed("health-insecure-skip-verify") }
	o.caFileSet = func() bool { return fs.Changed("ca-file") }
}

// Config is the validated form of Options.
type Config struct {
	// Backend is the kernel mechanism the balancer programs.
	Backend       locallb.Backend
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
	// MetricsAddress is empty when the endpoint is disabled.
	MetricsAddress string
	// Notes are facts about the configuration worth one log line at start.
	Notes []string
}

// ProbeConfig describes the HTTP(S) health probe.
type ProbeConfig struct {
	Scheme  string
	Path    string
	Timeout time.Duration
	// ExtraOK are status codes >= 400 that still count as healthy.
	ExtraOK []int
	// InsecureSkipVerify disables certificate verification.
	InsecureSkipVerify bool
	// CAFile, when not empty, is the bundle the certificate chain is verified
	// against.
	CAFile string
}

// Validate checks every option and returns the Config. Each error names the
// flag, the offending value and the expected form.
func (o *Options) Validate() (Config, error) {
	var errs []error
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
	}
	if cfg.Backend == "" {
		cfg.Backend = locallb.DefaultBackend
	}

	if o.VirtualServer == "" {
		errs = append(errs, errors.New(`--vs is required: give the virtual server as IP:port, e.g. --vs 10.103.97.2:6443`))
	} else if vip, err := parseAddrPort("--vs", o.VirtualServer); err != nil {
		errs = append(errs, err)
	} else {
		cfg.VIP = vip
	}

	if len(o.RealServers) == 0 && !o.Clean {
		errs = append(errs, errors.New(`--rs is required: give every control-plane node as IP:port, e.g. --rs 192.168.0.2:6443 --rs 192.168.0.3:6443`))
	}
	seen := map[netip.AddrPort]bool{}
	for _, s := range o.RealServers {
		rs, err := parseAddrPort("--rs", s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[rs] {
			errs = append(errs, fmt.Errorf("--rs %q is given twice: list every real server once", s))
			continue
		}
		seen[rs] = true
		if cfg.VIP.IsValid() && rs.Addr().Is4() != cfg.VIP.Addr().Is4() {
			errs = append(errs, fmt.Errorf("--rs %q and --vs %q are of different IP families: use real servers of the virtual server's family", s, o.VirtualServer))
			continue
		}
		cfg.RealServers = append(cfg.RealServers, rs)
	}

	switch o.HealthScheme {
	case "http", "https":
	default:
		errs = append(errs, fmt.Errorf("--health-schem %q is not supported: use https or http", o.HealthScheme))
	}
	path := o.HealthPath
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if o.Interval <= 0 {
		errs = append(errs, fmt.Errorf("--interval %s must be positive, e.g. --interval 1s", o.Interval))
	}
	if o.HealthTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--health-timeout %s must be positive, e.g. --health-timeout 400ms", o.HealthTimeout))
	} else if o.Interval > 0 && o.HealthTimeout >= o.Interval {
		errs = append(errs, fmt.Errorf("--health-timeout %s must be shorter than --interval %s so that probes never overlap: lower the timeout or raise the interval", o.HealthTimeout, o.Interval))
	}
	for _, code := range o.HealthStatus {
		if code < 400 || code > 599 {
			errs = append(errs, fmt.Errorf("--health-status %d is not an HTTP error status: give codes from 400 to 599 (below 400 is always healthy)", code))
		}
	}
	if o.Rise < 1 {
		errs = append(errs, fmt.Errorf("--rise %d must be at least 1", o.Rise))
	}
	if o.Fall < 1 {
		errs = append(errs, fmt.Errorf("--fall %d must be at least 1", o.Fall))
	}
	if o.RetryInterval <= 0 || (o.Interval > 0 && o.RetryInterval > o.Interval) {
		errs = append(errs, fmt.Errorf("--retry-interval %s must be positive and at most --interval %s", o.RetryInterval, o.Interval))
	}
	if o.RestorePeriod <= 0 {
		errs = append(errs, fmt.Errorf("--restore-period %s must be positive, e.g. --restore-period 200ms", o.RestorePeriod))
	}
	if o.Scheduler != "rr" {
		errs = append(errs, fmt.Errorf("--scheduler %q is not supported: only rr (round robin) is", o.Scheduler))
	}
	level, err := parseLevel(o.Logger)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.LogLevel = level
	if o.MetricsAddress != "" {
		if err := checkLoopback(o.MetricsAddress); err != nil {
			errs = append(errs, err)
		}
	}

	cfg.Probe = ProbeConfig{
		Scheme:             o.HealthScheme,
		Path:               path,
		Timeout:            o.HealthTimeout,
		ExtraOK:            append([]int(nil), o.HealthStatus...),
		InsecureSkipVerify: o.InsecureSkipVerify,
	}
	if o.HealthScheme == "https" && !o.InsecureSkipVerify {
		explicitCA := o.caFileSet != nil && o.caFileSet()
		explicitVerify := o.insecureSet != nil && o.insecureSet()
		switch _, statErr := os.Stat(o.CAFile); {
		case o.CAFile != "" && statErr == nil:
			cfg.Probe.CAFile = o.CAFile
		case explicitCA && o.CAFile != "":
			errs = append(errs, fmt.Errorf("--ca-file %q cannot be read: %w; give the cluster CA bundle or pass --health-insecure-skip-verify", o.CAFile, statErr))
		case explicitVerify:
			errs = append(errs, fmt.Errorf("--health-insecure-skip-verify=false needs a CA: %q is missing; pass --ca-file", o.CAFile))
		default:
			// Public lvscare never verifies; without the cluster CA we do
			// the same rather than failing every probe.
			cfg.Probe.InsecureSkipVerify = true
			cfg.Notes = append(cfg.Notes, fmt.Sprintf("not verifying real server certificates: no CA bundle at %s (pass --ca-file)", o.CAFile))
		}
	}
	if o.HealthScheme == "https" && o.InsecureSkipVerify {
		cfg.Notes = append(cfg.Notes, "not verifying real server certificates: --health-insecure-skip-verify is set")
	}
	return cfg, errors.Join(errs...)
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

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(s) {
	case "DEBG", "DEBUG":
		return slog.LevelDebug, nil
	case "INFO", "":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "EROR", "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--logger %q is not a log level: use DEBG, INFO, WARN or ERROR", s)
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
