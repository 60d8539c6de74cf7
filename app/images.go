package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	kubeadmscheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme"
	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	outputapischeme "k8s.io/kubernetes/cmd/kubeadm/app/apis/output/scheme"
	outputapiv1alpha3 "k8s.io/kubernetes/cmd/kubeadm/app/apis/output/v1alpha3"
	kubeadmcmd "k8s.io/kubernetes/cmd/kubeadm/app/cmd"
	cmdutil "k8s.io/kubernetes/cmd/kubeadm/app/cmd/util"
	"k8s.io/kubernetes/cmd/kubeadm/app/features"
	"k8s.io/kubernetes/cmd/kubeadm/app/images"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
	kubeadmerrors "k8s.io/kubernetes/cmd/kubeadm/app/util/errors"
	"k8s.io/kubernetes/cmd/kubeadm/app/util/output"
	utilruntime "k8s.io/kubernetes/cmd/kubeadm/app/util/runtime"

	"github.com/sealkube/kubeadm/manifests"
)

// imagesFlags are the flags of `kubeadm config images list|pull`, bound to
// our variables instead of upstream's (see rebindFlags).
type imagesFlags struct {
	clusterCfg   kubeadmapiv1.ClusterConfiguration
	initCfg      kubeadmapiv1.InitConfiguration // pull: --cri-socket
	cfgPath      string
	featureGates string
}

func newImagesFlags() *imagesFlags {
	f := &imagesFlags{}
	kubeadmscheme.Scheme.Default(&f.clusterCfg)
	kubeadmscheme.Scheme.Default(&f.initCfg)
	return f
}

// images loads the configuration from the flags and --config the way
// upstream's command does (list: without CRI detection) and returns
// upstream's control-plane images and the workers' lvscare image
// (manifests.ImageFor the configuration's imageRepository).
func (f *imagesFlags) images(forPull bool) (controlPlane []string, lvscare string, criSocket string, err error) {
	f.clusterCfg.FeatureGates, err = features.NewFeatureGate(&features.InitFeatureGates, f.featureGates)
	if err != nil {
		return nil, "", "", err
	}
	initCfg, opts := &kubeadmapiv1.InitConfiguration{}, configutil.LoadOrDefaultConfigurationOptions{SkipCRIDetect: true}
	if forPull {
		initCfg, opts = &f.initCfg, configutil.LoadOrDefaultConfigurationOptions{}
	}
	cfg, err := configutil.LoadOrDefaultInitConfiguration(f.cfgPath, initCfg, &f.clusterCfg, opts)
	if err != nil {
		if !forPull {
			// upstream's wrapping (NewImagesList), stack trace included
			err = kubeadmerrors.Wrap(err, "could not convert cfg to an internal cfg")
		}
		return nil, "", "", err
	}
	return images.GetControlPlaneImages(&cfg.ClusterConfiguration), manifests.ImageFor(cfg.ImageRepository), cfg.NodeRegistration.CRISocket, nil
}

// extendConfigImages makes `kubeadm config images list` and `pull` include
// the lvscare image that worker joins put in their static pod.
//
// Missing seam: upstream computes the list with images.GetControlPlaneImages
// inside the commands' RunE, with flags bound to private variables. So we
// bind those flags (same names, types and defaults, registered by upstream's
// own exported helpers) to our variables and replace RunE with one built
// from the same exported pieces: LoadOrDefaultInitConfiguration,
// GetControlPlaneImages, upstream's output printers, PullControlPlaneImages.
func extendConfigImages(root *cobra.Command, out io.Writer) error {
	list, err := findCommand(root, "config", "images", "list")
	if err != nil {
		return err
	}
	pull, err := findCommand(root, "config", "images", "pull")
	if err != nil {
		return err
	}

	lf := newImagesFlags()
	printFlags := output.NewOutputFlags(nil).WithTypeSetter(outputapischeme.Scheme).WithDefaultOutput(output.TextOutput)
	ours := &cobra.Command{Use: list.Use}
	printFlags.AddFlags(ours)
	kubeadmcmd.AddImagesCommonConfigFlags(ours.PersistentFlags(), &lf.clusterCfg, &lf.cfgPath, &lf.featureGates)
	if err := rebindFlags(list, ours); err != nil {
		return err
	}
	list.RunE = func(*cobra.Command, []string) error {
		cp, lvscare, _, err := lf.images(false)
		if err != nil {
			return err
		}
		return printImages(out, printFlags, append(cp, lvscare))
	}

	pf := newImagesFlags()
	ours = &cobra.Command{Use: pull.Use}
	kubeadmcmd.AddImagesCommonConfigFlags(ours.PersistentFlags(), &pf.clusterCfg, &pf.cfgPath, &pf.featureGates)
	cmdutil.AddCRISocketFlag(ours.PersistentFlags(), &pf.initCfg.NodeRegistration.CRISocket)
	if err := rebindFlags(pull, ours); err != nil {
		return err
	}
	pull.RunE = func(*cobra.Command, []string) error {
		cp, lvscare, socket, err := pf.images(true)
		if err != nil {
			return err
		}
		rt := utilruntime.NewContainerRuntime(socket)
		if err := rt.Connect(); err != nil {
			return err
		}
		defer rt.Close(context.Background())
		return pullImages(rt, cp, lvscare, out)
	}
	return nil
}

// printImages prints the list like upstream: one image a line for text,
// else upstream's Images object through its printers (json, yaml, …).
func printImages(out io.Writer, pf *output.PrintFlags, imgs []string) error {
	if *pf.OutputFormat == output.TextOutput {
		_, err := fmt.Fprintln(out, strings.Join(imgs, "\n"))
		return err
	}
	printer, err := pf.ToPrinter()
	if err != nil {
		return fmt.Errorf("could not construct output printer: %w", err)
	}
	if err := printer.PrintObj(&outputapiv1alpha3.Images{Images: imgs}, out); err != nil {
		return fmt.Errorf("unable to print images: %w", err)
	}
	return nil
}

// pullImages pulls upstream's images with upstream's function, then ours.
// An image the runtime already has is not pulled again (upstream pulls every
// one): a CRI pull asks the registry even then, so on an offline node whose
// images were imported (the offline package's init.sh) upstream's pull
// fails although nothing is missing. kubeadm init's preflight skips present
// images the same way.
func pullImages(rt utilruntime.ContainerRuntime, controlPlane []string, lvscare string, out io.Writer) error {
	present := func(image string) bool {
		ok := rt.ImageExists(image)
		if ok {
			fmt.Fprintf(out, "[config/images] Found %s in the container runtime, not pulled\n", image)
		}
		return ok
	}
	for _, image := range controlPlane {
		if present(image) {
			continue
		}
		if err := rt.PullImage(image); err != nil {
			return fmt.Errorf("failed to pull image %q: %w", image, err)
		}
		fmt.Fprintf(out, "[config/images] Pulled %s\n", image)
	}
	if present(lvscare) {
		return nil
	}
	if err := rt.PullImage(lvscare); err != nil {
		return fmt.Errorf("failed to pull image %q (the workers' lvscare static pod): %w; import it with `ctr -n k8s.io images import lvscare-image.tar` "+
			"(`make image` builds the archive), or set imageRepository (--image-repository) to a registry that serves %s:%s", lvscare, err, manifests.ImageName, manifests.ImageTag)
	}
	fmt.Fprintf(out, "[config/images] Pulled %s\n", lvscare)
	return nil
}

// rebindFlags points every flag defined on cmd at the value of the flag of
// the same name in ours, which must match it in type and default, and must
// cover all of cmd's flags: a flag upstream adds later would otherwise be
// silently ignored by our RunE.
func rebindFlags(cmd, ours *cobra.Command) error {
	path := cmd.CommandPath()
	var errs []string
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		o := ours.Flags().Lookup(f.Name)
		if o == nil {
			o = ours.PersistentFlags().Lookup(f.Name)
		}
		switch {
		case o == nil:
			errs = append(errs, fmt.Sprintf("--%s is new", f.Name))
		case o.Value.Type() != f.Value.Type() || o.DefValue != f.DefValue:
			errs = append(errs, fmt.Sprintf("--%s is %s %q upstream, %s %q here", f.Name, f.Value.Type(), f.DefValue, o.Value.Type(), o.DefValue))
		default:
			f.Value = o.Value
		}
	})
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("upstream '%s' changed its flags (%s): the pinned kubeadm changed; update app/images.go", path, strings.Join(errs, "; "))
	}
	return nil
}
