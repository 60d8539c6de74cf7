package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// node is one simulated host: a named network namespace with eth0 on the
// test switch, and a holder process whose mount and UTS namespaces give it
// a hostname and a private /etc and /var/lib.
type node struct {
	name   string // hostname
	netns  string // ip netns name
	addr   string // on eth0, /24
	dir    string
	holder *exec.Cmd
	hin    io.WriteCloser
}

func (n *node) nsPath() string { return "/run/netns/" + n.netns }

// path is p as seen inside the node's mount namespace.
func (n *node) path(p string) string {
	return filepath.Join(fmt.Sprintf("/proc/%d/root", n.holder.Process.Pid), p)
}

// resolve is path(p) after following p's symlinks (up to 8) inside the
// node: an absolute link target is the node's, not the host's.
func (n *node) resolve(p string) string {
	for i := 0; i < 8; i++ {
		t, err := os.Readlink(n.path(p))
		if err != nil {
			break
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return n.path(p)
}

// command runs name inside the node's network, mount and UTS namespaces.
// nsenter execs name after setns, so the returned process is name itself
// (signals reach it directly).
func (n *node) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	a := append([]string{"-t", fmt.Sprint(n.holder.Process.Pid), "-n", "-m", "-u", "--", name}, args...)
	var c *exec.Cmd
	if ctx != nil {
		c = exec.CommandContext(ctx, "nsenter", a...)
	} else {
		c = exec.Command("nsenter", a...)
	}
	c.Env = append(os.Environ(), "KUBECONFIG=")
	return c
}

// run runs a command in the node to completion, logging its output to log.
func (n *node) run(log io.Writer, timeout time.Duration, name string, args ...string) (string, error) {
	return n.runEnv(log, timeout, nil, name, args...)
}

// runEnv is run with env added to the command's environment.
func (n *node) runEnv(log io.Writer, timeout time.Duration, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := n.command(ctx, name, args...)
	c.Env = append(c.Env, env...)
	var out strings.Builder
	w := io.MultiWriter(&out, log)
	c.Stdout, c.Stderr = w, w
	fmt.Fprintf(log, "\n$ [%s] %s %s\n", n.name, name, strings.Join(args, " "))
	err := c.Run()
	if err != nil {
		return out.String(), fmt.Errorf("[%s] %s %s: %w\n%s", n.name, filepath.Base(name), strings.Join(args, " "), err, tail(out.String(), 3000))
	}
	return out.String(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// topology is the switch namespace with its bridge and the nodes on it.
type topology struct {
	prefix string
	sw     string
	nodes  []*node
	log    io.Writer
	self   string
}

func ipCmd(log io.Writer, args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	fmt.Fprintf(log, "$ ip %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newTopology creates the switch namespace "<prefix>sw" with bridge br0.
// Nothing is created in the host's network namespace: every link lives in
// namespaces we create, so no test address is routable from the host.
func newTopology(prefix, self string, log io.Writer) (*topology, error) {
	t := &topology{prefix: prefix, sw: prefix + "sw", log: log, self: self}
	if err := ipCmd(log, "netns", "add", t.sw); err != nil {
		return nil, err
	}
	for _, a := range [][]string{
		{"-n", t.sw, "link", "add", "br0", "type", "bridge"},
		{"-n", t.sw, "link", "set", "br0", "up"},
	} {
		if err := ipCmd(log, a...); err != nil {
			t.destroy()
			return nil, err
		}
	}
	return t, nil
}

// addNode creates netns <prefix><name>, a veth eth0 there with addr/24
// whose peer is on the switch, and the holder (hostname name, private
// /etc and /var/lib under dir; holderArgs add more, see holderMain).
func (t *topology) addNode(name, addr, dir string, holderArgs ...string) (*node, error) {
	n := &node{name: name, netns: t.prefix + name, addr: addr, dir: dir}
	if err := ipCmd(t.log, "netns", "add", n.netns); err != nil {
		return nil, err
	}
	t.nodes = append(t.nodes, n)
	peer := "v" + name
	for _, a := range [][]string{
		{"-n", t.sw, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", n.netns},
		{"-n", t.sw, "link", "set", peer, "master", "br0", "up"},
		{"-n", n.netns, "link", "set", "lo", "up"},
		{"-n", n.netns, "addr", "add", addr + "/24", "dev", "eth0"},
		{"-n", n.netns, "link", "set", "eth0", "up"},
	} {
		if err := ipCmd(t.log, a...); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := append([]string{"--net=" + n.nsPath(), "--", "unshare", "--mount", "--uts", "--propagation", "private", "--",
		t.self, "holder", "--hostname", name, "--dir", dir}, holderArgs...)
	c := exec.Command("nsenter", args...)
	in, err := c.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.Stderr = t.log
	// Own process group: a Ctrl-C to the harness reaches the harness,
	// which then tears down in order.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("starting the holder of %s: %w", name, err)
	}
	n.holder, n.hin = c, in
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		return nil, fmt.Errorf("holder of %s did not get ready (%q, %v): see the log", name, line, err)
	}
	return n, nil
}

// destroy stops every holder and deletes every namespace we created.
func (t *topology) destroy() {
	for _, n := range t.nodes {
		if n.holder != nil && n.holder.Process != nil {
			n.hin.Close()
			done := make(chan struct{})
			go func() { _ = n.holder.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = n.holder.Process.Kill()
				<-done
			}
		}
		_ = ipCmd(t.log, "netns", "del", n.netns)
	}
	_ = ipCmd(t.log, "netns", "del", t.sw)
}

// dialerIn returns a DialContext that creates its sockets inside the
// network namespace at nsPath: on a locked OS thread that joins the
// namespace for the dial and then returns to its own. The thread must not
// die in the namespace: the processes we start carry Pdeathsig, which fires
// when the *thread* that forked them exits.
// An empty nsPath dials in the caller's own namespace (the VM's agent).
func dialerIn(nsPath string, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if nsPath == "" {
		return (&net.Dialer{Timeout: timeout}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, fmt.Errorf("opening this thread's netns: %w", err)}
				return
			}
			defer unix.Close(orig)
			fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, fmt.Errorf("opening %s: %w", nsPath, err)}
				return
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, fmt.Errorf("setns %s: %w", nsPath, err)}
				return
			}
			d := net.Dialer{Timeout: timeout}
			c, err := d.DialContext(ctx, network, addr)
			if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
				// Back home: the thread may serve other goroutines.
				runtime.UnlockOSThread()
			} // else stay locked: Go ends the thread with this goroutine.
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

// procs tracks the long-running processes we start, for teardown in order
// and for the resource summary.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	logf *os.File
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// start runs c as a long-lived process logging to logPath.
func (ps *procs) start(name string, c *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	c.Stdout, c.Stderr = f, f
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(f, "\n=== %s: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(c.Args, " "))
	if err := c.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: c, done: make(chan struct{}), logf: f}
	go func() {
		p.err = c.Wait()
		f.Close()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stop sends SIGTERM (after SIGCONT, in case it is frozen), waits up to
// grace, then SIGKILL.
func (p *proc) stop(grace time.Duration) {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) kill() {
	if p.alive() {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// usage is the summed CPU time and the largest max RSS of the exited
// processes whose name starts with prefix.
func (ps *procs) usage(prefix string) (cpu time.Duration, maxRSSKiB int64, n int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, p := range ps.list {
		if !strings.HasPrefix(p.name, prefix) || p.alive() || p.cmd.ProcessState == nil {
			continue
		}
		if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			n++
			cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			if ru.Maxrss > maxRSSKiB {
				maxRSSKiB = ru.Maxrss
			}
		}
	}
	return cpu, maxRSSKiB, n
}
