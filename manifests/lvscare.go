// Package manifests renders and writes the lvscare static pod: the
// health-checker daemon that keeps the node-local IPVS virtual server's real
// servers in step with the masters' health. It uses k8s.io/api types only
// (no k8s.io/kubernetes), so it stays cheap to build and test.
package manifests

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/sealkube/kubeadm/care"
	"github.com/sealkube/kubeadm/internal/atomicfile"
	"github.com/sealkube/kubeadm/locallb"
)

const (
	// ImageName is our daemon's image name under an image repository.
	ImageName = "lvscare"
	// DefaultRepository is where our build of lvscare is published.
	DefaultRepository = "ghcr.io/sealkube/" + ImageName
	// ImageTag pins our image to the Kubernetes release it ships with (this
	// kubeadm's version); never :latest, so every node runs the same code.
	ImageTag = "v1.36.3"
	// DefaultImage is our build of lvscare at ImageTag.
	DefaultImage = DefaultRepository + ":" + ImageTag
	// UpstreamImageRepository is upstream kubeadm's default imageRepository
	// (kubeadm's constants.DefaultImageRepository; app checks they agree).
	// It does not host our image, so a cluster using it gets DefaultImage.
	UpstreamImageRepository = "registry.k8s.io"
	// PodName is the static pod's name; kubelet appends the node name.
	PodName = "kube-lvscare"
	// FileName is the manifest's name in the static pod directory.
	FileName = PodName + ".yaml"
	// FileMode keeps the manifest private, like kubeadm's own manifests.
	FileMode = 0o600

	// defaultHealthPath is the apiserver's readiness endpoint: it fails as
	// soon as the apiserver gets SIGTERM, while the apiserver keeps serving
	// for its --shutdown-delay-duration, so lvscare drains it first.
	defaultHealthPath   = care.DefaultHealthPath
	defaultHealthScheme = "https"
	// modulesDir is mounted for images that are not ours: the public lvscare
	// runs as root and may load the IPVS modules itself.
	modulesDir = "/lib/modules"
	// pkiDir holds the cluster CA (ca.crt) the daemon verifies masters with.
	pkiDir = "/etc/kubernetes/pki"
)

// daemonHealth is where our daemon serves care.HealthPath (the public
// lvscare has no such endpoint).
var daemonHealth = netip.MustParseAddrPort(care.DefaultMetricsAddress)

// ImageFor returns the lvscare image for a cluster's imageRepository, the
// way kubeadm derives its own images from it: DefaultImage when the
// repository is empty or upstream's default (which does not host our image),
// else <imageRepository>/lvscare:ImageTag, so a private mirror of an
// air-gapped cluster serves it next to kube-proxy and pause.
func ImageFor(imageRepository string) string {
	imageRepository = strings.TrimSuffix(imageRepository, "/")
	if imageRepository == "" || imageRepository == UpstreamImageRepository {
		return DefaultImage
	}
	return imageRepository + "/" + ImageName + ":" + ImageTag
}

// IsOurs tells by its name whether image is our build of the daemon (any
// tag or digest): from DefaultRepository, or from the cluster's
// imageRepository as ImageFor names it. It is the fallback for an image the
// container runtime does not have yet: Options.ImageUser, what the image
// is, decides first. Our image runs as non-root with NET_ADMIN only (the join lists
// the kernel modules for boot), and serves the liveness probe; any other
// image is treated as the public lvscare: root, may load modules from
// /lib/modules, no probe.
func IsOurs(image, imageRepository string) bool {
	repo := repositoryOf(image)
	return repo == DefaultRepository || repo == repositoryOf(ImageFor(imageRepository))
}

// ImageUser is what the container runtime says an image runs as (the User
// of its config, which the CRI's image status returns as uid or user name).
// It decides what the pod needs, since the kubelet refuses runAsNonRoot for
// an image whose user is root, and for one whose user is a name it cannot
// check (CreateContainerConfigError): a name is no evidence of either.
type ImageUser int

const (
	// ImageUserUnknown: the runtime was not asked or lacks the image; the
	// image's name decides (IsOurs).
	ImageUserUnknown ImageUser = iota
	// ImageUserRoot: uid 0, no user, or a user name: the image is run as
	// the public lvscare (root, SYS_MODULE, no liveness probe), whatever
	// its name, e.g. a mirrored public lvscare <imageRepository>/lvscare:v4.x.
	ImageUserRoot
	// ImageUserNonRoot: a numeric uid other than 0, as our image has
	// (65532): our daemon, whatever its name or registry.
	ImageUserNonRoot
)

// ImageUserOf classifies the CRI image status's uid: nil when the image's
// user is empty (root) or a name, which the kubelet cannot check against
// runAsNonRoot, so only a numeric non-zero uid is non-root.
func ImageUserOf(uid *int64) ImageUser {
	if uid != nil && *uid != 0 {
		return ImageUserNonRoot
	}
	return ImageUserRoot
}

// String names the classification for messages.
func (u ImageUser) String() string {
	switch u {
	case ImageUserRoot:
		return "root (or a user name)"
	case ImageUserNonRoot:
		return "a non-root uid"
	}
	return "unknown"
}

// repositoryOf strips the tag and digest from an image reference.
func repositoryOf(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// Options describes one lvscare static pod.
type Options struct {
	// Image defaults to ImageFor(ImageRepository); it must carry a tag or
	// digest.
	Image string
	// ImageRepository is the cluster's imageRepository (ClusterConfiguration),
	// "" when unknown. It names the default image, and an image under it
	// named lvscare counts as ours (see IsOurs).
	ImageRepository string
	// VIP is the node-local virtual server, Masters its real servers.
	VIP     netip.AddrPort
	Masters []netip.AddrPort
	// HealthPath and HealthScheme are how lvscare probes each master;
	// defaults /readyz and https (the apiserver's readiness endpoint).
	HealthPath   string
	HealthScheme string
	// Backend is the kernel load balancer the daemon programs; "" and
	// locallb.BackendIPVS render the public lvscare command unchanged,
	// locallb.BackendNFTables adds `--backend nftables` (our image only).
	Backend locallb.Backend
	// LivenessProbe is the kubelet's probe of the care daemon itself. Nil
	// means DefaultLivenessProbe for our image and none for other images.
	LivenessProbe *corev1.Probe
	// Care holds the daemon's probe settings and extra arguments; the zero
	// value renders the daemon's defaults.
	Care Care
	// ImageUser is what the container runtime says the image runs as; it
	// decides whether the image is ours, before its name does (see
	// Options.Ours).
	ImageUser ImageUser
}

// Care is what kubeadm passes to the care daemon beyond the VIP and the
// masters (the care section of the LocalLoadBalancerConfiguration
// document). Every field is a public lvscare flag, so it works with any
// image; ExtraArgs may hold more flags, which Render checks against the
// image that will run them.
type Care struct {
	// HealthPath is --health-path; "" is Options.HealthPath's default.
	HealthPath string
	// HealthStatus is --health-status: statuses (400-599) that count as
	// healthy besides those below 400.
	HealthStatus []int
	// Interval is --interval; 0 leaves the daemon's default.
	Interval time.Duration
	// HealthTimeout is --health-timeout; 0 leaves the daemon's default.
	HealthTimeout time.Duration
	// ExtraArgs are appended to the command line, e.g. --scheduler=wrr. They
	// may not repeat a flag kubeadm renders from the fields above.
	ExtraArgs []string
}

// renderedFlags are the care flags Command writes itself, with where their
// value comes from (for ExtraArgs errors).
var renderedFlags = map[string]string{
	"vs":             "the VIP (vip)",
	"rs":             "the masters (masters, --master)",
	"health-path":    "care.healthPath",
	"health-schem":   "the health scheme (https)",
	"health-status":  "care.healthStatus",
	"interval":       "care.interval",
	"health-timeout": "care.healthTimeout",
	"backend":        "backend (--locallb-backend)",
}

// WithDefaultImage returns o with its image filled in as Pod would.
func (o Options) WithDefaultImage() Options {
	if o.Image == "" {
		o.Image = ImageFor(o.ImageRepository)
	}
	return o
}

// Ours tells whether o's image (after defaults) is our build of the daemon:
// from what the image is when the runtime told (ImageUser: a non-root uid
// is ours, root is the public lvscare), else from its name (IsOurs).
func (o Options) Ours() bool {
	return o.withDefaults().ours()
}

// ours is Ours for o with its defaults applied.
func (o Options) ours() bool {
	switch o.ImageUser {
	case ImageUserNonRoot:
		return true
	case ImageUserRoot:
		return false
	}
	return IsOurs(o.Image, o.ImageRepository)
}

// DefaultLivenessProbe checks our daemon's /healthz on the node's loopback
// (the pod uses the host network), which fails when its loop is stuck.
func DefaultLivenessProbe() *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Host: daemonHealth.Addr().String(), Path: care.HealthPath, Port: intstr.FromInt32(int32(daemonHealth.Port())), Scheme: corev1.URISchemeHTTP,
		}},
		InitialDelaySeconds: 10,
		PeriodSeconds:       10,
		TimeoutSeconds:      5,
		FailureThreshold:    3,
	}
}

func (o Options) withDefaults() Options {
	if o.Image == "" {
		o.Image = ImageFor(o.ImageRepository)
	}
	if o.HealthPath == "" {
		o.HealthPath = o.Care.HealthPath
	}
	if o.HealthPath == "" {
		o.HealthPath = defaultHealthPath
	}
	if o.HealthScheme == "" {
		o.HealthScheme = defaultHealthScheme
	}
	if o.LivenessProbe == nil && o.ours() {
		o.LivenessProbe = DefaultLivenessProbe()
	}
	return o
}

func (o Options) validate() error {
	if !o.VIP.IsValid() || o.VIP.Port() == 0 {
		return fmt.Errorf("lvscare manifest: VIP %q must be IP:port", o.VIP)
	}
	if len(o.Masters) == 0 {
		return errors.New("lvscare manifest: no masters; pass at least one --master IP:port")
	}
	for i, m := range o.Masters {
		if !m.IsValid() || m.Port() == 0 {
			return fmt.Errorf("lvscare manifest: master #%d %q must be IP:port", i+1, m)
		}
	}
	if err := checkImage(o.Image); err != nil {
		return err
	}
	if _, err := locallb.ParseBackend(string(o.Backend)); err != nil {
		return fmt.Errorf("lvscare manifest: %w", err)
	}
	if o.HealthScheme != "http" && o.HealthScheme != "https" {
		return fmt.Errorf("lvscare manifest: health scheme %q: expected http or https", o.HealthScheme)
	}
	if o.HealthPath[0] != '/' {
		return fmt.Errorf("lvscare manifest: health path %q must start with /", o.HealthPath)
	}
	if o.Care.HealthPath != "" && o.Care.HealthPath != o.HealthPath {
		return fmt.Errorf("lvscare manifest: health path given twice (%q and care.healthPath %q): keep one", o.HealthPath, o.Care.HealthPath)
	}
	return o.validateCare()
}

// validateCare checks the care settings and refuses a command line the
// chosen image cannot run, saying what to change.
func (o Options) validateCare() error {
	c := o.Care
	for _, code := range c.HealthStatus {
		if code < 400 || code > 599 {
			return fmt.Errorf("lvscare manifest: care.healthStatus %d is not an HTTP error status: give codes from 400 to 599 (every status below 400 is healthy already)", code)
		}
	}
	if c.Interval < 0 {
		return fmt.Errorf("lvscare manifest: care.interval %s is negative: give e.g. 1s, or leave it unset for the daemon's default", c.Interval)
	}
	if c.HealthTimeout < 0 {
		return fmt.Errorf("lvscare manifest: care.healthTimeout %s is negative: give e.g. 400ms, or leave it unset for the daemon's default", c.HealthTimeout)
	}
	for _, a := range c.ExtraArgs {
		name, ok := flagName(a)
		if !ok {
			continue
		}
		if from, ours := renderedFlags[name]; ours {
			return fmt.Errorf("lvscare manifest: care.extraArgs %q: kubeadm writes --%s from %s; set it there instead", a, name, from)
		}
	}
	cmd := Command(o)
	if !o.ours() {
		fix := fmt.Sprintf("use our image (%s, or <imageRepository>/%s) or drop it", DefaultImage, ImageName)
		if b, _ := locallb.ParseBackend(string(o.Backend)); b != locallb.BackendIPVS {
			return fmt.Errorf("lvscare manifest: the image %s is not ours and runs public lvscare, which has no --backend (only IPVS): use our image (%s, or <imageRepository>/%s) or backend ipvs", o.imageDesc(), DefaultImage, ImageName)
		}
		ours, err := care.NonPublicFlags(c.ExtraArgs)
		if err != nil {
			return fmt.Errorf("lvscare manifest: care.extraArgs %q: %w; give lvscare care flags", c.ExtraArgs, err)
		}
		if len(ours) > 0 {
			return fmt.Errorf("lvscare manifest: care.extraArgs %q: --%s is not a public lvscare flag, and the image %s is not ours: %s", c.ExtraArgs, strings.Join(ours, ", --"), o.imageDesc(), fix)
		}
		return nil
	}
	cfg, err := care.CheckArgs(cmd[2:])
	if err != nil {
		return fmt.Errorf("lvscare manifest: the care daemon of %s would refuse its command line %q: %w; fix the care settings (the care section of the %s document)", o.Image, strings.Join(cmd, " "), err, "LocalLoadBalancerConfiguration")
	}
	if isDefaultProbe(o.LivenessProbe) {
		if cfg.MetricsAddress != care.DefaultMetricsAddress {
			return fmt.Errorf("lvscare manifest: care.extraArgs --metrics-address %q: the pod's liveness probe checks http://%s%s; leave --metrics-address out", cfg.MetricsAddress, care.DefaultMetricsAddress, care.HealthPath)
		}
	}
	return nil
}

// imageDesc names o's image for messages, with why it is not ours when the
// runtime said so despite its name.
func (o Options) imageDesc() string {
	if o.ImageUser == ImageUserRoot && IsOurs(o.Image, o.ImageRepository) {
		return o.Image + " (its user is root or a name, so it is run as the public lvscare)"
	}
	return o.Image
}

func isDefaultProbe(p *corev1.Probe) bool {
	d := DefaultLivenessProbe()
	return p != nil && p.HTTPGet != nil && p.HTTPGet.Port == d.HTTPGet.Port && p.HTTPGet.Host == d.HTTPGet.Host && p.HTTPGet.Path == d.HTTPGet.Path
}

// flagName is the long name of the flag in arg ("--name" or "--name=v"),
// or the long name of a public shorthand ("-C", "-i").
func flagName(arg string) (string, bool) {
	switch {
	case strings.HasPrefix(arg, "--") && len(arg) > 2:
		name, _, _ := strings.Cut(arg[2:], "=")
		return name, true
	case strings.HasPrefix(arg, "-") && len(arg) >= 2 && arg != "-":
		short := arg[1:2]
		if long, ok := care.PublicShorthands[short]; ok {
			return long, true
		}
		return "-" + short, true // not a public shorthand: never public
	}
	return "", false
}

// checkImage insists on an explicit tag (not latest) or a digest.
func checkImage(image string) error {
	if image == "" {
		return errors.New("lvscare manifest: empty image")
	}
	if i := len(image) - len("@sha256:") - 64; i > 0 && image[i:i+8] == "@sha256:" {
		return nil
	}
	slash, colon := -1, -1
	for i, c := range image {
		switch c {
		case '/':
			slash = i
		case ':':
			colon = i
		}
	}
	if colon < slash || colon == -1 {
		return fmt.Errorf("lvscare manifest: image %q has no tag; pin one, e.g. %s", image, DefaultImage)
	}
	if image[colon+1:] == "latest" {
		return fmt.Errorf("lvscare manifest: image %q uses :latest; pin a version, e.g. %s", image, DefaultImage)
	}
	return nil
}

// Command is lvscare's command line for o (the public lvscare CLI, whose
// scheme flag really is spelled --health-schem).
func Command(o Options) []string {
	o = o.withDefaults()
	cmd := []string{"lvscare", "care", "--vs", o.VIP.String()}
	for _, m := range o.Masters {
		cmd = append(cmd, "--rs", m.String())
	}
	cmd = append(cmd, "--health-path", o.HealthPath, "--health-schem", o.HealthScheme)
	if len(o.Care.HealthStatus) > 0 {
		codes := make([]string, len(o.Care.HealthStatus))
		for i, c := range o.Care.HealthStatus {
			codes[i] = strconv.Itoa(c)
		}
		cmd = append(cmd, "--health-status", strings.Join(codes, ","))
	}
	if o.Care.Interval > 0 {
		cmd = append(cmd, "--interval", o.Care.Interval.String())
	}
	if o.Care.HealthTimeout > 0 {
		cmd = append(cmd, "--health-timeout", o.Care.HealthTimeout.String())
	}
	// Only our daemon knows --backend; the default keeps the command the
	// public lvscare image accepts.
	if b, err := locallb.ParseBackend(string(o.Backend)); err == nil && b != locallb.BackendIPVS {
		cmd = append(cmd, "--backend", b.String())
	}
	return append(cmd, o.Care.ExtraArgs...)
}

// Pod builds the static pod for o.
func Pod(o Options) (*corev1.Pod, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	hostPathDirOrCreate := corev1.HostPathDirectoryOrCreate
	sc := &corev1.SecurityContext{
		Privileged:               ptr(false),
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities: &corev1.Capabilities{
			// NET_ADMIN: IPVS (generic netlink) and nftables (nfnetlink)
			// changes need CAP_NET_ADMIN. Health checks are plain
			// outbound TCP/TLS: no more.
			Add:  []corev1.Capability{"NET_ADMIN"},
			Drop: []corev1.Capability{"ALL"},
		},
	}
	mounts := []corev1.VolumeMount{{Name: "k8s-certs", MountPath: pkiDir, ReadOnly: true}}
	volumes := []corev1.Volume{{
		Name: "k8s-certs",
		VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
			Path: pkiDir, Type: &hostPathDirOrCreate,
		}},
	}}
	if o.ours() {
		// Our image runs as uid 65532: SYS_MODULE would stay in the
		// bounding set only, and the join already lists the modules in
		// /etc/modules-load.d, so it needs neither the capability nor
		// /lib/modules (which some nodes do not have).
		sc.RunAsNonRoot = ptr(true)
	} else {
		// The public lvscare runs as root and, after a reboot, may be the
		// first to need ip_vs/ip_vs_rr/nf_conntrack: it loads them from
		// the node's /lib/modules.
		hostPathDir := corev1.HostPathDirectory
		sc.Capabilities.Add = append(sc.Capabilities.Add, "SYS_MODULE")
		mounts = append([]corev1.VolumeMount{{Name: "lib-modules", MountPath: modulesDir, ReadOnly: true}}, mounts...)
		volumes = append([]corev1.Volume{{
			Name: "lib-modules",
			VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: modulesDir, Type: &hostPathDir,
			}},
		}}, volumes...)
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PodName,
			Namespace: metav1.NamespaceSystem,
			Labels:    map[string]string{"component": PodName, "tier": "node"},
		},
		Spec: corev1.PodSpec{
			HostNetwork:       true, // it programs the node's own IPVS
			PriorityClassName: "system-node-critical",
			Containers: []corev1.Container{{
				Name:            "lvscare",
				Image:           o.Image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         Command(o),
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse("10m"),
					corev1.ResourceMemory: resource.MustParse("16Mi"),
				}},
				LivenessProbe:   o.LivenessProbe,
				SecurityContext: sc,
				VolumeMounts:    mounts,
				// A crash's last log lines become the termination
				// message, so `kubectl describe pod` shows the reason.
				TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			}},
			Volumes: volumes,
		},
	}, nil
}

func ptr[T any](v T) *T { return &v }

// Render returns the manifest YAML for o.
func Render(o Options) ([]byte, error) {
	pod, err := Pod(o)
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(pod)
	if err != nil {
		return nil, fmt.Errorf("encoding the lvscare pod: %w", err)
	}
	return out, nil
}

// Write renders o into dir/FileName (mode FileMode) atomically. An
// unchanged manifest is not rewritten, so kubelet does not restart the pod;
// changed reports whether the file was written.
func Write(dir string, o Options) (path string, changed bool, err error) {
	data, err := Render(o)
	if err != nil {
		return "", false, err
	}
	path = filepath.Join(dir, FileName)
	changed, err = atomicfile.WriteFile(path, data, FileMode)
	if err != nil {
		return path, false, fmt.Errorf("writing the lvscare static pod manifest: %w", err)
	}
	return path, changed, nil
}
