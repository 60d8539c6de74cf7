// Package newc writes cpio archives in the "newc" (SVR4, no CRC) format,
// the only format the Linux kernel unpacks as an initramfs. It is tiny on
// purpose: the VM test harness needs regular files, directories, symlinks
// and device nodes, nothing else.
package newc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// File type bits of the cpio mode field (they match Linux's S_IF* values).
const (
	typeDir  = 0o040000
	typeChar = 0o020000
	typeReg  = 0o100000
	typeLink = 0o120000
)

const (
	magic      = "070701"
	headerSize = 110
	trailer    = "TRAILER!!!"
)

// Writer appends entries to a newc archive. Parent directories that were not
// written explicitly are added (mode 0755) before their first child, because
// the kernel does not create missing parents while unpacking.
type Writer struct {
	w      io.Writer
	ino    uint32
	dirs   map[string]bool
	closed bool
}

// NewWriter returns a Writer that writes the archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, ino: 1, dirs: map[string]bool{".": true}}
}

// Dir adds a directory.
func (w *Writer) Dir(name string, perm fs.FileMode) error {
	name, err := w.prepare(name)
	if err != nil {
		return err
	}
	if w.dirs[name] {
		return nil
	}
	w.dirs[name] = true
	return w.entry(name, typeDir|uint32(perm.Perm()), 2, 0, 0, 0, nil)
}

// File adds a regular file of exactly size bytes read from r.
func (w *Writer) File(name string, perm fs.FileMode, size int64, r io.Reader) error {
	name, err := w.prepare(name)
	if err != nil {
		return err
	}
	if size < 0 || size > 0xFFFFFFFF {
		return fmt.Errorf("cpio entry %q: size %d does not fit the newc format (max 4 GiB)", name, size)
	}
	return w.entry(name, typeReg|uint32(perm.Perm()), 1, uint32(size), 0, 0, r)
}

// HostFile adds a regular file with the content of the host file at
// hostPath (links followed).
func (w *Writer) HostFile(name string, perm fs.FileMode, hostPath string) error {
	f, err := os.Open(hostPath)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return w.File(name, perm, st.Size(), f)
}

// Bytes adds a regular file with the given content.
func (w *Writer) Bytes(name string, perm fs.FileMode, data []byte) error {
	return w.File(name, perm, int64(len(data)), bytes.NewReader(data))
}

// CharDev adds a character device node (for example dev/console, 5:1).
func (w *Writer) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	name, err := w.prepare(name)
	if err != nil {
		return err
	}
	return w.entry(name, typeChar|uint32(perm.Perm()), 1, 0, major, minor, nil)
}

// Symlink adds a symbolic link name -> target.
func (w *Writer) Symlink(name, target string) error {
	name, err := w.prepare(name)
	if err != nil {
		return err
	}
	if target == "" {
		return fmt.Errorf("cpio symlink %q: empty target", name)
	}
	return w.entry(name, typeLink|0o777, 1, uint32(len(target)), 0, 0, strings.NewReader(target))
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("cpio archive already closed")
	}
	w.closed = true
	return w.header(trailer, 0, 1, 0, 0, 0, 0)
}

// prepare cleans name to the relative form the kernel expects and emits
// missing parent directories.
func (w *Writer) prepare(name string) (string, error) {
	if w.closed {
		return "", fmt.Errorf("cpio entry %q: archive already closed", name)
	}
	clean := path.Clean(strings.TrimPrefix(name, "/"))
	if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("cpio entry %q: name must be a path inside the archive", name)
	}
	if parent := path.Dir(clean); !w.dirs[parent] {
		if err := w.Dir(parent, 0o755); err != nil {
			return "", err
		}
	}
	return clean, nil
}

func (w *Writer) entry(name string, mode, nlink, size, rmajor, rminor uint32, r io.Reader) error {
	if err := w.header(name, mode, nlink, size, rmajor, rminor, w.ino); err != nil {
		return err
	}
	w.ino++
	if size > 0 {
		n, err := io.Copy(w.w, io.LimitReader(r, int64(size)))
		if err != nil {
			return fmt.Errorf("cpio entry %q: writing data: %w", name, err)
		}
		if n != int64(size) {
			return fmt.Errorf("cpio entry %q: got %d bytes of data, header says %d", name, n, size)
		}
	}
	return w.pad(int(size))
}

func (w *Writer) header(name string, mode, nlink, size, rmajor, rminor, ino uint32) error {
	// Fields: ino mode uid gid nlink mtime filesize devmajor devminor
	// rdevmajor rdevminor namesize check. mtime 0 keeps archives reproducible.
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		magic, ino, mode, 0, 0, nlink, 0, size, 0, 0, rmajor, rminor, len(name)+1, 0)
	if _, err := io.WriteString(w.w, hdr+name+"\x00"); err != nil {
		return fmt.Errorf("cpio entry %q: writing header: %w", name, err)
	}
	return w.pad(headerSize + len(name) + 1)
}

// pad writes zeros so the next item starts on a 4-byte boundary.
func (w *Writer) pad(n int) error {
	if rem := n % 4; rem != 0 {
		if _, err := w.w.Write(make([]byte, 4-rem)); err != nil {
			return fmt.Errorf("cpio padding: %w", err)
		}
	}
	return nil
}
