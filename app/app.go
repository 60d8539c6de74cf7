// Package app assembles the kubeadm command: upstream's command tree, built by
// the imported k8s.io/kubernetes module, plus this project's extensions. It is
// the one place where the tree is changed.
package app

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
	kubeadmscheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"

	"github.com/sealkube/kubeadm/certs"
)

// NewCommand returns upstream's kubeadm command tree with our extensions
// applied. It registers our config defaults in kubeadm's scheme before the
// tree is built, because upstream's commands read flag defaults from a
// defaulted configuration while they are being constructed.
//
// It adds no logging flags, so tests can compare it with the tree built by
// upstream's cmd.NewKubeadmCommand.
func NewCommand(in io.Reader, out, errOut io.Writer) (*cobra.Command, error) {
	return newCommand(in, out, errOut, DefaultHost(out))
}

// newCommand is NewCommand acting on host (tests use temporary paths and
// an in-memory kernel).
func newCommand(in io.Reader, out, errOut io.Writer, host Host) (*cobra.Command, error) {
	if err := registerConfigDefaults(kubeadmscheme.Scheme, binaryVersion()); err != nil {
		return nil, fmt.Errorf("registering configuration defaults: %w", err)
	}
	root := kubeadmcmd.NewKubeadmCommand(in, out, errOut)
	for _, extend := range []func(*cobra.Command) error{
		extendKubeconfigUser,
		func(root *cobra.Command) error { return extendJoin(root, host) },
		func(root *cobra.Command) error { return extendReset(root, host) },
		func(root *cobra.Command) error { return extendInit(root, host) },
		func(root *cobra.Command) error { return extendConfigPrint(root, out) },
		func(root *cobra.Command) error { return extendConfigImages(root, out) },
		// Outside the init and join extensions: they read the converted file.
		func(root *cobra.Command) error { return extendLegacyConfig(root, out, errOut, host) },
		// Last, so its notice comes before anything the other extensions print.
		func(root *cobra.Command) error { return extendLegacyFlags(root, errOut) },
	} {
		if err := extend(root); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// Run builds the command, wires up klog the way upstream's app.Run does and
// executes it with args.
func Run(in io.Reader, out, errOut io.Writer, args []string) error {
	root, err := NewCommand(in, out, errOut)
	if err != nil {
		return err
	}
	addLogFlags(root.PersistentFlags())
	// klog writes to stderr as upstream's does, through a filter that turns
	// upstream's per-command "validity longer than recommended" warnings into
	// one line.
	// Structured entries are formatted by textlogger into the same filter;
	// klog's own -v check still decides what is logged.
	announce := false
	if cmd, _, err := root.Find(args); err == nil {
		announce = certs.IssuesCertificates(cmd.CommandPath())
	}
	logFilter := certs.NewWarningFilter(os.Stderr, announce)
	logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(logFilter), textlogger.Verbosity(math.MaxInt32)))
	klog.SetLoggerWithOptions(logger, klog.WriteKlogBuffer(logFilter.WriteKlogBuffer))
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
