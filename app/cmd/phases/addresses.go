package phases

import (
	"errors"
	"fmt"
	"net/netip"

	"k8s.io/klog/v2"

	"github.com/sealkube/kubeadm/internal/subnets"
	"github.com/sealkube/kubeadm/locallb"
)

// Networking is a cluster's service and pod subnets as its kubeadm-config
// ConfigMap stores them (comma-separated lists, one per IP family), and
// its imageRepository, which the same read brings (the lvscare image
// follows it).
type Networking struct {
	ServiceSubnet, PodSubnet string
	ImageRepository          string
}

// ErrNoClusterCredentials: the join has neither discovery settings nor a
// joined node's kubeconfig (e.g. `kubeadm join phase locallb` run alone
// before the join), so the cluster's subnets cannot be read; the check is
// skipped with a warning.
var ErrNoClusterCredentials = errors.New("no credentials to read the cluster's kubeadm-config with")

const (
	storedServices = "networking.serviceSubnet in the kubeadm-config ConfigMap"
	storedPods     = "networking.podSubnet in the kubeadm-config ConfigMap"
)

func (n Networking) parse() (services, pods []netip.Prefix, err error) {
	if services, err = subnets.Parse("the cluster's "+storedServices, n.ServiceSubnet); err != nil {
		return nil, nil, err
	}
	pods, err = subnets.Parse("the cluster's "+storedPods, n.PodSubnet)
	return services, pods, err
}

// checkWorker reads the cluster's subnets through the masters themselves
// (nothing is programmed yet, so not through the VIP) and fails when a
// master or the VIP lies where kube-proxy or the pod network would take
// it. Issue 17: kube-proxy in nftables mode drops traffic to service
// addresses that no Service holds, in filter output after DNAT, so it sees
// the master's address our load balancer put there.
func checkWorker(cfg LocalLBConfig, node Node, e locallb.Endpoints) error {
	if node.ClusterNetworking == nil {
		klog.V(1).Info("[locallb] no access to the cluster's kubeadm-config: not checking the masters against its subnets")
		return nil
	}
	if cfg.DryRun {
		node.printf("Would read the cluster's service and pod subnets from the kubeadm-config ConfigMap through %s and check the masters and the VIP against them", joinAddrs(e.Masters))
		return nil
	}
	var n Networking
	var errs []error
	read := false
	for _, m := range e.Masters {
		var err error
		if n, err = node.ClusterNetworking(m.String()); errors.Is(err, ErrNoClusterCredentials) {
			node.printf("WARNING: no discovery token, discovery file or %s to read the cluster's service and pod subnets with: not checking the masters and the VIP against them", node.KubeletKubeconfig)
			return nil
		} else if err != nil {
			errs = append(errs, fmt.Errorf("through %s: %w", m, err))
			continue
		}
		read = true
		break
	}
	if !read {
		return fmt.Errorf("reading the cluster's service and pod subnets (kubeadm-config ConfigMap) from the masters before changing anything: %w; check that the --master addresses are the apiservers and reachable from this node, and the discovery token or file", errors.Join(errs...))
	}
	services, pods, err := n.parse()
	if err != nil {
		return err
	}
	masters := make([]subnets.Address, len(e.Masters))
	for i, m := range e.Masters {
		masters[i] = subnets.Address{IP: m.Addr(), What: "the master " + m.String()}
	}
	if o := subnets.Find(masters, services); len(o) > 0 {
		return fmt.Errorf("%s %s inside the cluster's service subnet %s (%s): kube-proxy in nftables mode drops traffic to service addresses that no Service holds, and it sees the master's address after the load balancer's DNAT, so this worker could not reach it; give --master addresses outside %s, or re-initialise the cluster with a serviceSubnet that holds none of them (this kubeadm's init chooses one when serviceSubnet is unset)",
			subnets.Describe(o), subnets.Lie(o), o[0].Subnet, storedServices, subnets.Join(services))
	}
	vip := subnets.Address{IP: e.VIP.Addr(), What: "the VIP " + e.VIP.String()}
	if o := subnets.Find(append(masters, vip), pods); len(o) > 0 {
		return fmt.Errorf("%s %s inside the cluster's pod subnet %s (%s): traffic to it would be routed to pods; use addresses outside %s for the masters and the VIP",
			subnets.Describe(o), subnets.Lie(o), o[0].Subnet, storedPods, subnets.Join(pods))
	}
	if o := subnets.Find([]subnets.Address{vip}, services); len(o) > 0 {
		// Not an error: the load balancer rewrites VIP:port before
		// kube-proxy's check runs; only another Service taking the VIP
		// would hurt, and kubeadm init reserves it.
		node.printf("The VIP %s lies inside the cluster's service subnet %s: it must stay reserved by Service kube-system/kube-locallb-vip (kubeadm init of this distribution creates it), so that no other Service gets it", e.VIP.Addr(), o[0].Subnet)
	}
	klog.V(1).Infof("[locallb] the masters and the VIP lie outside the cluster's service subnet %q and pod subnet %q", n.ServiceSubnet, n.PodSubnet)
	return nil
}

// checkControlPlane checks a control-plane join's advertise address against
// the subnets the cluster stored at init. A failure to read them is only a
// warning: upstream's join reads the same ConfigMap next and reports it.
func checkControlPlane(cfg LocalLBConfig, node Node) error {
	if node.ClusterNetworking == nil || !cfg.Advertise.IP.IsValid() {
		return nil
	}
	if cfg.DryRun {
		node.printf("Would check the advertise address %s against the cluster's service and pod subnets", cfg.Advertise.IP)
		return nil
	}
	n, err := node.ClusterNetworking("")
	if err != nil {
		node.printf("WARNING: could not read the cluster's subnets to check the advertise address %s: %v", cfg.Advertise.IP, err)
		return nil
	}
	services, pods, err := n.parse()
	if err != nil {
		return err
	}
	addr := []subnets.Address{cfg.Advertise}
	if o := subnets.Find(addr, services); len(o) > 0 {
		return fmt.Errorf("%s %s inside the cluster's service subnet %s (%s): kube-proxy in nftables mode drops traffic to service addresses that no Service holds, which would cut this API server off; join with an advertise address outside %s (--apiserver-advertise-address or controlPlane.localAPIEndpoint.advertiseAddress)",
			subnets.Describe(o), subnets.Lie(o), o[0].Subnet, storedServices, subnets.Join(services))
	}
	if o := subnets.Find(addr, pods); len(o) > 0 {
		return fmt.Errorf("%s %s inside the cluster's pod subnet %s (%s): traffic to it would be routed to pods; join with an advertise address outside %s (--apiserver-advertise-address or controlPlane.localAPIEndpoint.advertiseAddress)",
			subnets.Describe(o), subnets.Lie(o), o[0].Subnet, storedPods, subnets.Join(pods))
	}
	return nil
}
