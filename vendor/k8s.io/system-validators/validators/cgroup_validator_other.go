//go:build !linux
// +build !linux

/*
Copyright 2020 The Kubernetes Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package system

// NOOP for non-Linux OSes.

var _ Validator = &CgroupsValidator{}

const mountsFilePath = ""

// CgroupsValidator validates cgroup configuration.
type CgroupsValidator struct {
	Reporter       Reporter
	KubeletVersion string
}

// Validate is part of the system.Validator interface.
func (c *CgroupsValidator) Validate(spec SysSpec) (warns, errs []error) {
	return
}

// Name is part of the system.Validator interface.
func (c *CgroupsValidator) Name() string {
	return "cgroups"
}

// getUnifiedMountpoint is a no-op for non-Linux OSes.
func getUnifiedMountpoint(path string) (string, bool, error) {
	return "", false, nil
}
