package newc

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

type entry struct {
	name         string
	mode         uint32
	nlink        uint32
	rmaj, rmin   uint32
	data         string
	headerOffset int
}

// parse is an independent reader of the newc format used to check the writer.
func parse(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	field := func(i int) uint32 {
		s := string(b[off+6+8*i : off+6+8*i+8])
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			t.Fatalf("offset %d field %d: %q is not hex", off, i, s)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if off%4 != 0 {
			t.Fatalf("header at offset %d is not 4-byte aligned", off)
		}
		if off+headerSize > len(b) {
			t.Fatalf("archive truncated at %d (len %d)", off, len(b))
		}
		if got := string(b[off : off+6]); got != magic {
			t.Fatalf("offset %d: magic %q, want %q", off, got, magic)
		}
		nameSize := int(field(11))
		size := int(field(6))
		name := string(b[off+headerSize : off+headerSize+nameSize])
		if !strings.HasSuffix(name, "\x00") {
			t.Fatalf("name %q at %d is not NUL terminated", name, off)
		}
		name = strings.TrimSuffix(name, "\x00")
		dataStart := align(off + headerSize + nameSize)
		e := entry{name: name, mode: field(1), nlink: field(4), rmaj: field(9), rmin: field(10),
			data: string(b[dataStart : dataStart+size]), headerOffset: off}
		out = append(out, e)
		off = align(dataStart + size)
		if name == trailer {
			if off != len(b) {
				t.Fatalf("%d bytes after trailer", len(b)-off)
			}
			return out
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	steps := []error{
		w.CharDev("/dev/console", 0o600, 5, 1),
		w.Bytes("init", 0o755, []byte("#!binary")),
		w.Bytes("tests/a/b.test", 0o755, []byte("abc")), // odd size forces padding
		w.Dir("tests", 0o700),                           // already implied: no duplicate
		w.Symlink("bin/sh", "/init"),
		w.Bytes("empty", 0o644, nil),
		w.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got := parse(t, buf.Bytes())
	want := []struct {
		name string
		mode uint32
		data string
	}{
		{"dev", typeDir | 0o755, ""},
		{"dev/console", typeChar | 0o600, ""},
		{"init", typeReg | 0o755, "#!binary"},
		{"tests", typeDir | 0o755, ""},
		{"tests/a", typeDir | 0o755, ""},
		{"tests/a/b.test", typeReg | 0o755, "abc"},
		{"bin", typeDir | 0o755, ""},
		{"bin/sh", typeLink | 0o777, "/init"},
		{"empty", typeReg | 0o644, ""},
		{trailer, 0, ""},
	}
	if len(got) != len(want) {
		var names []string
		for _, e := range got {
			names = append(names, e.name)
		}
		t.Fatalf("got %d entries %v, want %d", len(got), names, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.name != w.name || g.mode != w.mode || g.data != w.data {
			t.Errorf("entry %d = {%q %o %q}, want {%q %o %q}", i, g.name, g.mode, g.data, w.name, w.mode, w.data)
		}
	}
	if c := got[1]; c.rmaj != 5 || c.rmin != 1 {
		t.Errorf("dev/console rdev = %d:%d, want 5:1", c.rmaj, c.rmin)
	}
	if tr := got[len(got)-1]; tr.nlink != 1 {
		t.Errorf("trailer nlink = %d, want 1", tr.nlink)
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *Writer) error
		want string
	}{
		{"escape", func(w *Writer) error { return w.Bytes("../etc/passwd", 0o644, nil) }, "inside the archive"},
		{"root", func(w *Writer) error { return w.Dir("/", 0o755) }, "inside the archive"},
		{"short data", func(w *Writer) error { return w.File("f", 0o644, 10, strings.NewReader("abc")) }, "got 3 bytes"},
		{"negative size", func(w *Writer) error { return w.File("f", 0o644, -1, strings.NewReader("")) }, "does not fit"},
		{"empty link", func(w *Writer) error { return w.Symlink("l", "") }, "empty target"},
		{"after close", func(w *Writer) error {
			if err := w.Close(); err != nil {
				return err
			}
			return w.Bytes("f", 0o644, nil)
		}, "already closed"},
		{"double close", func(w *Writer) error {
			if err := w.Close(); err != nil {
				return err
			}
			return w.Close()
		}, "already closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(NewWriter(&bytes.Buffer{}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
