// Command vmhost is the host side of the VM test harness (hack/vm-test.sh):
//
//	vmhost vmlinux -in vmlinuz -out vmlinux
//	    extracts the uncompressed ELF kernel from a bzImage so qemu can boot
//	    it directly via PVH (about twice as fast as the bzImage under TCG).
//	vmhost run [flags] [-- test args...]
//	    builds the initramfs (vminit as /init, kernel modules, test
//	    binaries), boots it under qemu with a hard timeout, streams the serial
//	    console and exits 0 only if every test binary reported PASS.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "vmlinux":
		err = vmlinuxCmd(os.Args[2:])
	case "run":
		err = runCmd(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "vmhost: unknown command %q\n", os.Args[1])
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhost %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vmhost vmlinux -in BZIMAGE -out VMLINUX\n       vmhost run [flags] [-- test-binary-args...]   (see vmhost run -h)\nNormally driven by hack/vm-test.sh.")
	os.Exit(2)
}
