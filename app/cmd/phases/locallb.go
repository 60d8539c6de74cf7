// Package phases holds this distribution's workflow phases for kubeadm
// commands. Upstream builds each command's workflow runner privately, so
// package app runs these phases at the commands' cobra seams; the phases
// themselves know nothing of cobra.
package phases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/atomicfile"
	"github.com/sealkube/kubeadm/internal/etchosts"
	"github.com/sealkube/kubeadm/internal/subnets"
	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

const (
	// LocalLBName is the phase's name in `kubeadm join phase` and --skip-phases.
	LocalLBName = "locallb"
	// LocalLBShort is its one-line description in help texts.
	LocalLBShort = "Set up the node-local load balancer (IPVS virtual server and lvscare static pod) of a worker"
	// HostsMarker ends our /etc/hosts line, so reset removes exactly it.
	HostsMarker = "added by kubeadm join (locallb)"

	prefix = "[locallb] "
)

// LocalLBConfig is what the user asked for, from flags or the
// LocalLoadBalancerConfiguration document.
type LocalLBConfig struct {
	// VIP is the virtual server (the join endpoint), IP:port.
	VIP string
	// Masters are the control-plane apiservers; none disables the phase.
	Masters []string
	// Image is the lvscare image; empty follows the cluster's imageRepository
	// (manifests.ImageFor).
	Image string
	// SkipEtcHosts leaves /etc/hosts alone, for nodes whose resolver
	// already maps the cluster endpoint's name to the VIP.
	SkipEtcHosts bool
	// Backend is the kernel mechanism; "" is locallb.DefaultBackend.
	Backend locallb.Backend
	// Care is the lvscare daemon's settings (the document's care section).
	Care manifests.Care
	// ControlPlane: the node joins as a control-plane node.
	ControlPlane bool
	// Advertise is a control-plane join's API server advertise address,
	// resolved as upstream does; it is checked against the cluster's
	// subnets. The zero value skips the check.
	Advertise subnets.Address
	// AdoptSealos takes over the load balancer sealos set up on this node
	// (--adopt-sealos): its lvscare static pod, IPVS virtual server and
	// VIP route (adopt.go).
	AdoptSealos bool
	DryRun      bool
}

// KernelHandles are the opened handles on the node's load-balancing kernel
// state: the balancer (IPVS or nftables) and the routes (OpenKernel).
type KernelHandles struct {
	Backend  locallb.Backend
	Balancer locallb.Balancer
	Routes   locallb.RouteManager
	// Close releases them; may be nil.
	Close func()
}

// Node is where the phase acts. Paths and kernel access are fields so tests
// run without root against temporary files and fakes.
type Node struct {
	Out io.Writer
	// ManifestDir is the kubelet's static pod directory.
	ManifestDir string
	HostsPath   string
	// StatePath is the locallb.Installer record; "" is its default.
	StatePath string
	// ModulesLoadPath lists the IPVS kernel modules for systemd-modules-load,
	// so they are loaded at boot before the kubelet starts the care daemon
	// (our daemon image runs as non-root and cannot load modules itself).
	// "" skips it.
	ModulesLoadPath string
	// KubeletKubeconfig exists once the node has joined; its server is the
	// cluster endpoint, so a re-run needs no discovery (and no valid token).
	KubeletKubeconfig string
	// OpenKernel opens the backend's balancer and the route table.
	OpenKernel func(locallb.Backend) (KernelHandles, error)
	// ClusterEndpoint returns the server URL published in the cluster-info
	// ConfigMap, discovered (and verified) through vip.
	ClusterEndpoint func(vip netip.AddrPort) (string, error)
	// ClusterNetworking reads the cluster's subnets (and imageRepository)
	// from its kubeadm-config ConfigMap through the apiserver at via
	// (host:port; "" is the join endpoint), before the phase changes
	// anything. nil skips the checks.
	ClusterNetworking func(via string) (Networking, error)
	// ImageRepository returns the cluster's imageRepository from the
	// ClusterConfiguration in the kubeadm-config ConfigMap, read through
	// vip (or taken from ClusterNetworking's earlier read). Nil: the
	// cluster is not asked (the default image is used).
	ImageRepository func(vip netip.AddrPort) (string, error)
	// ContainerRuntime connects to the node's CRI, which is asked whether
	// the lvscare image is there. Nil skips the check.
	ContainerRuntime func() (ImageRuntime, error)
	// ImagePullTimeout bounds the pull of a missing image; 0 is
	// DefaultImagePullTimeout.
	ImagePullTimeout time.Duration
	// CareRunning reports whether the care daemon (the lvscare static pod)
	// still runs on this node; nil means it never does. Undo waits for it
	// to stop before removing the kernel rules, since the daemon restores
	// a missing virtual server within its restore period.
	CareRunning func() bool
	// CareStopTimeout bounds that wait; 0 is DefaultCareStopTimeout.
	CareStopTimeout time.Duration
	// CareQuiet is how long Undo and reset watch a removed virtual server
	// for a daemon that brings it back when the container runtime cannot
	// tell that no lvscare container runs (one without a health endpoint,
	// e.g. the public lvscare image); 0 is DefaultCareQuiet.
	CareQuiet time.Duration
	// CRISocket is the container runtime CareRuntime connects to; "" is
	// detected as kubeadm does.
	CRISocket string
	// CareRuntime connects to the node's CRI, asked what the lvscare image
	// runs as (which decides the pod's security context), whether the
	// pod's container starts, and whether an lvscare container still runs
	// before the rules are removed. Nil: never asked (the image's name
	// decides; undo and reset rely on CareRunning and the CareQuiet watch).
	CareRuntime func(criSocket string) (CareRuntime, error)
	// CareStartTimeout bounds the wait for the pod's container to run; 0
	// is DefaultCareStartTimeout.
	CareStartTimeout time.Duration
	// CommandRunning reports whether a process runs exactly this command
	// line: how a take-over of sealos' load balancer knows that its lvscare
	// (which has no health endpoint) has stopped. Nil: never waits.
	CommandRunning func(argv []string) bool
}

const (
	// CareHealthAddress is where our care daemon serves /healthz on the
	// node (the pod uses the host network).
	CareHealthAddress = care.DefaultMetricsAddress
	// DefaultCareStopTimeout covers the kubelet noticing the removed
	// manifest (inotify; a 20 s periodic rescan otherwise) and the pod's
	// 30 s default termination grace period.
	DefaultCareStopTimeout = 60 * time.Second
	// DefaultCareQuiet outlasts the public lvscare's 5 s re-create tick
	// (and thirty of our daemon's 200 ms restore periods). It is only
	// waited when the container runtime cannot say that no lvscare
	// container runs.
	DefaultCareQuiet = 6 * time.Second
	// DefaultCareStartTimeout covers the kubelet noticing a new manifest
	// (inotify; its 20 s periodic rescan otherwise) and starting the
	// container of an image already on the node (checkImage pulled it).
	DefaultCareStartTimeout = 60 * time.Second
)

// CareHealthAnswers reports whether a care daemon answers on
// CareHealthAddress. Any local user can listen on that loopback port: a
// listener that does not answer as a care daemon does (care.AskDaemon:
// its header names the virtual server) is not taken for one, so an undo
// or reset does not wait a minute for it to go away.
func CareHealthAnswers() bool { return careDaemonAnswers(CareHealthAddress) }

func careDaemonAnswers(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	a, err := care.AskDaemon(ctx, addr)
	if err != nil {
		klog.V(1).Infof("[locallb] %v: not taken for a care daemon", err)
		return false
	}
	if a.Listening && !a.IsDaemon() {
		klog.V(1).Infof("[locallb] %s is held by something that is not a care daemon (%s)", addr, a.Detail)
	}
	return a.IsDaemon()
}

// ImageRuntime is what the phase asks of the node's container runtime
// (kubeadm's utilruntime.ContainerRuntime has these methods).
type ImageRuntime interface {
	ImageExists(image string) bool
	// PullImage may block for long; the phase gives up after
	// ImagePullTimeout and calls Close, which must end it.
	PullImage(image string) error
	Close(ctx context.Context)
}

// DefaultImagePullTimeout is how long a join waits for the lvscare image to
// be pulled: enough for a small image from a reachable registry, short
// enough that an offline node does not stall its join.
const DefaultImagePullTimeout = 30 * time.Second

// DefaultNode is the real node: /etc/kubernetes, /etc/hosts, IPVS in the
// current network namespace. clusterEndpoint is the discovery hook.
func DefaultNode(out io.Writer, clusterEndpoint func(netip.AddrPort) (string, error)) Node {
	return Node{
		Out:               out,
		ManifestDir:       "/etc/kubernetes/manifests",
		HostsPath:         "/etc/hosts",
		StatePath:         locallb.DefaultStatePath,
		ModulesLoadPath:   DefaultModulesLoadPath,
		KubeletKubeconfig: "/etc/kubernetes/kubelet.conf",
		OpenKernel:        OpenKernel,
		ClusterEndpoint:   clusterEndpoint,
		CareRunning:       CareHealthAnswers,
		CareRuntime:       ConnectCareRuntime,
		CommandRunning:    CommandRunning,
	}
}

// DefaultModulesLoadPath is where the phase lists the IPVS modules.
const DefaultModulesLoadPath = "/etc/modules-load.d/kubeadm-locallb.conf"

// modulesLoadContent is the modules-load.d(5) file the phase writes.
func modulesLoadContent(b locallb.Backend) []byte {
	return []byte("# Written by kubeadm join (locallb) and removed by kubeadm reset: the kernel modules of the\n" +
		"# node-local " + b.Title() + " load balancer, loaded at boot.\n" + strings.Join(b.Modules(), "\n") + "\n")
}

// OpenKernel opens the backend's balancer and the netlink routes of the
// current network namespace; it fails, naming the other backend, when the
// kernel lacks this one. It runs on the host as root, so the kernel modules
// load with the host's modprobe when it has one (compressed modules on
// kernels older than 5.17 need it).
func OpenKernel(backend locallb.Backend) (KernelHandles, error) {
	b, err := locallb.NewBalancer(backend, locallb.BalancerOptions{Modules: locallb.HostKernelModules()})
	if err != nil {
		return KernelHandles{}, err
	}
	return KernelHandles{Backend: backend, Balancer: b, Routes: locallb.NewRoutes(nil), Close: b.Close}, nil
}

func (n Node) hosts() etchosts.File { return etchosts.File{Path: n.HostsPath, Marker: HostsMarker} }

func (n Node) installer(k KernelHandles) locallb.Installer {
	return locallb.Installer{Balancer: k.Balancer, Backend: k.Backend, Routes: k.Routes, StatePath: n.StatePath}
}

func (n Node) statePath() string {
	if n.StatePath == "" {
		return locallb.DefaultStatePath
	}
	return n.StatePath
}

func (n Node) printf(format string, args ...any) {
	fmt.Fprintf(n.Out, prefix+format+"\n", args...)
}

// Changes is what one run of the phase did to the node, so a failed join
// can undo exactly that: one transaction over kernel, record and files.
// Every change registers its undo step as it is made; Undo runs the steps
// in reverse, so the lvscare manifest (written after the kernel rules) is
// gone before the rules are removed.
type Changes struct {
	node   Node
	kernel KernelHandles
	vip    netip.AddrPort

	lb *locallb.Installed // what this run did to the kernel and the record

	manifestPath string
	// createdManifest: this run created the lvscare manifest, so a care
	// daemon may have started that Undo must wait for.
	createdManifest bool
	// wroteManifest: this run created or changed it.
	wroteManifest bool

	undo []undoStep
}

// undoStep reverts one change and says what it did.
type undoStep func() (undone []string, err error)

// restoreFileStep undoes a write of path: removes the file when old is nil
// (it did not exist), else writes old back.
func restoreFileStep(path string, old []byte, mode fs.FileMode) undoStep {
	return func() ([]string, error) {
		if old == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("removing %s: %w; remove it by hand", path, err)
			}
			return []string{"removed " + path}, nil
		}
		if _, err := atomicfile.WriteFile(path, old, mode); err != nil {
			return nil, fmt.Errorf("restoring the previous %s: %w", path, err)
		}
		return []string{"restored the previous " + path}, nil
	}
}

// readOld returns path's content, nil when it does not exist.
func readOld(path string) ([]byte, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return old, nil
}

// Close releases the kernel handles.
func (c *Changes) Close() {
	if c != nil && c.kernel.Close != nil {
		c.kernel.Close()
		c.kernel.Close = nil
	}
}

// RunLocalLB runs the locallb phase. It returns nil Changes when it changed
// nothing (skipped, nothing configured, dry run). On error it has already
// undone its own changes.
func RunLocalLB(cfg LocalLBConfig, node Node) (*Changes, error) {
	if cfg.ControlPlane {
		if err := checkControlPlane(cfg, node); err != nil {
			return nil, err
		}
		node.printf("Skipping: this node joins as a control-plane node and reaches the cluster through its own API server")
		return nil, nil
	}
	if len(cfg.Masters) == 0 {
		if cfg.AdoptSealos {
			return nil, fmt.Errorf("--%s needs the masters the load balancer balances over: pass them with --master (masters in the %s document), e.g. the --rs addresses in sealos' lvscare manifest %s", FlagAdoptSealos, documentKind, filepath.Join(node.ManifestDir, SealosManifests[0]))
		}
		klog.V(1).Info("[locallb] no masters configured: nothing to do")
		return nil, nil
	}
	e, warnings, err := locallb.ParseEndpoints(cfg.VIP, cfg.Masters)
	if err != nil {
		return nil, fmt.Errorf("node-local load balancer: %w", err)
	}
	for _, w := range warnings {
		node.printf("WARNING: %s", w)
	}
	if err := checkWorker(cfg, node, e); err != nil {
		return nil, fmt.Errorf("node-local load balancer: %w", err)
	}
	if cfg.Backend == "" {
		cfg.Backend = locallb.DefaultBackend
	}
	podOpts := manifests.Options{Image: cfg.Image, VIP: e.VIP, Masters: e.Masters, Backend: cfg.Backend, Care: cfg.Care}
	manifest, err := manifests.Render(podOpts)
	if err != nil {
		return nil, err
	}
	manifestPath := filepath.Join(node.ManifestDir, manifests.FileName)
	sealos, err := checkSealos(cfg, node, e)
	if err != nil {
		return nil, fmt.Errorf("node-local load balancer: %w", err)
	}
	if cfg.DryRun {
		if sealos != nil {
			dryRunSealos(node, e, sealos)
		}
		dryRun(cfg, node, e, manifestPath, manifest)
		return nil, nil
	}

	k, err := node.OpenKernel(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("node-local load balancer: %w", err)
	}
	c := &Changes{node: node, kernel: k, vip: e.VIP, manifestPath: manifestPath}
	if err := c.apply(cfg, e, podOpts, sealos); err != nil {
		undone, uerr := c.Undo()
		c.Close()
		if len(undone) > 0 {
			err = fmt.Errorf("%w (undone: %s)", err, strings.Join(undone, "; "))
		}
		if uerr != nil {
			err = fmt.Errorf("%w; undoing also failed: %v", err, uerr)
		}
		return nil, err
	}
	return c, nil
}

func dryRun(cfg LocalLBConfig, node Node, e locallb.Endpoints, manifestPath string, manifest []byte) {
	node.printf("Would program %s", cfg.Backend.Describe(e.VIP, joinAddrs(e.Masters)))
	node.printf("Would add a route for %s (proto %d) like the one to %s, if no route covers it", e.VIP.Addr(), locallb.RouteProtocol, e.Masters[0].Addr())
	node.printf("Would record the load balancer in %s", node.statePath())
	if node.ModulesLoadPath != "" {
		node.printf("Would list the kernel modules %s in %s so they load at boot", strings.Join(cfg.Backend.Modules(), ", "), node.ModulesLoadPath)
	}
	if node.ImageRepository != nil && !manifests.IsOurs(cfg.Image, "") {
		node.printf("Would read the cluster's imageRepository from the kubeadm-config ConfigMap through %s: the image %s when it is empty or %s, else <imageRepository>/%s:%s (the manifest below shows the default)",
			e.VIP, manifests.DefaultImage, manifests.UpstreamImageRepository, manifests.ImageName, manifests.ImageTag)
	}
	node.printf("Would write the static pod manifest %s:", manifestPath)
	fmt.Fprint(node.Out, indent(string(manifest)))
	if node.ContainerRuntime != nil {
		node.printf("Would check that the container runtime has the lvscare image and pull it if not (warning, not failing, when it cannot)")
	}
	if cfg.SkipEtcHosts {
		node.printf("Would leave %s alone (--skip-etc-hosts)", node.HostsPath)
		return
	}
	node.printf("Would read the cluster endpoint from the cluster-info ConfigMap through %s and, when it is a DNS name, map it to %s in %s with a line ending in %q", e.VIP, e.VIP.Addr(), node.HostsPath, "# "+HostsMarker)
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("\t" + l)
		}
	}
	return b.String()
}

func joinAddrs(as []netip.AddrPort) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func (c *Changes) apply(cfg LocalLBConfig, e locallb.Endpoints, podOpts manifests.Options, sealos *sealosPod) error {
	n := c.node
	var adoption *locallb.Adoption
	if sealos != nil {
		a, err := c.takeOverSealos(e, sealos)
		if err != nil {
			return fmt.Errorf("node-local load balancer: %w", err)
		}
		adoption = a
	}
	lb, err := n.installer(c.kernel).Adopt(e, adoption)
	if err != nil {
		return fmt.Errorf("node-local load balancer: %w", err)
	}
	c.lb = lb
	c.undo = append(c.undo, c.undoKernel)
	n.printf("%s virtual server %s balances over %s", cfg.Backend.Title(), e.VIP, joinAddrs(e.Masters))

	if err := c.writeModulesLoad(cfg.Backend); err != nil {
		return err
	}
	podOpts = c.withImageRepository(podOpts, e.VIP)
	// The image is fetched and inspected before the manifest is written:
	// what it runs as decides the pod's security context.
	image := podOpts.WithDefaultImage().Image
	n.checkImage(image)
	podOpts.ImageUser = n.imageUser(image, manifests.IsOurs(image, podOpts.ImageRepository))

	old, err := readOld(c.manifestPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(n.ManifestDir, 0o700); err != nil {
		return fmt.Errorf("creating the static pod directory: %w", err)
	}
	_, changed, err := manifests.Write(n.ManifestDir, podOpts)
	if err != nil {
		return err
	}
	if changed {
		c.createdManifest = old == nil
		c.undo = append(c.undo, restoreFileStep(c.manifestPath, old, manifests.FileMode))
		c.wroteManifest = true
		n.printf("Wrote the static pod manifest %s", c.manifestPath)
		// A joined node's kubelet runs and starts the pod now; a join's
		// kubelet starts later (CheckCareStarted).
		if n.KubeletKubeconfig != "" {
			if _, err := os.Stat(n.KubeletKubeconfig); err == nil {
				if err := n.checkCareStarts(c.manifestPath); err != nil {
					return err
				}
			}
		}
	} else {
		klog.V(1).Infof("[locallb] %s is up to date", c.manifestPath)
	}

	if cfg.SkipEtcHosts {
		n.printf("Leaving %s alone (--skip-etc-hosts): the cluster endpoint's name must resolve to %s on this node", n.HostsPath, e.VIP.Addr())
		return nil
	}
	server, source, err := c.clusterEndpoint(e.VIP)
	if err != nil {
		return err
	}
	name, err := HostsName(server, e.VIP)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if name == "" {
		n.printf("The cluster endpoint %s is the VIP itself; %s needs no entry", server, n.HostsPath)
		return nil
	}
	return c.mapName(name, e.VIP.Addr())
}

// clusterEndpoint is the server the kubelet will use: from the kubelet's
// kubeconfig when the node has joined already, else from discovery.
func (c *Changes) clusterEndpoint(vip netip.AddrPort) (server, source string, err error) {
	n := c.node
	if n.KubeletKubeconfig != "" {
		if kc, err := clientcmd.LoadFromFile(n.KubeletKubeconfig); err == nil {
			if ctx, ok := kc.Contexts[kc.CurrentContext]; ok {
				if cl, ok := kc.Clusters[ctx.Cluster]; ok && cl.Server != "" {
					klog.V(1).Infof("[locallb] cluster endpoint %s from %s", cl.Server, n.KubeletKubeconfig)
					return cl.Server, n.KubeletKubeconfig, nil
				}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("reading the cluster endpoint from %s: %w", n.KubeletKubeconfig, err)
		}
	}
	if n.ClusterEndpoint == nil {
		return "", "", errors.New("cannot learn the cluster endpoint: no discovery configured")
	}
	klog.V(1).Infof("[locallb] discovering the cluster endpoint through %s", vip)
	server, err = n.ClusterEndpoint(vip)
	if err != nil {
		return "", "", fmt.Errorf("reading the cluster endpoint from the cluster-info ConfigMap through the VIP %s: %w (the apiserver certificate must list %s: kubeadm init of this distribution adds it)", vip, err, vip.Addr())
	}
	return server, "cluster-info", nil
}

func (c *Changes) mapName(name string, vip netip.Addr) error {
	h := c.node.hosts()
	entries, err := h.Lookup(name)
	if err != nil {
		return err
	}
	var prev *netip.Addr // our previous line's address, when there was one
	for _, en := range entries {
		if en.Ours {
			a := en.Addr
			prev = &a
			break
		}
	}
	changed, err := h.Ensure(vip, name)
	if err != nil {
		return fmt.Errorf("mapping %s to the VIP: %w; or pass --skip-etc-hosts and make the name resolve to %s yourself", name, err, vip)
	}
	if changed {
		c.undo = append(c.undo, c.undoHosts(name, prev))
		c.node.printf("Mapped %s to %s in %s", name, vip, c.node.HostsPath)
	} else {
		c.node.printf("%s already maps %s to %s", c.node.HostsPath, name, vip)
	}
	return nil
}

// HostsName checks the cluster endpoint the kubelet will use against the
// VIP and returns the DNS name /etc/hosts must map to the VIP, or "" when
// the endpoint is the VIP itself.
func HostsName(server string, vip netip.AddrPort) (string, error) {
	if server == "" {
		return "", errors.New("the cluster endpoint is empty; set controlPlaneEndpoint (e.g. apiserver.cluster.local:6443) in the ClusterConfiguration")
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the cluster endpoint %q is not a URL like https://apiserver.cluster.local:6443", server)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	if p, err := strconv.Atoi(port); err != nil || p != int(vip.Port()) {
		return "", fmt.Errorf("the cluster endpoint %s uses port %s but the VIP is %s: the kubelet would miss the virtual server; join with the VIP on port %s", server, port, vip, port)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Unmap() == vip.Addr() {
			return "", nil
		}
		return "", fmt.Errorf("the cluster endpoint %s is the address %s, not the VIP %s, so the kubelet would bypass the node-local load balancer: initialise the cluster with a DNS name as controlPlaneEndpoint (e.g. apiserver.cluster.local:6443), or join with --skip-phases %s", server, host, vip.Addr(), LocalLBName)
	}
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(host)); len(errs) > 0 {
		return "", fmt.Errorf("the cluster endpoint %s has host %q, which is neither an IP address nor a DNS name: %s", server, host, strings.Join(errs, "; "))
	}
	return host, nil
}

// writeModulesLoad lists the IPVS modules for loading at boot.
func (c *Changes) writeModulesLoad(backend locallb.Backend) error {
	path := c.node.ModulesLoadPath
	if path == "" {
		return nil
	}
	old, err := readOld(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	changed, err := atomicfile.WriteFile(path, modulesLoadContent(backend), 0o644)
	if err != nil {
		return fmt.Errorf("writing %s (the IPVS modules to load at boot): %w", path, err)
	}
	if changed {
		c.undo = append(c.undo, restoreFileStep(path, old, 0o644))
		c.node.printf("Listed the kernel modules %s in %s so they load at boot", strings.Join(backend.Modules(), ", "), path)
	}
	return nil
}

// Undo reverts the run's changes and says what it undid, most recent first.
func (c *Changes) Undo() (undone []string, err error) {
	if c == nil {
		return nil, nil
	}
	var errs []error
	for i := len(c.undo) - 1; i >= 0; i-- {
		done, err := c.undo[i]()
		undone = append(undone, done...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	c.undo = nil
	return undone, errors.Join(errs...)
}

// withImageRepository asks the cluster for its imageRepository when the
// pod's image depends on it: no image given (the default follows it), or an
// image outside manifests.DefaultRepository (it is ours when it lies under
// the cluster's repository). Failing to read it is a warning, not an error:
// the default image is the fallback, and the check below says when the
// node cannot get it.
func (c *Changes) withImageRepository(o manifests.Options, vip netip.AddrPort) manifests.Options {
	n := c.node
	if n.ImageRepository == nil || manifests.IsOurs(o.Image, "") {
		return o
	}
	repo, err := n.ImageRepository(vip)
	if err != nil {
		if o.Image == "" {
			n.printf("WARNING: could not read the cluster's imageRepository from the kubeadm-config ConfigMap through %s (%v); using the default lvscare image %s. "+
				"If the cluster pulls its images from a mirror, pass --lvscare-image (or image in the LocalLoadBalancerConfiguration document)", vip, err, manifests.DefaultImage)
		} else {
			n.printf("WARNING: could not read the cluster's imageRepository from the kubeadm-config ConfigMap through %s (%v); treating %s as the public lvscare (root, SYS_MODULE, no liveness probe)", vip, err, o.Image)
		}
		return o
	}
	o.ImageRepository = repo
	if o.Image == "" {
		klog.V(1).Infof("[locallb] the cluster's imageRepository is %q: lvscare image %s", repo, manifests.ImageFor(repo))
	}
	return o
}

// checkImage asks the container runtime whether it has image and, if not,
// pulls it once, within ImagePullTimeout. A node that cannot get the image
// gets a warning with the fix, never a failed join: the virtual server
// already works, only its health checks wait for the pod.
func (n Node) checkImage(image string) {
	if n.ContainerRuntime == nil {
		return
	}
	warn := func(problem string, err error) {
		n.printf("WARNING: %s %s: %v. Without it the lvscare pod cannot start, and the load balancer forwards to every master without health checks. "+
			"Fix: import the image on this node (`ctr -n k8s.io images import lvscare-image.tar`; `make image` builds the archive), "+
			"or make it pullable: set imageRepository in the ClusterConfiguration to a registry that serves %s:%s, or pass --lvscare-image (image in the LocalLoadBalancerConfiguration document)",
			problem, image, err, manifests.ImageName, manifests.ImageTag)
	}
	rt, err := n.ContainerRuntime()
	if err != nil {
		warn("could not ask the container runtime about the lvscare image", err)
		return
	}
	closed := false
	closeRuntime := func() {
		if !closed {
			closed = true
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			rt.Close(ctx)
		}
	}
	defer closeRuntime()
	if rt.ImageExists(image) {
		klog.V(1).Infof("[locallb] the container runtime has the image %s", image)
		return
	}
	timeout := n.ImagePullTimeout
	if timeout <= 0 {
		timeout = DefaultImagePullTimeout
	}
	n.printf("Pulling the lvscare image %s (at most %s)", image, timeout)
	done := make(chan error, 1)
	go func() { done <- rt.PullImage(image) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err = <-done:
	case <-timer.C:
		closeRuntime() // ends the pull; do not wait for a runtime that ignores it
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		err = fmt.Errorf("the pull did not finish within %s", timeout)
	}
	if err != nil {
		warn("the container runtime does not have and could not pull the lvscare image", err)
		return
	}
	n.printf("Pulled the lvscare image %s", image)
}

// undoHosts restores our /etc/hosts line for name to prev, or removes it
// when there was none.
func (c *Changes) undoHosts(name string, prev *netip.Addr) undoStep {
	return func() ([]string, error) {
		n := c.node
		h := n.hosts()
		if prev != nil {
			if _, err := h.Ensure(*prev, name); err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("restored %s to map %s to %s", n.HostsPath, name, *prev)}, nil
		}
		removed, err := h.Remove()
		if err != nil || len(removed) == 0 {
			return nil, err
		}
		return []string{fmt.Sprintf("removed the %s line %q", n.HostsPath, strings.Join(removed, "; "))}, nil
	}
}

// undoKernel reverts the load balancer once no care daemon started by this
// run can bring its rules back (removeUnderStoppedCare). It waits only when
// this run created the lvscare manifest (removed by Undo before this): a
// restored previous manifest keeps its daemon, which restores nothing the
// previous run did not have.
func (c *Changes) undoKernel() ([]string, error) {
	return c.node.removeUnderStoppedCare(careRemoval{
		wait:     c.createdManifest,
		manifest: c.manifestPath,
		kernel:   c.kernel,
		vip:      c.vip,
		remove:   c.lb.UndoSteps,
		watch:    c.lb.CreatedVirtualServer(),
		rerecord: c.lb.Record,
		then:     "run `kubeadm reset`",
	})
}

func (n Node) careStopTimeout() time.Duration {
	if n.CareStopTimeout <= 0 {
		return DefaultCareStopTimeout
	}
	return n.CareStopTimeout
}

// waitStopped polls running until it reports false, for at most
// CareStopTimeout (the kubelet noticing a removed manifest and the pod's
// grace period); it reports whether it stopped.
func (n Node) waitStopped(running func() bool) bool {
	timeout := n.careStopTimeout()
	deadline := time.Now().Add(timeout)
	for running() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(min(100*time.Millisecond, timeout/10+time.Millisecond))
	}
	return true
}
