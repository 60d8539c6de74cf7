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
	"os"
	"path"
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
	Created  int64
}

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
			"Env":        []string{"PATH=/usr/bin:/bin"},
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
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + uid + ":" + gid + ":nonroot:/:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:" + gid + ":\n"
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
		xattr, err := fileCaps(o.FileCaps)
		if err != nil {
			return nil, err
		}
		pax = map[string]string{"SCHILY.xattr.security.capability": string(xattr)}
	}
	if err := mkdirs("tmp"); err != nil {
		return nil, err
	}
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
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileCaps encodes a version-2 security.capability xattr with the named
// capabilities permitted but not effective: the binary raises them itself,
// and a container that lacks one can still exec it (with the effective bit
// the kernel would refuse the exec).
func fileCaps(names []string) ([]byte, error) {
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
	const vfsCapRevision2 = 0x02000000
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], vfsCapRevision2) // no VFS_CAP_FLAGS_EFFECTIVE
	binary.LittleEndian.PutUint32(b[4:], lo)              // permitted
	binary.LittleEndian.PutUint32(b[8:], 0)               // inheritable
	binary.LittleEndian.PutUint32(b[12:], hi)
	binary.LittleEndian.PutUint32(b[16:], 0)
	return b, nil
}
