package care

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
// "version". newProber may be nil for the HTTP prober.
func NewCommand(version string, newBalancer BalancerFactory, out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "lvscare",
		Short:         "Keeps a node-local virtual server (IPVS or nftables) pointing at the healthy control-plane nodes",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)

	opts := NewOptions()
	careCmd := &cobra.Command{
		Use:   "care",
		Short: "Probe every real server and keep the virtual server to the healthy ones",
		Long: `care creates the virtual server --vs with the real servers --rs, probes every
real server each --interval, drains one (weight 0) after --fall failed probes,
deletes it on the next failure and adds it back after --rise passed probes.
When every probe fails, all real servers are kept (fail open). The virtual
server is restored within --restore-period when something deletes or changes
it. SIGTERM exits leaving the rules in place; --clean deletes them and exits.
--backend chooses IPVS (default) or our own nftables table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := opts.Validate()
			if err != nil {
				return fmt.Errorf("invalid flags:\n%w", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return Main(ctx, cfg, version, newBalancer, errOut)
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

// errNetAdminNotPermitted means the process may not raise CAP_NET_ADMIN at
// all (no file capability and not root).
var errNetAdminNotPermitted = errors.New("CAP_NET_ADMIN is not in the permitted set of this process")

// Main runs the daemon described by cfg, logging to logOut.
func Main(ctx context.Context, cfg Config, version string, newBalancer BalancerFactory, logOut io.Writer) error {
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

	if metrics == nil {
		return d.Run(ctx)
	}
	l, err := Listen(cfg.MetricsAddress)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- Serve(sctx, l, Handler(metrics, d.Healthy)) }()
	runErr := d.Run(sctx)
	cancel()
	return errors.Join(runErr, <-serveErr)
}
