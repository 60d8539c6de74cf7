package legacyconfig

import (
	"strings"
	"testing"
)

func TestMigratedFile(t *testing.T) {
	res, err := Convert([]byte(`apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
apiServer: {timeoutForControlPlane: 8m0s}
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: JoinConfiguration
discovery: {file: {kubeConfigPath: /k}}
---
` + kubeProxyDoc))
	if err != nil {
		t.Fatal(err)
	}
	// The shape of upstream's output: both timeouts zeroed by its mutators.
	upstream := `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
timeouts:
  controlPlaneComponentHealthCheck: 0s
  discovery: 5m0s
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
timeouts:
  controlPlaneComponentHealthCheck: 0s
  discovery: 0s
  kubeletHealthCheck: 4m0s
`
	got, err := MigratedFile([]byte(upstream), res)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(got), "---\n")
	if len(docs) != 4 {
		t.Fatalf("%d documents:\n%s", len(docs), got)
	}
	for i, want := range []struct{ has, hasNot []string }{
		{[]string{"discovery: 5m0s"}, []string{": 0s\n"}},                                                    // nothing carried: the zero goes
		{[]string{"kind: ClusterConfiguration"}, nil},                                                        // untouched
		{[]string{"controlPlaneComponentHealthCheck: 8m0s", "kubeletHealthCheck: 4m0s"}, []string{": 0s\n"}}, // carried value back
		{[]string{"mode: \"ipvs\"", "# kept byte for byte"}, nil},                                            // other groups appended as they were
	} {
		for _, h := range want.has {
			if !strings.Contains(docs[i], h) {
				t.Errorf("document %d lacks %q:\n%s", i, h, docs[i])
			}
		}
		for _, h := range want.hasNot {
			if strings.Contains(docs[i], h) {
				t.Errorf("document %d has %q:\n%s", i, h, docs[i])
			}
		}
	}
}
