package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/certificate/csr"
)

// kubeletMain stands in for the kubelet during `kubeadm join`: there is no
// container runtime here, and kubeadm join only needs what the kubelet does
// first. It serves the kubelet's healthz on 127.0.0.1:10248 (join's
// kubelet-wait-bootstrap phase polls it), waits for
// /etc/kubernetes/bootstrap-kubelet.conf, and performs the kubelet's TLS
// bootstrap with it: a CSR for system:node:<hostname> with signer
// kubernetes.io/kube-apiserver-client-kubelet, approved by
// kube-controller-manager's csrapproving controller (kubeadm's
// bootstrap-token phase grants the auto-approval) and signed by its
// csrsigning controller, then writes the client certificate and
// /etc/kubernetes/kubelet.conf as the kubelet does. Every request goes to
// the cluster endpoint in the bootstrap kubeconfig, i.e. through the VIP.
func kubeletMain(args []string) error {
	flags := flag.NewFlagSet("kubelet", flag.ContinueOnError)
	wait := flags.Duration("wait", 5*time.Minute, "how long to wait for the bootstrap kubeconfig")
	if err := flags.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	l, err := net.Listen("tcp", "127.0.0.1:10248")
	if err != nil {
		return fmt.Errorf("kubelet healthz: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	bootstrap := "/etc/kubernetes/bootstrap-kubelet.conf"
	final := "/etc/kubernetes/kubelet.conf"
	deadline := time.Now().Add(*wait)
	for {
		if _, err := os.Stat(bootstrap); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %s", bootstrap, *wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := tlsBootstrap(ctx, bootstrap, final); err != nil {
		return err
	}
	fmt.Println("kubelet stand-in: TLS bootstrap done, wrote", final)
	<-ctx.Done()
	return nil
}

func tlsBootstrap(ctx context.Context, bootstrapPath, finalPath string) error {
	bc, err := clientcmd.LoadFromFile(bootstrapPath)
	if err != nil {
		return err
	}
	restCfg, err := clientcmd.NewDefaultClientConfig(*bc, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("%s: %w", bootstrapPath, err)
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + host, Organization: []string{"system:nodes"}},
	}, key)
	if err != nil {
		return err
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	name, uid, err := csr.RequestCertificate(client, csrPEM, "", certificatesv1.KubeAPIServerClientKubeletSignerName, nil, usages, key)
	if err != nil {
		return fmt.Errorf("creating the CSR: %w", err)
	}
	fmt.Println("kubelet stand-in: created CSR", name)
	certPEM, err := csr.WaitForCertificate(ctx, client, name, uid)
	if err != nil {
		return fmt.Errorf("waiting for CSR %s to be approved and signed (kube-controller-manager's csrapproving/csrsigning): %w", name, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	pemPath := "/var/lib/kubelet/pki/kubelet-client-current.pem"
	if err := os.MkdirAll(filepath.Dir(pemPath), 0o700); err != nil {
		return err
	}
	data := append(append([]byte{}, certPEM...), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(pemPath, data, 0o600); err != nil {
		return err
	}
	ctxName := bc.Contexts[bc.CurrentContext]
	if ctxName == nil {
		return fmt.Errorf("%s has no current context", bootstrapPath)
	}
	cluster := bc.Clusters[ctxName.Cluster]
	kc := clientcmdapi.NewConfig()
	kc.Clusters["default-cluster"] = cluster
	kc.AuthInfos["default-auth"] = &clientcmdapi.AuthInfo{ClientCertificate: pemPath, ClientKey: pemPath}
	kc.Contexts["default-context"] = &clientcmdapi.Context{Cluster: "default-cluster", AuthInfo: "default-auth", Namespace: "default"}
	kc.CurrentContext = "default-context"
	return clientcmd.WriteToFile(*kc, finalPath)
}
