package certs

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Upstream kubeadm warns on every command whose configuration asks for more
// than its recommended 1 year (10 years for CAs); kubeadm kubeconfig user warns
// likewise. With 100-year defaults that would be noise on every run, so these
// klog lines are recognised by their text and replaced by one line per process.
var validityWarnings = [][]byte{
	[]byte("is more than the recommended default for certificate expiration"),
	[]byte("is more than the recommended default for CA certificate expiration"),
	[]byte("is longer than the default duration"),
}

// WarningFilter passes klog's formatted output through to an io.Writer,
// replacing upstream's certificate-validity warnings with at most one line.
type WarningFilter struct {
	out      io.Writer
	announce bool
	once     sync.Once
}

// NewWarningFilter returns a filter that writes to out. With announce, the
// first validity warning becomes one line about the validity in use; without
// it (commands that issue no certificate, such as `config images list`)
// validity warnings are dropped.
func NewWarningFilter(out io.Writer, announce bool) *WarningFilter {
	return &WarningFilter{out: out, announce: announce}
}

// IssuesCertificates reports whether the kubeadm command at commandPath
// (e.g. "kubeadm init phase certs all") may generate or renew certificates,
// which is where the validity line is worth a user's attention.
func IssuesCertificates(commandPath string) bool {
	for _, prefix := range []string{"kubeadm init", "kubeadm join", "kubeadm certs renew", "kubeadm certs generate-csr",
		"kubeadm kubeconfig user", "kubeadm upgrade apply", "kubeadm upgrade node"} {
		if commandPath == prefix || strings.HasPrefix(commandPath, prefix+" ") {
			return true
		}
	}
	return false
}

// WriteKlogBuffer receives one formatted klog entry; it has the signature
// klog.WriteKlogBuffer expects.
func (f *WarningFilter) WriteKlogBuffer(entry []byte) {
	for _, w := range validityWarnings {
		if bytes.Contains(entry, w) {
			if !f.announce {
				return
			}
			f.once.Do(func() {
				fmt.Fprintf(f.out, "[certs] Certificates are valid for longer than upstream kubeadm recommends (this build defaults to %dh, 100 years); "+
					"set certificateValidityPeriod and caCertificateValidityPeriod in the ClusterConfiguration to change it\n",
					int64(Validity.Hours()))
			})
			return
		}
	}
	_, _ = f.out.Write(entry)
}

// Write makes the filter an io.Writer for loggers that format structured
// entries themselves.
func (f *WarningFilter) Write(p []byte) (int, error) {
	f.WriteKlogBuffer(p)
	return len(p), nil
}
