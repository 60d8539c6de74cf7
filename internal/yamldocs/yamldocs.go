// Package yamldocs splits a multi-document YAML file (a kubeadm --config
// file) into its documents and joins documents back into a file, keeping
// each document's bytes, so documents nobody edits reach upstream as the
// user wrote them.
package yamldocs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Doc is one document: its apiVersion and kind, and its bytes.
type Doc struct {
	metav1.TypeMeta
	Raw []byte
}

// DocError is a document that is not valid YAML. Raw lets the caller tell
// whose document it is, to name it.
type DocError struct {
	// Index counts the file's documents from 1: what lies between two
	// "---" separators, blank documents included (nothing between two
	// adjacent separators is no document).
	Index int
	Raw   []byte
	Err   error
}

func (e *DocError) Error() string {
	return fmt.Sprintf("document %d of the file is not valid YAML: %v", e.Index, e.Err)
}

func (e *DocError) Unwrap() error { return e.Err }

// Split returns the documents of data that are not empty, in order. A
// document that is not valid YAML is a *DocError.
func Split(data []byte) ([]Doc, error) {
	var docs []Doc
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the YAML documents: %w", err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(raw, &tm); err != nil {
			return nil, &DocError{Index: i, Raw: raw, Err: err}
		}
		docs = append(docs, Doc{TypeMeta: tm, Raw: raw})
	}
}

// Join is the file of the documents raws, separated by "---"; never nil,
// so a file with no documents left is still a file (callers tell "no
// copy" by nil).
func Join(raws ...[]byte) []byte {
	b := bytes.NewBuffer([]byte{})
	for i, raw := range raws {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(raw)
		if !bytes.HasSuffix(raw, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
