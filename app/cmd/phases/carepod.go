package phases

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"github.com/sealkube/kubeadm/manifests"
)

// connectCareRuntime connects to the CRI, or returns nil (logged) when it
// is not configured or cannot be reached: every caller then falls back to
// what it can tell without it.
func (n Node) connectCareRuntime() (CareRuntime, func()) {
	if n.CareRuntime == nil {
		return nil, func() {}
	}
	rt, err := n.CareRuntime(n.CRISocket)
	if err != nil {
		klog.V(1).Infof("[locallb] cannot ask the container runtime about the lvscare pod: %v", err)
		return nil, func() {}
	}
	return rt, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rt.Close(ctx)
	}
}

// imageUser asks the CRI what image runs as, which decides whether the pod
// is run as ours or as the public lvscare. An image the runtime does not
// have (the pull failed; checkImage warned) or a runtime that cannot be
// asked leaves the decision to the name (byName), as before the image was
// there: for our own repository that is right, and a root image pulled
// later by the kubelet is then caught by the start check, which names the
// likely cause.
func (n Node) imageUser(image string, byName bool) manifests.ImageUser {
	rt, closeRT := n.connectCareRuntime()
	defer closeRT()
	if rt == nil {
		return manifests.ImageUserUnknown
	}
	u, err := rt.ImageUser(image)
	if err != nil {
		klog.V(1).Infof("[locallb] %v: the image's name decides how the pod runs it", err)
		return manifests.ImageUserUnknown
	}
	switch {
	case u == manifests.ImageUserUnknown:
		klog.V(1).Infof("[locallb] the container runtime does not have %s: its name decides how the pod runs it", image)
	case byName && u == manifests.ImageUserRoot:
		n.printf("The lvscare image %s runs as root (or as a user name, which the kubelet cannot check against runAsNonRoot): running it as the public lvscare (root, SYS_MODULE, no liveness probe), not as our daemon", image)
	case !byName && u == manifests.ImageUserNonRoot:
		n.printf("The lvscare image %s runs as a non-root uid: running it as our daemon (runAsNonRoot, NET_ADMIN only, liveness probe)", image)
	}
	return u
}

// CheckCareStarted waits, bounded by CareStartTimeout, for the container
// of the lvscare pod this run wrote to run, and says why it does not. A
// join calls it once its kubelet runs (after upstream's join): the phase
// itself runs before the kubelet starts. It is nil when the run wrote no
// manifest or the container runtime cannot be asked.
func (c *Changes) CheckCareStarted() error {
	if c == nil || !c.wroteManifest {
		return nil
	}
	return c.node.checkCareStarts(c.manifestPath)
}

func (n Node) careStartTimeout() time.Duration {
	if n.CareStartTimeout <= 0 {
		return DefaultCareStartTimeout
	}
	return n.CareStartTimeout
}

// checkCareStarts waits until a container of the kube-lvscare pod runs.
// The kubelet's own reasons (CreateContainerConfigError, ImagePullBackOff)
// live in the pod's status, not in the CRI, so when no container was
// created the error names the likely causes and where the kubelet says
// which.
func (n Node) checkCareStarts(manifestPath string) error {
	rt, closeRT := n.connectCareRuntime()
	defer closeRT()
	if rt == nil {
		return nil
	}
	timeout := n.careStartTimeout()
	deadline := time.Now().Add(timeout)
	var last CarePod
	var lastErr error
	for {
		p, err := rt.CarePod()
		if err == nil {
			last, lastErr = p, nil
			for _, c := range p.Containers {
				if c.State == "running" {
					klog.V(1).Infof("[locallb] the lvscare container %s runs", shortID(c.ID))
					return nil
				}
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(min(500*time.Millisecond, timeout/10+time.Millisecond))
	}
	if lastErr != nil {
		return fmt.Errorf("the lvscare pod of %s did not start within %s, and the container runtime cannot say why: %w; check it with `crictl ps -a --name %s`", manifestPath, timeout, lastErr, careContainerName)
	}
	return fmt.Errorf("the lvscare pod of %s did not start within %s: %s; without it the load balancer forwards to every master without health checks", manifestPath, timeout, whyNotStarted(last, manifestPath))
}

// whyNotStarted explains a pod without a running container from what the
// CRI shows.
func whyNotStarted(p CarePod, manifestPath string) string {
	reasons := fmt.Sprintf("the kubelet's reason: `kubectl -n kube-system describe pod %s<node>` or `journalctl -u kubelet | grep %s`", carePodPrefix, manifests.PodName)
	var exited *CareContainer
	for i := range p.Containers {
		if p.Containers[i].State == "exited" {
			exited = &p.Containers[i]
		}
	}
	switch {
	case exited != nil:
		why := fmt.Sprintf("its container %s (%s) exited with code %d", shortID(exited.ID), exited.Image, exited.ExitCode)
		if exited.Reason != "" {
			why += " (" + exited.Reason + ")"
		}
		if m := strings.TrimSpace(exited.Message); m != "" {
			why += ": " + m
		}
		return why + "; its log: `crictl logs " + shortID(exited.ID) + "`"
	case len(p.Containers) > 0:
		return fmt.Sprintf("its container %s was created but did not start; %s", describeContainers(p.Containers), reasons)
	case len(p.Sandboxes) > 0:
		return fmt.Sprintf("the kubelet started the pod (sandbox %s) but did not create its container: it refused the container's configuration (CreateContainerConfigError, e.g. runAsNonRoot for an image whose user is root) or cannot get its image (ErrImagePull, ImagePullBackOff); %s", shortID(p.Sandboxes[0]), reasons)
	}
	return fmt.Sprintf("the kubelet has not started it: is the kubelet running (systemctl status kubelet), with the directory of %s as its staticPodPath?", manifestPath)
}

// careRemoval is the removal of kernel rules that a care daemon maintains.
type careRemoval struct {
	// wait: a care daemon may run whose manifest the caller removed; the
	// rules are removed only once it stopped.
	wait     bool
	manifest string
	kernel   KernelHandles
	vip      netip.AddrPort
	// remove removes the rules and their record and says what it did.
	remove func() ([]string, error)
	// watch: remove deleted the virtual server, so check that it stays
	// deleted; rerecord records it again when it came back.
	watch    bool
	rerecord func() error
	// then is what the operator does once the daemon stopped.
	then string
}

// removeUnderStoppedCare is the one order in which the join's undo and
// reset remove the rules: the care daemon restores a missing virtual server
// every restore period (ours 200 ms, the public lvscare's re-create tick
// 5 s) and leaves the rules in place when it stops, so rules removed under
// a running daemon come back unrecorded and the next join refuses them
// ("kubeadm did not create it"). The caller removed the lvscare manifest
// first; then
//  1. wait, bounded by CareStopTimeout, until no daemon runs: its health
//     endpoint does not answer and the CRI lists no created or running
//     kube-lvscare container;
//  2. if one still runs, keep the rules and their record, and say which
//     container and how to stop it: a later reset then removes them;
//  3. remove the rules;
//  4. when the CRI could not say that no lvscare container runs, watch the
//     virtual server for CareQuiet and record it again if it comes back.
func (n Node) removeUnderStoppedCare(r careRemoval) ([]string, error) {
	rt, closeRT := n.connectCareRuntime()
	defer closeRT()
	if r.wait {
		if err := n.waitCareStopped(rt, r); err != nil {
			return nil, err
		}
	}
	undone, err := r.remove()
	if err != nil || !r.watch {
		return undone, err
	}
	if rt != nil {
		if p, err := rt.CarePod(); err == nil && len(p.live()) == 0 {
			return undone, nil // no lvscare container can restore it
		}
	}
	quiet := n.CareQuiet
	if quiet <= 0 {
		quiet = DefaultCareQuiet
	}
	title := r.kernel.Backend.Title()
	for end := time.Now().Add(quiet); time.Now().Before(end); time.Sleep(min(50*time.Millisecond, quiet/10+time.Millisecond)) {
		_, found, err := r.kernel.Balancer.Get(r.vip)
		if err != nil {
			return undone, err
		}
		if found {
			if rerr := r.rerecord(); rerr != nil {
				return undone, fmt.Errorf("the %s virtual server %s came back after it was removed (a care daemon still runs) and recording it again failed: %v; stop the kube-lvscare pod and delete it by hand (%s)", title, r.vip, rerr, r.kernel.Backend.RemoveHint(r.vip))
			}
			return undone, fmt.Errorf("the %s virtual server %s came back after it was removed (a care daemon still runs; is an lvscare pod left over? `crictl ps --name %s`): recorded it again in %s; stop the daemon, then %s", title, r.vip, careContainerName, n.statePath(), r.then)
		}
	}
	return undone, nil
}

// waitCareStopped waits until no care daemon runs, or says what still does.
func (n Node) waitCareStopped(rt CareRuntime, r careRemoval) error {
	var live []CareContainer
	answers := false
	running := func() bool {
		answers = n.CareRunning != nil && n.CareRunning()
		live = nil
		if rt != nil {
			if p, err := rt.CarePod(); err == nil {
				live = p.live()
			} else {
				klog.V(1).Infof("[locallb] cannot list the lvscare containers: %v", err)
			}
		}
		return answers || len(live) > 0
	}
	if !running() {
		return nil
	}
	n.printf("Waiting up to %s for the lvscare pod to stop before removing the %s virtual server %s", n.careStopTimeout(), r.kernel.Backend.Title(), r.vip)
	if n.waitStopped(running) {
		return nil
	}
	var evidence []string
	if answers {
		evidence = append(evidence, CareHealthAddress+" answers")
	}
	fix := "stop the pod (crictl pods --name " + manifests.PodName + "; crictl stopp POD-ID)"
	if len(live) > 0 {
		evidence = append(evidence, "the container runtime lists "+describeContainers(live))
		fix = "stop it (crictl stop " + containerIDs(live) + ")"
	}
	return fmt.Errorf("the lvscare pod still runs %s after its manifest %s was removed (%s), so the %s virtual server %s and its record %s stay (removed under a running daemon they would come back unrecorded): %s; the kubelet stops it when it runs (systemctl status kubelet); then %s",
		n.careStopTimeout(), r.manifest, strings.Join(evidence, "; "), r.kernel.Backend.Title(), r.vip, n.statePath(), fix, r.then)
}
