package main

// kubeProxyRun is one kube-proxy mode run beside the care daemon in the VM.
type kubeProxyRun struct {
	mode string
}

func (h *harness) kubeProxyModes() error { return nil }

func (h *harness) kubeProxyVM() error { return nil }

func (h *harness) stopKubeProxyVM() {}
