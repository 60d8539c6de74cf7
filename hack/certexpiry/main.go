// Command certexpiry prints the validity (and SANs) of every certificate in the
// PEM files and kubeconfig client certificates named on its command line. The demo uses
// it so that a fresh machine needs no openssl.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	failed := false
	for _, path := range os.Args[1:] {
		if err := show(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func show(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.HasSuffix(path, ".conf") {
		cfg, err := clientcmd.Load(data)
		if err != nil {
			return err
		}
		for user, auth := range cfg.AuthInfos {
			if err := print(filepath.Base(path)+" ("+user+")", auth.ClientCertificateData); err != nil {
				return err
			}
		}
		return nil
	}
	return print(filepath.Base(path), data)
}

func print(name string, pemData []byte) error {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return fmt.Errorf("no PEM certificate in %s", name)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	years := c.NotAfter.Sub(c.NotBefore).Hours() / 24 / 365
	fmt.Printf("%-40s CN=%-38s until %s  (%.1f years)\n", name, c.Subject.CommonName, c.NotAfter.UTC().Format(time.DateOnly), years)
	if len(c.DNSNames)+len(c.IPAddresses) > 0 {
		sans := append([]string(nil), c.DNSNames...)
		for _, ip := range c.IPAddresses {
			sans = append(sans, ip.String())
		}
		fmt.Printf("%-40s SANs: %s\n", "", strings.Join(sans, ", "))
	}
	return nil
}
