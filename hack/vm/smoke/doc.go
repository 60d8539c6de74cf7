// Package smoke holds the VM test harness's own integration test: it proves
// that hack/vm-test.sh boots a kernel with working IPVS before other packages
// rely on it.
package smoke
