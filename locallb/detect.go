package locallb

import (
	"bufio"
	"errors"
	"fmt"
	"os"
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

// KernelModules loads kernel modules without the modprobe binary: it reads
// <Root>/lib/modules/<Release>/modules.dep and calls finit_module(2) on each
// module file, dependencies first. Compressed modules (.ko.xz, .ko.zst,
// .ko.gz) are passed with MODULE_INIT_COMPRESSED_FILE, so the kernel must
// decompress them itself (CONFIG_MODULE_DECOMPRESS, Linux 6.0+, set in
// Debian's kernels); otherwise loading fails with a message naming modprobe.
// We do it in Go because the care daemon's image has no kmod.
type KernelModules struct {
	// Root prefixes every path; "" is "/". Tests point it at a temp dir.
	Root string
	// Release is the kernel release (uname -r); "" asks the kernel.
	Release string
	// Init loads one module file; nil is finit_module(2).
	Init func(path string, compressed bool) error
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

// Load loads each named module not yet loaded, with its dependencies.
func (k KernelModules) Load(names ...string) error {
	var missing []string
	for _, n := range names {
		if !k.Loaded(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rel, err := k.release()
	if err != nil {
		return err
	}
	index, err := k.deps(rel)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range missing {
		order, ok := index[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			errs = append(errs, fmt.Errorf("module %s is not in %s", n, k.path("lib/modules", rel, "modules.dep")))
			continue
		}
		// order is [module, deps...]: load deps (already reversed), then it.
		for _, file := range append(order[1:], order[0]) {
			if k.Loaded(moduleName(file)) {
				continue
			}
			if err := k.initModule(k.path("lib/modules", rel, file)); err != nil {
				errs = append(errs, fmt.Errorf("loading module %s for %s: %w", moduleName(file), n, err))
				break
			}
		}
	}
	return errors.Join(errs...)
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
