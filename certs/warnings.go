package certs

import (
	"bytes"
	"fmt"
	"io"
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
// replacing upstream's certificate-validity warnings with a single line.
type WarningFilter struct {
	out  io.Writer
	once sync.Once
}

// NewWarningFilter returns a filter that writes to out.
func NewWarningFilter(out io.Writer) *WarningFilter {
	return &WarningFilter{out: out}
}

// WriteKlogBuffer receives one formatted klog entry; it has the signature
// klog.WriteKlogBuffer expects.
func (f *WarningFilter) WriteKlogBuffer(entry []byte) {
	for _, w := range validityWarnings {
		if bytes.Contains(entry, w) {
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
