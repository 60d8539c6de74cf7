package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The child runs Unavailable; the parent looks at how it ended.
func TestUnavailable(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		Unavailable(t, "no frobnicator on this kernel")
		return
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUnavailable$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		switch {
		case ci == "true" && (err == nil || !strings.Contains(string(out), "--- FAIL") || !strings.Contains(string(out), "no frobnicator on this kernel; CI=true")):
			t.Errorf("CI=true: want a failure naming the cause, got %v:\n%s", err, out)
		case ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP")):
			t.Errorf("outside CI: want a skip, got %v:\n%s", err, out)
		}
	}
}
