// Command ociimage writes a one-layer container image as an archive that
// both `ctr -n k8s.io images import` (OCI layout: oci-layout, index.json,
// blobs/) and `docker load` (manifest.json) accept, without a container
// daemon: a binary, optionally with a tree of files beside it (-dir). It builds
// the lvscare image (hack/build-image.sh) and the offline package's images
// (hack/bundle.sh) offline.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	// ociimage merge -out all.tar a.tar b.tar …: one archive with every image.
	if len(os.Args) > 1 && os.Args[1] == "merge" {
		mergeMain(os.Args[2:])
		return
	}
	var o Options
	fs := flag.NewFlagSet("ociimage", flag.ExitOnError)
	fs.StringVar(&o.Binary, "binary", "", "static binary to put in the image")
	fs.StringVar(&o.Path, "path", "/usr/bin/lvscare", "where the binary goes in the image; also the entrypoint")
	fs.StringVar(&o.Image, "image", "", "image name with tag, e.g. ghcr.io/sealkube/lvscare:v0.1.0")
	fs.StringVar(&o.Arch, "arch", "amd64", "GOARCH of the binary")
	fs.StringVar(&o.User, "user", "65532:65532", "numeric uid:gid the container runs as")
	caps := fs.String("file-caps", "net_admin", "comma-separated capabilities given to the binary as permitted file capabilities (empty: none)")
	fs.BoolVar(&o.FileCapsEffective, "file-caps-effective", false, "also set the effective bit of the file capabilities (for binaries that do not raise them themselves)")
	fs.StringVar(&o.Dir, "dir", "", "a root filesystem tree to add to the layer (tools and libraries the binary execs)")
	fs.Int64Var(&o.Created, "created", 0, "image creation time in Unix seconds (default: SOURCE_DATE_EPOCH or 0), for reproducible archives")
	out := fs.String("out", "", "archive to write")
	_ = fs.Parse(os.Args[1:])
	if *caps != "" {
		o.FileCaps = strings.Split(*caps, ",")
	}
	if o.Created == 0 {
		o.Created = sourceDateEpoch()
	}
	if o.Binary == "" || o.Image == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "ociimage: -binary, -image and -out are required, e.g. -binary _output/lvscare -image ghcr.io/sealkube/lvscare:v0.1.0 -out _output/lvscare.tar")
		os.Exit(2)
	}
	if err := WriteArchive(*out, o); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

// sourceDateEpoch is SOURCE_DATE_EPOCH, or 0 when it is unset.
func sourceDateEpoch() int64 {
	var t int64
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if _, err := fmt.Sscan(s, &t); err != nil {
			fmt.Fprintf(os.Stderr, "ociimage: SOURCE_DATE_EPOCH %q is not Unix seconds\n", s)
			os.Exit(2)
		}
	}
	return t
}

func mergeMain(args []string) {
	fs := flag.NewFlagSet("ociimage merge", flag.ExitOnError)
	out := fs.String("out", "", "archive to write")
	created := fs.Int64("created", 0, "time of the archive's entries in Unix seconds (default: SOURCE_DATE_EPOCH or 0)")
	_ = fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "ociimage merge: -out and at least one archive are required, e.g. ociimage merge -out images.tar pause.tar etcd.tar")
		os.Exit(2)
	}
	if *created == 0 {
		*created = sourceDateEpoch()
	}
	if err := Merge(*out, fs.Args(), *created); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage merge:", err)
		os.Exit(1)
	}
}
