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

func TestGolden(t *testing.T) {
	if os.Getenv("TESTENV_GOLDEN") != "" {
		Golden(t, os.Getenv("TESTENV_GOLDEN"), []byte("new\n"), os.Getenv("TESTENV_UPDATE") == "1", "./internal/testenv/")
		return
	}
	path := t.TempDir() + "/x.golden"
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(update string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGolden$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_GOLDEN="+path, "TESTENV_UPDATE="+update)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(""); err == nil || !strings.Contains(out, "-update, then review the diff") {
		t.Errorf("a differing golden file: want a failure with the hint, got %v:\n%s", err, out)
	}
	if out, err := run("1"); err != nil || !strings.Contains(out, "--- SKIP") || !strings.Contains(out, "without comparing") {
		t.Errorf("-update: want a skip saying the file was written, got %v:\n%s", err, out)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("-update wrote %q", b)
	}
	if out, err := run(""); err != nil || !strings.Contains(out, "--- PASS") {
		t.Errorf("a matching golden file: want a pass, got %v:\n%s", err, out)
	}
}
