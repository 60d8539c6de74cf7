package main

import (
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// staticPodCommand reads a static pod manifest and returns its single
// container's command line (command then args), as the kubelet would run it.
func staticPodCommand(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the static pod manifest: %w", err)
	}
	return podCommand(data, path)
}

func podCommand(data []byte, name string) ([]string, error) {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		return nil, fmt.Errorf("%s is not a Pod manifest: %w", name, err)
	}
	if n := len(pod.Spec.Containers); n != 1 {
		return nil, fmt.Errorf("%s has %d containers, want 1", name, n)
	}
	c := pod.Spec.Containers[0]
	cmd := append(append([]string{}, c.Command...), c.Args...)
	if len(cmd) == 0 {
		return nil, fmt.Errorf("%s: container %q has no command", name, c.Name)
	}
	return cmd, nil
}

// withBinary replaces the command's program with bin (the manifest names
// the program inside the image).
func withBinary(cmd []string, bin string) []string {
	return append([]string{bin}, cmd[1:]...)
}

// flagValue returns the value of --name=value or --name value in cmd.
func flagValue(cmd []string, name string) (string, bool) {
	for i, a := range cmd {
		if a == "--"+name && i+1 < len(cmd) {
			return cmd[i+1], true
		}
		if len(a) > len(name)+3 && a[:len(name)+3] == "--"+name+"=" {
			return a[len(name)+3:], true
		}
	}
	return "", false
}

// podGracePeriod is the static pod's terminationGracePeriodSeconds (the
// API default, 30 s, when unset): how long the kubelet waits after SIGTERM
// before it kills the container.
func podGracePeriod(path string) (time.Duration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var pod corev1.Pod
	if err := yaml.Unmarshal(data, &pod); err != nil {
		return 0, fmt.Errorf("%s is not a Pod manifest: %w", path, err)
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second, nil
	}
	return corev1.DefaultTerminationGracePeriodSeconds * time.Second, nil
}
