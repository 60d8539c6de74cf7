// Package console defines the result markers the VM's init prints on the
// serial console and parses them on the host. Guest and host share this code
// so they cannot drift apart.
//
// Every marker carries a per-run nonce chosen by the host, so output of a
// test that happens to print "VMTEST ... PASS" cannot fake a result.
package console

import (
	"fmt"
	"strings"
)

const prefix = "VMTEST"

// StartLine announces that a test binary starts.
func StartLine(nonce, name string) string {
	return fmt.Sprintf("%s %s START %s", prefix, nonce, name)
}

// ResultLine reports the outcome of one test binary.
func ResultLine(nonce, name string, pass bool) string {
	return fmt.Sprintf("%s %s RESULT %s %s", prefix, nonce, name, word(pass))
}

// ErrorLine reports a failure of the VM's init itself (mount, module load...).
func ErrorLine(nonce, msg string) string {
	return fmt.Sprintf("%s %s ERROR %s", prefix, nonce, msg)
}

// DoneLine is the last marker: the overall outcome.
func DoneLine(nonce string, pass bool) string {
	return fmt.Sprintf("%s %s DONE %s", prefix, nonce, word(pass))
}

func word(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// Summary collects what the console showed during one run.
type Summary struct {
	Nonce string
	// Results maps a test binary name to whether it passed, in order seen.
	Results map[string]bool
	Order   []string
	// Started lists binaries that printed a START marker.
	Started []string
	Errors  []string
	Done    bool
	DoneOK  bool
	// Panic is the kernel panic line, if the kernel panicked.
	Panic string
	// Failures holds, per binary, the "--- FAIL: TestX" names and a Go
	// "panic:" line seen between its START and RESULT markers.
	Failures map[string][]string
	current  string
}

// NewSummary starts an empty summary for markers carrying nonce.
func NewSummary(nonce string) *Summary {
	return &Summary{Nonce: nonce, Results: map[string]bool{}, Failures: map[string][]string{}}
}

// Observe feeds one console line (trailing CR/LF allowed).
func (s *Summary) Observe(line string) {
	line = strings.TrimRight(line, "\r\n")
	if i := strings.Index(line, "Kernel panic - not syncing"); i >= 0 && s.Panic == "" {
		s.Panic = line[i:]
		return
	}
	// Kernel messages can land in front of a marker on the same line, so
	// look for the marker anywhere rather than only at the start.
	i := strings.Index(line, prefix+" "+s.Nonce+" ")
	if i < 0 {
		s.observeTestOutput(line)
		return
	}
	f := strings.Fields(line[i+len(prefix)+len(s.Nonce)+2:])
	if len(f) == 0 {
		return
	}
	switch {
	case f[0] == "START" && len(f) == 2:
		s.Started = append(s.Started, f[1])
		s.current = f[1]
	case f[0] == "RESULT" && len(f) == 3 && (f[2] == "PASS" || f[2] == "FAIL"):
		if _, seen := s.Results[f[1]]; !seen {
			s.Order = append(s.Order, f[1])
		}
		s.Results[f[1]] = f[2] == "PASS"
		s.current = ""
	case f[0] == "ERROR":
		s.Errors = append(s.Errors, strings.Join(f[1:], " "))
	case f[0] == "DONE" && len(f) == 2 && (f[1] == "PASS" || f[1] == "FAIL"):
		s.Done = true
		s.DoneOK = f[1] == "PASS"
	}
}

// observeTestOutput remembers which tests of the running binary failed, so
// the verdict can name them.
func (s *Summary) observeTestOutput(line string) {
	if s.current == "" {
		return
	}
	trimmed := strings.TrimSpace(line)
	if name, ok := strings.CutPrefix(trimmed, "--- FAIL: "); ok {
		if f := strings.Fields(name); len(f) > 0 {
			s.Failures[s.current] = append(s.Failures[s.current], f[0])
		}
		return
	}
	if strings.HasPrefix(line, "panic: ") {
		s.Failures[s.current] = append(s.Failures[s.current], line)
	}
}

// Verdict returns nil only if the run finished, every expected binary
// reported PASS and nothing else went wrong. Otherwise the error lists every
// problem found.
func (s *Summary) Verdict(expected []string) error {
	var probs []string
	if s.Panic != "" {
		probs = append(probs, "kernel panicked: "+s.Panic)
	}
	for _, e := range s.Errors {
		probs = append(probs, "VM init error: "+e)
	}
	for _, name := range expected {
		pass, ok := s.Results[name]
		switch {
		case !ok && contains(s.Started, name):
			probs = append(probs, fmt.Sprintf("%s: started but no result marker (hung or VM died)", name))
		case !ok:
			probs = append(probs, fmt.Sprintf("%s: no result marker (never ran)", name))
		case !pass && len(s.Failures[name]) > 0:
			probs = append(probs, fmt.Sprintf("%s: FAIL (%s)", name, strings.Join(s.Failures[name], "; ")))
		case !pass:
			probs = append(probs, fmt.Sprintf("%s: FAIL", name))
		}
	}
	for _, name := range s.Order {
		if !contains(expected, name) {
			probs = append(probs, fmt.Sprintf("%s: unexpected result marker for a binary the host did not build", name))
		}
	}
	switch {
	case !s.Done:
		probs = append(probs, "no final DONE marker: the VM did not finish its run")
	case !s.DoneOK && len(probs) == 0:
		probs = append(probs, "VM reported DONE FAIL")
	case s.DoneOK && len(probs) > 0:
		probs = append(probs, "VM reported DONE PASS despite the problems above")
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(probs, "\n  "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
