package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sealkube/kubeadm/hack/vm/kmod"
	"github.com/sealkube/kubeadm/hack/vm/newc"
)

// The worker as a qemu VM (-worker vm) booting Debian's stock kernel, which
// has IPVS (this machine's kernel does not): node w with a virtio NIC on a
// tap in the switch namespace, so it sits on the same bridge as the
// masters. The initramfs holds this binary as /init (the agent, see
// vmagent.go), our kubeadm and lvscare, kube-proxy, nft with its libraries
// and the kernel modules.

const workerName = "w"

// vmModules: hack/vm's default set (IPVS, conntrack, socket diagnostics for
// the daemon's ending of dead flows), the virtio NIC (Debian's kernel has
// nothing virtio built in; virtio_pci is needed though virtio_net does not
// list it), and nf_tables with the expressions kube-proxy's nftables mode
// uses (there is no modprobe in the VM to load them on demand).
var vmModules = []string{
	"crc32c_generic", "libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr", "inet_diag", "tcp_diag",
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "failover", "net_failover", "virtio_net",
	"nf_tables", "nf_nat", "nft_chain_nat", "nft_ct", "nft_nat", "nft_masq", "nft_numgen", "nft_reject", "nft_reject_inet", "nft_reject_ipv4", "nft_reject_ipv6",
	"nft_fib", "nft_fib_ipv4", "nft_fib_ipv6", "nft_fib_inet", "nft_limit", "nfnetlink", "dummy",
	// kube-proxy's ipvs mode: iptables (nft variant) rules with xtables
	// matches, ipsets, the kube-ipvs0 dummy link.
	"nft_compat", "x_tables", "xt_comment", "xt_mark", "xt_MASQUERADE", "xt_addrtype", "xt_conntrack", "xt_set",
	"xt_multiport", "xt_nat", "xt_tcpudp", "ip_set", "ip_set_hash_ip", "ip_set_hash_ipport", "ip_set_hash_ipportip",
	"ip_set_hash_ipportnet", "ip_set_hash_net", "ip_set_bitmap_port", "ipt_REJECT", "ip6t_REJECT",
}

type vmOptions struct {
	kernel, modulesDir, mem string
	smp                     int
	// userland: Debian's iptables and ipset unpacked (hack/e2e-vm-userland.sh),
	// which kube-proxy's ipvs mode calls.
	userland string
}

// workerVM is the running VM and the harness's client of its agent.
type workerVM struct {
	h     *harness
	qemu  *proc
	c     *http.Client
	base  string
	mu    sync.Mutex
	names []string // of the processes started, for their logs
}

// defaultVMKernel finds the kernel hack/vm-test.sh caches (make vm-test).
func defaultVMKernel() (vmlinux, modules string) {
	cache := envOr("VMTEST_CACHE", "_output/vm")
	cur, err := os.ReadFile(filepath.Join(cache, "kernel", "current"))
	if err != nil {
		return "", ""
	}
	k := filepath.Join(cache, "kernel", strings.TrimSpace(string(cur)))
	ms, _ := filepath.Glob(filepath.Join(k, "root", "lib", "modules", "*"))
	if len(ms) == 0 {
		return filepath.Join(k, "vmlinux"), ""
	}
	return filepath.Join(k, "vmlinux"), ms[0]
}

// startVM writes the initramfs and starts qemu in the switch namespace; the
// agent is waited for by ready.
func (h *harness) startVM() (*workerVM, error) {
	o := h.o.vm
	if o.kernel == "" || o.modulesDir == "" {
		return nil, errors.New("-worker vm needs Debian's kernel cached by hack/vm-test.sh (run `make vm-test` once) or -vm-kernel and -vm-modules")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return nil, errors.New("-worker vm needs qemu-system-x86_64: apt-get install qemu-system-x86 (make vm-test installs it)")
	}
	initrd := filepath.Join(h.work, "vm-initramfs.cpio")
	if err := h.writeInitramfs(initrd); err != nil {
		return nil, fmt.Errorf("the VM's initramfs: %w", err)
	}
	sw := h.topo.sw
	for _, a := range [][]string{
		{"-n", sw, "tuntap", "add", "dev", "tap0", "mode", "tap"},
		{"-n", sw, "link", "set", "tap0", "master", "br0", "up"},
	} {
		if err := ipCmd(h.log, a...); err != nil {
			return nil, err
		}
	}
	args := []string{"--net=/run/netns/" + sw, "--", qemu,
		"-nodefaults", "-no-user-config", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
		"-smp", fmt.Sprint(o.smp), "-m", o.mem, "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", o.kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet mitigations=off no_timer_check", // as hack/vm/vmhost: no boot panic on a busy host
		"-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
		"-device", "virtio-net-pci,netdev=n0,mac=52:54:00:0a:67:64"}
	p, err := h.ps.start("w-qemu", exec.Command("nsenter", args...), h.logPath("w-vm-console"))
	if err != nil {
		return nil, err
	}
	// The agent is reached from the etcd node's namespace: on the bridge,
	// and no fault touches it.
	dial := dialerIn(h.etcd.nsPath(), 5*time.Second)
	v := &workerVM{h: h, qemu: p, base: fmt.Sprintf("http://%s:%d", workerAddr, vmAgentPort),
		c: &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}}
	return v, nil
}

// writeInitramfs packs the VM's root: the agent as /init, the binaries, the
// kernel modules (dependencies added) and nft with its shared libraries.
func (h *harness) writeInitramfs(out string) error {
	tree, err := kmod.Open(h.o.vm.modulesDir)
	if err != nil {
		return err
	}
	plan, err := tree.Plan(vmModules)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := newc.NewWriter(bw)
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "root", "etc", "var/lib", "var/log"} {
		if err := w.Dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := w.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	files := map[string]string{
		"init":                h.o.bins.self,
		vmBinDir + "/kubeadm": h.o.bins.kubeadm,
		vmBinDir + "/lvscare": h.o.bins.lvscare,
	}
	if h.o.vmKubeProxy != "" {
		files[vmBinDir+"/kube-proxy"] = h.o.bins.kubeProxy
	}
	var mods []string
	for _, m := range plan {
		if !m.Builtin {
			g := "/lib/modules/e2e/" + m.Name + ".ko"
			files[g] = m.Path
			mods = append(mods, g)
		}
	}
	var links map[string]string
	if h.o.vmKubeProxy != "" {
		// ipset parses "tcp" with getprotobyname.
		for _, f := range []string{"/etc/protocols", "/etc/services"} {
			files[f] = f
		}
		nft, err := exec.LookPath("nft")
		if err != nil {
			return errors.New("kube-proxy in the VM needs nft on the host to copy: apt-get install nftables")
		}
		bins := []string{nft}
		files["/usr/sbin/nft"] = nft
		if strings.Contains(h.o.vmKubeProxy, "ipvs") {
			if links, err = h.userlandFiles(files); err != nil {
				return err
			}
			bins = append(bins, files["/usr/sbin/xtables-nft-multi"], files["/usr/sbin/ipset"])
		}
		for _, b := range bins {
			libs, err := sharedLibs(b, h.o.vm.userland)
			if err != nil {
				return err
			}
			for _, l := range libs {
				files["/e2e/lib/"+filepath.Base(l)] = l
			}
		}
	}
	for guest, host := range files {
		if err := w.HostFile(path.Clean(strings.TrimPrefix(guest, "/")), hostPerm(host), host); err != nil {
			return err
		}
	}
	for guest, target := range links {
		if err := w.Symlink(strings.TrimPrefix(guest, "/"), target); err != nil {
			return err
		}
	}
	for guest, target := range map[string]string{vmBinDir + "/e2e": "/init", "sbin/modprobe": "/init", "lib64/ld-linux-x86-64.so.2": "/e2e/lib/ld-linux-x86-64.so.2"} {
		if err := w.Symlink(strings.TrimPrefix(guest, "/"), target); err != nil {
			return err
		}
	}
	for name, data := range map[string]string{
		"etc/hosts":                            "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
		strings.TrimPrefix(vmModulesList, "/"): strings.Join(mods, "\n") + "\n",
		"etc/nsswitch.conf":                    "hosts: files dns\n",
	} {
		if err := w.Bytes(name, 0o644, []byte(data)); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// sharedLibs lists the resolved shared libraries of a dynamic binary
// (ldd's "=> /path" and the loader), so it runs in the VM.
func sharedLibs(bin, userland string) ([]string, error) {
	c := exec.Command("ldd", bin)
	if userland != "" {
		c.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(userland, "usr/lib/x86_64-linux-gnu")+":"+filepath.Join(userland, "lib/x86_64-linux-gnu"))
	}
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", bin, err)
	}
	var libs []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if strings.Contains(l, "not found") {
			return nil, fmt.Errorf("ldd %s: %s", bin, strings.TrimSpace(l))
		}
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	for i, l := range libs {
		if r, err := filepath.EvalSymlinks(l); err == nil {
			// Keep the soname the binary asks for as the file name.
			libs[i] = r
			if filepath.Base(r) != filepath.Base(l) {
				libs[i] = l
			}
		}
	}
	return libs, nil
}

// ready waits for the agent, then sets the VM's clock to the host's.
func (v *workerVM) ready(within time.Duration) error {
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		if !v.qemu.alive() {
			return errors.New("qemu exited: see logs/w-vm-console.log")
		}
		if _, err = v.alive("none"); err == nil {
			return v.post("/time", time.Now().UnixNano(), nil)
		}
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("the VM's agent did not answer within %s: %v (see logs/w-vm-console.log)", within, err)
}

func (v *workerVM) post(p string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := v.c.Post(v.base+p, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("VM agent %s: HTTP %d: %s", p, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// run runs a command in the VM to completion, logging it like node.run.
func (v *workerVM) run(timeout time.Duration, args ...string) (string, error) {
	fmt.Fprintf(v.h.log, "\n$ [vm w] %s\n", strings.Join(args, " "))
	var r vmExecResult
	v.c.Timeout = timeout + 10*time.Second
	err := v.post("/exec", vmExec{Args: args, Timeout: timeout.Seconds()}, &r)
	v.c.Timeout = 0
	if err != nil {
		return "", err
	}
	fmt.Fprint(v.h.log, r.Out)
	if r.Err != "" {
		return r.Out, fmt.Errorf("[vm w] %s: %s\n%s", strings.Join(args, " "), r.Err, tail(r.Out, 3000))
	}
	return r.Out, nil
}

func (v *workerVM) start(name string, args ...string) error {
	fmt.Fprintf(v.h.log, "\n$ [vm w] start %s: %s\n", name, strings.Join(args, " "))
	v.mu.Lock()
	if !slices.Contains(v.names, name) {
		v.names = append(v.names, name)
	}
	v.mu.Unlock()
	return v.post("/start", vmExec{Name: name, Args: args}, nil)
}

func (v *workerVM) stop(name string, grace time.Duration) error {
	return v.post("/stop", vmExec{Name: name, Grace: grace.Seconds()}, nil)
}

func (v *workerVM) alive(name string) (bool, error) {
	resp, err := v.c.Get(v.base + "/alive?name=" + url.QueryEscape(name))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var ok bool
	return ok, json.NewDecoder(resp.Body).Decode(&ok)
}

// file reads a file in the VM; nil, nil when it does not exist.
func (v *workerVM) file(p string) ([]byte, error) {
	resp, err := v.c.Get(v.base + "/file?path=" + url.QueryEscape(p))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	switch {
	case err != nil:
		return nil, err
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("reading %s in the VM: HTTP %d: %s", p, resp.StatusCode, data)
	}
	return data, nil
}

func (v *workerVM) addrs() ([]string, error) {
	resp, err := v.c.Get(v.base + "/addrs")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// shutdown copies the VM's process logs into logs/, powers it off and
// waits for qemu.
func (v *workerVM) shutdown() {
	if v.qemu.alive() {
		v.mu.Lock()
		names := append([]string(nil), v.names...)
		v.mu.Unlock()
		for _, n := range names {
			if data, err := v.file(path.Join(vmLogDir, n+".log")); err == nil && data != nil {
				_ = os.WriteFile(v.h.logPath("w-vm-"+n), data, 0o644)
			}
		}
		if v.post("/poweroff", nil, nil) == nil {
			select {
			case <-v.qemu.done:
			case <-time.After(10 * time.Second):
			}
		}
	}
	v.qemu.stop(5 * time.Second)
}

// remoteProber is a prober running in the VM: since fetches its new samples
// and converts their times to the host's clock.
type remoteProber struct {
	v     *workerVM
	which string
	conn  *persistentConn // the persistent client's port, for holder()

	mu      sync.Mutex
	samples []sample
	err     error
}

func (r *remoteProber) refresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	t0 := time.Now()
	resp, err := r.v.c.Get(fmt.Sprintf("%s/samples?which=%s&from=%d", r.v.base, r.which, len(r.samples)))
	if err != nil {
		r.err = err
		return
	}
	defer resp.Body.Close()
	var s vmSamples
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		r.err = err
		return
	}
	t1 := time.Now()
	// The answer was made between t0 and t1: its midpoint estimates the
	// host's time at the VM's Now.
	off := time.Unix(0, s.Now).Sub(t0.Add(t1.Sub(t0) / 2))
	if r.conn != nil {
		r.conn.port.Store(int32(s.Port))
	}
	for _, x := range s.Samples {
		r.samples = append(r.samples, sample{at: time.Unix(0, x.At).Add(-off), ok: x.OK, err: x.Err, took: time.Duration(x.Took), retried: x.Retried})
	}
	r.err = nil
}

func (r *remoteProber) since(t time.Time) []sample {
	r.refresh()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sample
	for _, s := range r.samples {
		if !s.at.Before(t) {
			out = append(out, s)
		}
	}
	return out
}

func (r *remoteProber) stop() {}

// sampler is a client's record of requests: local (prober) or in the VM.
type sampler interface {
	since(t time.Time) []sample
	stop()
}

// userlandFiles adds Debian's iptables (nft variant, with its extensions)
// and ipset from the unpacked packages and returns the command names'
// symlinks.
func (h *harness) userlandFiles(files map[string]string) (map[string]string, error) {
	u := h.o.vm.userland
	multi := filepath.Join(u, "usr/sbin/xtables-nft-multi")
	ipset := filepath.Join(u, "usr/sbin/ipset")
	for _, p := range []string{multi, ipset} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("kube-proxy's ipvs mode needs iptables and ipset in the VM: %s is missing (run hack/e2e-vm-userland.sh, which make e2e E2E_BACKEND=ipvs does)", p)
		}
	}
	files["/usr/sbin/xtables-nft-multi"] = multi
	files["/usr/sbin/ipset"] = ipset
	ext := filepath.Join(u, "usr/lib/x86_64-linux-gnu/xtables")
	ents, err := os.ReadDir(ext)
	if err != nil {
		return nil, err
	}
	links := map[string]string{}
	for _, e := range ents {
		p := filepath.Join(ext, e.Name())
		if t, err := os.Readlink(p); err == nil {
			links["/usr/lib/x86_64-linux-gnu/xtables/"+e.Name()] = t
			continue
		}
		files["/usr/lib/x86_64-linux-gnu/xtables/"+e.Name()] = p
	}
	for _, n := range []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"} {
		links["/usr/sbin/"+n] = "xtables-nft-multi"
	}
	return links, nil
}

// gap is a time our virtual server was missing (to zero: still missing).
type gap struct{ from, to time.Time }

// ipvsGaps fetches the agent's record of our virtual server's absences,
// in the host's clock.
func (v *workerVM) ipvsGaps() ([]gap, error) {
	t0 := time.Now()
	resp, err := v.c.Get(v.base + "/ipvs-gaps")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var g vmGaps
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		return nil, err
	}
	t1 := time.Now()
	off := time.Unix(0, g.Now).Sub(t0.Add(t1.Sub(t0) / 2))
	var out []gap
	for _, x := range g.Gaps {
		o := gap{from: time.Unix(0, x.From).Add(-off)}
		if x.To != 0 {
			o.to = time.Unix(0, x.To).Add(-off)
		}
		out = append(out, o)
	}
	return out, nil
}

// hostPerm is the permission of a host file (0644 when it cannot be read).
func hostPerm(p string) fs.FileMode {
	st, err := os.Stat(p)
	if err != nil {
		return 0o644
	}
	return st.Mode().Perm() | 0o400
}
