// Command vminit is /init of the test VM's initramfs. It prepares a minimal
// system (proc, sysfs, devtmpfs, tmpfs, cgroup2, lo up), loads the kernel
// modules named in the config, runs every test binary under /tests, prints
// nonce-tagged result markers on the console (package console) and powers the
// VM off. It must be built with CGO_ENABLED=0: the initramfs has no libc.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealkube/kubeadm/hack/vm/console"
	"github.com/sealkube/kubeadm/hack/vm/vmconfig"
)

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "vminit: refusing to run: this is the init (PID 1) of the test VM and powers the machine off; run it only via hack/vm-test.sh")
		os.Exit(2)
	}
	start := time.Now()
	nonce := "unknown"
	pass := false
	cfg, err := vmconfig.Read(vmconfig.Path)
	if err != nil {
		// The host cannot match this marker's nonce, so it will also report
		// "no DONE marker"; the line still tells a human what went wrong.
		fmt.Println(console.ErrorLine(nonce, err.Error()))
	} else {
		nonce = cfg.Nonce
		pass = run(cfg)
	}
	fmt.Printf("vminit: finished in %s\n", time.Since(start).Round(time.Millisecond))
	fmt.Println(console.DoneLine(nonce, pass))
	powerOff()
}

// run sets the system up and runs the tests; false means something failed.
func run(cfg vmconfig.Config) bool {
	fail := func(format string, a ...any) bool {
		fmt.Println(console.ErrorLine(cfg.Nonce, fmt.Sprintf(format, a...)))
		return false
	}
	if err := mountAll(); err != nil {
		return fail("%v", err)
	}
	if err := loopbackUp(); err != nil {
		return fail("%v", err)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		fmt.Printf("vminit: kernel %s\n", unix.ByteSliceToString(uts.Release[:]))
	}
	for _, m := range cfg.Modules {
		if err := loadModule(m); err != nil {
			return fail("%v", err)
		}
	}
	names, err := testBinaries(vmconfig.TestsDir)
	if err != nil {
		return fail("%v", err)
	}
	if len(names) == 0 {
		return fail("no test binaries in %s: the host put none into the initramfs", vmconfig.TestsDir)
	}
	allPass := true
	for _, name := range names {
		fmt.Println(console.StartLine(cfg.Nonce, name))
		ok := runTest(vmconfig.TestsDir, name, cfg)
		fmt.Println(console.ResultLine(cfg.Nonce, name, ok))
		allPass = allPass && ok
	}
	return allPass
}

type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
	optional               bool
}

// systemMounts lists what the tests can rely on; order matters (/dev/shm
// after /dev).
func systemMounts() []mount {
	return []mount{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", false},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", false},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", false},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", false},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", false},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", false},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", true},
		{"bpf", "/sys/fs/bpf", "bpf", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", true},
	}
}

func mountAll() error {
	for _, m := range systemMounts() {
		err := os.MkdirAll(m.target, 0o755)
		if err == nil {
			err = unix.Mount(m.source, m.target, m.fstype, m.flags, m.data)
		}
		switch {
		case err == nil:
		case m.optional:
			fmt.Printf("vminit: optional mount %s on %s skipped: %v\n", m.fstype, m.target, err)
		default:
			return fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	return nil
}

// loopbackUp sets IFF_UP on lo with one ioctl; 127.0.0.1/8 and ::1 come
// with it from the kernel.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing up lo: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up lo: reading flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up lo: setting IFF_UP: %w", err)
	}
	return nil
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("loading kernel module: %w", err)
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	name := strings.TrimSuffix(filepath.Base(path), ".ko")
	switch {
	case err == nil:
		fmt.Printf("vminit: loaded module %s\n", name)
	case errors.Is(err, unix.EEXIST):
		fmt.Printf("vminit: module %s already loaded\n", name)
	default:
		return fmt.Errorf("loading kernel module %s: %w (see the kernel log above for unknown symbols or a missing dependency)", path, err)
	}
	return nil
}

// testBinaries lists the names of the directories under dir, sorted, each
// holding <name>.test.
func testBinaries(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing test binaries: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// runTest runs testsDir/name/name.test in its directory, output to the
// console; true means it exited 0.
func runTest(testsDir, name string, cfg vmconfig.Config) bool {
	dir := filepath.Join(testsDir, name)
	timeout := time.Duration(cfg.TestTimeout)
	args := append([]string{"-test.v", "-test.run", "Integration", "-test.timeout", timeout.String()}, cfg.TestArgs...)
	// The binary's own -test.timeout panics with goroutine dumps first; this
	// context is the backstop for a binary that ignores it.
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name+".test"), args...)
	cmd.Dir = dir
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stdout
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"TMPDIR=/tmp",
		"GOTRACEBACK=all",
		"VMTEST=1",
	}
	start := time.Now()
	err := cmd.Run()
	fmt.Printf("vminit: %s exited after %s: %v\n", name, time.Since(start).Round(time.Millisecond), errOrOK(err))
	return err == nil
}

func errOrOK(err error) any {
	if err == nil {
		return "ok"
	}
	return err
}

func powerOff() {
	unix.Sync()
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	// Power-off failed (no ACPI?): a restart also ends qemu under -no-reboot.
	fmt.Printf("vminit: power off failed: %v; trying restart\n", err)
	err = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	fmt.Printf("vminit: restart failed: %v; hanging until the host's timeout kills the VM\n", err)
	for {
		time.Sleep(time.Hour)
	}
}
