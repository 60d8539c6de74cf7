package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// holderMain runs inside fresh mount and UTS namespaces (started by
// `unshare --mount --uts --propagation private` inside the node's network
// namespace). It sets the node's hostname, lays a private overlay over /etc
// and /var/lib so kubeadm writes /etc/kubernetes, /etc/hosts,
// /var/lib/kubelet and /var/lib/kubeadm-locallb without touching the
// host's, prints "ready" and then holds the namespaces until its stdin
// closes (the harness exits or dies).
func holderMain(args []string) error {
	fs := flag.NewFlagSet("holder", flag.ContinueOnError)
	hostname := fs.String("hostname", "", "hostname of the node (required)")
	dir := fs.String("dir", "", "node directory holding the overlays' upper and work dirs (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *hostname == "" || *dir == "" {
		return errors.New("--hostname and --dir are required")
	}
	if err := unix.Sethostname([]byte(*hostname)); err != nil {
		return fmt.Errorf("sethostname %q: %w", *hostname, err)
	}
	for _, lower := range []string{"/etc", "/var/lib"} {
		name := filepath.Base(lower)
		upper, work := filepath.Join(*dir, "ov", name, "upper"), filepath.Join(*dir, "ov", name, "work")
		for _, d := range []string{upper, work} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
		if err := unix.Mount("overlay", lower, "overlay", 0, opts); err != nil {
			return fmt.Errorf("mounting a private overlay on %s (%s): %w", lower, opts, err)
		}
	}
	fmt.Println("ready")
	// Hold until the harness closes our stdin.
	r := bufio.NewReader(os.Stdin)
	for {
		if _, err := r.ReadByte(); err != nil {
			return nil
		}
	}
}
