package app

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	kubeadmapiv1 "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/v1beta4"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"

	"github.com/sealkube/kubeadm/certs"
)

// extendKubeconfigUser makes `kubeadm kubeconfig user` issue 100-year client
// certificates by default. Upstream's --validity-period flag defaults to one
// year and always overrides the configuration, so the flag's default becomes
// certs.Validity and, when the flag is not given, a certificateValidityPeriod
// from --config wins.
func extendKubeconfigUser(root *cobra.Command) error {
	user, _, err := root.Find([]string{"kubeconfig", "user"})
	if err != nil || user.Name() != "user" {
		return fmt.Errorf("upstream command 'kubeadm kubeconfig user' not found (err: %v): the pinned kubeadm changed its command tree", err)
	}
	validity := user.Flags().Lookup("validity-period")
	if validity == nil {
		return fmt.Errorf("upstream flag 'kubeadm kubeconfig user --validity-period' not found: the pinned kubeadm changed its flags")
	}
	def := certs.Validity.String()
	if err := validity.Value.Set(def); err != nil {
		return fmt.Errorf("setting default of --validity-period to %s: %w", def, err)
	}
	validity.DefValue = def

	upstreamRunE := user.RunE
	user.RunE = func(cmd *cobra.Command, args []string) error {
		if !validity.Changed {
			period, err := configuredValidity(cmd)
			if err != nil {
				return err
			}
			if err := validity.Value.Set(period.String()); err != nil {
				return fmt.Errorf("setting --validity-period to %s: %w", period, err)
			}
		}
		return upstreamRunE(cmd, args)
	}
	return nil
}

// configuredValidity returns the certificateValidityPeriod of the --config
// file after defaulting: the user's value or certs.Validity.
func configuredValidity(cmd *cobra.Command) (time.Duration, error) {
	cfgPath, err := cmd.Flags().GetString("config")
	if err != nil || cfgPath == "" {
		return certs.Validity, nil
	}
	cfg, err := configutil.LoadOrDefaultInitConfiguration(cfgPath, &kubeadmapiv1.InitConfiguration{}, &kubeadmapiv1.ClusterConfiguration{},
		configutil.LoadOrDefaultConfigurationOptions{SkipCRIDetect: true})
	if err != nil {
		return 0, err
	}
	if cfg.CertificateValidityPeriod == nil {
		return certs.Validity, nil
	}
	return cfg.CertificateValidityPeriod.Duration, nil
}
