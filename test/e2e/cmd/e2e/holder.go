package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maskedSysctls are the host-wide settings the kubelet checks and rewrites
// at start (e.g. vm.overcommit_memory=1, kernel.panic=10,
// kernel.panic_on_oops=1). On a real-kubelet node the holder bind-mounts a
// private file over each, so the kubelet reads and writes its own copy and
// the host keeps its values.
var maskedSysctls = []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"}

// holderMain runs inside fresh mount and UTS namespaces (started by
// `unshare --mount --uts --propagation private` inside the node's network
// namespace). It sets the node's hostname, lays a private overlay over /etc
// and /var/lib (and the -overlay list) so kubeadm writes /etc/kubernetes,
// /etc/hosts, /var/lib/kubelet and /var/lib/kubeadm-locallb without touching
// the host's, mounts a tmpfs on each -tmpfs directory, masks the kubelet's
// host-wide sysctls with -mask-sysctls, prints "ready" and then holds the
// namespaces until its stdin closes (the harness exits or dies).
func holderMain(args []string) error {
	fs := flag.NewFlagSet("holder", flag.ContinueOnError)
	hostname := fs.String("hostname", "", "hostname of the node (required)")
	dir := fs.String("dir", "", "node directory holding the overlays' upper and work dirs (required)")
	overlays := fs.String("overlay", "/etc,/var/lib", "comma-separated directories that get a private overlay")
	tmpfs := fs.String("tmpfs", "", "comma-separated directories that get a private, empty tmpfs")
	mask := fs.Bool("mask-sysctls", false, "give the kubelet private copies of the host-wide sysctls it rewrites")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *hostname == "" || *dir == "" {
		return errors.New("--hostname and --dir are required")
	}
	if err := unix.Sethostname([]byte(*hostname)); err != nil {
		return fmt.Errorf("sethostname %q: %w", *hostname, err)
	}
	for _, lower := range splitList(*overlays) {
		name := strings.ReplaceAll(strings.Trim(lower, "/"), "/", "-")
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
	for _, d := range splitList(*tmpfs) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := unix.Mount("tmpfs", d, "tmpfs", 0, "mode=0755"); err != nil {
			return fmt.Errorf("mounting a private tmpfs on %s: %w", d, err)
		}
	}
	if *mask {
		if err := maskSysctls(filepath.Join(*dir, "sysctl")); err != nil {
			return err
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

// maskSysctls copies each masked sysctl's current value into a file under
// dir and bind-mounts it over /proc/sys/<name> in this mount namespace.
func maskSysctls(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range maskedSysctls {
		src := filepath.Join("/proc/sys", s)
		v, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		f := filepath.Join(dir, strings.ReplaceAll(s, "/", "."))
		if err := os.WriteFile(f, v, 0o644); err != nil {
			return err
		}
		if err := unix.Mount(f, src, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("masking %s with %s: %w", src, f, err)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
