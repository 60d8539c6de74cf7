package locallb

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrIPVSUnavailable is wrapped when the kernel cannot do IPVS. Tests skip
// on it; kubeadm join reports it with the fix.
var ErrIPVSUnavailable = errors.New("IPVS is not available on this kernel")

// IPVSModules are the kernel modules the IPVS balancer needs: the core, the
// round-robin scheduler (the kernel would load it on demand only through a
// usermode modprobe, which minimal hosts and containers lack) and
// connection tracking, which masquerade relies on.
func IPVSModules() []string { return []string{"ip_vs", "ip_vs_rr", "nf_conntrack"} }

// ipvsFix is the remedy printed with every detection failure.
const ipvsFix = "load them with `modprobe ip_vs ip_vs_rr nf_conntrack` and keep them across reboots with a file /etc/modules-load.d/ipvs.conf listing ip_vs, ip_vs_rr and nf_conntrack, one per line; or, on a kernel without IPVS, use the nftables backend (lvscare --backend nftables)"

// KernelModules loads kernel modules. With Modprobe set it runs the
// distribution's modprobe(8) when the host has one: it knows the modules'
// compression, the blacklists and options in /etc/modprobe.d. Otherwise, and
// when modprobe fails, it loads them without the modprobe binary: it reads
// <Root>/lib/modules/<Release>/modules.dep and calls finit_module(2) on each
// module file, dependencies first. Compressed modules (.ko.xz, .ko.zst,
// .ko.gz) are passed with MODULE_INIT_COMPRESSED_FILE, so the kernel must
// decompress them itself (CONFIG_MODULE_DECOMPRESS, Linux 5.17+, set in
// Debian's kernels); older kernels with compressed modules (RHEL 9's 5.14)
// need modprobe. The direct load exists because the care daemon's image has
// no kmod.
type KernelModules struct {
	// Root prefixes every path; "" is "/". Tests point it at a temp dir.
	Root string
	// Release is the kernel release (uname -r); "" asks the kernel.
	Release string
	// Init loads one module file; nil is finit_module(2).
	Init func(path string, compressed bool) error
	// Modprobe, when set, is tried first (the join on the host sets it:
	// HostKernelModules); nil loads directly only (the care daemon in its
	// pod, whose image has no modprobe).
	Modprobe *Modprobe
}

// Modprobe runs modprobe(8). The zero value looks for it in PATH, then in
// /usr/sbin and /sbin, and runs it.
type Modprobe struct {
	// LookPath finds the binary; nil is exec.LookPath over PATH and the
	// sbin directories. An error means there is none.
	LookPath func() (string, error)
	// Run runs the binary with args and returns its combined output; nil
	// is os/exec.
	Run func(path string, args ...string) ([]byte, error)
}

// HostKernelModules loads modules on the host, as root: with modprobe when
// there is one, else directly.
func HostKernelModules() KernelModules { return KernelModules{Modprobe: &Modprobe{}} }

func (m *Modprobe) lookPath() (string, error) {
	if m.LookPath != nil {
		return m.LookPath()
	}
	p, err := exec.LookPath("modprobe")
	if err == nil {
		return p, nil
	}
	// sudo and systemd units may run us without the sbin directories.
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p, err2 := exec.LookPath(filepath.Join(dir, "modprobe")); err2 == nil {
			return p, nil
		}
	}
	return "", err
}

func (m *Modprobe) run(path string, args ...string) ([]byte, error) {
	if m.Run != nil {
		return m.Run(path, args...)
	}
	return exec.Command(path, args...).CombinedOutput()
}

func (k KernelModules) path(p ...string) string {
	root := k.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(append([]string{root}, p...)...)
}

func (k KernelModules) release() (string, error) {
	if k.Release != "" {
		return k.Release, nil
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

func moduleName(file string) string {
	base := filepath.Base(file)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// Loaded reports whether name is loaded or built in.
func (k KernelModules) Loaded(name string) bool {
	name = strings.ReplaceAll(name, "-", "_")
	if _, err := os.Stat(k.path("sys/module", name)); err == nil {
		return true
	}
	// Built-in modules without parameters have no /sys/module entry.
	rel, err := k.release()
	if err != nil {
		return false
	}
	f, err := os.Open(k.path("lib/modules", rel, "modules.builtin"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if moduleName(s.Text()) == name {
			return true
		}
	}
	return false
}

// deps returns modules.dep as module name -> [its file, deps in load order].
func (k KernelModules) deps(rel string) (map[string][]string, error) {
	p := k.path("lib/modules", rel, "modules.dep")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading the module index: %w", err)
	}
	defer f.Close()
	out := map[string][]string{}
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		file, rest, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		ds := strings.Fields(rest)
		// modules.dep lists dependencies so that the last must load first.
		order := []string{file}
		for i := len(ds) - 1; i >= 0; i-- {
			order = append(order, ds[i])
		}
		out[moduleName(file)] = order
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return out, nil
}

// Load loads each named module not yet loaded, with its dependencies: by
// modprobe when k.Modprobe is set and the host has it, directly otherwise
// and when modprobe fails (the error then names both).
func (k KernelModules) Load(names ...string) error {
	var missing []string
	for _, n := range names {
		if !validModuleName(n) {
			return fmt.Errorf("kernel module name %q: want letters, digits, '_' and '-' only", n)
		}
		if !k.Loaded(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var errs []error
	failed := map[string]error{} // modprobe's failures, by module
	if k.Modprobe != nil {
		if bin, err := k.Modprobe.lookPath(); err == nil {
			var left []string
			for _, n := range missing {
				if k.Loaded(n) {
					continue // a dependency of one loaded before
				}
				out, err := k.Modprobe.run(bin, n)
				switch {
				case err != nil:
					failed[n] = fmt.Errorf("loading module %s: `%s %s` failed: %w: %s", n, bin, n, err, oneLine(out))
					left = append(left, n)
				case !k.Loaded(n):
					// modprobe did what /etc/modprobe.d says (e.g. `install
					// ip_vs /bin/true`, an administrator's way of disabling
					// a module): loading it behind its back would override
					// that.
					errs = append(errs, fmt.Errorf("loading module %s: `%s %s` succeeded but the module is not loaded; check /etc/modprobe.d for an install or blacklist rule of %s (output: %s)", n, bin, n, n, oneLine(out)))
				}
			}
			missing = left
			if len(missing) == 0 {
				return errors.Join(errs...)
			}
		}
	}
	rel, err := k.release()
	if err != nil {
		return errors.Join(append(errs, modprobeFailures(missing, failed, err)...)...)
	}
	index, err := k.deps(rel)
	if err != nil {
		return errors.Join(append(errs, modprobeFailures(missing, failed, err)...)...)
	}
	for _, n := range missing {
		order, ok := index[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			errs = append(errs, withModprobe(failed[n], fmt.Errorf("module %s is not in %s", n, k.path("lib/modules", rel, "modules.dep"))))
			continue
		}
		// order is [module, deps...]: load deps (already reversed), then it.
		for _, file := range append(order[1:], order[0]) {
			if k.Loaded(moduleName(file)) {
				continue
			}
			if err := k.initModule(k.path("lib/modules", rel, file)); err != nil {
				errs = append(errs, withModprobe(failed[n], fmt.Errorf("loading module %s for %s: %w", moduleName(file), n, err)))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// withModprobe puts modprobe's failure (if any) before the direct load's.
func withModprobe(modprobeErr, direct error) error {
	if modprobeErr == nil {
		return direct
	}
	return fmt.Errorf("%w; loading it directly failed too: %w", modprobeErr, direct)
}

// modprobeFailures is what to report when the direct load cannot even
// start (err): modprobe's failure per module, or err alone.
func modprobeFailures(missing []string, failed map[string]error, err error) []error {
	var out []error
	for _, n := range missing {
		if failed[n] != nil {
			out = append(out, withModprobe(failed[n], err))
		}
	}
	if len(out) == 0 {
		out = append(out, err)
	}
	return out
}

func validModuleName(n string) bool {
	if n == "" {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// oneLine is a command's output for an error message.
func oneLine(out []byte) string {
	s := strings.Join(strings.Fields(string(out)), " ")
	if s == "" {
		return "no output"
	}
	return s
}

func (k KernelModules) initModule(path string) error {
	compressed := strings.HasSuffix(path, ".xz") || strings.HasSuffix(path, ".zst") || strings.HasSuffix(path, ".gz")
	if k.Init != nil {
		return k.Init(path, compressed)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if compressed {
		flags = unix.MODULE_INIT_COMPRESSED_FILE
	}
	if err := unix.FinitModule(int(f.Fd()), "", flags); err != nil && !errors.Is(err, unix.EEXIST) {
		if compressed && errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("finit_module %s: %w: this kernel cannot decompress modules itself (it needs Linux 5.17+ with CONFIG_MODULE_DECOMPRESS); load it with modprobe (package kmod)", path, err)
		}
		return fmt.Errorf("finit_module %s: %w", path, err)
	}
	return nil
}

// DetectIPVS loads the IPVS modules if needed and checks that the kernel
// now exposes IPVS (/proc/net/ip_vs). Its error wraps ErrIPVSUnavailable and
// names the missing modules and the fix.
func DetectIPVS(k KernelModules) error {
	loadErr := k.Load(IPVSModules()...)
	var missing []string
	for _, m := range IPVSModules() {
		if !k.Loaded(m) {
			missing = append(missing, m)
		}
	}
	_, statErr := os.Stat(k.path("proc/net/ip_vs"))
	if statErr == nil && len(missing) == 0 {
		return nil
	}
	msg := ErrIPVSUnavailable.Error()
	if statErr != nil {
		msg += fmt.Sprintf(": %s is missing", k.path("proc/net/ip_vs"))
	}
	if len(missing) > 0 {
		msg += "; modules not loaded: " + strings.Join(missing, ", ")
	}
	if loadErr != nil {
		msg += " (loading them failed: " + strings.ReplaceAll(loadErr.Error(), "\n", "; ") + ")"
	}
	return fmt.Errorf("%w%s; %s", ErrIPVSUnavailable, strings.TrimPrefix(msg, ErrIPVSUnavailable.Error()), ipvsFix)
}
