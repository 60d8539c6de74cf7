package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The worker as a VM (-worker vm): this binary is the VM's /init. It
// prepares a minimal system, loads the kernel modules the host listed,
// takes the worker's address on the virtio NIC (a tap on the test's bridge)
// and serves a small HTTP control API on vmAgentPort, through which the
// harness runs kubeadm, the care daemon, kube-proxy and the clients in the
// VM and reads their results. Plain HTTP: it is reachable only on the
// test's own bridge.

const (
	vmAgentPort   = 7070
	vmModulesList = "/e2e/modules"
	vmBinDir      = "/usr/local/bin"
	vmLogDir      = "/var/log/e2e"
	vmNICName     = "eth0"
	vmPATH        = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	vmLibraryPath = "LD_LIBRARY_PATH=/e2e/lib"
)

// vmExec is a command the harness runs in the VM.
type vmExec struct {
	Name    string   `json:"name,omitempty"` // for /start and /stop
	Args    []string `json:"args,omitempty"`
	Timeout float64  `json:"timeout,omitempty"` // seconds, /exec
	Grace   float64  `json:"grace,omitempty"`   // seconds, /stop
}

type vmExecResult struct {
	Out string `json:"out"`
	Err string `json:"err,omitempty"`
}

// vmSamples is one prober's samples from index From on, with the VM's
// clock at the time of the answer (the host converts to its own clock).
type vmSamples struct {
	Now     int64       `json:"now"`
	Port    int         `json:"port"`
	Samples []vmSampleJ `json:"samples"`
}

type vmSampleJ struct {
	At      int64  `json:"at"`
	OK      bool   `json:"ok"`
	Err     string `json:"err,omitempty"`
	Took    int64  `json:"took"` // nanoseconds
	Retried int    `json:"retried,omitempty"`
}

// vmProbeSpec starts the two clients in the VM.
type vmProbeSpec struct {
	CA       []byte  `json:"ca"`
	Interval float64 `json:"interval"` // seconds, fresh client
	Timeout  float64 `json:"timeout"`  // seconds, fresh client
}

type vmAgent struct {
	mu      sync.Mutex
	procs   map[string]*vmProc
	probers map[string]*prober
	pconn   *persistentConn
	// gaps are the times the VIP's virtual server was missing from IPVS
	// (VM clock); gapFrom is the start of the current one.
	gaps    []vmGap
	gapFrom time.Time
}

// vmGap is one time the VIP's virtual server was missing (To zero: still).
type vmGap struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

type vmGaps struct {
	Now  int64   `json:"now"`
	Gaps []vmGap `json:"gaps"`
}

// vmWrite writes a file in the VM.
type vmWrite struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
}

type vmProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func vmAgentMain() error {
	if err := vmSystemUp(); err != nil {
		fmt.Println("e2e vm-agent: FAILED:", err)
		vmPowerOff()
	}
	a := &vmAgent{procs: map[string]*vmProc{}, probers: map[string]*prober{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/exec", a.exec)
	mux.HandleFunc("/start", a.start)
	mux.HandleFunc("/stop", a.stop)
	mux.HandleFunc("/alive", a.alive)
	mux.HandleFunc("/file", a.file)
	mux.HandleFunc("/addrs", a.addrs)
	mux.HandleFunc("/time", a.setTime)
	mux.HandleFunc("/probers", a.startProbers)
	mux.HandleFunc("/probers/stop", a.stopProbers)
	mux.HandleFunc("/samples", a.samples)
	mux.HandleFunc("/write", a.write)
	mux.HandleFunc("/ipvs-gaps", a.ipvsGaps)
	go a.watchIPVS()
	mux.HandleFunc("/poweroff", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		go func() { time.Sleep(100 * time.Millisecond); vmPowerOff() }()
	})
	fmt.Printf("e2e vm-agent: serving on :%d\n", vmAgentPort)
	srv := &http.Server{Addr: fmt.Sprintf(":%d", vmAgentPort), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	err := srv.ListenAndServe()
	fmt.Println("e2e vm-agent:", err)
	vmPowerOff()
	return err
}

// vmSystemUp: file systems, modules, hostname, loopback and the NIC.
func vmSystemUp() error {
	for _, m := range []struct{ src, dst, fs, data string }{
		{"proc", "/proc", "proc", ""}, {"sysfs", "/sys", "sysfs", ""}, {"devtmpfs", "/dev", "devtmpfs", "mode=0755"},
		{"tmpfs", "/dev/shm", "tmpfs", "mode=1777"}, {"tmpfs", "/tmp", "tmpfs", "mode=1777"}, {"tmpfs", "/run", "tmpfs", "mode=0755"},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", ""},
	} {
		if err := os.MkdirAll(m.dst, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.dst, m.fs, unix.MS_NOSUID, m.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", m.fs, m.dst, err)
		}
	}
	if err := os.MkdirAll(vmLogDir, 0o755); err != nil {
		return err
	}
	mods, err := os.ReadFile(vmModulesList)
	if err != nil {
		return err
	}
	for _, p := range strings.Fields(string(mods)) {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("loading %s: %w", p, err)
		}
	}
	if err := unix.Sethostname([]byte(workerName)); err != nil {
		return err
	}
	// What a worker's sysctl setup would do (kubeadm's preflight checks it,
	// kube-proxy in ipvs mode needs conntrack for IPVS).
	for k, v := range map[string]string{"net/ipv4/ip_forward": "1", "net/ipv4/vs/conntrack": "1"} {
		_ = os.WriteFile("/proc/sys/"+k, []byte(v), 0o644)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return err
	}
	var nic netlink.Link
	for i := 0; i < 100; i++ {
		if nic, err = netlink.LinkByName(vmNICName); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("the virtio NIC %s: %w", vmNICName, err)
	}
	addr, err := netlink.ParseAddr(workerAddr + "/24")
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(nic, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(nic); err != nil {
		return err
	}
	// A node's default route would cover the service range; this node has
	// none (nothing may leave the test's bridge), so the range only:
	// kube-proxy's nftables DNAT happens after routing.
	_, svc, err := net.ParseCIDR(serviceRange)
	if err != nil {
		return err
	}
	return netlink.RouteAdd(&netlink.Route{LinkIndex: nic.Attrs().Index, Dst: svc})
}

func vmPowerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	select {}
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func vmCommand(ctx context.Context, args []string) *exec.Cmd {
	c := exec.CommandContext(ctx, args[0], args[1:]...)
	c.Env = []string{vmPATH, "HOME=/root", vmLibraryPath}
	return c
}

// exec runs a command to completion and returns its combined output; a
// non-zero exit is reported in Err.
func (a *vmAgent) exec(w http.ResponseWriter, r *http.Request) {
	var e vmExec
	if !readJSON(w, r, &e) || len(e.Args) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(e.Timeout*float64(time.Second)))
	defer cancel()
	c := vmCommand(ctx, e.Args)
	out, err := c.CombinedOutput()
	res := vmExecResult{Out: string(out)}
	if err != nil {
		res.Err = err.Error()
	}
	writeJSON(w, res)
}

// start runs a long-lived process logging to vmLogDir/<name>.log.
func (a *vmAgent) start(w http.ResponseWriter, r *http.Request) {
	var e vmExec
	if !readJSON(w, r, &e) || len(e.Args) == 0 || e.Name == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(vmLogDir, e.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(f, "\n=== %s: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(e.Args, " "))
	c := vmCommand(context.Background(), e.Args)
	c.Stdout, c.Stderr = f, f
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		f.Close()
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p := &vmProc{cmd: c, done: make(chan struct{})}
	go func() { _ = c.Wait(); f.Close(); close(p.done) }()
	a.mu.Lock()
	a.procs[e.Name] = p
	a.mu.Unlock()
	writeJSON(w, vmExecResult{Out: fmt.Sprint(c.Process.Pid)})
}

// stop sends SIGTERM, then SIGKILL after Grace seconds (0: SIGKILL at once).
func (a *vmAgent) stop(w http.ResponseWriter, r *http.Request) {
	var e vmExec
	if !readJSON(w, r, &e) {
		return
	}
	a.mu.Lock()
	p := a.procs[e.Name]
	a.mu.Unlock()
	if p == nil {
		writeJSON(w, vmExecResult{Err: "no process " + e.Name})
		return
	}
	if e.Grace > 0 {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(time.Duration(e.Grace * float64(time.Second))):
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	writeJSON(w, vmExecResult{Out: p.cmd.ProcessState.String()})
}

func (a *vmAgent) alive(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	p := a.procs[r.URL.Query().Get("name")]
	a.mu.Unlock()
	alive := false
	if p != nil {
		select {
		case <-p.done:
		default:
			alive = true
		}
	}
	writeJSON(w, alive)
}

// file returns a file's content (404 when it does not exist).
func (a *vmAgent) file(w http.ResponseWriter, r *http.Request) {
	data, err := os.ReadFile(r.URL.Query().Get("path"))
	if errors.Is(err, os.ErrNotExist) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(data)
}

// addrs lists every interface address ("name addr/len").
func (a *vmAgent) addrs(w http.ResponseWriter, _ *http.Request) {
	var out []string
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		as, _ := i.Addrs()
		for _, x := range as {
			out = append(out, i.Name+" "+x.String())
		}
	}
	writeJSON(w, out)
}

// setTime sets the VM's clock to the host's: certificates and the
// samples' times must agree with the host.
func (a *vmAgent) setTime(w http.ResponseWriter, r *http.Request) {
	var ns int64
	if !readJSON(w, r, &ns) {
		return
	}
	tv := unix.NsecToTimeval(ns)
	if err := unix.Settimeofday(&tv); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, vmExecResult{})
}

// startProbers starts the fresh and the persistent client against the VIP,
// the latter with the node's kubelet.conf.
func (a *vmAgent) startProbers(w http.ResponseWriter, r *http.Request) {
	var s vmProbeSpec
	if !readJSON(w, r, &s) {
		return
	}
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	fc, err := httpsClient("", s.CA, sec(s.Timeout))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pc, conn, err := newPersistentClientAt(kubeletConf, func(p string) string { return p }, s.CA, dialerIn("", persistentTimeout))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pconn = conn
	a.probers["fresh"] = startProber(fc, fmt.Sprintf("https://%s%s", vipAddrPort(), freshPath), sec(s.Interval), 200000, false)
	a.probers["persistent"] = startProber(pc, fmt.Sprintf("https://%s%s", vipAddrPort(), persistentPath), persistentInterval, 200000, true)
	writeJSON(w, vmExecResult{})
}

func (a *vmAgent) stopProbers(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	ps := a.probers
	a.probers = map[string]*prober{}
	a.mu.Unlock()
	for _, p := range ps {
		p.stop()
	}
	writeJSON(w, vmExecResult{})
}

func (a *vmAgent) samples(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var from int
	_, _ = fmt.Sscan(q.Get("from"), &from)
	a.mu.Lock()
	p := a.probers[q.Get("which")]
	conn := a.pconn
	a.mu.Unlock()
	out := vmSamples{}
	if conn != nil {
		out.Port = int(conn.port.Load())
	}
	if p != nil {
		p.mu.Lock()
		if from < len(p.samples) {
			for _, s := range p.samples[from:] {
				out.Samples = append(out.Samples, vmSampleJ{At: s.at.UnixNano(), OK: s.ok, Err: s.err, Took: int64(s.took), Retried: s.retried})
			}
		}
		p.mu.Unlock()
	}
	out.Now = time.Now().UnixNano()
	writeJSON(w, out)
}

// watchIPVS records, every 10 ms, whether the VIP's virtual server is in
// /proc/net/ip_vs (once it has been there): how long a deletion by
// kube-proxy or a fault lasts until the care daemon restores it.
func (a *vmAgent) watchIPVS() {
	want := ipvsHex(vip, apiserverPort)
	seen := false
	for range time.Tick(10 * time.Millisecond) {
		data, err := os.ReadFile("/proc/net/ip_vs")
		if err != nil {
			continue
		}
		now := time.Now()
		present := strings.Contains(string(data), want)
		a.mu.Lock()
		switch {
		case present && !a.gapFrom.IsZero():
			a.gaps = append(a.gaps, vmGap{From: a.gapFrom.UnixNano(), To: now.UnixNano()})
			a.gapFrom = time.Time{}
		case !present && seen && a.gapFrom.IsZero():
			a.gapFrom = now
		}
		seen = seen || present
		a.mu.Unlock()
	}
}

func (a *vmAgent) ipvsGaps(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	out := vmGaps{Gaps: append([]vmGap(nil), a.gaps...)}
	if !a.gapFrom.IsZero() {
		out.Gaps = append(out.Gaps, vmGap{From: a.gapFrom.UnixNano()})
	}
	a.mu.Unlock()
	out.Now = time.Now().UnixNano()
	writeJSON(w, out)
}

func (a *vmAgent) write(w http.ResponseWriter, r *http.Request) {
	var f vmWrite
	if !readJSON(w, r, &f) {
		return
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := os.WriteFile(f.Path, f.Data, 0o600); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, vmExecResult{})
}

// modprobeMain stands in for modprobe in the VM, whose modules the agent
// loaded at boot: it succeeds for a loaded module. kube-proxy runs
// `modprobe -va ip_vs` before it flushes IPVS when it starts in nftables
// mode, as it would on a real node.
func modprobeMain(args []string) error {
	for _, m := range args {
		if strings.HasPrefix(m, "-") {
			continue
		}
		if _, err := os.Stat("/sys/module/" + strings.ReplaceAll(m, "-", "_")); err != nil {
			return fmt.Errorf("module %s is not loaded (the VM loads its modules at boot)", m)
		}
		fmt.Println("insmod", m, "(already loaded)")
	}
	return nil
}
