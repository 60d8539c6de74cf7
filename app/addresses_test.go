package app

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	"k8s.io/kubernetes/cmd/kubeadm/app/phases/controlplane"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"

	"github.com/sealkube/kubeadm/app/cmd/phases"
)

var seedsVIP = netip.MustParseAddr("10.103.97.2")

// flagsInput is an init without --config: the seeds' VIP and the given
// advertise address, endpoint and subnets.
func flagsInput(advertise, endpoint, services, pods string) addressInput {
	return addressInput{
		advertise: advertise, advertiseWhere: "--apiserver-advertise-address",
		endpoint: endpoint, endpointWhere: "--control-plane-endpoint",
		vip:      seedsVIP,
		services: services, servicesWhere: "--service-cidr",
		pods: pods, podsWhere: "--pod-network-cidr",
		setServiceHow: "pass --service-cidr",
	}
}

func TestPlanAddresses(t *testing.T) {
	tests := []struct {
		name string
		in   addressInput
		auto string // what auto-detection finds
		// want: the service subnet(s) the cluster gets, whether we chose it,
		// and whether the VIP needs a reservation.
		wantServices string
		wantChosen   bool
		wantReserve  bool
		wantNote     []string
		wantErr      []string
	}{
		{name: "seeds: default subnet shrinks to /14", in: flagsInput("10.103.97.200", "apiserver.cluster.local:6443", "", ""),
			wantServices: "10.96.0.0/14", wantChosen: true,
			wantNote: []string{"[networking] Using the service subnet 10.96.0.0/14 instead of the default 10.96.0.0/12", "10.103.97.200 (the API server advertise address, --apiserver-advertise-address) and 10.103.97.2 (the node-local load balancer's VIP)", "kubernetes Service stays 10.96.0.1 and cluster DNS 10.96.0.10", "pass --service-cidr"}},
		{name: "auto-detected advertise address", in: flagsInput("", "", "", ""), auto: "10.100.0.7",
			wantServices: "10.96.0.0/14", wantChosen: true, wantNote: []string{"10.100.0.7 (the API server advertise address, auto-detected from the default route (set --apiserver-advertise-address to choose another))"}},
		{name: "controlPlaneEndpoint IP in the upper /13", in: flagsInput("192.0.2.10", "10.104.0.1:6443", "", ""),
			wantServices: "10.96.0.0/14", wantChosen: true, wantNote: []string{"10.104.0.1 (the controlPlaneEndpoint, --control-plane-endpoint)"}},
		{name: "only the VIP inside the default: still chosen, no reservation", in: flagsInput("192.0.2.10", "apiserver.cluster.local:6443", "", ""),
			wantServices: "10.96.0.0/14", wantChosen: true},
		{name: "nothing inside: upstream's default untouched", in: addressInput{advertise: "192.0.2.10", vip: netip.MustParseAddr("169.254.100.2")},
			wantServices: "10.96.0.0/12"},
		{name: "explicit subnet equal to the default is an error", in: flagsInput("10.103.97.200", "", "10.96.0.0/12", ""),
			wantErr: []string{"10.103.97.200 (the API server advertise address, --apiserver-advertise-address) lies inside the service subnet 10.96.0.0/12 (--service-cidr)", "kube-proxy in nftables mode drops", "set --service-cidr to a range that holds none of the node addresses (e.g. 10.96.0.0/14)"}},
		{name: "explicit subnet: VIP inside is reserved", in: flagsInput("192.0.2.10", "", "10.96.0.0/12", ""),
			wantServices: "10.96.0.0/12", wantReserve: true},
		{name: "explicit subnet: endpoint IP inside", in: flagsInput("192.0.2.10", "10.96.200.1:6443", "10.96.0.0/16", ""),
			wantErr: []string{"10.96.200.1 (the controlPlaneEndpoint, --control-plane-endpoint) lies inside the service subnet 10.96.0.0/16", "(e.g. 10.96.0.0/17)"}},
		{name: "explicit subnet: no free block to suggest", in: flagsInput("10.96.0.5", "", "10.96.0.0/16", ""),
			wantErr: []string{"10.96.0.5 (the API server advertise address, --apiserver-advertise-address) lies inside the service subnet 10.96.0.0/16", "set --service-cidr to a range that holds none of the node addresses, or"}},
		{name: "dual-stack explicit: IPv6 advertise address", in: flagsInput("fd00:10:96::5", "", "10.96.0.0/16,fd00:10:96::/112", "10.244.0.0/16,fd00:10:244::/56"),
			wantErr: []string{"fd00:10:96::5 (the API server advertise address, --apiserver-advertise-address) lies inside the service subnet fd00:10:96::/112 (--service-cidr)"}},
		{name: "dual-stack explicit: addresses outside", in: flagsInput("fd00:1::5", "", "10.96.0.0/16,fd00:10:96::/112", "10.244.0.0/16,fd00:10:244::/56"),
			wantServices: "10.96.0.0/16,fd00:10:96::/112"},
		{name: "IPv6 only, explicit, VIP outside", in: addressInput{advertise: "fd00:1::5", vip: netip.MustParseAddr("fd00:2::2"), services: "fd00:10:96::/108", pods: "fd00:10:244::/56"},
			wantServices: "fd00:10:96::/108"},
		{name: "advertise address in the pod subnet", in: flagsInput("10.244.1.1", "", "", "10.244.0.0/16"),
			wantErr: []string{"10.244.1.1 (the API server advertise address, --apiserver-advertise-address) lies inside the pod subnet 10.244.0.0/16 (--pod-network-cidr)", "set --pod-network-cidr to a range that holds none of the node addresses, or use addresses outside it"}},
		{name: "VIP in the pod subnet", in: flagsInput("192.0.2.10", "", "", "10.100.0.0/14"),
			wantErr: []string{"10.103.97.2 (the node-local load balancer's VIP) lies inside the pod subnet 10.100.0.0/14", "choose a VIP outside the pod subnet"}},
		{name: "default: all blocks taken", in: flagsInput("10.96.0.200", "", "", ""),
			wantErr: []string{"the default service subnet 10.96.0.0/12 holds 10.96.0.200 (the API server advertise address, --apiserver-advertise-address) and 10.103.97.2", "every block down to /24", "pass --service-cidr to a range that holds none"}},
		{name: "phase without --service-cidr keeps the default", in: func() addressInput {
			in := flagsInput("10.103.97.200", "", "", "")
			in.keepDefault = true
			return in
		}(), wantServices: "10.96.0.0/12", wantReserve: true},
		{name: "bad subnet is named", in: flagsInput("192.0.2.10", "", "10.96.0.0/33", ""),
			wantErr: []string{`--service-cidr: "10.96.0.0/33" is not a CIDR`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auto := tt.auto
			if auto == "" {
				auto = "192.0.2.99"
			}
			plan, err := planAddresses(tt.in, advertiseAt(auto))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error; plan %+v", plan)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := joinPrefixes(plan.services); got != tt.wantServices || plan.chosen != tt.wantChosen || plan.inServiceSubnet() != tt.wantReserve {
				t.Errorf("services %s chosen %v reserve %v; want %s %v %v", got, plan.chosen, plan.inServiceSubnet(), tt.wantServices, tt.wantChosen, tt.wantReserve)
			}
			if (plan.note != "") != plan.chosen || strings.Contains(plan.note, "\n") {
				t.Errorf("note must be one line exactly when a subnet was chosen: %q", plan.note)
			}
			for _, w := range tt.wantNote {
				if !strings.Contains(plan.note, w) {
					t.Errorf("note %q\nlacks %q", plan.note, w)
				}
			}
		})
	}
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// fakeInit is upstream's command tree with init's RunE replaced by a
// recorder, extended by extendInit: it shows what upstream is handed.
type fakeInit struct {
	root *cobra.Command
	out  *bytes.Buffer
	ran  bool
	// serviceCIDR is the --service-cidr value upstream saw; cfg the
	// configuration upstream loaded from its --config copy.
	serviceCIDR string
	cfgPath     string
	cfgErr      error
	cfgText     string
}

func newFakeInit(t *testing.T) *fakeInit {
	t.Helper()
	f := &fakeInit{out: &bytes.Buffer{}}
	f.root = kubeadmcmd.NewKubeadmCommand(strings.NewReader(""), f.out, io.Discard)
	initCmd, _, _ := f.root.Find([]string{"init"})
	initCmd.RunE = func(cmd *cobra.Command, args []string) error {
		f.ran = true
		f.serviceCIDR, _ = cmd.Flags().GetString("service-cidr")
		if p, _ := cmd.Flags().GetString("config"); p != "" {
			b, err := os.ReadFile(p)
			f.cfgText, f.cfgErr = string(b), err
			f.cfgPath = p
		}
		return nil
	}
	if err := extendInit(f.root, Host{Node: phases.Node{Out: f.out}, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeInit) run(args ...string) error {
	f.root.SetArgs(args)
	f.root.SetOut(f.out)
	f.root.SetErr(f.out)
	return f.root.Execute()
}

// The seeds' runbook config: no serviceSubnet, masters in 10.103.97.x.
const seedsInit = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.103.97.200
nodeRegistration:
  name: master0
  criSocket: unix:///run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: apiserver.cluster.local:6443
networking:
  podSubnet: 100.64.0.0/10
`

func TestInitSeedsConfigGetsSmallerServiceSubnet(t *testing.T) {
	f := newFakeInit(t)
	cfgFile := writeConfig(t, seedsInit)
	if err := f.run("init", "--config", cfgFile, "--dry-run"); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if !f.ran || f.cfgErr != nil {
		t.Fatalf("upstream ran %v, config %v", f.ran, f.cfgErr)
	}
	lines := strings.Split(strings.TrimSpace(f.out.String()), "\n")
	if n := len(slices.DeleteFunc(lines, func(l string) bool { return !strings.HasPrefix(l, "[networking] ") })); n != 1 {
		t.Errorf("want one [networking] line, got %d:\n%s", n, f.out)
	}
	if !strings.Contains(f.out.String(), "Using the service subnet 10.96.0.0/14 instead of the default 10.96.0.0/12") {
		t.Errorf("output:\n%s", f.out)
	}
	if strings.Contains(f.out.String(), "reserve") {
		t.Errorf("the VIP is outside 10.96.0.0/14 and needs no reservation:\n%s", f.out)
	}
	// What upstream makes of its copy: the same loader, the manifests and
	// the ClusterConfiguration that upload-config stores.
	p := writeConfig(t, f.cfgText)
	cfg, err := configutil.LoadInitConfigurationFromFile(p, configutil.LoadOrDefaultConfigurationOptions{SkipCRIDetect: true})
	if err != nil {
		t.Fatalf("upstream cannot load its copy: %v\n%s", err, f.cfgText)
	}
	if cfg.Networking.ServiceSubnet != "10.96.0.0/14" {
		t.Errorf("stored serviceSubnet %q, want 10.96.0.0/14", cfg.Networking.ServiceSubnet)
	}
	pods := controlplane.GetStaticPodSpecs(&cfg.ClusterConfiguration, &cfg.LocalAPIEndpoint, nil)
	for _, c := range []string{kubeadmconstants.KubeAPIServer, kubeadmconstants.KubeControllerManager} {
		if cmd := pods[c].Spec.Containers[0].Command; !slices.Contains(cmd, "--service-cluster-ip-range=10.96.0.0/14") {
			t.Errorf("%s command lacks --service-cluster-ip-range=10.96.0.0/14: %q", c, cmd)
		}
	}
	if ip, _ := kubeadmconstants.GetAPIServerVirtualIP(cfg.Networking.ServiceSubnet); ip.String() != "10.96.0.1" {
		t.Errorf("kubernetes Service IP %s", ip)
	}
	if ip, _ := kubeadmconstants.GetDNSIP(cfg.Networking.ServiceSubnet); ip.String() != "10.96.0.10" {
		t.Errorf("cluster DNS IP %s", ip)
	}
}

func TestInitExplicitServiceSubnetIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"config", []string{"--config", writeConfig(t, strings.Replace(seedsInit, "networking:\n", "networking:\n  serviceSubnet: 10.96.0.0/12\n", 1))},
			[]string{"10.103.97.200 (the API server advertise address, localAPIEndpoint.advertiseAddress in ", "lies inside the service subnet 10.96.0.0/12 (networking.serviceSubnet in ", "(e.g. 10.96.0.0/14)"}},
		{"flags", []string{"--apiserver-advertise-address", "10.103.97.200", "--service-cidr", "10.96.0.0/12"},
			[]string{"10.103.97.200 (the API server advertise address, --apiserver-advertise-address) lies inside the service subnet 10.96.0.0/12 (--service-cidr)", "set --service-cidr to"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeInit(t)
			err := f.run(append([]string{"init", "--dry-run"}, tc.args...)...)
			if err == nil || f.ran {
				t.Fatalf("error %v, upstream ran %v: want an error before upstream", err, f.ran)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestInitFlagsGetSmallerServiceSubnet(t *testing.T) {
	f := newFakeInit(t)
	if err := f.run("init", "--dry-run", "--apiserver-advertise-address", "10.103.97.200", "--control-plane-endpoint", "apiserver.cluster.local:6443"); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if f.serviceCIDR != "10.96.0.0/14" || !strings.Contains(f.out.String(), "[networking] Using the service subnet 10.96.0.0/14") {
		t.Errorf("upstream saw --service-cidr %q; output:\n%s", f.serviceCIDR, f.out)
	}
	// The flag is restored after the run.
	initCmd, _, _ := f.root.Find([]string{"init"})
	if v, _ := initCmd.Flags().GetString("service-cidr"); v != "10.96.0.0/12" {
		t.Errorf("--service-cidr left at %q", v)
	}

	// Outside the default: upstream's default, no line; the VIP is
	// reserved (dry run: announced).
	f = newFakeInit(t)
	if err := f.run("init", "--dry-run", "--apiserver-advertise-address", "192.0.2.10", "--service-cidr", "10.96.0.0/12"); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if f.serviceCIDR != "10.96.0.0/12" || strings.Contains(f.out.String(), "[networking]") || !strings.Contains(f.out.String(), "[locallb] Would reserve the VIP 10.103.97.2") {
		t.Errorf("upstream saw --service-cidr %q; output:\n%s", f.serviceCIDR, f.out)
	}
}

// TestInitDryRunSeedsStampedBinary runs the stamped binary's real init in
// dry-run on the seeds' runbook config (no serviceSubnet): upstream's own
// code writes the manifests into the dry-run directory and prints the
// kubeadm-config it would store. Connections go to a refusing proxy, files
// to temporary directories.
func TestInitDryRunSeedsStampedBinary(t *testing.T) {
	rec := newConnectionRecorder(t)
	cfg, _ := pkiConfig(t, seedsInit)
	dir := t.TempDir()
	out, targets := rec.runKubeadm(t, []string{"KUBEADM_INIT_DRYRUN_DIR=" + dir}, "init", "--dry-run", "--config", cfg, "--skip-phases", "preflight")
	if len(targets) != 0 {
		t.Errorf("init --dry-run connected to %v", targets)
	}
	if n := strings.Count(out, "[networking] Using the service subnet 10.96.0.0/14 instead of the default 10.96.0.0/12"); n != 1 {
		t.Errorf("want the [networking] line once, got %d:\n%s", n, out)
	}
	for _, c := range []string{kubeadmconstants.KubeAPIServer, kubeadmconstants.KubeControllerManager} {
		b, err := os.ReadFile(filepath.Join(dir, c+".yaml"))
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(string(b), "--service-cluster-ip-range=10.96.0.0/14") {
			t.Errorf("%s manifest lacks --service-cluster-ip-range=10.96.0.0/14:\n%s", c, b)
		}
	}
	if !strings.Contains(out, "serviceSubnet: 10.96.0.0/14") {
		t.Errorf("the kubeadm-config ConfigMap upstream would store lacks serviceSubnet: 10.96.0.0/14:\n%s", out)
	}
	if strings.Contains(out, "10.96.0.0/12\n") || strings.Contains(out, "reserve the VIP") {
		t.Errorf("the default range or a VIP reservation leaked into the dry run:\n%s", out)
	}
}
