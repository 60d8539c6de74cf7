package app

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sealkube/kubeadm/app/cmd/phases"
	"github.com/sealkube/kubeadm/app/locallbconfig"
)

// extendReset makes `kubeadm reset` also remove the node-local load
// balancer, after upstream's reset succeeded: upstream asks for
// confirmation first. Its cleanup usually stops the lvscare pod, but not
// when it cannot reach the container runtime or cleanup-node is skipped,
// so ResetLocalLB removes the manifest and waits for the pod (asking the
// CRI of reset's --cri-socket) before it removes the rules.
func extendReset(root *cobra.Command, host Host) error {
	reset, err := findCommand(root, "reset")
	if err != nil {
		return err
	}
	if reset.RunE == nil || reset.Flags().Lookup(flagDryRun) == nil {
		return fmt.Errorf("upstream 'kubeadm reset' has no RunE or no --%s: the pinned kubeadm changed", flagDryRun)
	}
	upstream := reset.RunE
	reset.RunE = func(cmd *cobra.Command, args []string) error {
		if err := upstream(cmd, args); err != nil {
			return err
		}
		dryRun := flagBool(cmd.Flags(), flagDryRun)
		if p := flagString(cmd.Flags(), flagConfig); p != "" && !dryRun {
			dryRun = configDryRun(p, "ResetConfiguration")
		}
		node := host.Node
		if node.CRISocket == "" {
			node.CRISocket = flagString(cmd.Flags(), flagCRISocket)
		}
		return phases.ResetLocalLB(node, dryRun)
	}
	return nil
}

// configDryRun reads dryRun of the first kind document in path; upstream
// has already validated the file.
func configDryRun(path, kind string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	f, err := locallbconfig.Parse(path, data)
	if err != nil {
		return false
	}
	i := f.Find(kind)
	if i < 0 {
		return false
	}
	m, err := f.Fields(i)
	if err != nil {
		return false
	}
	v, _ := m["dryRun"].(bool)
	return v
}
