package legacyconfig

import (
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
)

const kubeProxyDoc = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: "ipvs"
ipvs:
        excludeCIDRs: 
        - "10.103.97.2/32" # kept byte for byte
`

func TestConvert(t *testing.T) {
	tests := []struct {
		name, in string
		// want are the converted documents in order, as YAML (compared as
		// data); "" means the document passes through byte for byte.
		want      []string
		wantNotes []string
		wantErr   []string
	}{
		{
			name: "seeds' file: only apiVersion changes, kube-proxy untouched",
			in: `apiVersion: kubeadm.k8s.io/v1beta1
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: "apiserver.cluster.local:6443"
apiServer:
        certSANs:
        - 127.0.0.1
        - 10.103.97.2
---
` + kubeProxyDoc,
			want: []string{`{apiVersion: kubeadm.k8s.io/v1beta4, kind: ClusterConfiguration, kubernetesVersion: v1.36.3,
controlPlaneEndpoint: "apiserver.cluster.local:6443", apiServer: {certSANs: [127.0.0.1, 10.103.97.2]}}`, ""},
		},
		{
			name: "every v1beta1 ClusterConfiguration field",
			in: `apiVersion: kubeadm.k8s.io/v1beta1
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: cp:6443
certificatesDir: /pki
clusterName: c
imageRepository: k8s.gcr.io
useHyperKubeImage: false
featureGates: {PublicKeysECDSA: true}
networking: {serviceSubnet: 10.96.0.0/12, podSubnet: 100.64.0.0/10, dnsDomain: cluster.local}
etcd:
  local: {imageRepository: r, imageTag: "3.3", dataDir: /var/lib/etcd, extraArgs: {quota-backend-bytes: "8589934592", auto-compaction-retention: 1}, serverCertSANs: [a], peerCertSANs: [b]}
apiServer:
  certSANs: [x]
  timeoutForControlPlane: 8m0s
  extraArgs: {b: "2", a: "1"}
  extraVolumes: [{name: v, hostPath: /h, mountPath: /m, readOnly: true, pathType: Directory}]
controllerManager: {extraArgs: {node-cidr-mask-size: "24"}}
scheduler: {}
dns: {type: CoreDNS, imageRepository: d, imageTag: "1.3.1"}
`,
			want: []string{`apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: cp:6443
certificatesDir: /pki
clusterName: c
imageRepository: registry.k8s.io
featureGates: {PublicKeysECDSA: true}
networking: {serviceSubnet: 10.96.0.0/12, podSubnet: 100.64.0.0/10, dnsDomain: cluster.local}
etcd:
  local: {imageRepository: r, imageTag: "3.3", dataDir: /var/lib/etcd, serverCertSANs: [a], peerCertSANs: [b],
    extraArgs: [{name: auto-compaction-retention, value: "1"}, {name: quota-backend-bytes, value: "8589934592"}]}
apiServer:
  certSANs: [x]
  extraArgs: [{name: a, value: "1"}, {name: b, value: "2"}]
  extraVolumes: [{name: v, hostPath: /h, mountPath: /m, readOnly: true, pathType: Directory}]
controllerManager: {extraArgs: [{name: node-cidr-mask-size, value: "24"}]}
dns: {imageRepository: d, imageTag: "1.3.1"}
`, `{apiVersion: kubeadm.k8s.io/v1beta4, kind: InitConfiguration, timeouts: {controlPlaneComponentHealthCheck: 8m0s}}`},
			wantNotes: []string{
				"ClusterConfiguration imageRepository: changed k8s.gcr.io to registry.k8s.io",
				"ClusterConfiguration useHyperKubeImage: dropped (was false)",
				"ClusterConfiguration etcd.local.extraArgs: changed from a map to a list of {name, value} (2 flags)",
				"ClusterConfiguration apiServer.extraArgs: changed from a map",
				"ClusterConfiguration controllerManager.extraArgs: changed from a map to a list of {name, value} (1 flag)",
				"ClusterConfiguration dns.type: dropped (was CoreDNS)",
				"ClusterConfiguration apiServer.timeoutForControlPlane: moved to timeouts.controlPlaneComponentHealthCheck of InitConfiguration (added) (value 8m0s)",
			},
		},
		{
			name: "v1beta2 init and join: timeout moves into both, certificate keys and preflight errors carried",
			in: `apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
bootstrapTokens: [{token: abcdef.0123456789abcdef, ttl: 24h0m0s, usages: [signing], groups: [system:bootstrappers:kubeadm:default-node-token]}]
nodeRegistration: {name: m0, criSocket: /run/containerd/containerd.sock, taints: [], kubeletExtraArgs: {node-ip: 10.103.97.200}, ignorePreflightErrors: [Swap]}
localAPIEndpoint: {advertiseAddress: 10.103.97.200, bindPort: 6443}
certificateKey: f8902e114ef118304e561c3ecd4d0b543adc226b7a07f675f56564185ffe0c07
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
useHyperKubeImage: true
apiServer: {timeoutForControlPlane: 5m0s}
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: JoinConfiguration
caCertPath: /ca.crt
discovery:
  bootstrapToken: {token: abcdef.0123456789abcdef, apiServerEndpoint: 10.103.97.200:6443, caCertHashes: ["sha256:00"], unsafeSkipCAVerification: false}
  tlsBootstrapToken: abcdef.0123456789abcdef
  timeout: 5m0s
controlPlane: {localAPIEndpoint: {advertiseAddress: 10.103.97.201}, certificateKey: f8}
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterStatus
apiEndpoints: {m0: {advertiseAddress: 10.103.97.200, bindPort: 6443}}
`,
			want: []string{`apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens: [{token: abcdef.0123456789abcdef, ttl: 24h0m0s, usages: [signing], groups: [system:bootstrappers:kubeadm:default-node-token]}]
nodeRegistration: {name: m0, criSocket: unix:///run/containerd/containerd.sock, taints: [], kubeletExtraArgs: [{name: node-ip, value: 10.103.97.200}], ignorePreflightErrors: [Swap]}
localAPIEndpoint: {advertiseAddress: 10.103.97.200, bindPort: 6443}
certificateKey: f8902e114ef118304e561c3ecd4d0b543adc226b7a07f675f56564185ffe0c07
timeouts: {controlPlaneComponentHealthCheck: 5m0s}
`, `{apiVersion: kubeadm.k8s.io/v1beta4, kind: ClusterConfiguration}`, `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
caCertPath: /ca.crt
discovery:
  bootstrapToken: {token: abcdef.0123456789abcdef, apiServerEndpoint: 10.103.97.200:6443, caCertHashes: ["sha256:00"], unsafeSkipCAVerification: false}
  tlsBootstrapToken: abcdef.0123456789abcdef
controlPlane: {localAPIEndpoint: {advertiseAddress: 10.103.97.201}, certificateKey: f8}
timeouts: {discovery: 5m0s, controlPlaneComponentHealthCheck: 5m0s}
`},
			wantNotes: []string{
				"InitConfiguration nodeRegistration.criSocket: changed /run/containerd/containerd.sock to unix:///run/containerd/containerd.sock",
				"InitConfiguration nodeRegistration.kubeletExtraArgs: changed from a map",
				"ClusterConfiguration useHyperKubeImage: dropped (was true): there is no hyperkube image",
				"JoinConfiguration discovery.timeout: moved to timeouts.discovery (value 5m0s)",
				"ClusterStatus: dropped the whole document",
				"ClusterConfiguration apiServer.timeoutForControlPlane: moved to timeouts.controlPlaneComponentHealthCheck of InitConfiguration and JoinConfiguration (value 5m0s)",
			},
		},
		{
			name: "worker join: null controlPlane stays a worker join",
			in:   "apiVersion: kubeadm.k8s.io/v1beta1\nkind: JoinConfiguration\ncontrolPlane: null\ndiscovery: {file: {kubeConfigPath: /k}}\n",
			want: []string{"{apiVersion: kubeadm.k8s.io/v1beta4, kind: JoinConfiguration, discovery: {file: {kubeConfigPath: /k}}}"},
		},
		{
			name: "no legacy document: nothing converted",
			in:   "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n---\napiVersion: locallb.sealkube.io/v1alpha1\nkind: LocalLoadBalancerConfiguration\nvip: 10.103.97.2:6443\n",
			want: []string{"", ""},
		},
		{
			name: "fields that cannot be carried",
			in: `apiVersion: kubeadm.k8s.io/v1beta1
kind: ClusterConfiguration
dns: {type: kube-dns}
apiServer: {extraArg: {a: b}}
auditPolicy: {path: /p}
---
apiVersion: kubeadm.k8s.io/v1beta1
kind: InitConfiguration
certificateKey: f8
nodeRegistration: {criSocket: /var/run/dockershim.sock, ignorePreflightErrors: [all]}
---
apiVersion: kubeadm.k8s.io/v1beta1
kind: MasterConfiguration
`,
			wantErr: []string{
				"ClusterConfiguration dns.type: kube-dns: kubeadm has installed only CoreDNS since v1.21",
				`ClusterConfiguration apiServer.extraArg: {"a":"b"}: unknown field in kubeadm.k8s.io/v1beta1 ClusterConfiguration`,
				`ClusterConfiguration auditPolicy: {"path":"/p"}: unknown field`,
				"InitConfiguration certificateKey: f8: is a kubeadm.k8s.io/v1beta2 field, not kubeadm.k8s.io/v1beta1",
				`InitConfiguration nodeRegistration.ignorePreflightErrors: ["all"]: is a kubeadm.k8s.io/v1beta2 field`,
				"InitConfiguration nodeRegistration.criSocket: /var/run/dockershim.sock: dockershim was removed in Kubernetes v1.24",
				`kind "MasterConfiguration" is not a kind of kubeadm.k8s.io/v1beta1`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Convert([]byte(tt.in))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("converted, want errors %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not contain %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Documents) != len(tt.want) {
				t.Fatalf("%d documents, want %d:\n%s", len(res.Documents), len(tt.want), res.Bytes())
			}
			passthrough := true
			for i, want := range tt.want {
				got := res.Documents[i]
				if want == "" {
					if !strings.Contains(tt.in, string(got.Raw)) {
						t.Errorf("document %d was changed:\n%s", i, got.Raw)
					}
					continue
				}
				passthrough = false
				var g, w map[string]any
				if err := yaml.Unmarshal(got.Raw, &g); err != nil {
					t.Fatal(err)
				}
				if err := yaml.Unmarshal([]byte(want), &w); err != nil {
					t.Fatalf("test case: %v", err)
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("document %d:\n%s\nwant\n%s", i, got.Raw, want)
				}
				strictV1beta4(t, got)
			}
			if res.Converted == passthrough {
				t.Errorf("Converted = %v", res.Converted)
			}
			if len(res.Notes) != len(tt.wantNotes) {
				t.Errorf("notes:\n%s\nwant %d", strings.Join(res.Notes, "\n"), len(tt.wantNotes))
			}
			for _, w := range tt.wantNotes {
				found := false
				for _, n := range res.Notes {
					found = found || strings.HasPrefix(n, w)
				}
				if !found {
					t.Errorf("no note starts with %q; notes:\n%s", w, strings.Join(res.Notes, "\n"))
				}
			}
		})
	}
}

// strictV1beta4 decodes a converted document into upstream's v1beta4 type,
// refusing unknown fields, so a misnamed output field fails here.
func strictV1beta4(t *testing.T, d Document) {
	t.Helper()
	var obj any
	switch d.Kind {
	case "ClusterConfiguration":
		obj = &kubeadmapiv1.ClusterConfiguration{}
	case "InitConfiguration":
		obj = &kubeadmapiv1.InitConfiguration{}
	case "JoinConfiguration":
		obj = &kubeadmapiv1.JoinConfiguration{}
	default:
		t.Fatalf("converted to unexpected kind %q", d.Kind)
	}
	if err := yaml.UnmarshalStrict(d.Raw, obj); err != nil {
		t.Errorf("%s is not strict v1beta4: %v\n%s", d.Kind, err, d.Raw)
	}
}
