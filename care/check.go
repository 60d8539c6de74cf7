package care

import (
	"io"

	"github.com/spf13/pflag"
)

// CheckArgs parses args (what follows "lvscare care") as the care command
// does and validates them, without the environment and without looking at
// this machine's files: for kubeadm to refuse, before writing a manifest, a
// command line the daemon would refuse on the node. It returns the
// configuration the daemon would run with.
func CheckArgs(args []string) (Config, error) {
	fs := pflag.NewFlagSet("care", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := NewOptions()
	o.Offline = true
	o.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	o.Args = fs.Args()
	return o.Validate()
}
