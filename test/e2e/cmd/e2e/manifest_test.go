package main

import (
	"reflect"
	"testing"
)

func TestPodCommand(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.36.3
    command: [kube-apiserver, --advertise-address=10.103.97.200]
    args: [--secure-port=6443]
`)
	got, err := podCommand(pod, "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kube-apiserver", "--advertise-address=10.103.97.200", "--secure-port=6443"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("podCommand = %q, want %q", got, want)
	}
	if got := withBinary(got, "/bin/x"); got[0] != "/bin/x" || len(got) != 3 {
		t.Errorf("withBinary = %q", got)
	}
	for _, tc := range []struct {
		data string
		ok   bool
	}{
		{"spec: {containers: []}", false},
		{"spec: {containers: [{name: a}]}", false},
		{"spec: {bogus: 1}", false},
		{"spec: {containers: [{name: a, command: [x]}]}", true},
	} {
		if _, err := podCommand([]byte(tc.data), "t"); (err == nil) != tc.ok {
			t.Errorf("podCommand(%q) error = %v, want ok=%v", tc.data, err, tc.ok)
		}
	}
}

func TestFlagValue(t *testing.T) {
	cmd := []string{"x", "--vs", "10.103.97.2:6443", "--secure-port=6443", "--rs"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"vs", "10.103.97.2:6443", true},
		{"secure-port", "6443", true},
		{"rs", "", false},
		{"missing", "", false},
	} {
		got, ok := flagValue(cmd, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("flagValue(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
