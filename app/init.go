package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	kubeconfigutil "k8s.io/kubernetes/cmd/kubeadm/app/util/kubeconfig"

	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/internal/subnets"
	"github.com/sealkube/kubeadm/locallb"
)

// Upstream init flags we read or extend.
const (
	flagCertSANs       = "apiserver-cert-extra-sans"
	flagControlPlaneEP = "control-plane-endpoint"
	flagServiceCIDR    = "service-cidr"
	flagPodCIDR        = "pod-network-cidr"
	flagAdvertise      = "apiserver-advertise-address"
)

const (
	// ReservationName is the Service that holds the VIP as its ClusterIP so
	// the apiserver never gives the VIP to another Service.
	ReservationName = "kube-locallb-vip"
	// reservationPort is deliberately not the VIP's port: kube-proxy
	// programs only ClusterIP:port pairs, so VIP:6443 stays with the
	// node-local IPVS virtual server and lvscare's health checks.
	reservationPort = 1
)

// initPlan is what our init extension derived from flags or the config.
type initPlan struct {
	vip netip.Addr
	// services is the service subnet the cluster gets: the user's, upstream's
	// default, or (chosen) our block in place of the default.
	services []netip.Prefix
	pods     []netip.Prefix
	chosen   bool
	// note is the line that says what was chosen and why.
	note string
}

// extendInit adds the VIP, 127.0.0.1 and the controlPlaneEndpoint host to
// the apiserver certificate (without them a worker's discovery through the
// VIP fails with x509), excludes VIP/32 from kube-proxy's IPVS cleanup when
// it runs in ipvs mode, checks the node's addresses against the service and
// pod subnets (choosing a smaller default service subnet when upstream's
// holds one of them, see addresses.go), and after a successful init
// reserves a VIP that lies in the service subnet. Every `init phase`
// subcommand gets the same configuration.
func extendInit(root *cobra.Command, host Host) error {
	initCmd, err := findCommand(root, "init")
	if err != nil {
		return err
	}
	if initCmd.RunE == nil || initCmd.Flags().Lookup(flagCertSANs) == nil {
		return fmt.Errorf("upstream 'kubeadm init' has no RunE or no --%s: the pinned kubeadm changed", flagCertSANs)
	}
	upstream := initCmd.RunE
	initCmd.RunE = func(cmd *cobra.Command, args []string) error {
		plan, restore, err := prepareInit(cmd, host)
		defer restore()
		if err != nil {
			return err
		}
		if err := upstream(cmd, args); err != nil {
			return err
		}
		if !plan.inServiceSubnet() {
			return nil
		}
		dryRun := flagBool(cmd.Flags(), flagDryRun)
		if dryRun {
			fmt.Fprintf(host.Node.Out, "[locallb] Would reserve the VIP %s in the service subnet as ClusterIP of Service %s/%s (port %d, no endpoints)\n", plan.vip, metav1.NamespaceSystem, ReservationName, reservationPort)
			return nil
		}
		client, err := kubeconfigutil.ClientSetFromFile(kubeadmconstants.GetAdminKubeConfigPath())
		if err != nil {
			return fmt.Errorf("[locallb] reserving the VIP %s: %w", plan.vip, err)
		}
		return ReserveVIP(context.Background(), client, plan.vip, host.Node.Out)
	}
	phaseCmd, err := findCommand(root, "init", "phase")
	if err != nil {
		return err
	}
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if c.RunE != nil {
			inner := c.RunE
			c.RunE = func(cmd *cobra.Command, args []string) error {
				_, restore, err := prepareInit(cmd, host)
				defer restore()
				if err != nil {
					return err
				}
				return inner(cmd, args)
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(phaseCmd)
	return nil
}

func (p initPlan) inServiceSubnet() bool {
	for _, s := range p.services {
		if s.Contains(p.vip) {
			return true
		}
	}
	return false
}

// prepareInit amends the flags or gives upstream an amended --config copy,
// and prints what it chose.
func prepareInit(cmd *cobra.Command, host Host) (initPlan, func(), error) {
	plan, restore, err := amendInit(cmd, host)
	if err == nil && plan.note != "" {
		fmt.Fprintln(host.Node.Out, plan.note)
	}
	return plan, restore, err
}

func amendInit(cmd *cobra.Command, host Host) (initPlan, func(), error) {
	inv := &joinInvocation{}
	fs := cmd.Flags()
	var plan initPlan
	if cfgPath := flagString(fs, flagConfig); cfgPath != "" {
		data, err := os.ReadFile(cfgPath)
		if err != nil || upstreamRefuses(data, "InitConfiguration", "ClusterConfiguration") {
			// Upstream fails on the file before init does anything:
			// leave it as it is, so the user reads upstream's error (an
			// added ClusterConfiguration would change it, or make an
			// empty file acceptable).
			return plan, inv.cleanup, nil
		}
		file, err := locallbconfig.Parse(configShownPath(fs.Lookup(flagConfig)), data)
		if err != nil {
			return plan, inv.cleanup, err
		}
		if plan, err = AmendInitConfig(file, resolveAdvertise); err != nil {
			return plan, inv.cleanup, err
		}
		err = inv.useFilteredCopy(fs.Lookup(flagConfig), cfgPath, file.UpstreamBytes(), host)
		return plan, inv.cleanup, err
	}
	vip, err := vipAddr(locallbconfig.DefaultVIP)
	if err != nil {
		return plan, inv.cleanup, err
	}
	in := addressInput{
		advertise: flagString(fs, flagAdvertise), advertiseWhere: "--" + flagAdvertise,
		endpoint: flagString(fs, flagControlPlaneEP), endpointWhere: "--" + flagControlPlaneEP,
		vip:           vip,
		servicesWhere: "--" + flagServiceCIDR,
		pods:          flagString(fs, flagPodCIDR), podsWhere: "--" + flagPodCIDR,
		setServiceHow: "pass --" + flagServiceCIDR,
	}
	svcFlag := fs.Lookup(flagServiceCIDR)
	switch {
	case svcFlag == nil:
		in.keepDefault = true
	case svcFlag.Changed:
		in.services = svcFlag.Value.String()
	}
	if plan, err = planAddresses(in, resolveAdvertise); err != nil {
		return plan, inv.cleanup, err
	}
	if plan.chosen {
		old := svcFlag.Value.String()
		if err := svcFlag.Value.Set(subnets.Join(plan.services)); err != nil {
			return plan, inv.cleanup, err
		}
		inv.restores = append(inv.restores, func() { _ = svcFlag.Value.Set(old) })
	}
	if f := fs.Lookup(flagCertSANs); f != nil {
		sv := f.Value.(pflag.SliceValue)
		old := sv.GetSlice()
		sans := locallbconfig.AppendMissing(old, plan.vip.String(), "127.0.0.1", endpointHost(flagString(fs, flagControlPlaneEP)))
		if err := sv.Replace(sans); err != nil {
			return plan, inv.cleanup, err
		}
		inv.restores = append(inv.restores, func() { _ = sv.Replace(old) })
	}
	return plan, inv.cleanup, nil
}

// AmendInitConfig edits the documents of an init --config file in place:
// certSANs in the ClusterConfiguration (added when missing), the service
// subnet it chose when upstream's default holds a node address, and
// ipvs.excludeCIDRs in an ipvs-mode KubeProxyConfiguration. It returns the
// VIP and the subnets it checked; resolve is how advertise addresses are
// resolved (resolveAdvertise: upstream's way).
func AmendInitConfig(file *locallbconfig.File, resolve func(string) (netip.Addr, bool)) (initPlan, error) {
	var plan initPlan
	vip := locallbconfig.DefaultVIP
	if file.Ours != nil && file.Ours.VIP != "" {
		vip = file.Ours.VIP
	}
	vipIP, err := vipAddr(vip)
	if err != nil {
		return plan, fmt.Errorf("%s: %s vip: %w", file.Path, locallbconfig.Kind, err)
	}
	i := file.Find("ClusterConfiguration")
	if i < 0 {
		apiVersion := kubeadmapiv1.SchemeGroupVersion.String()
		if j := file.Find("InitConfiguration"); j >= 0 {
			apiVersion = file.Others[j].GVK.GroupVersion().String()
		}
		if err := file.Add(map[string]any{"apiVersion": apiVersion, "kind": "ClusterConfiguration"}); err != nil {
			return plan, err
		}
		i = len(file.Others) - 1
	}
	m, err := file.Fields(i)
	if err != nil {
		return plan, err
	}
	in := addressInput{
		advertiseWhere: "localAPIEndpoint.advertiseAddress in " + file.Path,
		endpoint:       locallbconfig.String(m, "controlPlaneEndpoint"), endpointWhere: "controlPlaneEndpoint in " + file.Path,
		vip:           vipIP,
		services:      locallbconfig.String(m, "networking", "serviceSubnet"),
		servicesWhere: "networking.serviceSubnet in " + file.Path,
		pods:          locallbconfig.String(m, "networking", "podSubnet"),
		podsWhere:     "networking.podSubnet in " + file.Path,
		setServiceHow: "set networking.serviceSubnet in " + file.Path,
	}
	if j := file.Find("InitConfiguration"); j >= 0 {
		im, err := file.Fields(j)
		if err != nil {
			return plan, err
		}
		in.advertise = locallbconfig.String(im, "localAPIEndpoint", "advertiseAddress")
	}
	if plan, err = planAddresses(in, resolve); err != nil {
		return plan, err
	}
	if plan.chosen {
		locallbconfig.SetString(m, subnets.Join(plan.services), "networking", "serviceSubnet")
	}
	sans := locallbconfig.AppendMissing(locallbconfig.StringSlice(m, "apiServer", "certSANs"),
		plan.vip.String(), "127.0.0.1", endpointHost(in.endpoint))
	locallbconfig.SetStringSlice(m, sans, "apiServer", "certSANs")
	if err := file.SetFields(i, m); err != nil {
		return plan, err
	}
	if k := file.Find("KubeProxyConfiguration"); k >= 0 {
		m, err := file.Fields(k)
		if err != nil {
			return plan, err
		}
		if strings.EqualFold(locallbconfig.String(m, "mode"), "ipvs") {
			// kube-proxy in ipvs mode deletes virtual servers it does not know
			// unless their address is excluded.
			excl := locallbconfig.AppendMissing(locallbconfig.StringSlice(m, "ipvs", "excludeCIDRs"), netip.PrefixFrom(plan.vip, plan.vip.BitLen()).String())
			locallbconfig.SetStringSlice(m, excl, "ipvs", "excludeCIDRs")
			if err := file.SetFields(k, m); err != nil {
				return plan, err
			}
		}
	}
	return plan, nil
}

func vipAddr(s string) (netip.Addr, error) {
	ap, err := locallb.ParseEndpoint(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr(), nil
}

// endpointHost is the host of a controlPlaneEndpoint "host[:port]".
func endpointHost(ep string) string {
	if ep == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(ep); err == nil {
		return h
	}
	return strings.Trim(ep, "[]")
}

// ReservationService is the selector-less Service that reserves vip.
func ReservationService(vip netip.Addr) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ReservationName,
			Namespace: metav1.NamespaceSystem,
			Labels:    map[string]string{"app.kubernetes.io/managed-by": "kubeadm", "app.kubernetes.io/component": "locallb"},
			Annotations: map[string]string{
				"locallb.sealkube.io/purpose": fmt.Sprintf("Reserves %s, the node-local load balancer's VIP, so no other Service gets it as ClusterIP. Port %d has no endpoints on purpose; do not delete.", vip, reservationPort),
			},
		},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: vip.String(),
			Ports:     []corev1.ServicePort{{Name: "reserved", Port: reservationPort, Protocol: corev1.ProtocolTCP}},
		},
	}
}

// ReserveVIP creates the reservation Service; an existing reservation of
// the same VIP is fine, a Service that already owns the VIP is an error.
func ReserveVIP(ctx context.Context, client clientset.Interface, vip netip.Addr, out interface{ Write([]byte) (int, error) }) error {
	svcs, err := client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("[locallb] listing Services to reserve the VIP %s: %w", vip, err)
	}
	for _, s := range svcs.Items {
		for _, ip := range append([]string{s.Spec.ClusterIP}, s.Spec.ClusterIPs...) {
			if ip != vip.String() {
				continue
			}
			if s.Namespace == metav1.NamespaceSystem && s.Name == ReservationName {
				fmt.Fprintf(out, "[locallb] The VIP %s is already reserved by Service %s/%s\n", vip, s.Namespace, s.Name)
				return nil
			}
			return fmt.Errorf("[locallb] the VIP %s is the ClusterIP of Service %s/%s, so traffic to it would not reach the apiservers: choose another VIP (vip in the %s document) or move that Service", vip, s.Namespace, s.Name, locallbconfig.Kind)
		}
	}
	_, err = client.CoreV1().Services(metav1.NamespaceSystem).Create(ctx, ReservationService(vip), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("[locallb] Service %s/%s exists with another ClusterIP than the VIP %s: delete it and run `kubeadm init` again, or reserve the VIP by hand", metav1.NamespaceSystem, ReservationName, vip)
	}
	if err != nil {
		return fmt.Errorf("[locallb] reserving the VIP %s as ClusterIP of Service %s/%s: %w", vip, metav1.NamespaceSystem, ReservationName, err)
	}
	fmt.Fprintf(out, "[locallb] Reserved the VIP %s (inside the service subnet) as ClusterIP of Service %s/%s\n", vip, metav1.NamespaceSystem, ReservationName)
	return nil
}
