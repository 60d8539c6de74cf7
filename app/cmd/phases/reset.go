package phases

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/klog/v2"

	"github.com/sealkube/kubeadm/locallb"
	"github.com/sealkube/kubeadm/manifests"
)

// ResetLocalLB removes what the locallb phase left on the node: the lvscare
// manifest, then (once the care daemon stopped) the virtual server and
// route recorded in the state file (and nothing else in IPVS), and our
// /etc/hosts line. It is idempotent; with dryRun it only prints what it
// would remove. The kernel is opened only when a record exists, so nodes
// that never ran the phase need no IPVS.
//
// The order is the join's undo (removeUnderStoppedCare): upstream's reset
// removes the containers but only warns when it cannot (containerd down),
// and --skip-phases cleanup-node keeps them, so the daemon may still run
// here and would restore removed rules unrecorded. When it does not stop
// within CareStopTimeout (say the kubelet is down and the container runs
// on), reset keeps the rules and their record and fails naming the
// container and `crictl stop`: an operator then stops it and runs reset
// again, which finishes the job. Removing the rules anyway would look
// done but leave rules that the next join refuses; stopping the container
// ourselves would override --skip-phases cleanup-node.
func ResetLocalLB(node Node, dryRun bool) error {
	var errs []error
	in := locallb.Installer{StatePath: node.StatePath}
	st, recorded, err := in.ReadState()
	if err != nil {
		errs = append(errs, err)
	}

	manifest := filepath.Join(node.ManifestDir, manifests.FileName)
	if _, err := os.Stat(manifest); err == nil {
		if dryRun {
			node.printf("Would remove %s", manifest)
		} else if err := os.Remove(manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing %s: %w", manifest, err))
		} else {
			node.printf("Removed %s", manifest)
		}
	}

	if recorded {
		what := fmt.Sprintf("the %s virtual server %s", st.BackendOrDefault().Title(), st.VIP)
		if st.Route {
			what += fmt.Sprintf(" and its route (proto %d)", locallb.RouteProtocol)
		}
		if len(st.AdoptedRoutes) > 0 {
			what += fmt.Sprintf(" and the route %s that came with it from %s", hostRoutesString(st.AdoptedRoutes), st.Adopted)
		}
		if dryRun {
			node.printf("Would remove %s, recorded in %s, once no lvscare pod runs", what, node.statePath())
		} else if err := node.resetKernel(st, what); err != nil {
			errs = append(errs, err)
		}
	}

	if node.ModulesLoadPath != "" {
		if _, err := os.Stat(node.ModulesLoadPath); err == nil {
			if dryRun {
				node.printf("Would remove %s", node.ModulesLoadPath)
			} else if err := os.Remove(node.ModulesLoadPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing %s: %w", node.ModulesLoadPath, err))
			} else {
				node.printf("Removed %s", node.ModulesLoadPath)
			}
		}
	}

	h := node.hosts()
	if dryRun {
		ours, err := h.Ours()
		if err != nil {
			errs = append(errs, err)
		}
		for _, l := range ours {
			node.printf("Would remove the %s line %q", node.HostsPath, l)
		}
	} else if removed, err := h.Remove(); err != nil {
		errs = append(errs, err)
	} else {
		for _, l := range removed {
			node.printf("Removed the %s line %q", node.HostsPath, l)
		}
	}
	if len(errs) == 0 {
		klog.V(1).Info("[locallb] reset done")
		return nil
	}
	return fmt.Errorf("removing the node-local load balancer: %w", errors.Join(errs...))
}

// resetKernel removes the recorded rules once no care daemon runs; should
// they come back, it writes the record back for the next reset.
func (node Node) resetKernel(st locallb.State, what string) error {
	k, err := node.OpenKernel(st.BackendOrDefault())
	if err != nil {
		return fmt.Errorf("removing the %s virtual server %s recorded in %s: %w", st.BackendOrDefault().Title(), st.VIP, node.statePath(), err)
	}
	if k.Close != nil {
		defer k.Close()
	}
	record, err := readOld(node.statePath())
	if err != nil {
		return err
	}
	_, err = node.removeUnderStoppedCare(careRemoval{
		wait:     true,
		manifest: filepath.Join(node.ManifestDir, manifests.FileName),
		kernel:   k,
		vip:      st.VIP,
		remove: func() ([]string, error) {
			if err := node.installer(k).Cleanup(); err != nil {
				return nil, err
			}
			node.printf("Removed %s", what)
			return []string{"removed " + what}, nil
		},
		watch: true,
		rerecord: func() error {
			_, err := restoreFileStep(node.statePath(), record, 0o600)()
			return err
		},
		then: "run `kubeadm reset` again",
	})
	return err
}
