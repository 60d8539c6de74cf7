package care

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// raiseNetAdmin moves CAP_NET_ADMIN from the permitted into the effective
// set. The image ships the binary with the file capability cap_net_admin=p
// (permitted, not effective) so that a non-root user gets it without the
// kernel refusing to exec the binary where the container lacks it.
func raiseNetAdmin() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	const bit = uint32(1) << unix.CAP_NET_ADMIN // CAP_NET_ADMIN is 12, in the first word
	if data[0].Effective&bit != 0 {
		return nil
	}
	if data[0].Permitted&bit == 0 {
		return fmt.Errorf("CAP_NET_ADMIN is not permitted to this process")
	}
	data[0].Effective |= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}
