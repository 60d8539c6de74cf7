// Package app assembles the kubeadm command: upstream's command tree, built by
// the imported k8s.io/kubernetes module, plus this project's extensions. It is
// the one place where the tree is changed.
package app

import (
	"flag"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
)

// NewCommand returns upstream's kubeadm command tree with our extensions
// applied. It registers no logging flags, so tests can compare it with
// upstream's tree built by cmd.NewKubeadmCommand.
func NewCommand(in io.Reader, out, errOut io.Writer) *cobra.Command {
	root := kubeadmcmd.NewKubeadmCommand(in, out, errOut)
	return root
}

// Run builds the command, wires up klog the way upstream's app.Run does and
// executes it with args.
func Run(in io.Reader, out, errOut io.Writer, args []string) error {
	root := NewCommand(in, out, errOut)
	addLogFlags(root.PersistentFlags())
	root.SetArgs(args)
	return root.Execute()
}

// addLogFlags exposes only klog's -v and -vmodule, as upstream kubeadm does
// (KEP 2845). The values are also registered on the standard library's
// flag.CommandLine because kubeadm's error handler reads -v from there to
// decide whether to print a stack trace.
func addLogFlags(fs *pflag.FlagSet) {
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	for _, name := range []string{"v", "vmodule"} {
		f := klogFlags.Lookup(name)
		if flag.CommandLine.Lookup(name) == nil {
			flag.CommandLine.Var(f.Value, f.Name, f.Usage)
		}
		fs.AddGoFlag(f)
	}
}
