package manifests

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestImageFor(t *testing.T) {
	for _, tc := range []struct{ repo, want string }{
		{"", DefaultImage},
		{"registry.k8s.io", DefaultImage},
		{"registry.k8s.io/", DefaultImage},
		{"mirror.example:5000/k8s", "mirror.example:5000/k8s/lvscare:" + ImageTag},
		{"mirror.example/k8s/", "mirror.example/k8s/lvscare:" + ImageTag},
		{"ghcr.io/sealkube", DefaultImage},
	} {
		if got := ImageFor(tc.repo); got != tc.want {
			t.Errorf("ImageFor(%q) = %q, want %q", tc.repo, got, tc.want)
		}
	}
}

func TestIsOurs(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	for _, tc := range []struct {
		image, repo string
		want        bool
	}{
		{DefaultImage, "", true},
		{DefaultImage, mirror, true},
		{"ghcr.io/sealkube/lvscare:v9.9.9", "", true},
		{"ghcr.io/sealkube/lvscare@sha256:0123", "", true},
		{mirror + "/lvscare:" + ImageTag, mirror, true},
		{mirror + "/lvscare:v1.36.2", mirror, true},
		{mirror + "/lvscare@sha256:0123", mirror, true},
		// The same image in a registry that is not the cluster's: we
		// cannot tell, so it is treated as the public lvscare.
		{mirror + "/lvscare:" + ImageTag, "", false},
		{mirror + "/lvscare:" + ImageTag, "other.example", false},
		{"registry.k8s.io/lvscare:" + ImageTag, "registry.k8s.io", false},
		{"ghcr.io/labring/lvscare:v4.3.7", "", false},
		{"ghcr.io/labring/lvscare:v4.3.7", "ghcr.io/labring", true},
		{mirror + "/lvscare-fork:" + ImageTag, mirror, false},
		{"localhost:5000/lvscare", "localhost:5000", true},
	} {
		if got := IsOurs(tc.image, tc.repo); got != tc.want {
			t.Errorf("IsOurs(%q, imageRepository %q) = %v, want %v", tc.image, tc.repo, got, tc.want)
		}
	}
}

// TestPodFollowsImageRepository: without an image the pod uses the
// cluster's mirror and is treated as ours there; an explicit image wins.
func TestPodFollowsImageRepository(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	o := goldenCases[0].opts
	o.ImageRepository = mirror
	p, err := Pod(o)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Spec.Containers[0]
	if c.Image != mirror+"/lvscare:"+ImageTag {
		t.Errorf("image = %s, want the cluster's mirror", c.Image)
	}
	if !reflect.DeepEqual(c.SecurityContext.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}) || c.LivenessProbe == nil || len(p.Spec.Volumes) != 1 {
		t.Errorf("the mirrored image of ours got %v, probe %v, %d volumes; want NET_ADMIN only, the probe, no /lib/modules",
			c.SecurityContext.Capabilities.Add, c.LivenessProbe, len(p.Spec.Volumes))
	}
	if !o.Ours() {
		t.Error("Options.Ours() = false for the mirrored image")
	}
	o.Image = "ghcr.io/labring/lvscare:v4.3.7"
	if p, _ := Pod(o); p.Spec.Containers[0].Image != o.Image || o.Ours() {
		t.Errorf("explicit image: got %s (ours %v), want %s, not ours", p.Spec.Containers[0].Image, o.Ours(), o.Image)
	}
}

// TestPodFromImageUser: what the runtime says the image runs as decides
// the pod, not the image's name. A mirrored public lvscare under the
// cluster's imageRepository (root) must not get runAsNonRoot, which the
// kubelet refuses for a root image; our image under any name (uid 65532)
// gets the non-root pod.
func TestPodFromImageUser(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	uid := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name, image string
		user        ImageUser
		wantOurs    bool
	}{
		{"mirrored public lvscare, root", mirror + "/lvscare:v4.3.7", ImageUserOf(nil), false},
		{"mirrored public lvscare, uid 0", mirror + "/lvscare:v4.3.7", ImageUserOf(uid(0)), false},
		{"our image by a foreign name", "other.example/tools/lvscare:" + ImageTag, ImageUserOf(uid(65532)), true},
		{"not asked: the name decides", mirror + "/lvscare:" + ImageTag, ImageUserUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := goldenCases[0].opts
			o.ImageRepository, o.Image, o.ImageUser = mirror, tc.image, tc.user
			p, err := Pod(o)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Spec.Containers[0]
			nonRoot := c.SecurityContext.RunAsNonRoot != nil && *c.SecurityContext.RunAsNonRoot
			modules := reflect.DeepEqual(c.SecurityContext.Capabilities.Add, []corev1.Capability{"NET_ADMIN", "SYS_MODULE"})
			if o.Ours() != tc.wantOurs || nonRoot != tc.wantOurs || modules == tc.wantOurs || (c.LivenessProbe != nil) != tc.wantOurs {
				t.Errorf("image %s, user %s: ours=%v runAsNonRoot=%v capabilities %v probe %v; want ours=%v",
					tc.image, tc.user, o.Ours(), nonRoot, c.SecurityContext.Capabilities.Add, c.LivenessProbe != nil, tc.wantOurs)
			}
		})
	}
}

// TestNotOursExplainsTheUser: an nftables backend with a mirrored root
// image named like ours says why the image is not ours.
func TestNotOursExplainsTheUser(t *testing.T) {
	const mirror = "mirror.example:5000/k8s"
	o := goldenCases[0].opts
	o.ImageRepository, o.Image, o.ImageUser, o.Backend = mirror, mirror+"/lvscare:v4.3.7", ImageUserRoot, "nftables"
	if _, err := Pod(o); err == nil || !strings.Contains(err.Error(), "its user is root") {
		t.Fatalf("Pod: %v, want an error saying the image's user is root", err)
	}
}
