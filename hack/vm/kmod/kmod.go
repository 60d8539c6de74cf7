// Package kmod finds kernel modules in an extracted kernel package and puts
// them in load order. Debian's linux-image packages ship no modules.dep (the
// postinst runs depmod), so dependencies are read from each module's
// .modinfo section instead.
package kmod

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Module is one entry of a load plan.
type Module struct {
	Name string
	// Path of the .ko file; empty when the module is built into the kernel.
	Path    string
	Builtin bool
}

// Tree is the modules directory of one kernel (lib/modules/<version>).
type Tree struct {
	dir     string
	files   map[string]string // normalized name -> .ko path
	builtin map[string]bool
	// deps returns the modules a .ko file depends on; replaced in tests.
	deps func(path string) ([]string, error)
}

// Normalize makes module names comparable: the kernel treats '-' and '_'
// as the same character.
func Normalize(name string) string {
	return strings.ReplaceAll(strings.TrimSuffix(name, ".ko"), "-", "_")
}

// Open indexes the modules under dir (lib/modules/<version>).
func Open(dir string) (*Tree, error) {
	t := &Tree{dir: dir, files: map[string]string{}, builtin: map[string]bool{}, deps: ModinfoDepends}
	var compressed []string
	err := filepath.WalkDir(filepath.Join(dir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case d.IsDir():
		case strings.HasSuffix(name, ".ko"):
			t.files[Normalize(name)] = p
		case strings.Contains(name, ".ko."):
			compressed = append(compressed, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing kernel modules in %s: %w", dir, err)
	}
	if len(t.files) == 0 && len(compressed) > 0 {
		return nil, fmt.Errorf("kernel modules in %s are compressed (e.g. %s); only plain .ko files are supported: use a kernel package with uncompressed modules (Debian bookworm's are)", dir, compressed[0])
	}
	if len(t.files) == 0 {
		return nil, fmt.Errorf("no kernel modules (*.ko) under %s/kernel: is this an extracted linux-image package?", dir)
	}
	if err := t.readBuiltin(filepath.Join(dir, "modules.builtin")); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tree) readBuiltin(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // Without the list, a missing module is simply an error later.
	}
	if err != nil {
		return fmt.Errorf("reading built-in module list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t.builtin[Normalize(filepath.Base(strings.TrimSpace(sc.Text())))] = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// Plan returns the modules to load, dependencies first, each once, for the
// wanted names in the order given. Built-in modules are in the plan with
// Builtin set so callers can report them; they need no loading.
func (t *Tree) Plan(wanted []string) ([]Module, error) {
	var plan []Module
	done := map[string]bool{}
	visiting := map[string]bool{}
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		name = Normalize(name)
		if done[name] {
			return nil
		}
		chain = append(chain, name)
		if visiting[name] {
			return fmt.Errorf("module dependency cycle: %s", strings.Join(chain, " -> "))
		}
		path, ok := t.files[name]
		if !ok {
			if t.builtin[name] {
				done[name] = true
				plan = append(plan, Module{Name: name, Builtin: true})
				return nil
			}
			return fmt.Errorf("kernel module %q (needed by %s) is neither a .ko file under %s nor listed in modules.builtin: check the name (see modules.order)", name, strings.Join(chain, " -> "), t.dir)
		}
		visiting[name] = true
		deps, err := t.deps(path)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, chain); err != nil {
				return err
			}
		}
		visiting[name] = false
		done[name] = true
		plan = append(plan, Module{Name: name, Path: path})
		return nil
	}
	for _, w := range wanted {
		if err := visit(w, nil); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// Names lists every module file in the tree, sorted; for error messages.
func (t *Tree) Names() []string {
	names := make([]string, 0, len(t.files))
	for n := range t.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ModinfoDepends reads the "depends=" entry of a .ko file's .modinfo section.
func ModinfoDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading kernel module %s: %w", path, err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("kernel module %s has no .modinfo section: not a kernel module?", path)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .modinfo of %s: %w", path, err)
	}
	return ParseDepends(data), nil
}

// ParseDepends extracts the dependency list from raw .modinfo data: a
// sequence of NUL-separated key=value strings.
func ParseDepends(modinfo []byte) []string {
	for _, kv := range bytes.Split(modinfo, []byte{0}) {
		v, ok := bytes.CutPrefix(kv, []byte("depends="))
		if !ok {
			continue
		}
		var deps []string
		for _, d := range strings.Split(string(v), ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
		return deps
	}
	return nil
}
