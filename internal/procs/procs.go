// Package procs starts and stops the processes of the developer tools that
// run cardex, nginx and load generators on loopback (make bench, make
// scaling-demo, make soak). Each process runs in its own process group, so
// that stopping it stops its children (nginx's workers) too, and gets
// SIGKILL from the kernel if the tool dies first.
package procs

import (
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Proc is a started process.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	done chan struct{}
	err  error // Cmd.Wait's, once done is closed
	t0   time.Time
	wall time.Duration
}

// Start starts cmd in its own process group.
func Start(name string, cmd *exec.Cmd) (*Proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Proc{Name: name, Cmd: cmd, done: make(chan struct{}), t0: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		p.wall = time.Since(p.t0)
		close(p.done)
	}()
	return p, nil
}

// Started is when the process was started.
func (p *Proc) Started() time.Time { return p.t0 }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is Cmd.Wait's error; call it after Done.
func (p *Proc) Err() error { return p.err }

// Wall is how long the process ran; call it after Done.
func (p *Proc) Wall() time.Duration { return p.wall }

// Pid is the process's id, and its process group's.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitFor waits at most d for the process to exit by itself.
func (p *Proc) WaitFor(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Kill sends SIGKILL to the process group and waits for the process.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM to the process group (for nginx: a fast shutdown),
// then SIGKILL after 5 s.
func (p *Proc) Stop() {
	if p.Exited() {
		return
	}
	syscall.Kill(-p.Pid(), syscall.SIGTERM)
	if !p.WaitFor(5 * time.Second) {
		p.Kill()
	}
}

// MaxRSS is the process's peak resident set in bytes (Linux reports
// ru_maxrss in KiB); call it after Done.
func (p *Proc) MaxRSS() int64 {
	if ru, ok := p.Cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}

// CPU is the process's user and system time; call it after Done.
func (p *Proc) CPU() time.Duration {
	return p.Cmd.ProcessState.UserTime() + p.Cmd.ProcessState.SystemTime()
}

// ExitCode is the process's exit status, or -1 if a signal ended it; call
// it after Done.
func (p *Proc) ExitCode() int { return p.Cmd.ProcessState.ExitCode() }

// Group is the processes a run started, stopped together on the way out.
// It is safe for concurrent use.
type Group struct {
	mu    sync.Mutex
	procs []*Proc
}

// Start starts cmd (see Start) and adds it to the group.
func (g *Group) Start(name string, cmd *exec.Cmd) (*Proc, error) {
	p, err := Start(name, cmd)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return p, nil
}

// Len is how many processes the group holds.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.procs)
}

// StopAll stops every process of the group, the last started first, and
// empties it.
func (g *Group) StopAll() {
	g.mu.Lock()
	procs := g.procs
	g.procs = nil
	g.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop()
	}
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
