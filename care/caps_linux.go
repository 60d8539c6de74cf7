package care

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// raiseNetAdmin moves CAP_NET_ADMIN from the permitted into the effective
// set of every OS thread of the process. The image ships the binary with
// the file capability cap_net_admin=p (permitted, not effective) so that a
// non-root user gets it without the kernel refusing to exec the binary where
// the container lacks it.
//
// capset(2) changes the calling thread only, and Go runs goroutines on any
// of its threads, so one plain capset left most netlink calls failing with
// EPERM (measured under a real kubelet: 60-75% of nftables calls). The kernel
// also checks the credentials of the thread that opened a netlink socket, so
// this must run before any socket is opened (Main calls it before the
// balancer is created). syscall.AllThreadsSyscall runs capset on every
// thread the runtime has; threads started later are cloned from one of
// them and inherit the capability. It works only without cgo (ENOTSUP
// otherwise; make lvscare builds with CGO_ENABLED=0), and then this
// returns an error instead of raising the capability on one thread only.
func raiseNetAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	const bit = uint32(1) << unix.CAP_NET_ADMIN // CAP_NET_ADMIN is 12, in the first word
	if data[0].Effective&bit != 0 {
		// Already effective (root, or a file capability with +e): the
		// kernel gave every thread the same sets at exec.
		return nil
	}
	if data[0].Permitted&bit == 0 {
		return errNetAdminNotPermitted
	}
	data[0].Effective |= bit
	hdr.Pid = 0 // each thread changes itself
	_, _, errno := syscall.AllThreadsSyscall(syscall.SYS_CAPSET,
		uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	switch errno {
	case 0:
		return nil
	case syscall.ENOTSUP:
		return errors.New("CAP_NET_ADMIN is permitted but cannot be made effective on every thread: this binary was built with cgo, " +
			"where Go cannot change capabilities process-wide (syscall.AllThreadsSyscall returns ENOTSUP); rebuild it with CGO_ENABLED=0 (make lvscare does)")
	default:
		return fmt.Errorf("capset(CAP_NET_ADMIN effective) on every thread: %w", errno)
	}
}
