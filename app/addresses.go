package app

import (
	"fmt"
	"net/netip"
	"strings"

	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"

	"github.com/sealkube/kubeadm/app/locallbconfig"
	"github.com/sealkube/kubeadm/internal/subnets"
)

// Issue 17: kube-proxy in nftables mode drops traffic to unallocated
// addresses of the service range after DNAT, so a node address inside the
// service subnet is cut off (a master's apiserver; on a worker, the master
// behind the load balancer). init checks its addresses before upstream runs.
//
// "Did the user set serviceSubnet?" is answered from what the user wrote,
// not from the defaulted value: the --service-cidr flag's Changed bit, or
// the presence of networking.serviceSubnet in the raw ClusterConfiguration
// document. The scheme's defaulting function (app/defaults.go) cannot tell:
// init's flag default is itself computed from a defaulted configuration and
// bound to the field, so the defaulter sees "10.96.0.0/12" either way; and
// it runs without the node's addresses (the advertise address is detected
// later, in upstream's dynamic defaults) and for configs read back from the
// cluster.

// addressInput is what init knows about its addresses and subnets from the
// user's flags or config file, before upstream's defaults.
type addressInput struct {
	// advertise is the advertise address as given ("" auto-detects);
	// advertiseWhere names the flag or field.
	advertise, advertiseWhere string
	// endpoint is controlPlaneEndpoint, host[:port].
	endpoint, endpointWhere string
	vip                     netip.Addr
	// services is the service subnet list as the user wrote it; "" means
	// unset: upstream's default applies, and we may choose a smaller block.
	services, servicesWhere string
	pods, podsWhere         string
	// setServiceHow tells the user how to set the service subnet.
	setServiceHow string
	// keepDefault: this command cannot be told another service subnet (an
	// `init phase` without --service-cidr or --config), so upstream's
	// default stays and only the pod subnet is checked.
	keepDefault bool
}

// resolveAdvertise resolves an advertise address exactly as upstream init
// does (an empty one is the address of the default route's interface); ok
// is false when upstream would fail on it, which upstream then reports.
func resolveAdvertise(s string) (netip.Addr, bool) {
	ep := &kubeadmapi.APIEndpoint{AdvertiseAddress: s}
	if err := configutil.SetAPIEndpointDynamicDefaults(ep); err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(ep.AdvertiseAddress)
	return a, err == nil
}

// planAddresses checks the node's addresses against the subnets: an
// address inside an explicitly set subnet is an error; when the service
// subnet is upstream's default and holds one of them, it picks the largest
// block at the default's start that holds none (plan.chosen, plan.note).
func planAddresses(in addressInput, resolve func(string) (netip.Addr, bool)) (initPlan, error) {
	plan := initPlan{vip: in.vip}
	var err error
	if plan.pods, err = subnets.Parse(in.podsWhere, in.pods); err != nil {
		return plan, err
	}
	explicit := strings.TrimSpace(in.services) != ""
	svc := in.services
	if !explicit {
		svc = kubeadmapiv1.DefaultServicesSubnet
	}
	if plan.services, err = subnets.Parse(in.servicesWhere, svc); err != nil {
		return plan, err
	}

	var nodeAddrs []subnets.Address
	if a, ok := resolve(in.advertise); ok {
		what := "the API server advertise address, " + in.advertiseWhere
		if strings.TrimSpace(in.advertise) == "" {
			what = "the API server advertise address, auto-detected from the default route (set " + in.advertiseWhere + " to choose another)"
		}
		nodeAddrs = append(nodeAddrs, subnets.Address{IP: a, What: what})
	}
	if h := endpointHost(in.endpoint); h != "" {
		if a, err := netip.ParseAddr(h); err == nil {
			nodeAddrs = append(nodeAddrs, subnets.Address{IP: a, What: "the controlPlaneEndpoint, " + in.endpointWhere})
		}
	}
	vipAddr := subnets.Address{IP: in.vip, What: "the node-local load balancer's VIP"}
	all := append(append([]subnets.Address(nil), nodeAddrs...), vipAddr)

	// The pod subnet has no default: every pod subnet is the user's.
	if o := subnets.Find(all, plan.pods); len(o) > 0 {
		fix := fmt.Sprintf("set %s to a range that holds none of the node addresses, or use addresses outside it", in.podsWhere)
		if o[0].Address.IP == in.vip {
			fix = fmt.Sprintf("choose a VIP outside the pod subnet (vip in the %s document) or another pod subnet (%s)", locallbconfig.Kind, in.podsWhere)
		}
		return plan, fmt.Errorf("%s %s inside the pod subnet %s (%s): pods would get it as their address; %s",
			subnets.Describe(o), subnets.Lie(o), o[0].Subnet, in.podsWhere, fix)
	}

	if in.keepDefault {
		return plan, nil
	}
	if explicit {
		// The VIP may stay inside an explicit service subnet: kube-proxy's
		// check runs after DNAT, and the load balancer turns VIP:port into
		// a master's address first; init reserves the VIP as a ClusterIP.
		if o := subnets.Find(nodeAddrs, plan.services); len(o) > 0 {
			fix := fmt.Sprintf("set %s to a range that holds none of the node addresses", in.servicesWhere)
			if free, ok := subnets.LargestFreeBlock(o[0].Subnet, subnets.SmallestDefaultBits, all); ok {
				fix += fmt.Sprintf(" (e.g. %s)", free)
			}
			return plan, fmt.Errorf("%s %s inside the service subnet %s (%s): kube-proxy in nftables mode drops traffic to service addresses that no Service holds, which cuts this control-plane address off; %s, or use addresses outside it",
				subnets.Describe(o), subnets.Lie(o), o[0].Subnet, in.servicesWhere, fix)
		}
		return plan, nil
	}

	def := plan.services[0]
	inside := subnets.Find(all, plan.services)
	if len(inside) == 0 {
		return plan, nil
	}
	block, ok := subnets.LargestFreeBlock(def, subnets.SmallestDefaultBits, all)
	if !ok {
		return plan, fmt.Errorf("the default service subnet %s holds %s, and so does every block down to /%d at its start: kube-proxy in nftables mode would drop traffic to them; %s to a range that holds none of the node addresses",
			def, subnets.Describe(inside), subnets.SmallestDefaultBits, in.setServiceHow)
	}
	plan.services = []netip.Prefix{block}
	plan.chosen = true
	plan.note = fmt.Sprintf("[networking] Using the service subnet %s instead of the default %s, which holds %s: kube-proxy in nftables mode drops traffic to service addresses that no Service holds. The kubernetes Service stays %s and cluster DNS %s. To choose yourself, %s.",
		block, def, subnets.Describe(inside), nthAddr(block, 1), nthAddr(block, 10), in.setServiceHow)
	return plan, nil
}

// nthAddr is the n-th address of p (kubeadm's kubernetes Service is the
// first, cluster DNS the tenth).
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a
}
