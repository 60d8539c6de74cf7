package app

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sealkube/kubeadm/app/locallbconfig"
)

// extendConfigPrint adds `kubeadm config print locallb-defaults`, which
// prints a commented LocalLoadBalancerConfiguration to append to init and
// join config files.
func extendConfigPrint(root *cobra.Command, out io.Writer) error {
	print, err := findCommand(root, "config", "print")
	if err != nil {
		return err
	}
	print.AddCommand(&cobra.Command{
		Use:   "locallb-defaults",
		Short: "Print an example " + locallbconfig.Kind + " document for kubeadm init and join --config files",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprint(out, locallbconfig.Example)
			return err
		},
	})
	return nil
}
