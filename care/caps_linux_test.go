package care

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const capsHelperEnv = "CARE_TEST_CAPS_HELPER"

// capsHelperSkip is what the helper prints when it cannot run the check.
const capsHelperSkip = "SKIP: "

// TestRaiseNetAdminAllThreads checks that raiseNetAdmin makes CAP_NET_ADMIN
// effective on every OS thread, not only the calling one: the pod runs as a
// non-root user with cap_net_admin permitted only, and Go runs netlink calls
// on any thread. The check runs in a child process (this test binary,
// re-executed) because it changes the capabilities of the whole process.
func TestRaiseNetAdminAllThreads(t *testing.T) {
	if os.Getenv(capsHelperEnv) == "1" {
		capsHelper()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the helper drops CAP_NET_ADMIN from the effective set and raises it again")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRaiseNetAdminAllThreads$", "-test.count=1")
	cmd.Env = append(os.Environ(), capsHelperEnv+"=1")
	out, err := cmd.CombinedOutput()
	if i := strings.Index(string(out), capsHelperSkip); i >= 0 {
		t.Skip(strings.TrimSpace(string(out[i+len(capsHelperSkip):])))
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
}

// capsHelper runs in the child and exits it: 0 when every thread has
// CAP_NET_ADMIN effective after raiseNetAdmin, 1 (listing the threads)
// otherwise.
func capsHelper() {
	fail := func(format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(1)
	}
	// Start from what the pod has: permitted, not effective, on all threads.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		fail("capget: %v", err)
	}
	data[0].Effective &^= 1 << unix.CAP_NET_ADMIN
	_, _, errno := syscall.AllThreadsSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if errno == syscall.ENOTSUP {
		fmt.Println(capsHelperSkip + "this test binary uses cgo, where capabilities cannot be changed on every thread; run it with CGO_ENABLED=0")
		os.Exit(0)
	}
	if errno != 0 {
		fail("dropping CAP_NET_ADMIN from the effective set: %v", errno)
	}

	// Several threads, each pinned by a goroutine, exist before the raise.
	const pinned = 6
	started, stop := make(chan struct{}), make(chan struct{})
	for range pinned {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started <- struct{}{}
			<-stop
		}()
	}
	for range pinned {
		<-started
	}
	before, err := threadsWithoutNetAdmin()
	if err != nil {
		fail("%v", err)
	}
	if len(before) < pinned {
		fail("setup: only %d threads lack CAP_NET_ADMIN before the raise (%v), want at least %d", len(before), before, pinned)
	}

	if err := raiseNetAdmin(); err != nil {
		fail("raiseNetAdmin: %v", err)
	}
	missing, err := threadsWithoutNetAdmin()
	close(stop)
	if err != nil {
		fail("%v", err)
	}
	if len(missing) > 0 {
		fail("after raiseNetAdmin, %d of the threads still lack CAP_NET_ADMIN in CapEff: %s", len(missing), strings.Join(missing, ", "))
	}
	os.Exit(0)
}

// threadsWithoutNetAdmin lists the threads of this process (tid and CapEff)
// whose effective set lacks CAP_NET_ADMIN.
func threadsWithoutNetAdmin() ([]string, error) {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("listing /proc/self/task: %v (%d threads)", err, len(tasks))
	}
	var missing []string
	for _, path := range tasks {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(data), "\n") {
			hex, ok := strings.CutPrefix(line, "CapEff:")
			if !ok {
				continue
			}
			hex = strings.TrimSpace(hex)
			eff, err := strconv.ParseUint(hex, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: CapEff %q: %v", path, hex, err)
			}
			if eff&(1<<unix.CAP_NET_ADMIN) == 0 {
				missing = append(missing, filepath.Base(filepath.Dir(path))+"="+hex)
			}
		}
	}
	return missing, nil
}
