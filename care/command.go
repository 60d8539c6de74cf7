package care

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sealkube/kubeadm/locallb"
)

// BalancerFactory opens the kernel load balancer of the chosen backend
// (--backend); it is called only after the flags are valid, so --help and
// bad flags need no privileges.
type BalancerFactory func(backend locallb.Backend) (locallb.Balancer, error)

// NewCommand returns the lvscare command tree: "care" (the daemon) and
// "version". In route mode (public lvscare's default) the daemon owns the
// VIP route in its network namespace's routing table (NetlinkRoutes).
func NewCommand(version string, newBalancer BalancerFactory, out, errOut io.Writer) *cobra.Command {
	return NewCommandWithRoutes(version, newBalancer, NetlinkRoutes, out, errOut)
}

// NewCommandWithRoutes is NewCommand with route mode's RouteOwner from
// newRoutes.
func NewCommandWithRoutes(version string, newBalancer BalancerFactory, newRoutes RoutesFactory, out, errOut io.Writer) *cobra.Command {
	k := KernelOpeners{Balancer: newBalancer, Routes: newRoutes}
	return newCommand(version, out, errOut, os.Getenv, NewOptions(), func(ctx context.Context, cfg Config) error {
		return k.Main(ctx, cfg, version, errOut)
	})
}

// newCommand builds the tree around run, which gets the validated
// configuration; getenv supplies the CARE_* variables and opts the defaults.
func newCommand(version string, out, errOut io.Writer, getenv func(string) string, opts *Options, run func(context.Context, Config) error) *cobra.Command {
	root := &cobra.Command{
		Use:           "lvscare",
		Short:         "Keeps a node-local virtual server (IPVS or nftables) pointing at the healthy control-plane nodes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)

	careCmd := &cobra.Command{
		Use:   "care",
		Short: "Probe every real server and keep the virtual server to the healthy ones",
		Long: `care creates the virtual server --vs with the real servers --rs, probes every
real server each --interval, drains one (weight 0) after --fall failed probes,
deletes it on the next failure that gets no answer (one that answers "not
ready" stays drained while it answers) and adds it back after --rise passed
probes.
When every probe fails, all real servers are kept (fail open). The virtual
server is restored within --restore-period when something deletes or changes
it. SIGTERM exits leaving the rules in place; --clean deletes them and exits.
--backend chooses IPVS (default) or our own nftables table.

In route mode (--mode route, the default) it also owns a VIP/32 (/128) route
on the interface towards the masters (or --ip) and restores it the same way.

Every flag not given on the command line is read from the environment
variable CARE_<FLAG> when that is set (--health-path: CARE_HEALTH_PATH), as
public lvscare does.`,
		// Public lvscare ignores positional arguments.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := ApplyEnv(cmd.Flags(), getenv); err != nil {
				return fmt.Errorf("invalid flags:\n%w", err)
			}
			opts.Args = args
			cfg, err := opts.Validate()
			if err != nil {
				return fmt.Errorf("invalid flags:\n%w", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return run(ctx, cfg)
		},
	}
	opts.RegisterFlags(careCmd.Flags())
	root.AddCommand(careCmd, &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), version) },
	})
	return root
}

// KernelOpeners are the factories of what the daemon programs, called once
// the flags are valid: the balancer and, in route mode, the route owner
// (nil Routes: route mode fails with a clear error).
type KernelOpeners struct {
	Balancer BalancerFactory
	Routes   RoutesFactory
}

// schedulerSetter is a balancer whose scheduler can be chosen
// (*locallb.IPVS).
type schedulerSetter interface{ SetScheduler(name string) error }

// errNetAdminNotPermitted means the process may not raise CAP_NET_ADMIN at
// all (no file capability and not root).
var errNetAdminNotPermitted = errors.New("CAP_NET_ADMIN is not in the permitted set of this process")

// Main runs the daemon described by cfg, logging to logOut, with the
// route owner of NetlinkRoutes in route mode.
func Main(ctx context.Context, cfg Config, version string, newBalancer BalancerFactory, logOut io.Writer) error {
	return KernelOpeners{Balancer: newBalancer, Routes: NetlinkRoutes}.Main(ctx, cfg, version, logOut)
}

// Main runs the daemon described by cfg with k, logging to logOut.
func (k KernelOpeners) Main(ctx context.Context, cfg Config, version string, logOut io.Writer) error {
	newBalancer := k.Balancer
	log := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// Before anything opens a netlink socket: the kernel checks the
	// capabilities of the thread that opened it too.
	switch err := raiseNetAdmin(); {
	case errors.Is(err, errNetAdminNotPermitted):
		// Root, or no file capability at all: the balancer says clearly
		// when it lacks the privilege.
		log.Debug("could not raise CAP_NET_ADMIN", "err", err)
	case err != nil:
		// Permitted but not effective everywhere: netlink calls would
		// fail with EPERM on some threads only.
		return err
	}
	lb, err := newBalancer(cfg.Backend)
	if err != nil {
		return fmt.Errorf("opening the kernel load balancer (--backend %s): %w", cfg.Backend, err)
	}
	switch c := lb.(type) {
	case io.Closer:
		defer c.Close()
	case interface{ Close() }: // *locallb.IPVS
		defer c.Close()
	}
	if cfg.Scheduler != "" && cfg.Scheduler != "rr" {
		s, ok := lb.(schedulerSetter)
		if !ok {
			return fmt.Errorf("--scheduler %s: the %s backend balances round-robin only; use --scheduler rr or --backend ipvs", cfg.Scheduler, cfg.Backend)
		}
		if err := s.SetScheduler(cfg.Scheduler); err != nil {
			return fmt.Errorf("--scheduler %s: %w", cfg.Scheduler, err)
		}
	}
	var routes RouteOwner
	if cfg.Route.Own {
		if k.Routes == nil {
			return errors.New("route mode (--mode route, the default) needs the routing table, which this build cannot open: pass --mode \"\" to leave routes alone")
		}
		if routes, err = k.Routes(); err != nil {
			return fmt.Errorf("route mode: opening the routing table: %w (pass --mode \"\" to leave routes alone)", err)
		}
	}
	var prober Prober
	if !cfg.Clean {
		hp, err := NewHTTPProber(cfg.Probe, "lvscare/"+version)
		if err != nil {
			return err
		}
		defer hp.Close()
		prober = hp
	}
	for _, n := range cfg.Notes {
		log.Info(n)
	}
	var metrics *Metrics
	if cfg.MetricsAddress != "" && !cfg.RunOnce && !cfg.Clean {
		metrics = NewMetrics()
	}
	d := NewDaemon(cfg, lb, prober, log, metrics)
	d.SetRoutes(routes)

	if metrics == nil {
		return d.Run(ctx)
	}
	l, err := Listen(cfg.MetricsAddress)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- Serve(sctx, l, Handler(metrics, cfg.VIP, d.Healthy)) }()
	runErr := d.Run(sctx)
	cancel()
	return errors.Join(runErr, <-serveErr)
}
