package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Merge writes one archive holding every image of the archives in ins (as
// WriteArchive writes them): the index's manifests and docker's
// manifest.json entries in input order, each blob once, in name order, all
// stamped with created. `ctr images import` and `docker load` take all the
// images from it, as from the seeds' images/images.tar.
func Merge(out string, ins []string, created int64) error {
	var manifests []json.RawMessage
	var docker []json.RawMessage
	blobs := map[string]string{} // archive path -> the input holding it
	for _, in := range ins {
		before := len(manifests)
		if err := readArchive(in, func(name string, r io.Reader) error {
			switch {
			case name == "index.json":
				var idx struct {
					Manifests []json.RawMessage `json:"manifests"`
				}
				if err := json.NewDecoder(r).Decode(&idx); err != nil {
					return fmt.Errorf("index.json: %w", err)
				}
				manifests = append(manifests, idx.Manifests...)
			case name == "manifest.json":
				var m []json.RawMessage
				if err := json.NewDecoder(r).Decode(&m); err != nil {
					return fmt.Errorf("manifest.json: %w", err)
				}
				docker = append(docker, m...)
			case strings.HasPrefix(name, "blobs/sha256/") && len(name) > len("blobs/sha256/"):
				if _, ok := blobs[name]; !ok {
					blobs[name] = in
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("reading the image archive %s: %w", in, err)
		}
		if len(manifests) == before {
			return fmt.Errorf("the image archive %s has no index.json manifests: is it an OCI image archive (hack/ociimage)?", in)
		}
	}
	indexJSON, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
	if err != nil {
		return err
	}
	dockerJSON, err := json.Marshal(docker)
	if err != nil {
		return err
	}
	mtime := time.Unix(created, 0).UTC()
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: mtime}); err != nil {
			return err
		}
	}
	for _, small := range []struct {
		name string
		data []byte
	}{{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {"index.json", indexJSON}, {"manifest.json", dockerJSON}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: small.name, Mode: 0o644, Size: int64(len(small.data)), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := tw.Write(small.data); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(blobs))
	for n := range blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	// Blobs are copied from their input one archive at a time, in name order.
	for _, n := range names {
		if err := readArchive(blobs[n], func(name string, r io.Reader) error {
			if name != n {
				return nil
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}); err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}); err != nil {
			return fmt.Errorf("copying %s from %s: %w", n, blobs[n], err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return os.Rename(tmp, out)
}

// readArchive calls fn with every regular file of the tar archive at p.
func readArchive(p string, fn func(name string, r io.Reader) error) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if err := fn(strings.TrimPrefix(h.Name, "./"), tr); err != nil {
				return err
			}
		}
	}
}
