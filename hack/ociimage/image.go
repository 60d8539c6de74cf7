package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Options describe the image.
type Options struct {
	Binary   string
	Path     string
	Image    string
	Arch     string
	User     string
	FileCaps []string
	// FileCapsEffective sets the effective bit too: for binaries that do
	// not raise their capabilities themselves (e.g. coredns binding :53 as
	// a non-root user).
	FileCapsEffective bool
	// Dir is a root filesystem tree added to the layer (owned by root, times
	// set to Created): the tools and shared libraries a binary execs, e.g.
	// kube-proxy's iptables and nft unpacked from Debian packages.
	Dir     string
	Created int64
}

// imagePath is the image's PATH: the standard one, so the bare command names
// in kubeadm's static pod manifests (kube-apiserver, etcd, …) resolve to
// /usr/local/bin, where upstream's images keep them.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// capBits maps capability names to their numbers (linux/capability.h).
var capBits = map[string]uint{"net_admin": 12, "net_raw": 13, "net_bind_service": 10, "sys_module": 16}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type blob struct {
	data   []byte
	digest string
}

func newBlob(b []byte) blob {
	sum := sha256.Sum256(b)
	return blob{data: b, digest: "sha256:" + hex.EncodeToString(sum[:])}
}

func (b blob) path() string { return "blobs/sha256/" + strings.TrimPrefix(b.digest, "sha256:") }

// WriteArchive writes the image archive to out.
func WriteArchive(out string, o Options) error {
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return fmt.Errorf("reading the binary: %w", err)
	}
	if !strings.Contains(o.Image, ":") || strings.HasSuffix(o.Image, ":") {
		return fmt.Errorf("image %q has no tag: write it as name:tag, e.g. ghcr.io/sealkube/lvscare:v0.1.0", o.Image)
	}
	created := time.Unix(o.Created, 0).UTC()
	layerTar, err := layer(bin, o, created)
	if err != nil {
		return err
	}
	diffID := newBlob(layerTar).digest
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(layerTar); err != nil {
		return fmt.Errorf("compressing the layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compressing the layer: %w", err)
	}
	layerBlob := newBlob(gz.Bytes())

	cfg := map[string]any{
		"created":      created.Format(time.RFC3339),
		"architecture": o.Arch,
		"os":           "linux",
		"config": map[string]any{
			"User":       o.User,
			"Entrypoint": []string{o.Path},
			"Env":        []string{imagePath},
			"Labels": map[string]string{
				"org.opencontainers.image.title":  path.Base(o.Path),
				"org.opencontainers.image.source": "https://github.com/sealkube/kubeadm",
			},
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history": []map[string]string{{"created": created.Format(time.RFC3339), "created_by": "hack/ociimage " + o.Path}},
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cfgBlob := newBlob(cfgJSON)
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{MediaType: mediaConfig, Digest: cfgBlob.digest, Size: int64(len(cfgBlob.data))},
		"layers":        []descriptor{{MediaType: mediaLayer, Digest: layerBlob.digest, Size: int64(len(layerBlob.data))}},
	}
	manJSON, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	manBlob := newBlob(manJSON)
	tag := o.Image[strings.LastIndex(o.Image, ":")+1:]
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{
			MediaType: mediaManifest, Digest: manBlob.digest, Size: int64(len(manBlob.data)),
			Platform: &platform{Architecture: o.Arch, OS: "linux"},
			Annotations: map[string]string{
				// containerd names the imported image from this one.
				"io.containerd.image.name":          o.Image,
				"org.opencontainers.image.ref.name": tag,
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	// docker load reads manifest.json; the paths point into the OCI blobs.
	dockerJSON, err := json.Marshal([]map[string]any{{
		"Config": cfgBlob.path(), "RepoTags": []string{o.Image}, "Layers": []string{layerBlob.path()},
	}})
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		data []byte
	}{
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", indexJSON},
		{"manifest.json", dockerJSON},
		{layerBlob.path(), layerBlob.data},
		{cfgBlob.path(), cfgBlob.data},
		{manBlob.path(), manBlob.data},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: created}); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: created}); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

// layer is the root filesystem: the binary (with file capabilities), and
// /etc/passwd and /etc/group naming the non-root user.
func layer(bin []byte, o Options, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	uid, gid := "65532", "65532"
	if u, g, ok := strings.Cut(o.User, ":"); ok {
		uid, gid = u, g
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n"
	group := "root:x:0:\n"
	if uid != "0" {
		passwd += "nonroot:x:" + uid + ":" + gid + ":nonroot:/:/sbin/nologin\n"
	}
	if gid != "0" {
		group += "nonroot:x:" + gid + ":\n"
	}
	dirs := map[string]bool{}
	var mkdirs func(dir string) error
	mkdirs = func(dir string) error {
		if dir == "." || dir == "/" || dirs[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir)); err != nil {
			return err
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: created, Format: tar.FormatPAX})
	}
	add := func(name string, mode int64, data []byte, pax map[string]string) error {
		name = strings.TrimPrefix(path.Clean(name), "/")
		if err := mkdirs(path.Dir(name)); err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: created, PAXRecords: pax, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("adding %s to the layer: %w", name, err)
		}
		_, err := tw.Write(data)
		return err
	}
	var pax map[string]string
	if len(o.FileCaps) > 0 {
		xattr, err := fileCaps(o.FileCaps, o.FileCapsEffective)
		if err != nil {
			return nil, err
		}
		pax = map[string]string{"SCHILY.xattr.security.capability": string(xattr)}
	}
	if err := mkdirs("tmp"); err != nil {
		return nil, err
	}
	files := map[string]bool{}
	for _, f := range []struct {
		name string
		mode int64
		data []byte
		pax  map[string]string
	}{
		{"etc/passwd", 0o644, []byte(passwd), nil},
		{"etc/group", 0o644, []byte(group), nil},
		{o.Path, 0o755, bin, pax},
	} {
		if err := add(f.name, f.mode, f.data, f.pax); err != nil {
			return nil, err
		}
		files[strings.TrimPrefix(path.Clean(f.name), "/")] = true
	}
	if o.Dir != "" {
		if err := addTree(tw, o.Dir, created, mkdirs, files); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileCaps encodes a version-2 security.capability xattr with the named
// capabilities permitted and, unless effective, not effective: the binary
// raises them itself, and a container that lacks one can still exec it (with
// the effective bit the kernel would refuse the exec).
func fileCaps(names []string, effective bool) ([]byte, error) {
	var lo, hi uint32
	for _, n := range names {
		bit, ok := capBits[strings.TrimPrefix(strings.ToLower(strings.TrimSpace(n)), "cap_")]
		if !ok {
			return nil, fmt.Errorf("file capability %q is not known here: use one of net_admin, net_raw, net_bind_service, sys_module", n)
		}
		if bit < 32 {
			lo |= 1 << bit
		} else {
			hi |= 1 << (bit - 32)
		}
	}
	const vfsCapRevision2, vfsCapFlagsEffective = 0x02000000, 0x000001
	magic := uint32(vfsCapRevision2)
	if effective {
		magic |= vfsCapFlagsEffective
	}
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], magic)
	binary.LittleEndian.PutUint32(b[4:], lo) // permitted
	binary.LittleEndian.PutUint32(b[8:], 0)  // inheritable
	binary.LittleEndian.PutUint32(b[12:], hi)
	binary.LittleEndian.PutUint32(b[16:], 0)
	return b, nil
}

// addTree adds the regular files, symlinks and directories under dir, in
// name order, owned by root and stamped with created, so the same tree gives
// the same bytes. A path the layer already has (e.g. etc/passwd) is an error:
// two versions of one file would make the image depend on the order.
func addTree(tw *tar.Writer, dir string, created time.Time, mkdirs func(string) error, have map[string]bool) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the tree %s: %w", dir, err)
	}
	sort.Strings(names)
	for _, p := range names {
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if have[name] {
			return fmt.Errorf("the tree %s has %s, which the image already gets from its options: remove it from the tree", dir, name)
		}
		if err := mkdirs(path.Dir(name)); err != nil {
			return err
		}
		h := &tar.Header{Name: name, ModTime: created, Mode: int64(fi.Mode().Perm()), Format: tar.FormatPAX}
		switch {
		case fi.IsDir():
			if err := mkdirs(name); err != nil {
				return err
			}
			continue
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, target, 0o777
		case fi.Mode().IsRegular():
			h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		default:
			return fmt.Errorf("%s in the tree %s is neither a file, a directory nor a symlink (%s): remove it", name, dir, fi.Mode().Type())
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("adding %s to the layer: %w", name, err)
		}
		have[name] = true
		if h.Typeflag == tar.TypeReg {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if _, err := tw.Write(data); err != nil {
				return err
			}
		}
	}
	return nil
}
