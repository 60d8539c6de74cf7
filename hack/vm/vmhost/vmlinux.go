package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// xzMagic starts every xz stream; the bzImage's compressed payload is one.
var xzMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}

func vmlinuxCmd(args []string) error {
	fs := flag.NewFlagSet("vmlinux", flag.ContinueOnError)
	in := fs.String("in", "", "bzImage (e.g. boot/vmlinuz-6.1.0-NN-amd64)")
	out := fs.String("out", "", "where to write the uncompressed ELF vmlinux")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return errors.New("both -in and -out are required")
	}
	return extractVmlinux(*in, *out)
}

// extractVmlinux decompresses the xz payload of a bzImage. The kernel
// compresses with the x86 BCJ filter, which no Go xz package implements, so
// the xz tool does the decompressing.
func extractVmlinux(in, out string) error {
	img, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("reading kernel image: %w", err)
	}
	offsets := xzOffsets(img)
	if len(offsets) == 0 {
		return fmt.Errorf("%s has no xz stream (magic FD 37 7A 58 5A 00): not an xz-compressed bzImage? (check CONFIG_KERNEL_XZ in the kernel's config)", in)
	}
	xz, err := exec.LookPath("xz")
	if err != nil {
		return fmt.Errorf("the xz tool is needed to unpack the kernel: install Debian's xz-utils: %w", err)
	}
	tmp := out + ".tmp"
	defer os.Remove(tmp)
	var errs []error
	for _, off := range offsets {
		if err := runXZ(xz, img[off:], tmp); err != nil {
			errs = append(errs, fmt.Errorf("xz stream at offset %d: %w", off, err))
			continue
		}
		if err := checkPVH(tmp); err != nil {
			errs = append(errs, fmt.Errorf("xz stream at offset %d: %w", off, err))
			continue
		}
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("saving vmlinux: %w", err)
		}
		return nil
	}
	return fmt.Errorf("no bootable vmlinux in %s: %w", in, errors.Join(errs...))
}

func xzOffsets(img []byte) []int {
	var offs []int
	for base := 0; ; {
		i := bytes.Index(img[base:], xzMagic)
		if i < 0 {
			return offs
		}
		offs = append(offs, base+i)
		base += i + 1
	}
}

func runXZ(xz string, stream []byte, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	var stderr bytes.Buffer
	// --single-stream: the bzImage has more bytes after the xz stream.
	cmd := exec.Command(xz, "--decompress", "--stdout", "--single-stream")
	cmd.Stdin = bytes.NewReader(stream)
	cmd.Stdout = f
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("xz: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return f.Close()
}

// checkPVH makes sure the file is an ELF kernel with the Xen PVH entry note
// (XEN_ELFNOTE_PHYS32_ENTRY), which qemu needs to boot it with -kernel.
func checkPVH(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF file: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return fmt.Errorf("reading ELF notes: %w", err)
		}
		if hasNote(data, f.ByteOrder, "Xen", 18) {
			return nil
		}
	}
	return errors.New("the kernel has no PVH entry note (CONFIG_PVH): qemu cannot boot it as an ELF; use a kernel built with CONFIG_PVH=y")
}

// hasNote walks ELF note records: namesz, descsz, type, name, desc, each
// padded to 4 bytes.
func hasNote(data []byte, bo binary.ByteOrder, name string, typ uint32) bool {
	align := func(n uint32) uint32 { return (n + 3) &^ 3 }
	for len(data) >= 12 {
		namesz, descsz, t := bo.Uint32(data), bo.Uint32(data[4:]), bo.Uint32(data[8:])
		end := 12 + uint64(align(namesz)) + uint64(align(descsz))
		if end > uint64(len(data)) {
			return false
		}
		n := string(bytes.TrimRight(data[12:12+namesz], "\x00"))
		if n == name && t == typ {
			return true
		}
		data = data[end:]
	}
	return false
}
