// Package etchosts maps one host name to an address in /etc/hosts with a
// line that carries a marker, so the same marker finds and removes exactly
// that line again. Every other line is kept byte for byte; writes are atomic.
package etchosts

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealkube/kubeadm/internal/atomicfile"
)

// File is one hosts file and the marker that identifies our lines in it.
type File struct {
	Path string
	// Marker is appended to our line as a comment ("# <Marker>").
	Marker string
}

// Entry is an address-to-name mapping found in the file.
type Entry struct {
	Addr netip.Addr
	Name string
	Line int // 1-based
	Ours bool
}

func (f File) comment() string { return "# " + f.Marker }

// Line is the line Ensure writes for addr and name (without newline).
func (f File) Line(addr netip.Addr, name string) string {
	return addr.String() + " " + name + " " + f.comment()
}

// read returns the file's bytes; a missing file is empty.
func (f File) read() ([]byte, fs.FileMode, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o644, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	st, err := os.Stat(f.Path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	return data, st.Mode().Perm(), nil
}

// lines splits data into lines that keep their terminators, so joining
// them gives back data exactly.
func lines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i+1])
		data = data[i+1:]
	}
	return out
}

func (f File) isOurs(line []byte) bool {
	return strings.HasSuffix(strings.TrimRight(string(line), "\r\n \t"), f.comment())
}

// Lookup returns every line that maps name, in file order (the resolver
// uses the first).
func (f File) Lookup(name string) ([]Entry, error) {
	data, _, err := f.read()
	if err != nil {
		return nil, err
	}
	var found []Entry
	for i, l := range lines(data) {
		text, _, _ := strings.Cut(string(l), "#")
		fields := strings.Fields(text)
		if len(fields) < 2 {
			continue
		}
		addr, err := netip.ParseAddr(fields[0])
		if err != nil {
			continue
		}
		for _, n := range fields[1:] {
			if strings.EqualFold(n, name) {
				found = append(found, Entry{Addr: addr, Name: n, Line: i + 1, Ours: f.isOurs(l)})
				break
			}
		}
	}
	return found, nil
}

// ErrConflict means another line maps the name to a different address.
var ErrConflict = errors.New("conflicting /etc/hosts entry")

// Ensure makes name resolve to addr through our line. It does nothing when
// the first line mapping name (ours or not) already maps it to addr. It
// replaces our own line for name when that maps another address, and
// refuses (ErrConflict) when a line that is not ours maps name elsewhere,
// because the resolver would keep using that line. changed reports a write.
func (f File) Ensure(addr netip.Addr, name string) (changed bool, err error) {
	entries, err := f.Lookup(name)
	if err != nil {
		return false, err
	}
	if len(entries) > 0 && entries[0].Addr == addr {
		return false, nil
	}
	for _, e := range entries {
		if !e.Ours && e.Addr != addr {
			return false, fmt.Errorf("%w: %s line %d maps %s to %s, not %s; remove or correct that line", ErrConflict, f.Path, e.Line, name, e.Addr, addr)
		}
	}
	data, mode, err := f.read()
	if err != nil {
		return false, err
	}
	var out bytes.Buffer
	for _, l := range lines(data) {
		if f.isOurs(l) && mapsName(l, name) {
			continue // replaced below
		}
		out.Write(l)
	}
	if out.Len() > 0 && out.Bytes()[out.Len()-1] != '\n' {
		out.WriteByte('\n')
	}
	out.WriteString(f.Line(addr, name) + "\n")
	return f.write(out.Bytes(), mode)
}

func mapsName(line []byte, name string) bool {
	text, _, _ := strings.Cut(string(line), "#")
	fields := strings.Fields(text)
	for _, n := range fields[min(1, len(fields)):] {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// Ours returns our lines (every line carrying the marker), without their
// line terminators: what Remove would remove.
func (f File) Ours() ([]string, error) {
	data, _, err := f.read()
	if err != nil {
		return nil, err
	}
	var ours []string
	for _, l := range lines(data) {
		if f.isOurs(l) {
			ours = append(ours, strings.TrimRight(string(l), "\r\n"))
		}
	}
	return ours, nil
}

// Remove deletes our lines (every line carrying the marker). It returns the
// lines it removed; a file without them is left untouched.
func (f File) Remove() (removed []string, err error) {
	data, mode, err := f.read()
	if err != nil || data == nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, l := range lines(data) {
		if f.isOurs(l) {
			removed = append(removed, strings.TrimRight(string(l), "\r\n"))
			continue
		}
		out.Write(l)
	}
	if len(removed) == 0 {
		return nil, nil
	}
	if _, err := f.write(out.Bytes(), mode); err != nil {
		return nil, err
	}
	return removed, nil
}

// write replaces the file atomically, through a symlink to its target.
func (f File) write(data []byte, mode fs.FileMode) (bool, error) {
	path := f.Path
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	changed, err := atomicfile.WriteFile(path, data, mode)
	if err != nil {
		return false, fmt.Errorf("updating %s: %w", f.Path, err)
	}
	return changed, nil
}
