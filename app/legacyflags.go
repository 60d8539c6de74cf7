package app

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// legacyFlag is a flag name of 2019-era kubeadm (v1.14) that upstream
// renamed in v1.15 and removed later.
type legacyFlag struct{ old, current string }

// legacyFlags are the old names runbooks of that time use. --certificate-key
// already had its current name in v1.14.
func legacyFlags() []legacyFlag {
	return []legacyFlag{
		{old: "experimental-upload-certs", current: "upload-certs"},
		{old: "experimental-control-plane", current: "control-plane"},
	}
}

// extendLegacyFlags accepts each old name on every command that has the
// current flag (init, init phase upload-certs, join and its control-plane
// phases), as v1.15 did.
//
// The old name is mapped to the current one by the flag set's normalization
// function instead of being a second flag: the alias is then invisible in
// help and in the flag list (the tree stays upstream's), and the current
// flag itself is what is set, so upstream's "can not mix --config with
// arguments" check, which allows --upload-certs by name, still allows it.
// The notice is v1.15's pflag deprecation line, printed once the command
// runs.
func extendLegacyFlags(root *cobra.Command, errOut io.Writer) error {
	var err error
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		var mine []legacyFlag
		for _, lf := range legacyFlags() {
			if c.LocalNonPersistentFlags().Lookup(lf.current) == nil {
				continue
			}
			if c.Flags().Lookup(lf.old) != nil && err == nil {
				err = fmt.Errorf("upstream '%s' has a --%s flag again: drop our alias for --%s", c.CommandPath(), lf.old, lf.current)
			}
			mine = append(mine, lf)
		}
		if len(mine) > 0 {
			aliasLegacyFlags(c, mine, errOut)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return err
}

// aliasLegacyFlags installs the normalization on c and prints the notice
// for each old name the command line used.
func aliasLegacyFlags(c *cobra.Command, aliases []legacyFlag, errOut io.Writer) {
	fs := c.Flags()
	prev := fs.GetNormalizeFunc()
	// used lives as long as this command tree, i.e. one invocation.
	var used []legacyFlag
	fs.SetNormalizeFunc(func(f *pflag.FlagSet, name string) pflag.NormalizedName {
		for _, lf := range aliases {
			if name == lf.old {
				if !slices.Contains(used, lf) {
					used = append(used, lf)
				}
				return pflag.NormalizedName(lf.current)
			}
		}
		return prev(f, name)
	})
	wrapRun(c, func(cmd *cobra.Command) (func(), error) {
		for _, lf := range used {
			fmt.Fprintf(errOut, "Flag --%s has been deprecated, use --%s instead\n", lf.old, lf.current)
		}
		used = nil
		return func() {}, nil
	})
}

// wrapRun runs before ahead of c's RunE or Run (made a RunE) and its
// returned func after it; a command without either is left alone.
func wrapRun(c *cobra.Command, before func(cmd *cobra.Command) (after func(), err error)) {
	inner := c.RunE
	if inner == nil && c.Run != nil {
		run := c.Run
		inner = func(cmd *cobra.Command, args []string) error { run(cmd, args); return nil }
		c.Run = nil
	}
	if inner == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		after, err := before(cmd)
		if after != nil {
			defer after()
		}
		if err != nil {
			return err
		}
		return inner(cmd, args)
	}
}
