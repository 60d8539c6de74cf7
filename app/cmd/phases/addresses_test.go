package phases

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/internal/subnets"
)

// withNetworking makes tn's cluster store n; failing lists the vias that
// cannot be read.
func withNetworking(tn *testNode, n Networking, failing ...string) *[]string {
	var vias []string
	tn.ClusterNetworking = func(via string) (Networking, error) {
		vias = append(vias, via)
		for _, f := range failing {
			if f == via {
				return Networking{}, errors.New("connection refused")
			}
		}
		return n, nil
	}
	return &vias
}

func TestRunLocalLBChecksAddresses(t *testing.T) {
	tests := []struct {
		name    string
		cfg     LocalLBConfig
		n       Networking
		failing []string
		// wantErr: the run fails before any change; else it proceeds.
		wantErr  []string
		wantOut  string
		wantVias []string
	}{
		{name: "seeds against the default /12", cfg: seeds, n: Networking{ServiceSubnet: "10.96.0.0/12"},
			wantErr:  []string{"10.103.97.200 (the master 10.103.97.200:6443), 10.103.97.201 (the master 10.103.97.201:6443) and 10.103.97.202 (the master 10.103.97.202:6443) lie", "inside the cluster's service subnet 10.96.0.0/12 (networking.serviceSubnet in the kubeadm-config ConfigMap)", "after the load balancer's DNAT", "give --master addresses outside 10.96.0.0/12"},
			wantVias: []string{"10.103.97.200:6443"}},
		{name: "seeds against the chosen /14", cfg: seeds, n: Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "100.64.0.0/10"},
			wantVias: []string{"10.103.97.200:6443"}},
		{name: "first master unreachable: the next one answers", cfg: seeds, n: Networking{ServiceSubnet: "10.96.0.0/14"}, failing: []string{"10.103.97.200:6443"},
			wantVias: []string{"10.103.97.200:6443", "10.103.97.201:6443"}},
		{name: "no master answers", cfg: seeds, failing: []string{"10.103.97.200:6443", "10.103.97.201:6443", "10.103.97.202:6443"},
			wantErr:  []string{"reading the cluster's service and pod subnets (kubeadm-config ConfigMap) from the masters before changing anything", "through 10.103.97.202:6443: connection refused", "check that the --master addresses"},
			wantVias: []string{"10.103.97.200:6443", "10.103.97.201:6443", "10.103.97.202:6443"}},
		{name: "dual-stack: an IPv6 master inside", cfg: LocalLBConfig{VIP: "[fd00::2]:6443", Masters: []string{"[fd00:1::10]:6443", "[fd00:10:96::10]:6443"}}, n: Networking{ServiceSubnet: "10.96.0.0/16,fd00:10:96::/112"},
			wantErr: []string{"fd00:10:96::10 (the master [fd00:10:96::10]:6443) lies inside the cluster's service subnet fd00:10:96::/112"}},
		{name: "a master in the pod subnet", cfg: seeds, n: Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "10.103.0.0/16"},
			wantErr: []string{"lie inside the cluster's pod subnet 10.103.0.0/16 (networking.podSubnet in the kubeadm-config ConfigMap)", "use addresses outside 10.103.0.0/16"}},
		{name: "the VIP in the pod subnet", cfg: LocalLBConfig{VIP: "10.244.0.2:6443", Masters: []string{"192.0.2.10:6443"}}, n: Networking{ServiceSubnet: "10.96.0.0/12", PodSubnet: "10.244.0.0/16"},
			wantErr: []string{"10.244.0.2 (the VIP 10.244.0.2:6443) lies inside the cluster's pod subnet 10.244.0.0/16"}},
		{name: "the VIP in the service subnet: reserved, not an error", cfg: LocalLBConfig{VIP: "10.103.97.2:6443", Masters: []string{"192.0.2.10:6443"}}, n: Networking{ServiceSubnet: "10.96.0.0/12"},
			wantOut: "[locallb] The VIP 10.103.97.2 lies inside the cluster's service subnet 10.96.0.0/12: it must stay reserved by Service kube-system/kube-locallb-vip"},
		{name: "a broken stored subnet is named", cfg: seeds, n: Networking{ServiceSubnet: "10.96.0.0"},
			wantErr: []string{`the cluster's networking.serviceSubnet in the kubeadm-config ConfigMap: "10.96.0.0" is not a CIDR`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			vias := withNetworking(tn, tt.n, tt.failing...)
			tt.cfg.SkipEtcHosts = true
			c, err := RunLocalLB(tt.cfg, tn.Node)
			defer c.Close()
			if tt.wantVias != nil && strings.Join(*vias, " ") != strings.Join(tt.wantVias, " ") {
				t.Errorf("read the subnets through %v, want %v", *vias, tt.wantVias)
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; output:\n%s", tn.out)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				if tn.opened != 0 || tn.manifestExists() || tn.hostsContent(t) != seedsHosts {
					t.Errorf("the node was touched before the check failed: opened=%d", tn.opened)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, tn.out)
			}
			if tn.opened != 1 || !tn.manifestExists() {
				t.Errorf("the phase did not proceed: opened=%d", tn.opened)
			}
			if !strings.Contains(tn.out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, tn.out)
			}
		})
	}
}

// `kubeadm join phase locallb` run alone, before the join (no token, no
// discovery file, no kubelet.conf): the phase warns and goes on.
func TestRunLocalLBChecksWithoutCredentials(t *testing.T) {
	tn := newTestNode(t)
	var vias []string
	tn.ClusterNetworking = func(via string) (Networking, error) {
		vias = append(vias, via)
		return Networking{}, ErrNoClusterCredentials
	}
	cfg := seeds
	cfg.SkipEtcHosts = true
	c, err := RunLocalLB(cfg, tn.Node)
	defer c.Close()
	if err != nil {
		t.Fatalf("%v\n%s", err, tn.out)
	}
	if len(vias) != 1 || tn.opened != 1 || !tn.manifestExists() {
		t.Errorf("read through %v, opened=%d: the phase should ask once and proceed", vias, tn.opened)
	}
	if !strings.Contains(tn.out.String(), "WARNING: no discovery token, discovery file or") {
		t.Errorf("no warning:\n%s", tn.out)
	}
}

func TestRunLocalLBChecksDryRunReadsNothing(t *testing.T) {
	tn := newTestNode(t)
	vias := withNetworking(tn, Networking{ServiceSubnet: "10.96.0.0/12"})
	cfg := seeds
	cfg.DryRun = true
	if _, err := RunLocalLB(cfg, tn.Node); err != nil {
		t.Fatal(err)
	}
	if len(*vias) != 0 || !strings.Contains(tn.out.String(), "[locallb] Would read the cluster's service and pod subnets from the kubeadm-config ConfigMap through 10.103.97.200:6443") {
		t.Errorf("dry run read through %v; output:\n%s", *vias, tn.out)
	}
}

func TestRunLocalLBChecksControlPlaneAdvertiseAddress(t *testing.T) {
	cp := func(addr string) LocalLBConfig {
		c := LocalLBConfig{VIP: "apiserver.cluster.local:6443", ControlPlane: true}
		if addr != "" {
			c.Advertise = subnets.Address{IP: netip.MustParseAddr(addr), What: "this node's advertise address, --apiserver-advertise-address"}
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     LocalLBConfig
		n       Networking
		failing bool
		wantErr []string
		wantOut string
	}{
		{name: "inside the stored service subnet", cfg: cp("10.103.97.201"), n: Networking{ServiceSubnet: "10.96.0.0/12"},
			wantErr: []string{"10.103.97.201 (this node's advertise address, --apiserver-advertise-address) lies inside the cluster's service subnet 10.96.0.0/12 (networking.serviceSubnet in the kubeadm-config ConfigMap)", "join with an advertise address outside 10.96.0.0/12"}},
		{name: "inside the stored pod subnet", cfg: cp("100.64.3.4"), n: Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "10.244.0.0/16,100.64.0.0/10"},
			wantErr: []string{"lies inside the cluster's pod subnet 100.64.0.0/10"}},
		{name: "outside", cfg: cp("10.103.97.201"), n: Networking{ServiceSubnet: "10.96.0.0/14", PodSubnet: "100.64.0.0/10"},
			wantOut: "Skipping: this node joins as a control-plane node"},
		{name: "unreadable: a warning, upstream's join reports it", cfg: cp("10.103.97.201"), failing: true,
			wantOut: "[locallb] WARNING: could not read the cluster's subnets to check the advertise address 10.103.97.201: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tn := newTestNode(t)
			var failing []string
			if tt.failing {
				failing = []string{""}
			}
			vias := withNetworking(tn, tt.n, failing...)
			c, err := RunLocalLB(tt.cfg, tn.Node)
			if c != nil || tn.opened != 0 {
				t.Errorf("a control-plane join must not touch the node")
			}
			if len(*vias) != 1 || (*vias)[0] != "" {
				t.Errorf("read through %q, want once through the join endpoint", *vias)
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; output:\n%s", tn.out)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				return
			}
			if err != nil || !strings.Contains(tn.out.String(), tt.wantOut) {
				t.Errorf("err %v; output lacks %q:\n%s", err, tt.wantOut, tn.out)
			}
		})
	}
}
