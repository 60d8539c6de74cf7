package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/sealkube/kubeadm/hack/vm/kmod"
	"github.com/sealkube/kubeadm/hack/vm/newc"
	"github.com/sealkube/kubeadm/hack/vm/vmconfig"
)

// initramfsSpec says what goes into the archive.
type initramfsSpec struct {
	vminit   string        // host path of the static init binary
	modules  []kmod.Module // load plan; built-ins are skipped
	testsDir string        // host dir: <name>/<name>.test (+ testdata/)
	cfg      vmconfig.Config
}

// buildInitramfs writes the archive to out and returns the test binary names.
// The archive is left uncompressed: the kernel unpacks it faster than it
// could decompress it under TCG.
func buildInitramfs(out string, spec initramfsSpec) ([]string, error) {
	names, err := listTests(spec.testsDir)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(out)
	if err != nil {
		return nil, fmt.Errorf("creating initramfs: %w", err)
	}
	ok := false
	defer func() {
		f.Close()
		if !ok {
			os.Remove(out)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := newc.NewWriter(bw)
	add := func(err error) error {
		if err != nil {
			return fmt.Errorf("building initramfs %s: %w", out, err)
		}
		return nil
	}
	// The kernel opens /dev/console for init's stdio before init runs, so
	// the node must be in the archive; devtmpfs comes later.
	for _, d := range []string{"proc", "sys", "tmp", "run", "root", "etc"} {
		if err := add(w.Dir(d, 0o755)); err != nil {
			return nil, err
		}
	}
	if err := add(w.CharDev("dev/console", 0o600, 5, 1)); err != nil {
		return nil, err
	}
	if err := add(w.HostFile("init", 0o755, spec.vminit)); err != nil {
		return nil, err
	}
	// Go's resolver reads /etc/hosts for "localhost".
	if err := add(w.Bytes("etc/hosts", 0o644, []byte("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"))); err != nil {
		return nil, err
	}
	cfg := spec.cfg
	cfg.Modules = nil
	for _, m := range spec.modules {
		if m.Builtin {
			continue
		}
		guest := path.Join(vmconfig.ModulesDir, m.Name+".ko")
		if err := add(w.HostFile(guest, 0o644, m.Path)); err != nil {
			return nil, err
		}
		cfg.Modules = append(cfg.Modules, guest)
	}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding vm config: %w", err)
	}
	if err := add(w.Bytes(vmconfig.Path, 0o644, js)); err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := add(addTree(w, filepath.Join(spec.testsDir, name), path.Join(vmconfig.TestsDir, name))); err != nil {
			return nil, err
		}
	}
	if err := add(w.Close()); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing initramfs %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing initramfs %s: %w", out, err)
	}
	ok = true
	return names, nil
}

// listTests returns the names of the subdirectories of dir that hold
// <name>/<name>.test.
func listTests(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing test binaries: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		bin := filepath.Join(dir, e.Name(), e.Name()+".test")
		if st, err := os.Stat(bin); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("test directory %s has no test binary %s: build it with go test -c -o %s", filepath.Join(dir, e.Name()), bin, bin)
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no test binaries under %s (expected %s/<name>/<name>.test)", dir, dir)
	}
	return names, nil
}

// addTree copies a host directory (files, dirs, symlinks) under guest.
func addTree(w *newc.Writer, host, guest string) error {
	return filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(host, p)
		if err != nil {
			return err
		}
		name := path.Join(guest, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return w.Dir(name, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return w.Symlink(name, target)
		case info.Mode().IsRegular():
			return w.HostFile(name, info.Mode().Perm(), p)
		default:
			return fmt.Errorf("%s: unsupported file type %s in a test directory", p, info.Mode().Type())
		}
	})
}
