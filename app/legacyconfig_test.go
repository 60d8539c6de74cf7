package app

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sealkube/kubeadm/app/locallbconfig"
)

// seedsConfig is the seeds' HA runbook kubeadm-config.yaml with only
// kubernetesVersion changed (see the file's header).
func seedsConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds-kubeadm-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedsMaster0 is the seeds' file for master0 in a test: a 2019-style
// v1beta1 InitConfiguration (the address kubeadm v1.14 would have detected,
// the runtime socket as a path) and certificates in a temporary directory.
func seedsMaster0(t *testing.T) (cfg, pki string) {
	t.Helper()
	pki = filepath.Join(t.TempDir(), "pki")
	content := strings.Replace(seedsConfig(t), "kubernetesVersion: v1.36.3\n", "kubernetesVersion: v1.36.3\ncertificatesDir: "+pki+"\n", 1)
	content += `---
apiVersion: kubeadm.k8s.io/v1beta1
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.103.97.200
nodeRegistration:
  name: master0
  criSocket: /run/containerd/containerd.sock
`
	return writeConfig(t, content), pki
}

// kubeadmErr runs kubeadm in this process and returns stdout, stderr and
// the error.
func kubeadmErr(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root, err := newCommand(strings.NewReader(""), &out, &errOut, testHost(t))
	if err != nil {
		t.Fatal(err)
	}
	root.SetArgs(args)
	root.SilenceErrors, root.SilenceUsage = true, true
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// documents splits YAML into documents keyed by kind.
func documents(t *testing.T, data string) map[string]map[string]any {
	t.Helper()
	f, err := locallbconfig.Parse("output", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]map[string]any{}
	for i, d := range f.Others {
		m, err := f.Fields(i)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := docs[d.GVK.Kind]; dup {
			t.Errorf("two %s documents in\n%s", d.GVK.Kind, data)
		}
		docs[d.GVK.Kind] = m
	}
	return docs
}

func TestLegacyConfigMigrateSeeds(t *testing.T) {
	seeds := writeConfig(t, seedsConfig(t))
	check := func(t *testing.T, out, errOut string) {
		t.Helper()
		if !strings.Contains(errOut, "[config] WARNING: "+seeds+" uses kubeadm.k8s.io/v1beta1") {
			t.Errorf("no conversion warning on stderr:\n%s", errOut)
		}
		if strings.Contains(errOut, "To convert the file once") {
			t.Errorf("migrate suggests itself:\n%s", errOut)
		}
		docs := documents(t, out)
		cc, ok := docs["ClusterConfiguration"]
		if !ok || cc["apiVersion"] != "kubeadm.k8s.io/v1beta4" {
			t.Fatalf("no v1beta4 ClusterConfiguration in\n%s", out)
		}
		if ep := locallbconfig.String(cc, "controlPlaneEndpoint"); ep != "apiserver.cluster.local:6443" {
			t.Errorf("controlPlaneEndpoint %q", ep)
		}
		sans := locallbconfig.StringSlice(cc, "apiServer", "certSANs")
		for _, want := range []string{"127.0.0.1", "apiserver.cluster.local", "172.20.241.205", "172.20.241.208", "10.103.97.2"} {
			if !slices.Contains(sans, want) {
				t.Errorf("certSANs %q lack %s", sans, want)
			}
		}
		kp, ok := docs["KubeProxyConfiguration"]
		if !ok || locallbconfig.String(kp, "mode") != "ipvs" || !slices.Equal(locallbconfig.StringSlice(kp, "ipvs", "excludeCIDRs"), []string{"10.103.97.2/32"}) {
			t.Errorf("the KubeProxyConfiguration (mode ipvs, excludeCIDRs 10.103.97.2/32) did not survive:\n%s", out)
		}
		if ic, ok := docs["InitConfiguration"]; ok && locallbconfig.String(ic, "timeouts", "controlPlaneComponentHealthCheck") == "0s" {
			t.Errorf("migrate wrote a 0s control-plane health check timeout:\n%s", out)
		}
		// What migrate wrote is a current file: upstream reads it without
		// our conversion (validate would refuse v1beta1).
		migrated := writeConfig(t, out)
		if _, stderr, err := kubeadmErr(t, "config", "validate", "--config", migrated); err != nil || strings.Contains(stderr, "[config] WARNING") {
			t.Errorf("config validate of the migrated file: %v\n%s", err, stderr)
		}
	}
	t.Run("stdout", func(t *testing.T) {
		out, errOut, err := kubeadmErr(t, "config", "migrate", "--old-config", seeds)
		if err != nil {
			t.Fatalf("config migrate: %v\n%s", err, errOut)
		}
		check(t, out, errOut)
	})
	t.Run("new-config", func(t *testing.T) {
		newCfg := filepath.Join(t.TempDir(), "new.yaml")
		out, errOut, err := kubeadmErr(t, "config", "migrate", "--old-config", seeds, "--new-config", newCfg)
		if err != nil || out != "" {
			t.Fatalf("config migrate: %v\nstdout %q\n%s", err, out, errOut)
		}
		b, err := os.ReadFile(newCfg)
		if err != nil {
			t.Fatal(err)
		}
		check(t, string(b), errOut)
	})
	t.Run("current file: upstream's migrate alone", func(t *testing.T) {
		cur := writeConfig(t, initConfigV1beta4+"---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n")
		out, errOut, err := kubeadmErr(t, "config", "migrate", "--old-config", cur)
		if err != nil || errOut != "" {
			t.Fatalf("config migrate: %v\n%s", err, errOut)
		}
		if _, ok := documents(t, out)["KubeProxyConfiguration"]; ok {
			t.Errorf("upstream's migrate keeps only kubeadm kinds, but ours appended others to a current file:\n%s", out)
		}
	})
}

// TestLegacyConfigCommands: the seeds' file works with the commands that
// read --config, which upstream v1.36 refuses for its v1beta1 document.
func TestLegacyConfigCommands(t *testing.T) {
	seeds := writeConfig(t, seedsConfig(t))
	out, errOut, err := kubeadmErr(t, "config", "images", "list", "--config", seeds)
	if err != nil || !strings.Contains(out, "registry.k8s.io/kube-apiserver:v1.36.3") {
		t.Errorf("config images list --config seeds: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "uses kubeadm.k8s.io/v1beta1") || !strings.Contains(errOut, "To convert the file once: kubeadm config migrate --old-config "+seeds) {
		t.Errorf("config images list: no conversion warning:\n%s", errOut)
	}
	if _, errOut, err := kubeadmErr(t, "config", "validate", "--config", seeds); err != nil {
		t.Errorf("config validate --config seeds: %v\n%s", err, errOut)
	}

	bad := writeConfig(t, strings.Replace(seedsConfig(t), "kind: ClusterConfiguration\n", "kind: ClusterConfiguration\nuseHyperKubeImage: true\ndns:\n  type: kube-dns\n", 1))
	_, errOut, err = kubeadmErr(t, "config", "images", "list", "--config", bad)
	if err == nil || !strings.Contains(err.Error(), bad+": cannot convert to kubeadm.k8s.io/v1beta4") || !strings.Contains(err.Error(), "dns.type: kube-dns") {
		t.Errorf("a kube-dns config: want an error naming the file and dns.type, got %v", err)
	}
	if strings.Contains(errOut, "WARNING") {
		t.Errorf("a failed conversion warned as if converted:\n%s", errOut)
	}
}

// TestLegacyConfigInitSeeds runs init's certificate phases with the seeds'
// file for master0 and checks what reached upstream: the runbook's SANs in
// the apiserver certificate, the converted socket.
func TestLegacyConfigInitSeeds(t *testing.T) {
	cfg, pki := seedsMaster0(t)
	sans := apiserverSANs(t, pki, "--config", cfg)
	for _, want := range []string{"apiserver.cluster.local", "172.20.241.205", "172.20.241.208", "10.103.97.2", "10.103.97.200", "127.0.0.1"} {
		if !slices.Contains(sans, want) {
			t.Errorf("apiserver certificate SANs %q lack %s", sans, want)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(cfg))
	if err != nil || len(entries) != 1 {
		t.Errorf("the converted copy must not be left beside the file: %v %v", entries, err)
	}
}

// TestLegacyConfigInitDryRunKubeProxy: `init --dry-run` with the seeds'
// file uploads a kube-proxy configuration in ipvs mode that excludes the
// VIP, as the runbook intends.
func TestLegacyConfigInitDryRunKubeProxy(t *testing.T) {
	rec := newConnectionRecorder(t)
	cfg, _ := seedsMaster0(t)
	out, targets := rec.runKubeadm(t, []string{"KUBEADM_INIT_DRYRUN_DIR=" + t.TempDir()},
		"init", "--dry-run", "--config", cfg, "--skip-phases", "preflight", "--experimental-upload-certs")
	if len(targets) != 0 {
		t.Errorf("init --dry-run connected to %v", targets)
	}
	for _, want := range []string{
		"Flag --experimental-upload-certs has been deprecated, use --upload-certs instead",
		"[config] WARNING: " + cfg + " uses kubeadm.k8s.io/v1beta1",
		"InitConfiguration nodeRegistration.criSocket: changed /run/containerd/containerd.sock to unix:///run/containerd/containerd.sock",
		"[init] Using Kubernetes version: v1.36.3",
		// Our init extension names the user's file, not the converted copy.
		"localAPIEndpoint.advertiseAddress in " + cfg + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("init --dry-run output lacks %q", want)
		}
	}
	// The kube-proxy ConfigMap's data: config.conf (the
	// KubeProxyConfiguration), then kubeconfig.conf.
	start := regexp.MustCompile(`(?m)^\s+config\.conf: \|-$`).FindStringIndex(out)
	if start == nil {
		t.Fatalf("init --dry-run printed no kube-proxy config.conf:\n%s", out)
	}
	end := strings.Index(out[start[1]:], "kubeconfig.conf: |-")
	if end < 0 {
		t.Fatalf("no kubeconfig.conf after config.conf:\n%s", out[start[0]:])
	}
	conf := out[start[1] : start[1]+end]
	for _, want := range []string{"mode: ipvs", "- 10.103.97.2/32"} {
		if !strings.Contains(conf, want) {
			t.Errorf("kube-proxy config.conf lacks %q:\n%s", want, conf)
		}
	}
}

// TestLegacyConfigJoin: a worker's 2019-style v1beta1 JoinConfiguration with
// our document reaches the locallb phase and upstream as v1beta4 (without
// our document); the seeds' master join with --experimental-control-plane
// is a control-plane join.
func TestLegacyConfigJoin(t *testing.T) {
	legacyWorker := `apiVersion: kubeadm.k8s.io/v1beta1
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.103.97.2:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
  timeout: 5m0s
nodeRegistration:
  kubeletExtraArgs:
    node-ip: 10.103.97.10
---
apiVersion: locallb.sealkube.io/v1alpha1
kind: LocalLoadBalancerConfiguration
masters: [10.103.97.200:6443, 10.103.97.201:6443, 10.103.97.202:6443]
`
	extend := func(t *testing.T, f *fakeJoin) *bytes.Buffer {
		t.Helper()
		var errOut bytes.Buffer
		host := Host{Node: f.node, TempDir: t.TempDir()}
		if err := extendLegacyConfig(f.root, f.out, &errOut, host); err != nil {
			t.Fatal(err)
		}
		if err := extendLegacyFlags(f.root, &errOut); err != nil {
			t.Fatal(err)
		}
		return &errOut
	}

	f := newFakeJoin(t)
	errOut := extend(t, f)
	cfg := writeConfig(t, legacyWorker)
	if err := f.run("join", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s\n%s", err, f.out, errOut)
	}
	vs, _, _ := f.balancer.Get(netip.MustParseAddrPort(seedVIP))
	if len(vs.RealServers) != 3 {
		t.Errorf("masters from the document did not reach the balancer: %+v", vs)
	}
	upstream := documents(t, f.upstreamCfg)
	jc, ok := upstream["JoinConfiguration"]
	if !ok || jc["apiVersion"] != "kubeadm.k8s.io/v1beta4" || len(upstream) != 1 {
		t.Fatalf("upstream was given:\n%s", f.upstreamCfg)
	}
	if got := locallbconfig.String(jc, "timeouts", "discovery"); got != "5m0s" {
		t.Errorf("timeouts.discovery %q in\n%s", got, f.upstreamCfg)
	}
	if _, err := os.Stat(f.upstreamPath); !os.IsNotExist(err) {
		t.Errorf("the converted copy %s outlived the command: %v", f.upstreamPath, err)
	}
	if p, _ := findPath(t, f.root, "kubeadm join").Flags().GetString("config"); p != cfg {
		t.Errorf("--config is %q after the command, want %q back", p, cfg)
	}
	for _, want := range []string{"uses kubeadm.k8s.io/v1beta1", "JoinConfiguration discovery.timeout: moved to timeouts.discovery", "JoinConfiguration nodeRegistration.kubeletExtraArgs: changed from a map"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("warning lacks %q:\n%s", want, errOut)
		}
	}

	f = newFakeJoin(t)
	errOut = extend(t, f)
	var controlPlane bool
	f.upstreamHook = func() { controlPlane, _ = findPath(t, f.root, "kubeadm join").Flags().GetBool("control-plane") }
	args := []string{"join", "10.103.97.200:6443", "--token", "abcdef.0123456789abcdef", "--discovery-token-unsafe-skip-ca-verification",
		"--experimental-control-plane", "--certificate-key", "f8902e114ef118304e561c3ecd4d0b543adc226b7a07f675f56564185ffe0c07"}
	if err := f.run(args...); err != nil {
		t.Fatalf("%v\n%s", err, f.out)
	}
	if !controlPlane || f.touched(t) || !strings.Contains(f.out.String(), "[locallb] Skipping: this node joins as a control-plane node") {
		t.Errorf("--experimental-control-plane: upstream saw control-plane=%v, node touched=%v:\n%s", controlPlane, f.touched(t), f.out)
	}
	if errOut.String() != "Flag --experimental-control-plane has been deprecated, use --control-plane instead\n" {
		t.Errorf("notice %q", errOut)
	}
}
