package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTar(t *testing.T, r io.Reader) (map[string][]byte, map[string]*tar.Header) {
	t.Helper()
	files, headers := map[string][]byte{}, map[string]*tar.Header{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, headers
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], headers[h.Name] = b, h
	}
}

// archiveIndex reads the archive at p: its files and index.json's manifests.
func archiveIndex(t *testing.T, p string) (map[string][]byte, []descriptor) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files, _ := readTar(t, f)
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatalf("index.json = %s (%v)", files["index.json"], err)
	}
	return files, index.Manifests
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestWriteArchive(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "lvscare")
	if err := os.WriteFile(bin, []byte("\x7fELF fake binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image.tar")
	o := Options{Binary: bin, Path: "/usr/bin/lvscare", Image: "ghcr.io/sealkube/lvscare:v9.9.9", Arch: "amd64", User: "65532:65532", FileCaps: []string{"net_admin"}, Created: 1700000000}
	if err := WriteArchive(out, o); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files, _ := readTar(t, f)

	// Every blob is stored under its own digest.
	for name, b := range files {
		if strings.HasPrefix(name, "blobs/sha256/") && len(b) > 0 {
			if want := "sha256:" + strings.TrimPrefix(name, "blobs/sha256/"); digestOf(b) != want {
				t.Errorf("%s has digest %s", name, digestOf(b))
			}
		}
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json = %s (%v)", files["index.json"], err)
	}
	if got := index.Manifests[0].Annotations["io.containerd.image.name"]; got != o.Image {
		t.Errorf("containerd image name = %q, want %q", got, o.Image)
	}
	var man struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	manBytes := files["blobs/sha256/"+strings.TrimPrefix(index.Manifests[0].Digest, "sha256:")]
	if err := json.Unmarshal(manBytes, &man); err != nil || len(man.Layers) != 1 {
		t.Fatalf("manifest = %s (%v)", manBytes, err)
	}
	var cfg struct {
		Config struct {
			User       string
			Entrypoint []string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(files["blobs/sha256/"+strings.TrimPrefix(man.Config.Digest, "sha256:")], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/usr/bin/lvscare" {
		t.Errorf("config = %+v, want non-root user and the binary as entrypoint", cfg.Config)
	}
	layerGz := files["blobs/sha256/"+strings.TrimPrefix(man.Layers[0].Digest, "sha256:")]
	zr, err := gzip.NewReader(bytes.NewReader(layerGz))
	if err != nil {
		t.Fatal(err)
	}
	layerTar, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != digestOf(layerTar) {
		t.Errorf("diff_ids %v do not match the uncompressed layer %s", cfg.RootFS.DiffIDs, digestOf(layerTar))
	}
	lfiles, lheaders := readTar(t, bytes.NewReader(layerTar))
	if string(lfiles["usr/bin/lvscare"]) != "\x7fELF fake binary" || lheaders["usr/bin/lvscare"].Mode != 0o755 {
		t.Fatalf("layer lacks the executable binary: %v", lheaders["usr/bin/lvscare"])
	}
	xattr := lheaders["usr/bin/lvscare"].PAXRecords["SCHILY.xattr.security.capability"]
	if len(xattr) != 20 {
		t.Fatalf("security.capability xattr is %d bytes, want 20", len(xattr))
	}
	magic := binary.LittleEndian.Uint32([]byte(xattr[0:4]))
	permitted := binary.LittleEndian.Uint32([]byte(xattr[4:8]))
	if magic != 0x02000000 || permitted != 1<<12 {
		t.Errorf("xattr magic %#x permitted %#x, want revision 2 without effective and CAP_NET_ADMIN (1<<12)", magic, permitted)
	}
	if !strings.Contains(string(lfiles["etc/passwd"]), ":65532:65532:") {
		t.Errorf("/etc/passwd lacks the non-root user:\n%s", lfiles["etc/passwd"])
	}
	var docker []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &docker); err != nil || len(docker) != 1 || docker[0].RepoTags[0] != o.Image {
		t.Fatalf("manifest.json = %s (%v)", files["manifest.json"], err)
	}
	for _, p := range append([]string{docker[0].Config}, docker[0].Layers...) {
		if _, ok := files[p]; !ok {
			t.Errorf("manifest.json names %s, which is not in the archive", p)
		}
	}
}

func TestWriteArchiveErrors(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no tag", Options{Binary: bin, Path: "/b", Image: "ghcr.io/x/lvscare"}, "no tag"},
		{"unknown cap", Options{Binary: bin, Path: "/b", Image: "x:1", FileCaps: []string{"sys_admin"}}, `"sys_admin"`},
		{"missing binary", Options{Binary: filepath.Join(dir, "nope"), Path: "/b", Image: "x:1"}, "reading the binary"},
	}
	for _, tc := range tests {
		err := WriteArchive(filepath.Join(dir, "out.tar"), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A tree beside the binary: files, symlinks and directories land in name
// order with fixed owner and time, so two builds give the same bytes; a
// root user gets no second passwd line; effective capabilities set the bit.
func TestWriteArchiveTree(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "kube-proxy")
	if err := os.WriteFile(bin, []byte("proxy"), 0o755); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(tree, "usr/sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "usr/sbin/xtables-nft-multi"), []byte("xt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("xtables-nft-multi", filepath.Join(tree, "usr/sbin/iptables")); err != nil {
		t.Fatal(err)
	}
	o := Options{Binary: bin, Path: "/usr/local/bin/kube-proxy", Image: "registry.k8s.io/kube-proxy:v1.36.3", Arch: "amd64",
		User: "0:0", FileCaps: []string{"net_bind_service"}, FileCapsEffective: true, Dir: tree, Created: 1}
	var sums []string
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, "img.tar")
		if err := WriteArchive(out, o); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, digestOf(b))
		if i == 1 {
			break
		}
		// The tree's own times must not leak into the image.
		if err := os.Chtimes(filepath.Join(tree, "usr/sbin/xtables-nft-multi"), time.Unix(99, 0), time.Unix(99, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("two builds of the same tree differ: %s, %s", sums[0], sums[1])
	}
	files, manifests := archiveIndex(t, filepath.Join(dir, "img.tar"))
	var man struct{ Layers []descriptor }
	if err := json.Unmarshal(files["blobs/sha256/"+strings.TrimPrefix(manifests[0].Digest, "sha256:")], &man); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(files["blobs/sha256/"+strings.TrimPrefix(man.Layers[0].Digest, "sha256:")]))
	if err != nil {
		t.Fatal(err)
	}
	lfiles, lheaders := readTar(t, zr)
	if h := lheaders["usr/sbin/iptables"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "xtables-nft-multi" {
		t.Errorf("usr/sbin/iptables = %+v, want a symlink to xtables-nft-multi", h)
	}
	if string(lfiles["usr/sbin/xtables-nft-multi"]) != "xt" || lheaders["usr/sbin/xtables-nft-multi"].ModTime.Unix() != 1 {
		t.Errorf("usr/sbin/xtables-nft-multi = %+v", lheaders["usr/sbin/xtables-nft-multi"])
	}
	if strings.Contains(string(lfiles["etc/passwd"]), "nonroot") {
		t.Errorf("a root image's /etc/passwd names a non-root user:\n%s", lfiles["etc/passwd"])
	}
	xattr := lheaders["usr/local/bin/kube-proxy"].PAXRecords["SCHILY.xattr.security.capability"]
	if magic := binary.LittleEndian.Uint32([]byte(xattr[0:4])); magic != 0x02000001 {
		t.Errorf("xattr magic %#x, want revision 2 with the effective bit", magic)
	}

	// A tree that repeats a file the image writes itself is refused.
	if err := os.MkdirAll(filepath.Join(tree, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "etc/passwd"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(filepath.Join(dir, "img.tar"), o); err == nil || !strings.Contains(err.Error(), "etc/passwd") {
		t.Errorf("a tree with etc/passwd: err = %v, want one naming etc/passwd", err)
	}
}

// Merging two images gives one archive naming both, each blob once.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("same binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var ins []string
	for _, img := range []string{"registry.k8s.io/a:1", "registry.k8s.io/b:2"} {
		out := filepath.Join(dir, strings.ReplaceAll(img, "/", "_")+".tar")
		if err := WriteArchive(out, Options{Binary: bin, Path: "/bin/x", Image: img, Arch: "amd64", User: "0:0", Created: 1}); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, out)
	}
	out := filepath.Join(dir, "all.tar")
	if err := Merge(out, ins, 1); err != nil {
		t.Fatal(err)
	}
	files, manifests := archiveIndex(t, out)
	var names []string
	for _, m := range manifests {
		names = append(names, m.Annotations["io.containerd.image.name"])
		if _, ok := files["blobs/sha256/"+strings.TrimPrefix(m.Digest, "sha256:")]; !ok {
			t.Errorf("manifest %s of %s is missing", m.Digest, m.Annotations["io.containerd.image.name"])
		}
	}
	if strings.Join(names, ",") != "registry.k8s.io/a:1,registry.k8s.io/b:2" {
		t.Errorf("merged images = %v", names)
	}
	var docker []struct{ RepoTags []string }
	if err := json.Unmarshal(files["manifest.json"], &docker); err != nil || len(docker) != 2 {
		t.Errorf("manifest.json = %s (%v), want 2 entries", files["manifest.json"], err)
	}
	if err := Merge(out, []string{filepath.Join(dir, "nope.tar")}, 1); err == nil || !strings.Contains(err.Error(), "nope.tar") {
		t.Errorf("a missing input: err = %v, want one naming it", err)
	}
}
