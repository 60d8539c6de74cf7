package app

import (
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmscheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme"
	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	"k8s.io/kubernetes/cmd/kubeadm/app/discovery"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
	kubeconfigutil "k8s.io/kubernetes/cmd/kubeadm/app/util/kubeconfig"
	utilruntime "k8s.io/kubernetes/cmd/kubeadm/app/util/runtime"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/internal/subnets"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

// Flags we add to `kubeadm join` (and its `phase locallb`).
const (
	flagMaster       = "master"
	flagLvscareImage = "lvscare-image"
	flagSkipEtcHosts = "skip-etc-hosts"
	flagBackend      = "locallb-backend"
	flagAdoptSealos  = phases.FlagAdoptSealos
)

// Upstream join flags we read (upstream's names; see cmd/options).
const (
	flagConfig       = "config"
	flagControlPlane = "control-plane"
	flagDryRun       = "dry-run"
	flagSkipPhases   = "skip-phases"
	flagToken        = "token"
	flagDiscToken    = "discovery-token"
	flagDiscCAHash   = "discovery-token-ca-cert-hash"
	flagDiscSkipCA   = "discovery-token-unsafe-skip-ca-verification"
	flagDiscFile     = "discovery-file"
	flagTLSBootstrap = "tls-bootstrap-token"
	flagCRISocket    = "cri-socket"
)

// joinPhaseFlags are the join flags `kubeadm join phase locallb` shares.
var joinPhaseFlags = []string{flagMaster, flagLvscareImage, flagSkipEtcHosts, flagBackend, flagAdoptSealos, flagConfig, flagControlPlane, flagDryRun,
	flagToken, flagDiscToken, flagDiscCAHash, flagDiscSkipCA, flagDiscFile, flagTLSBootstrap, flagCRISocket}

// Host is where our command extensions act. Tests replace paths, the
// kernel and the cluster hooks; every cluster hook left nil is the real
// cluster, answered by one clusterInfo per join (see attach: a host that
// sets ClusterEndpoint gets no real imageRepository or CRI hook either).
type Host struct {
	Node phases.Node
	// TempDir holds filtered copies of --config files; "" is os.TempDir().
	TempDir string
}

// DefaultHost is the real machine; messages go to out.
func DefaultHost(out io.Writer) Host {
	return Host{Node: phases.DefaultNode(out, nil)}
}

type joinFlags struct {
	masters   []string
	image     string
	skipHosts bool
	backend   locallb.Backend
	adopt     bool
}

func findCommand(root *cobra.Command, path ...string) (*cobra.Command, error) {
	c, _, err := root.Find(path)
	if err != nil || c.Name() != path[len(path)-1] {
		return nil, fmt.Errorf("upstream command 'kubeadm %s' not found (err: %v): the pinned kubeadm changed its command tree", strings.Join(path, " "), err)
	}
	return c, nil
}

// extendJoin adds the locallb phase to `kubeadm join` at its cobra seams:
// flags, a RunE that runs the phase before upstream's workflow (and undoes
// it when the workflow fails), `kubeadm join phase locallb`, the phase list
// in the help text, and --skip-phases/skipPhases handling.
func extendJoin(root *cobra.Command, host Host) error {
	join, err := findCommand(root, "join")
	if err != nil {
		return err
	}
	phaseCmd, err := findCommand(root, "join", "phase")
	if err != nil {
		return err
	}
	if join.RunE == nil || join.Flags().Lookup(flagSkipPhases) == nil {
		return fmt.Errorf("upstream 'kubeadm join' has no RunE or no --%s: the pinned kubeadm changed", flagSkipPhases)
	}
	var lb joinFlags
	fs := join.Flags()
	fs.StringSliceVar(&lb.masters, flagMaster, nil,
		"A control-plane apiserver (IP:port) for the node-local load balancer of a worker; repeat the flag or give a comma-separated list. The join endpoint becomes an IPVS virtual server over these masters.")
	fs.StringVar(&lb.image, flagLvscareImage, "", fmt.Sprintf("The image of the lvscare static pod that health-checks the masters behind the node-local load balancer. Default: %s, or <imageRepository>/%s:%s when the cluster's imageRepository is not %s.",
		manifests.DefaultImage, manifests.ImageName, manifests.ImageTag, manifests.UpstreamImageRepository))
	fs.BoolVar(&lb.skipHosts, flagSkipEtcHosts, false, "Do not map the cluster endpoint's DNS name to the VIP in /etc/hosts (your resolver already does).")
	lb.backend = locallb.DefaultBackend
	fs.Var(&lb.backend, flagBackend, "The kernel mechanism of the node-local load balancer: ipvs, or nftables for kernels without IPVS and clusters whose kube-proxy runs in nftables mode.")
	fs.BoolVar(&lb.adopt, flagAdoptSealos, false, fmt.Sprintf("Take over the load balancer sealos set up on this worker (its lvscare static pod %s in the static pod directory, its IPVS virtual server and VIP route): check it, remove sealos' manifest, wait for its lvscare to stop and record the virtual server as kubeadm's, so kubeadm reset removes it.", strings.Join(phases.SealosManifests, " or ")))

	long, err := withPhaseInHelp(join.Long)
	if err != nil {
		return err
	}
	join.Long = long

	upstream := join.RunE
	join.RunE = func(cmd *cobra.Command, args []string) error {
		if !involvesLocalLB(cmd.Flags()) {
			// Byte for byte upstream's join: its config parsing, errors
			// and log lines.
			return upstream(cmd, args)
		}
		inv, err := prepareJoin(cmd, args, lb, host)
		defer inv.cleanup()
		if err != nil {
			return err
		}
		if inv.upstreamRefuses {
			// Our document is fine, the rest is not: upstream says so
			// before our phase changes the node for a join that cannot
			// happen.
			return upstream(cmd, args)
		}
		var changes *phases.Changes
		if inv.skip {
			klog.V(1).Infof("[locallb] skipped (skip-phases)")
		} else if changes, err = phases.RunLocalLB(inv.cfg, inv.node); err != nil {
			return fmt.Errorf("error execution phase %s: %w", phases.LocalLBName, err)
		}
		defer changes.Close()
		if err := upstream(cmd, args); err != nil {
			if undone, uerr := changes.Undo(); len(undone) > 0 || uerr != nil {
				fmt.Fprintf(inv.node.Out, "[locallb] The join failed; undid the node-local load balancer: %s\n", strings.Join(undone, "; "))
				if uerr != nil {
					fmt.Fprintf(inv.node.Out, "[locallb] WARNING: undoing was incomplete: %v\n", uerr)
				}
			}
			return err
		}
		// Only now does the kubelet run the pod the phase wrote. Its
		// failure to start is a warning, not an undo: the node has
		// joined through the virtual server, which still forwards to
		// every master without the health checker.
		if err := changes.CheckCareStarted(); err != nil {
			fmt.Fprintf(inv.node.Out, "[locallb] WARNING: %v\n", err)
		}
		return nil
	}

	sub := &cobra.Command{
		Use:   phases.LocalLBName + " [api-server-endpoint]",
		Short: phases.LocalLBShort,
		Long: phases.LocalLBShort + ".\n\nRun alone it is idempotent, and the way to change the master list of a joined worker: " +
			"the cluster endpoint is then read from /etc/kubernetes/kubelet.conf, so no discovery token is needed.\n\n" +
			"On a worker that sealos set up (its lvscare static pod kube-sealos-lvscare.yaml and an IPVS virtual server at the VIP), " +
			"add --" + flagAdoptSealos + " to take them over: kubeadm then owns them and kubeadm reset removes them.",
		Example: "  kubeadm join phase locallb 10.103.97.2:6443 --token abcdef.0123456789abcdef \\\n" +
			"    --discovery-token-ca-cert-hash sha256:... --master 10.103.97.200:6443,10.103.97.201:6443,10.103.97.202:6443\n\n" +
			"  # a joined worker that sealos set up\n" +
			"  kubeadm join phase locallb 10.103.97.2:6443 --master 10.103.97.200:6443,10.103.97.201:6443,10.103.97.202:6443 --" + flagAdoptSealos,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := prepareJoin(cmd, args, lb, host)
			defer inv.cleanup()
			if err != nil {
				return err
			}
			changes, err := phases.RunLocalLB(inv.cfg, inv.node)
			changes.Close()
			return err
		},
	}
	for _, name := range joinPhaseFlags {
		f := join.Flags().Lookup(name)
		if f == nil {
			return fmt.Errorf("upstream flag 'kubeadm join --%s' not found: the pinned kubeadm changed its flags", name)
		}
		sub.Flags().AddFlag(f)
	}
	phaseCmd.AddCommand(sub)
	return nil
}

// withPhaseInHelp lists locallb first in the phase list of join's help,
// aligned with upstream's columns.
func withPhaseInHelp(long string) (string, error) {
	const first = "\npreflight "
	i := strings.Index(long, "```"+first)
	if i < 0 {
		return "", fmt.Errorf("the phase list in 'kubeadm join --help' has changed: cannot list the %s phase", phases.LocalLBName)
	}
	start := i + len("```\n")
	end := strings.IndexByte(long[start:], '\n') + start
	line := long[start:end]
	col := len(line) - len(strings.TrimLeft(line[len("preflight"):], " "))
	ours := fmt.Sprintf("%-*s%s\n", col, phases.LocalLBName, phases.LocalLBShort)
	return long[:start] + ours + long[start:], nil
}

// joinInvocation is one run of the phase, prepared from flags or config.
type joinInvocation struct {
	cfg       phases.LocalLBConfig
	node      phases.Node
	skip      bool
	criSocket string // --cri-socket or nodeRegistration.criSocket; "" detects
	restores  []func()
	// advertise is a control-plane join's advertise address as given
	// ("" auto-detects) and where it was given.
	advertise, advertiseWhere string
	// upstreamRefuses: the --config file upstream gets (without our
	// document) is one it refuses (upstreamRefuses), so its join fails
	// before any phase would run.
	upstreamRefuses bool
}

func (inv *joinInvocation) cleanup() {
	for i := len(inv.restores) - 1; i >= 0; i-- {
		inv.restores[i]()
	}
}

func flagChanged(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}

func flagString(fs *pflag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func flagBool(fs *pflag.FlagSet, name string) bool {
	v, err := fs.GetBool(name)
	return err == nil && v
}

func flagSlice(fs *pflag.FlagSet, name string) []string {
	v, err := fs.GetStringSlice(name)
	if err != nil {
		return nil
	}
	return v
}

// joinRequest is what one join invocation says: the command line and the
// --config file's content, already read, so resolveJoin needs no I/O.
type joinRequest struct {
	args  []string
	flags joinFlags
	// ourFlagsGiven lists which of --master, --lvscare-image and
	// --locallb-backend were given (they cannot be mixed with --config).
	ourFlagsGiven []string
	controlPlane  bool
	dryRun        bool
	// skipPhases is --skip-phases as given; skipGiven says it was.
	skipPhases []string
	skipGiven  bool
	configPath string
	configData []byte // the --config file's content
	// criSocket and advertise are --cri-socket and --apiserver-advertise-address.
	criSocket, advertise string
}

// joinResolution is what the invocation means for our phase and what
// upstream must see instead of the user's input.
type joinResolution struct {
	cfg  phases.LocalLBConfig
	skip bool // --skip-phases or skipPhases names our phase
	// upstreamSkip replaces --skip-phases for upstream when non-nil.
	upstreamSkip []string
	// filteredConfig replaces the --config file for upstream when non-nil.
	filteredConfig []byte
	// criSocket is the join's CRI socket ("" detects); advertise is a
	// control-plane join's advertise address ("" auto-detects), given in
	// advertiseWhere.
	criSocket, advertise, advertiseWhere string
}

// resolveJoin is the join's input resolution as a pure function: from flags
// and the config file's content to our phase's configuration and what
// upstream gets (--skip-phases without our phase; a config copy without our
// document or our phase in skipPhases).
func resolveJoin(req joinRequest) (joinResolution, error) {
	var res joinResolution
	res.cfg = phases.LocalLBConfig{
		Masters:      req.flags.masters,
		Image:        req.flags.image,
		SkipEtcHosts: req.flags.skipHosts,
		Backend:      req.flags.backend,
		AdoptSealos:  req.flags.adopt,
		ControlPlane: req.controlPlane,
		DryRun:       req.dryRun,
	}
	if len(req.args) > 0 {
		res.cfg.VIP = req.args[0]
	}
	res.criSocket = req.criSocket
	res.advertise, res.advertiseWhere = req.advertise, "--"+flagAdvertise
	upstreamSkip := req.skipPhases
	if rest := slices.DeleteFunc(slices.Clone(req.skipPhases), isOurPhase); len(rest) != len(req.skipPhases) {
		res.skip = true
		res.upstreamSkip, upstreamSkip = rest, rest
	}
	if req.configPath != "" {
		if len(req.ourFlagsGiven) > 0 {
			return res, fmt.Errorf("can not mix '--config' with --%s: put the load balancer settings in a %s document (apiVersion %s) in %s; `kubeadm config print locallb-defaults` prints an example",
				req.ourFlagsGiven[0], locallbconfig.Kind, locallbconfig.APIVersion, req.configPath)
		}
		if err := res.fromConfig(req, upstreamSkip); err != nil {
			return res, err
		}
	}
	if res.skip {
		return res, nil
	}
	if len(res.cfg.Masters) > 0 && res.cfg.VIP == "" && !res.cfg.ControlPlane {
		return res, fmt.Errorf("the node-local load balancer needs its VIP: give it as the api-server-endpoint argument, e.g. `kubeadm join 10.103.97.2:6443 --master ...`, or as vip in the %s document", locallbconfig.Kind)
	}
	return res, nil
}

// fromConfig reads our document and the JoinConfiguration from the config
// file and decides whether upstream needs a filtered copy. upstreamSkip is
// --skip-phases as upstream will see it.
func (res *joinResolution) fromConfig(req joinRequest, upstreamSkip []string) error {
	cfgPath := req.configPath
	file, err := locallbconfig.Parse(cfgPath, req.configData)
	if err != nil {
		return err
	}
	filtered := file.Ours != nil
	if i := file.Find("JoinConfiguration"); i >= 0 {
		m, err := file.Fields(i)
		if err != nil {
			return err
		}
		res.advertise = ""
		if locallbconfig.Has(m, "controlPlane") {
			res.cfg.ControlPlane = true
			res.advertise = locallbconfig.String(m, "controlPlane", "localAPIEndpoint", "advertiseAddress")
		}
		res.advertiseWhere = "controlPlane.localAPIEndpoint.advertiseAddress in " + cfgPath
		if v, ok := m["dryRun"].(bool); ok && v {
			res.cfg.DryRun = true
		}
		if res.cfg.VIP == "" {
			res.cfg.VIP = locallbconfig.String(m, "discovery", "bootstrapToken", "apiServerEndpoint")
		}
		if s := locallbconfig.String(m, "nodeRegistration", "criSocket"); s != "" {
			res.criSocket = s
		}
		skip := locallbconfig.StringSlice(m, "skipPhases")
		rest := slices.DeleteFunc(slices.Clone(skip), isOurPhase)
		switch {
		case req.skipGiven && len(skip) > 0 && len(upstreamSkip) == 0:
			// --skip-phases with only locallb: upstream now sees an empty
			// flag and would fall back to the file's list, but a given
			// flag overrides the file's list upstream: drop the list.
			locallbconfig.SetStringSlice(m, nil, "skipPhases")
			filtered = true
		case len(rest) != len(skip):
			// Upstream's runner rejects phase names it does not know.
			if !req.skipGiven {
				res.skip = true
			}
			locallbconfig.SetStringSlice(m, rest, "skipPhases")
			filtered = true
		}
		if filtered {
			if err := file.SetFields(i, m); err != nil {
				return err
			}
		}
	}
	if o := file.Ours; o != nil {
		if o.VIP != "" {
			res.cfg.VIP = o.VIP
		}
		res.cfg.Masters = o.Masters
		if o.Image != "" {
			res.cfg.Image = o.Image
		}
		res.cfg.SkipEtcHosts = res.cfg.SkipEtcHosts || o.SkipEtcHosts
		res.cfg.AdoptSealos = res.cfg.AdoptSealos || o.AdoptSealos
		b, err := locallb.ParseBackend(o.Backend)
		if err != nil {
			return fmt.Errorf("%s: %s document: backend: %w", cfgPath, locallbconfig.Kind, err)
		}
		res.cfg.Backend = b
		res.cfg.Care = o.Care.Manifest()
	}
	if filtered {
		res.filteredConfig = file.UpstreamBytes()
	}
	return nil
}

// prepareJoin reads the command line and the --config file, resolves them
// (resolveJoin) and applies the result for upstream: --skip-phases without
// our phase, --config pointing at a filtered copy. inv.cleanup restores the
// flags and removes the copy; call it always.
func prepareJoin(cmd *cobra.Command, args []string, lb joinFlags, host Host) (*joinInvocation, error) {
	fs := cmd.Flags()
	inv := &joinInvocation{node: host.Node}
	req := joinRequest{
		args:         args,
		flags:        lb,
		controlPlane: flagBool(fs, flagControlPlane),
		dryRun:       flagBool(fs, flagDryRun),
		skipPhases:   flagSlice(fs, flagSkipPhases),
		skipGiven:    flagChanged(fs, flagSkipPhases),
		configPath:   configShownPath(fs.Lookup(flagConfig)),
		criSocket:    flagString(fs, flagCRISocket),
		advertise:    flagString(fs, flagAdvertise),
	}
	for _, name := range []string{flagMaster, flagLvscareImage, flagBackend} {
		if flagChanged(fs, name) {
			req.ourFlagsGiven = append(req.ourFlagsGiven, name)
		}
	}
	if req.configPath != "" && len(req.ourFlagsGiven) == 0 {
		data, err := os.ReadFile(flagString(fs, flagConfig))
		if err != nil {
			return inv, fmt.Errorf("reading the config file %s: %w", req.configPath, err)
		}
		req.configData = data
	}
	res, err := resolveJoin(req)
	inv.cfg, inv.skip = res.cfg, res.skip
	inv.criSocket, inv.advertise, inv.advertiseWhere = res.criSocket, res.advertise, res.advertiseWhere
	if res.upstreamSkip != nil {
		sv := fs.Lookup(flagSkipPhases).Value.(pflag.SliceValue)
		if rerr := sv.Replace(res.upstreamSkip); rerr != nil {
			return inv, rerr
		}
		original := req.skipPhases
		inv.restores = append(inv.restores, func() { _ = sv.Replace(original) })
	}
	if err != nil {
		return inv, err
	}
	if res.filteredConfig != nil {
		if err := inv.useFilteredCopy(fs.Lookup(flagConfig), req.configPath, res.filteredConfig, host); err != nil {
			return inv, err
		}
	}
	if req.configPath != "" {
		upstreamFile := req.configData
		if res.filteredConfig != nil {
			upstreamFile = res.filteredConfig
		}
		inv.upstreamRefuses = upstreamRefuses(upstreamFile, "JoinConfiguration")
	}
	if inv.skip {
		return inv, nil
	}
	cluster := &clusterInfo{
		fs:           fs,
		cfgPath:      flagString(fs, flagConfig), // the filtered copy, when there is one
		joinEndpoint: inv.cfg.VIP,
		kubeletConf:  inv.node.KubeletKubeconfig,
		tempDir:      host.TempDir,
		criSocket:    inv.criSocket,
	}
	cluster.attach(&inv.node)
	// The phase asks the same runtime as the join about the lvscare pod.
	inv.node.CRISocket = inv.criSocket
	if inv.cfg.ControlPlane {
		if a, ok := resolveAdvertise(inv.advertise); ok {
			what := "this node's advertise address, " + inv.advertiseWhere
			if inv.advertise == "" {
				what = "this node's advertise address, auto-detected from the default route (set " + inv.advertiseWhere + " to choose another)"
			}
			inv.cfg.Advertise = subnets.Address{IP: a, What: what}
		}
	}
	return inv, nil
}

// isOurPhase matches exactly, as upstream's runner matches phase names.
func isOurPhase(name string) bool { return name == phases.LocalLBName }

// involvesLocalLB reports whether a join concerns the locallb phase: one of
// our flags is given, --skip-phases names the phase, it is a control-plane
// join (checked against the cluster's subnets, issue 17), or the --config
// file holds our document, names the phase in skipPhases or joins a control
// plane. Otherwise join is left to upstream alone; so is a --config file
// that cannot be read or that upstream refuses (upstreamRefuses) when none
// of our flags is given, since upstream's join then fails on it before
// any phase, ours included, would run: the user reads upstream's error.
func involvesLocalLB(fs *pflag.FlagSet) bool {
	for _, name := range []string{flagMaster, flagLvscareImage, flagSkipEtcHosts, flagBackend, flagAdoptSealos} {
		if flagChanged(fs, name) {
			return true
		}
	}
	path := flagString(fs, flagConfig)
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return false // upstream reports it, in its words
		}
		if upstreamRefuses(data, "JoinConfiguration") {
			return false
		}
	}
	if flagChanged(fs, flagControlPlane) || slices.ContainsFunc(flagSlice(fs, flagSkipPhases), isOurPhase) {
		return true
	}
	return path != "" && configInvolvesLocalLB(path, data)
}

// configInvolvesLocalLB: a file that mentions our API group or kind is
// ours to parse (even when malformed, so the error names our document);
// any other file only when it parses and its JoinConfiguration skips our
// phase or joins a control plane. Files upstream would reject go to
// upstream untouched.
func configInvolvesLocalLB(path string, data []byte) bool {
	if locallbconfig.Mentions(data) {
		return true
	}
	file, err := locallbconfig.Parse(path, data)
	if err != nil {
		return false
	}
	i := file.Find("JoinConfiguration")
	if i < 0 {
		return false
	}
	m, err := file.Fields(i)
	return err == nil && (slices.ContainsFunc(locallbconfig.StringSlice(m, "skipPhases"), isOurPhase) || locallbconfig.Has(m, "controlPlane"))
}

// shownPathAnnotation on a config flag that points at a private copy is
// the path the user gave, for messages.
const shownPathAnnotation = "sealkube.io/config-path-as-given"

// configShownPath is the config file as the user named it: f's value, or
// the file that a private copy (useFilteredCopy) stands in for.
func configShownPath(f *pflag.Flag) string {
	if f == nil {
		return ""
	}
	if p := f.Annotations[shownPathAnnotation]; len(p) == 1 {
		return p[0]
	}
	return f.Value.String()
}

// useFilteredCopy writes data to a private temporary file with cfgPath's
// base name and points the --config flag at it until cleanup; messages
// keep naming the user's file (configShownPath).
func (inv *joinInvocation) useFilteredCopy(f *pflag.Flag, cfgPath string, data []byte, host Host) error {
	dir, err := os.MkdirTemp(host.TempDir, "kubeadm-locallb-")
	if err != nil {
		return fmt.Errorf("creating a temporary directory for the filtered %s: %w", cfgPath, err)
	}
	inv.restores = append(inv.restores, func() { os.RemoveAll(dir) })
	inv.restores = append(inv.restores, removeOnSignal(dir))
	copyPath := filepath.Join(dir, filepath.Base(cfgPath))
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		return fmt.Errorf("writing the filtered copy of %s: %w", cfgPath, err)
	}
	shown := configShownPath(f) // the user's file, also when f already names a copy
	if shown == "" {
		shown = cfgPath
	}
	old, oldAnnotations := f.Value.String(), f.Annotations
	if err := f.Value.Set(copyPath); err != nil {
		return err
	}
	f.Annotations = maps.Clone(oldAnnotations)
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[shownPathAnnotation] = []string{shown}
	inv.restores = append(inv.restores, func() { _ = f.Value.Set(old); f.Annotations = oldAnnotations })
	return nil
}

// removeOnSignal removes dir (the filtered copy holds the bootstrap token)
// when the process is interrupted or terminated before the normal cleanup,
// then lets the signal take its default course, so the exit status is
// what it would have been. The returned func stops watching.
func removeOnSignal(dir string) (stop func()) {
	sigs := make(chan os.Signal, 1)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		// Notify would re-enable an ignored signal (nohup's SIGHUP, a
		// background job's SIGINT): leave those ignored, as upstream does.
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			os.RemoveAll(dir)
			signal.Reset(sig)
			if s, ok := sig.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), s)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// clusterInfo is everything one run of the phase learns from the cluster
// and the node's container runtime, built once (prepareJoin) and handed to
// the phase as its Node hooks (attach):
//   - networking reads the kubeadm-config ConfigMap (the subnets and the
//     imageRepository) through a master or the join endpoint
//     (joinaddresses.go); the address check's read, before anything
//     changes, also serves the lvscare image, so the cluster is asked once;
//   - endpoint is the server cluster-info publishes, from upstream's
//     discovery through the VIP, run at most once;
//   - containerRuntime connects to the CRI on the join's socket.
type clusterInfo struct {
	fs *pflag.FlagSet
	// cfgPath is the --config file as upstream reads it: our filtered
	// copy, when there is one.
	cfgPath string
	// joinEndpoint is the join's endpoint (the VIP): discovery's target
	// when a read does not go through a master.
	joinEndpoint string
	// kubeletConf is the joined node's kubeconfig; when it exists, reads
	// use its credentials instead of discovery's.
	kubeletConf string
	// tempDir holds a discovery file aimed at a master; "" is os.TempDir().
	tempDir string
	// criSocket is --cri-socket or nodeRegistration.criSocket; "" detects.
	criSocket string

	// read is the last read of kubeadm-config that succeeded.
	read *phases.Networking

	once sync.Once
	kc   *clientcmdapi.Config
	err  error
}

// attach gives node every cluster hook its host left unset. A host that
// brings its own ClusterEndpoint stands for a test's fake cluster: it gets
// no imageRepository or container-runtime hook of ours either, so a fake
// join never reaches a real apiserver or CRI.
func (c *clusterInfo) attach(node *phases.Node) {
	if node.ClusterNetworking == nil {
		node.ClusterNetworking = c.networking
	}
	if node.ClusterEndpoint != nil {
		return
	}
	node.ClusterEndpoint = c.endpoint
	if node.ImageRepository == nil {
		node.ImageRepository = c.imageRepository
	}
	if node.ContainerRuntime == nil {
		node.ContainerRuntime = c.containerRuntime
	}
}

// discover runs upstream's discovery through vip once and returns its
// kubeconfig (the bootstrap token's credentials, or the discovery file's).
func (c *clusterInfo) discover(vip netip.AddrPort) (*clientcmdapi.Config, error) {
	c.once.Do(func() { c.kc, c.err = discover(c.fs, c.cfgPath, vip) })
	return c.kc, c.err
}

// endpoint is the server that cluster-info publishes: the endpoint the
// kubelet will use.
func (c *clusterInfo) endpoint(vip netip.AddrPort) (string, error) {
	kc, err := c.discover(vip)
	if err != nil {
		return "", err
	}
	_, cluster, err := kubeconfigutil.GetClusterFromKubeConfig(kc)
	if err != nil {
		return "", err
	}
	return cluster.Server, nil
}

// imageRepository is the cluster's imageRepository from the address
// check's read of kubeadm-config. The phase asks only after that check
// has read it (or has said there are no credentials to read it with, which
// a read now says again without trying discovery); should the check not
// have run, kubeadm-config is read now, through the join endpoint (the VIP).
func (c *clusterInfo) imageRepository(netip.AddrPort) (string, error) {
	if c.read != nil {
		return c.read.ImageRepository, nil
	}
	n, err := c.networking("")
	return n.ImageRepository, err
}

// containerRuntime connects kubeadm's container runtime client to the
// join's CRI socket.
func (c *clusterInfo) containerRuntime() (phases.ImageRuntime, error) {
	return connectCRI(c.criSocket)
}

// connectCRI connects kubeadm's container runtime client to the join's CRI
// socket (--cri-socket or nodeRegistration.criSocket), detecting it like
// kubeadm when none is given.
func connectCRI(socket string) (phases.ImageRuntime, error) {
	if socket == "" {
		s, err := utilruntime.DetectCRISocket()
		if err != nil {
			return nil, fmt.Errorf("%w; pass --%s (nodeRegistration.criSocket with --config)", err, flagCRISocket)
		}
		socket = s
	}
	rt := utilruntime.NewContainerRuntime(socket)
	if err := rt.Connect(); err != nil {
		return nil, fmt.Errorf("%s: %w", socket, err)
	}
	return rt, nil
}

// discover runs upstream's discovery (token or file, with CA pinning when
// configured) through the VIP and returns the kubeconfig it built from
// cluster-info.
func discover(fs *pflag.FlagSet, cfgPath string, vip netip.AddrPort) (*clientcmdapi.Config, error) {
	cfg, err := loadJoinConfiguration(fs, cfgPath, vip.String())
	if err != nil {
		return nil, err
	}
	if cfg.Discovery.BootstrapToken != nil {
		cfg.Discovery.BootstrapToken.APIServerEndpoint = vip.String()
	}
	return discovery.For(nil, cfg)
}

// loadJoinConfiguration is the join's discovery settings as upstream reads
// them: from the --config file (our filtered copy), else from the flags
// with endpoint as the bootstrap-token endpoint.
func loadJoinConfiguration(fs *pflag.FlagSet, cfgPath, endpoint string) (*kubeadmapi.JoinConfiguration, error) {
	ext := &kubeadmapiv1.JoinConfiguration{}
	if cfgPath == "" {
		token := flagString(fs, flagToken)
		discToken := flagString(fs, flagDiscToken)
		if discToken == "" {
			discToken = token
		}
		ext.Discovery.TLSBootstrapToken = flagString(fs, flagTLSBootstrap)
		if ext.Discovery.TLSBootstrapToken == "" {
			ext.Discovery.TLSBootstrapToken = token
		}
		if file := flagString(fs, flagDiscFile); file != "" {
			ext.Discovery.File = &kubeadmapiv1.FileDiscovery{KubeConfigPath: file}
		} else {
			ext.Discovery.BootstrapToken = &kubeadmapiv1.BootstrapTokenDiscovery{
				APIServerEndpoint:        endpoint,
				Token:                    discToken,
				CACertHashes:             flagSlice(fs, flagDiscCAHash),
				UnsafeSkipCAVerification: flagBool(fs, flagDiscSkipCA),
			}
		}
		kubeadmscheme.Scheme.Default(ext)
	}
	return configutil.LoadOrDefaultJoinConfiguration(cfgPath, ext, configutil.LoadOrDefaultConfigurationOptions{SkipCRIDetect: true})
}
