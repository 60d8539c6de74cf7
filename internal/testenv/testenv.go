// Package testenv decides what a test does when the machine lacks what it
// needs (root, a kernel feature, a tool): skip on a developer's machine,
// fail in CI, where a silent skip would hide that the test never ran.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the CI environment variable is
// "true" (as .ci/run and the common CI services set it).
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips t with the message, or fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s; CI=true, so this is a failure, not a skip: CI must provide it", msg)
	}
	t.Skip(msg)
}

// Golden compares got with the golden file path. With update it writes got
// to path instead and skips the rest of the test, saying so: a run that
// rewrote the file compared nothing, so it must not report a pass. Call it
// after the test's other checks. pkg is the package's import path suffix
// for the hint, e.g. "./manifests/".
func Golden(t testing.TB, path string, got []byte, update bool, pkg string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("-update: writing %s: %v", path, err)
		}
		t.Skipf("-update: wrote %s without comparing; run the test again without -update to check it", path)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (to create it: go test %s -run '^%s$' -update, then review the file)", err, pkg, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (if the change is intended: go test %s -run '^%s$' -update, then review the diff):\n%s", path, pkg, t.Name(), got)
	}
}
