package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sealkube/kubeadm/hack/vm/console"
	"github.com/sealkube/kubeadm/hack/vm/kmod"
	"github.com/sealkube/kubeadm/hack/vm/vmconfig"
)

// DefaultModules is the load order the trial established; kmod.Plan adds
// any dependency missing from it. crc32c_generic comes first because
// libcrc32c needs a crc32c implementation and the VM has no modprobe to
// fetch one on demand.
const defaultModules = "crc32c_generic,libcrc32c,nf_defrag_ipv4,nf_defrag_ipv6,nf_conntrack,ip_vs,ip_vs_rr,veth,inet_diag,tcp_diag"

type runOptions struct {
	qemu, kernel, modulesDir, modules, extraModules string
	vminit, testsDir, initrd, logPath               string
	timeout, testTimeout                            time.Duration
	smp                                             int
	mem, accel, appendArgs                          string
	testArgs                                        []string
}

func runCmd(args []string) error {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.qemu, "qemu", "qemu-system-x86_64", "qemu binary")
	fs.StringVar(&o.kernel, "kernel", "", "uncompressed ELF vmlinux (see vmhost vmlinux)")
	fs.StringVar(&o.modulesDir, "modules-dir", "", "extracted lib/modules/<version> of the same kernel")
	fs.StringVar(&o.modules, "modules", defaultModules, "comma-separated modules to load, in order (dependencies are added)")
	fs.StringVar(&o.extraModules, "extra-modules", "", "comma-separated modules to load after -modules")
	fs.StringVar(&o.vminit, "vminit", "", "static vminit binary (CGO_ENABLED=0 go build ./hack/vm/vminit)")
	fs.StringVar(&o.testsDir, "tests", "", "directory holding <name>/<name>.test for every test binary")
	fs.StringVar(&o.initrd, "initrd", "", "where to write the initramfs")
	fs.StringVar(&o.logPath, "log", "", "also write the serial console to this file")
	fs.DurationVar(&o.timeout, "timeout", 240*time.Second, "hard limit for the whole VM run; qemu is killed after it")
	fs.DurationVar(&o.testTimeout, "test-timeout", 150*time.Second, "-test.timeout for each test binary")
	fs.IntVar(&o.smp, "smp", 2, "virtual CPUs")
	fs.StringVar(&o.mem, "mem", "512M", "VM memory")
	fs.StringVar(&o.accel, "accel", "tcg", "qemu accelerator (kvm here cannot boot stock kernels)")
	fs.StringVar(&o.appendArgs, "append", "", "extra kernel command line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.testArgs = fs.Args()
	for flagName, v := range map[string]string{"-kernel": o.kernel, "-modules-dir": o.modulesDir, "-vminit": o.vminit, "-tests": o.testsDir, "-initrd": o.initrd} {
		if v == "" {
			return fmt.Errorf("flag %s is required", flagName)
		}
	}
	return run(o)
}

func run(o runOptions) error {
	tree, err := kmod.Open(o.modulesDir)
	if err != nil {
		return err
	}
	plan, err := tree.Plan(splitList(o.modules + "," + o.extraModules))
	if err != nil {
		return err
	}
	var loads, builtins []string
	for _, m := range plan {
		if m.Builtin {
			builtins = append(builtins, m.Name)
		} else {
			loads = append(loads, m.Name)
		}
	}
	fmt.Printf("vmhost: modules to load: %s\n", strings.Join(loads, " "))
	if len(builtins) > 0 {
		fmt.Printf("vmhost: built into the kernel: %s\n", strings.Join(builtins, " "))
	}
	nonce, err := newNonce()
	if err != nil {
		return err
	}
	cfg := vmconfig.Config{Nonce: nonce, TestArgs: o.testArgs, TestTimeout: vmconfig.Duration(o.testTimeout)}
	names, err := buildInitramfs(o.initrd, initramfsSpec{vminit: o.vminit, modules: plan, testsDir: o.testsDir, cfg: cfg})
	if err != nil {
		return err
	}
	if st, err := os.Stat(o.initrd); err == nil {
		fmt.Printf("vmhost: initramfs %s (%d MiB), test binaries: %s\n", o.initrd, st.Size()>>20, strings.Join(names, " "))
	}
	qemu, err := exec.LookPath(o.qemu)
	if err != nil {
		return fmt.Errorf("qemu %q not found: install Debian's qemu-system-x86 (hack/vm-test.sh does): %w", o.qemu, err)
	}
	summary, elapsed, runErr := boot(qemu, o, console.NewSummary(nonce))
	verdict := summary.Verdict(names)
	fmt.Printf("\nvmhost: ---- summary (VM ran %s) ----\n", elapsed.Round(100*time.Millisecond))
	for _, n := range names {
		res := "NO RESULT"
		if pass, ok := summary.Results[n]; ok {
			res = map[bool]string{true: "PASS", false: "FAIL"}[pass]
		}
		fmt.Printf("vmhost: %-40s %s\n", n, res)
	}
	switch {
	case runErr != nil && verdict != nil:
		return fmt.Errorf("%w\n  %v", runErr, verdict)
	case runErr != nil:
		return runErr
	case verdict != nil:
		return fmt.Errorf("VM test run failed:\n  %v", verdict)
	}
	fmt.Println("vmhost: all test binaries passed in the VM")
	return nil
}

func qemuArgs(o runOptions) []string {
	// no_timer_check: under TCG on a busy host the kernel's check that the
	// timer interrupt reaches the IO-APIC can time out and panic at boot
	// ("IO-APIC + timer doesn't work!", seen in CI); the emulated timer is
	// fine, the check is what fails.
	cmdline := "console=ttyS0 panic=-1 quiet mitigations=off no_timer_check"
	if o.appendArgs != "" {
		cmdline += " " + o.appendArgs
	}
	return []string{
		"-nodefaults", "-no-user-config",
		"-machine", "pc", "-accel", o.accel, "-cpu", "max",
		"-smp", fmt.Sprint(o.smp), "-m", o.mem,
		"-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", o.kernel, "-initrd", o.initrd, "-append", cmdline,
	}
}

// boot runs qemu, streams the console to stdout (and the log) and feeds the
// summary. The returned error covers qemu itself: timeout, crash, signal.
func boot(qemu string, o runOptions, s *console.Summary) (*console.Summary, time.Duration, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, qemuArgs(o)...)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return s, 0, err
	}
	var sink io.Writer = os.Stdout
	if o.logPath != "" {
		logf, err := os.Create(o.logPath)
		if err != nil {
			return s, 0, fmt.Errorf("creating console log: %w", err)
		}
		defer logf.Close()
		sink = io.MultiWriter(os.Stdout, logf)
	}
	fmt.Printf("vmhost: %s %s\n", qemu, strings.Join(qemuArgs(o), " "))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return s, 0, fmt.Errorf("starting qemu: %w", err)
	}
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			io.WriteString(sink, strings.ReplaceAll(line, "\r", ""))
			s.Observe(line)
		}
		if err != nil {
			break
		}
	}
	waitErr := cmd.Wait()
	elapsed := time.Since(start)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return s, elapsed, fmt.Errorf("timed out: the VM ran longer than -timeout %s and qemu was killed (raise --timeout, or look above for the test that hung)", o.timeout)
	case ctx.Err() != nil:
		return s, elapsed, fmt.Errorf("interrupted: qemu was killed")
	case waitErr != nil:
		return s, elapsed, fmt.Errorf("qemu failed: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return s, elapsed, nil
}

func newNonce() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making run nonce: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
