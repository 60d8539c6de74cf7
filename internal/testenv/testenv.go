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
