package care

import (
	"io"
	"slices"

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

// NonPublicFlags parses args as the care command does and returns the flags
// among them that public lvscare does not have (ours, e.g. --backend), in
// the order given; an unknown flag is an error, as it would be for either.
func NonPublicFlags(args []string) ([]string, error) {
	fs := pflag.NewFlagSet("care", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	NewOptions().RegisterFlags(fs)
	var ours []string
	err := fs.ParseAll(args, func(f *pflag.Flag, value string) error {
		if !slices.Contains(PublicFlags, f.Name) && !slices.Contains(ours, f.Name) {
			ours = append(ours, f.Name)
		}
		return fs.Set(f.Name, value)
	})
	if err != nil {
		return nil, err
	}
	return ours, nil
}
