// Package vmconfig is the contract between the host side of the VM test
// harness (which writes it into the initramfs) and the VM's init (which reads
// it): which modules to load, which arguments to pass to the test binaries.
package vmconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Guest-side paths inside the initramfs.
const (
	// Path of the JSON config.
	Path = "/vmtest/config.json"
	// TestsDir holds one directory per test binary: TestsDir/<name>/<name>.test,
	// plus the package's testdata/ if it has one. The binary runs with that
	// directory as its working directory, like `go test` does.
	TestsDir = "/tests"
	// ModulesDir holds the .ko files named in Config.Modules.
	ModulesDir = "/lib/modules/vmtest"
)

// Config is what the VM's init needs to know.
type Config struct {
	// Nonce tags every console marker of this run (see package console).
	Nonce string `json:"nonce"`
	// Modules are guest paths of .ko files, in load order.
	Modules []string `json:"modules"`
	// TestArgs go to every test binary after the harness's defaults
	// (-test.v -test.run Integration -test.timeout ...), so they override them.
	TestArgs []string `json:"testArgs"`
	// TestTimeout bounds one test binary (passed as -test.timeout).
	TestTimeout Duration `json:"testTimeout"`
}

// Duration is a time.Duration that reads and writes as "90s" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"90s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Validate reports the first problem that would make the VM run pointless.
func (c Config) Validate() error {
	switch {
	case c.Nonce == "":
		return fmt.Errorf("vm config: empty nonce")
	case c.TestTimeout <= 0:
		return fmt.Errorf("vm config: test timeout %s must be positive", time.Duration(c.TestTimeout))
	}
	return nil
}

// Read loads and validates the config at path.
func Read(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("reading vm config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("parsing vm config %s: %w", path, err)
	}
	return c, c.Validate()
}
