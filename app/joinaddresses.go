package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	kubeadmapi "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm"
	kubeadmscheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme"
	kubeadmconstants "k8s.io/kubernetes/cmd/kubeadm/app/constants"
	"k8s.io/kubernetes/cmd/kubeadm/app/discovery"
	kubeconfigutil "k8s.io/kubernetes/cmd/kubeadm/app/util/kubeconfig"

	"github.com/sealkube/kubeadm/app/cmd/phases"
)

// checkDiscoveryTimeout bounds discovery through one master for the
// address check, so an unreachable first master costs this long, not
// upstream's five-minute discovery timeout, before the next is tried.
const checkDiscoveryTimeout = 30 * time.Second

// networking reads the cluster's subnets and imageRepository from the
// kubeadm-config ConfigMap (which upstream lets bootstrap tokens and nodes
// read) through via ("" is the join endpoint), the same way upstream's join
// reads it later: with the kubelet's credentials when the node has joined,
// otherwise with the discovery flags or file (token discovery with CA
// pinning, or a discovery file) aimed at via. A read that succeeds is kept
// for imageRepository.
//
// Aimed at a master, the connection's TLS server name stays the cluster
// endpoint's host, which the apiserver certificate lists, so a master
// address that is not in the certificate still works (as it does behind
// the load balancer).
func (c *clusterInfo) networking(via string) (phases.Networking, error) {
	kc, err := kubeletKubeconfig(c.kubeletConf)
	if err != nil {
		return phases.Networking{}, err
	}
	if kc == nil && c.cfgPath == "" && flagString(c.fs, flagToken) == "" && flagString(c.fs, flagDiscToken) == "" && flagString(c.fs, flagDiscFile) == "" {
		return phases.Networking{}, phases.ErrNoClusterCredentials
	}
	if kc == nil {
		if kc, err = c.bootstrapKubeconfig(via); err != nil {
			return phases.Networking{}, err
		}
	}
	if via != "" {
		if err := aimAt(kc, via); err != nil {
			return phases.Networking{}, err
		}
	}
	client, err := kubeconfigutil.ToClientSet(kc)
	if err != nil {
		return phases.Networking{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkDiscoveryTimeout)
	defer cancel()
	cm, err := client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, kubeadmconstants.KubeadmConfigConfigMap, metav1.GetOptions{})
	if err != nil {
		return phases.Networking{}, fmt.Errorf("reading the %s ConfigMap: %w", kubeadmconstants.KubeadmConfigConfigMap, err)
	}
	n, err := decodeNetworking(cm.Data[kubeadmconstants.ClusterConfigurationConfigMapKey])
	if err == nil {
		c.read = &n
	}
	return n, err
}

// decodeNetworking decodes a stored ClusterConfiguration with upstream's
// decoder (so an old API version converts and an empty subnet gets
// upstream's default, as upstream's join sees it).
func decodeNetworking(data string) (phases.Networking, error) {
	if data == "" {
		return phases.Networking{}, fmt.Errorf("the %s ConfigMap has no %s", kubeadmconstants.KubeadmConfigConfigMap, kubeadmconstants.ClusterConfigurationConfigMapKey)
	}
	var cc kubeadmapi.ClusterConfiguration
	if err := runtime.DecodeInto(kubeadmscheme.Codecs.UniversalDecoder(), []byte(data), &cc); err != nil {
		return phases.Networking{}, fmt.Errorf("decoding the %s in the %s ConfigMap: %w", kubeadmconstants.ClusterConfigurationConfigMapKey, kubeadmconstants.KubeadmConfigConfigMap, err)
	}
	return phases.Networking{ServiceSubnet: cc.Networking.ServiceSubnet, PodSubnet: cc.Networking.PodSubnet, ImageRepository: cc.ImageRepository}, nil
}

// kubeletKubeconfig is the joined node's kubeconfig, nil when there is none.
func kubeletKubeconfig(path string) (*clientcmdapi.Config, error) {
	if path == "" {
		return nil, nil
	}
	kc, err := clientcmd.LoadFromFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return kc, nil
}

// bootstrapKubeconfig runs upstream's discovery aimed at via (the
// bootstrap-token endpoint, or a copy of the discovery file whose server is
// via; "" keeps the join's) and returns the TLS-bootstrap kubeconfig it
// yields.
func (c *clusterInfo) bootstrapKubeconfig(via string) (*clientcmdapi.Config, error) {
	cfg, err := loadJoinConfiguration(c.fs, c.cfgPath, c.joinEndpoint)
	if err != nil {
		return nil, err
	}
	if cfg.Timeouts == nil {
		cfg.Timeouts = &kubeadmapi.Timeouts{}
	}
	if d := cfg.Timeouts.Discovery; via != "" && (d == nil || d.Duration > checkDiscoveryTimeout) {
		cfg.Timeouts.Discovery = &metav1.Duration{Duration: checkDiscoveryTimeout}
	}
	if via != "" {
		switch {
		case cfg.Discovery.BootstrapToken != nil:
			cfg.Discovery.BootstrapToken.APIServerEndpoint = via
		case cfg.Discovery.File != nil && !isHTTPS(cfg.Discovery.File.KubeConfigPath):
			kc, err := clientcmd.LoadFromFile(cfg.Discovery.File.KubeConfigPath)
			if err != nil {
				return nil, fmt.Errorf("reading the discovery file: %w", err)
			}
			if err := aimAt(kc, via); err != nil {
				return nil, err
			}
			dir, err := os.MkdirTemp(c.tempDir, "kubeadm-locallb-discovery-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			p := filepath.Join(dir, "discovery.conf")
			if err := clientcmd.WriteToFile(*kc, p); err != nil {
				return nil, err
			}
			cfg.Discovery.File.KubeConfigPath = p
		}
	}
	return discovery.For(nil, cfg)
}

func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https"
}

// aimAt points the current cluster of kc at https://via and keeps the old
// server's host as the TLS server name.
func aimAt(kc *clientcmdapi.Config, via string) error {
	_, cluster, err := kubeconfigutil.GetClusterFromKubeConfig(kc)
	if err != nil {
		return err
	}
	if u, err := url.Parse(cluster.Server); err == nil && u.Hostname() != "" && cluster.TLSServerName == "" {
		if h, _, err := net.SplitHostPort(via); err != nil || h != u.Hostname() {
			cluster.TLSServerName = u.Hostname()
		}
	}
	cluster.Server = "https://" + via
	return nil
}
