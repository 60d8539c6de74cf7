package phases

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	criclient "k8s.io/cri-client/pkg"
	utilruntime "k8s.io/kubernetes/cmd/kubeadm/app/util/runtime"

	"github.com/sealkube/kubeadm/manifests"
)

// CareRuntime is what the phase and reset ask the node's container runtime
// (CRI) about the lvscare static pod and its image: kubeadm's
// utilruntime.ContainerRuntime answers neither (its ImageExists drops the
// image's user, its ListKubeContainers lists sandbox IDs only). Tests give a
// fake.
type CareRuntime interface {
	// ImageUser is what image runs as (manifests.ImageUserUnknown when
	// the runtime does not have it).
	ImageUser(image string) (manifests.ImageUser, error)
	// CarePod lists the kube-lvscare static pod's sandboxes and
	// containers, in any state.
	CarePod() (CarePod, error)
	Close(ctx context.Context)
}

// CarePod is what the CRI knows of the kube-lvscare pod on this node.
type CarePod struct {
	// Sandboxes are the IDs of its ready pod sandboxes.
	Sandboxes  []string
	Containers []CareContainer
}

// CareContainer is one container of the kube-lvscare pod.
type CareContainer struct {
	ID    string
	Image string
	// State is the CRI's: created, running, exited or unknown.
	State string
	// ExitCode, Reason and Message say why it exited (the runtime's
	// status; the message is the pod's termination message).
	ExitCode int32
	Reason   string
	Message  string
}

// Live reports whether the container runs or is about to: a care daemon in
// it may restore the rules.
func (c CareContainer) Live() bool { return c.State == "created" || c.State == "running" }

// live returns the pod's live containers.
func (p CarePod) live() []CareContainer {
	var l []CareContainer
	for _, c := range p.Containers {
		if c.Live() {
			l = append(l, c)
		}
	}
	return l
}

// describeContainers names containers with their state, for messages.
func describeContainers(cs []CareContainer) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = fmt.Sprintf("%s (%s, %s)", shortID(c.ID), c.State, c.Image)
	}
	return strings.Join(s, ", ")
}

func containerIDs(cs []CareContainer) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = shortID(c.ID)
	}
	return strings.Join(s, " ")
}

// shortID is crictl's 13-character container ID, which crictl accepts.
func shortID(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

// The kubelet's labels on the containers and sandboxes it creates
// (k8s.io/kubernetes/pkg/kubelet/types, not vendored) and our pod's names.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelContainerName = "io.kubernetes.container.name"
	careContainerName  = "lvscare"
	// carePodPrefix: a static pod's name is its manifest's name and the
	// node's; sealos' kube-sealos-lvscare does not match.
	carePodPrefix = manifests.PodName + "-"
	criTimeout    = 2 * time.Second
)

// criCareRuntime is CareRuntime on the CRI's gRPC services.
type criCareRuntime struct {
	runtime criapiRuntime
	images  criapiImages
}

type criapiRuntime interface {
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error)
	Close(ctx context.Context) error
}

type criapiImages interface {
	ImageStatus(ctx context.Context, image *runtimeapi.ImageSpec, verbose bool) (*runtimeapi.ImageStatusResponse, error)
	Close(ctx context.Context) error
}

// ConnectCareRuntime connects to the CRI at socket ("" detects it as
// kubeadm does).
func ConnectCareRuntime(socket string) (CareRuntime, error) {
	if socket == "" {
		s, err := utilruntime.DetectCRISocket()
		if err != nil {
			return nil, fmt.Errorf("%w; pass --cri-socket", err)
		}
		socket = s
	}
	ctx := context.Background()
	rs, err := criclient.NewRemoteRuntimeService(ctx, socket, criTimeout, nil, false)
	if err != nil {
		return nil, fmt.Errorf("connecting to the container runtime at %s: %w", socket, err)
	}
	is, err := criclient.NewRemoteImageService(ctx, socket, criTimeout, nil, false)
	if err != nil {
		_ = rs.Close(ctx)
		return nil, fmt.Errorf("connecting to the container runtime's image service at %s: %w", socket, err)
	}
	return &criCareRuntime{runtime: rs, images: is}, nil
}

func (r *criCareRuntime) ImageUser(image string) (manifests.ImageUser, error) {
	ctx, cancel := context.WithTimeout(context.Background(), criTimeout)
	defer cancel()
	resp, err := r.images.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: image}, false)
	if err != nil {
		return manifests.ImageUserUnknown, fmt.Errorf("asking the container runtime about the image %s: %w", image, err)
	}
	if resp.GetImage() == nil {
		return manifests.ImageUserUnknown, nil
	}
	var uid *int64
	if u := resp.GetImage().GetUid(); u != nil {
		v := u.GetValue()
		uid = &v
	}
	return manifests.ImageUserOf(uid), nil
}

func (r *criCareRuntime) CarePod() (CarePod, error) {
	ctx, cancel := context.WithTimeout(context.Background(), criTimeout)
	defer cancel()
	var p CarePod
	sandboxes, err := r.runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
		State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
		LabelSelector: map[string]string{labelPodNamespace: "kube-system"},
	})
	if err != nil {
		return p, fmt.Errorf("listing the pod sandboxes: %w", err)
	}
	for _, s := range sandboxes {
		if strings.HasPrefix(s.GetMetadata().GetName(), carePodPrefix) {
			p.Sandboxes = append(p.Sandboxes, s.GetId())
		}
	}
	containers, err := r.runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{
		LabelSelector: map[string]string{labelPodNamespace: "kube-system", labelContainerName: careContainerName},
	})
	if err != nil {
		return p, fmt.Errorf("listing the containers: %w", err)
	}
	for _, c := range containers {
		if !strings.HasPrefix(c.GetLabels()[labelPodName], carePodPrefix) {
			continue
		}
		cc := CareContainer{ID: c.GetId(), Image: c.GetImage().GetImage(), State: criState(c.GetState())}
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
			if st, err := r.runtime.ContainerStatus(ctx, c.GetId(), false); err == nil && st.GetStatus() != nil {
				cc.ExitCode, cc.Reason, cc.Message = st.GetStatus().GetExitCode(), st.GetStatus().GetReason(), st.GetStatus().GetMessage()
			}
		}
		p.Containers = append(p.Containers, cc)
	}
	// The CRI lists in no set order: sort for stable messages.
	sort.Slice(p.Containers, func(i, j int) bool { return p.Containers[i].ID < p.Containers[j].ID })
	return p, nil
}

func criState(s runtimeapi.ContainerState) string {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return "created"
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return "running"
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return "exited"
	}
	return "unknown"
}

func (r *criCareRuntime) Close(ctx context.Context) {
	_ = r.runtime.Close(ctx)
	_ = r.images.Close(ctx)
}
