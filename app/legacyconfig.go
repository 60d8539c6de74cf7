package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	kubeadmutil "k8s.io/kubernetes/cmd/kubeadm/app/util"

	"github.com/sealkube/kubeadm/app/legacyconfig"
)

const (
	flagOldConfig = "old-config"
	flagNewConfig = "new-config"
)

// extendLegacyConfig lets every command that reads a kubeadm config file
// (--config, and config migrate's --old-config) take 2019-era
// kubeadm.k8s.io/v1beta1 and v1beta2 documents: they are converted in
// memory (package legacyconfig) and upstream gets a private copy of the
// converted file, removed after the command.
//
// Missing seam: upstream refuses those versions in its private
// validateSupportedVersion (a hard-coded list) before any scheme
// conversion runs, so they cannot be registered in kubeadm's scheme; the
// conversion has to happen on the file, before upstream reads it. It is
// applied outermost, so our init and join extensions read the converted
// file too.
func extendLegacyConfig(root *cobra.Command, out, errOut io.Writer, host Host) error {
	migrate, err := findCommand(root, "config", "migrate")
	if err != nil {
		return err
	}
	if migrate.Flags().Lookup(flagOldConfig) == nil || migrate.Flags().Lookup(flagNewConfig) == nil {
		return fmt.Errorf("upstream 'kubeadm config migrate' has no --%s or --%s: the pinned kubeadm changed", flagOldConfig, flagNewConfig)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c == migrate:
			extendMigrate(c, out, errOut, host)
		case c.Flags().Lookup(flagConfig) != nil && c.Flags().Lookup(flagConfig).Value.Type() == "string":
			wrapRun(c, func(cmd *cobra.Command) (func(), error) {
				inv := &joinInvocation{}
				_, err := convertConfigFlag(cmd, flagConfig, inv, errOut, host, false)
				return inv.cleanup, err
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return nil
}

// convertConfigFlag reads the file the flag names and, when it holds
// legacy documents, prints the notes and points the flag at a converted
// copy until inv.cleanup. forMigrate leaves documents of other groups out
// of the copy and the migrate hint out of the notes. The result is nil
// when the file needs no conversion.
func convertConfigFlag(cmd *cobra.Command, flag string, inv *joinInvocation, errOut io.Writer, host Host, forMigrate bool) (*legacyconfig.Result, error) {
	f := cmd.Flags().Lookup(flag)
	path := f.Value.String()
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil // upstream reports it, in its words
	}
	if _, err := kubeadmutil.SplitConfigDocuments(data); err != nil {
		// Nothing to convert in a file upstream cannot even split:
		// upstream reports it in its words (and the init and join
		// extensions, when it holds our document, in ours).
		return nil, nil
	}
	res, err := legacyconfig.Convert(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !res.Converted {
		return nil, nil
	}
	printLegacyNotes(errOut, path, res, !forMigrate)
	converted := res.Bytes()
	if forMigrate {
		converted = res.KubeadmBytes()
	}
	if err := inv.useFilteredCopy(f, path, converted, host); err != nil {
		return nil, err
	}
	return &res, nil
}

// printLegacyNotes is the warning: what was converted, one line for each
// field dropped or changed, and (suggestMigrate) how to convert the file
// for good.
func printLegacyNotes(w io.Writer, path string, res legacyconfig.Result, suggestMigrate bool) {
	fmt.Fprintf(w, "[config] WARNING: %s uses %s, which upstream kubeadm no longer reads; converted it to %s in memory\n",
		path, strings.Join(res.Versions, " and "), legacyconfig.Target)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "[config]   - %s\n", n)
	}
	if suggestMigrate {
		fmt.Fprintf(w, "[config] To convert the file once: kubeadm config migrate --%s %s --%s <new file>\n", flagOldConfig, path, flagNewConfig)
	}
}

// extendMigrate converts legacy files for `kubeadm config migrate` and
// writes legacyconfig.MigratedFile of upstream's output: upstream's migrate
// keeps only kubeadm kinds (and refuses documents it does not know, like
// ours), so for a legacy file, whose old version upstream refuses anyway,
// the documents of other groups (the runbooks' KubeProxyConfiguration, our
// LocalLoadBalancerConfiguration) follow unchanged, and the timeouts its
// migrate zeroes are repaired. Other files are upstream's migrate alone.
func extendMigrate(c *cobra.Command, out, errOut io.Writer, host Host) {
	inner := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		inv := &joinInvocation{}
		defer inv.cleanup()
		res, err := convertConfigFlag(cmd, flagOldConfig, inv, errOut, host, true)
		if err != nil {
			return err
		}
		if res == nil {
			return inner(cmd, args)
		}
		newFlag := cmd.Flags().Lookup(flagNewConfig)
		target := newFlag.Value.String()
		// Upstream writes to --new-config or stdout; have it write a
		// private file that is repaired and completed.
		if err := inv.useFilteredCopy(newFlag, "migrated.yaml", nil, host); err != nil {
			return err
		}
		if err := inner(cmd, args); err != nil {
			return err
		}
		written := newFlag.Value.String()
		data, err := os.ReadFile(written)
		if err != nil {
			return fmt.Errorf("reading the migrated configuration %s: %w", written, err)
		}
		merged, err := legacyconfig.MigratedFile(data, *res)
		if err != nil {
			return err
		}
		if target == "" {
			_, err = out.Write(merged)
			return err
		}
		if err := os.WriteFile(target, merged, 0o644); err != nil {
			return fmt.Errorf("failed to write the new configuration to the file %q: %w", target, err)
		}
		return nil
	}
}
