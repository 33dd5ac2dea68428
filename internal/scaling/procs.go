package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is a server this run started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// start starts a long-running process in its own process group (so that
// stopping it stops its children, nginx's workers, too), with its output
// in logPath; the kernel kills it if this program dies first.
func (d *demo) start(name, logPath string, argv ...string) (*proc, error) {
	d.say("$ %s &> %s", strings.Join(argv, " "), logPath)
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{}), log: log}
	go func() { cmd.Wait(); close(p.done) }()
	d.procs = append(d.procs, p)
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group (for nginx: a fast shutdown),
// then SIGKILL after 5 s.
func (p *proc) stop() {
	defer p.log.Close()
	if p.exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every process this run started, the last started first.
func (d *demo) stopAll() {
	if len(d.procs) > 0 {
		d.say("==> stopping nginx and the replicas")
	}
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].stop()
	}
	d.procs = nil
}

// waitHealthy polls url until it answers 200, p exits, or limit passes.
func (d *demo) waitHealthy(p *proc, url string, limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited before it answered; see %s", p.name, p.log.Name())
		}
		ctx, cancel := context.WithTimeout(d.ctx, time.Second)
		resp, err := fetch(ctx, c, url, nil)
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s within %s; see %s", p.name, url, limit, p.log.Name())
		}
		select {
		case <-d.ctx.Done():
			return d.ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// portsFree fails if anything listens on one of addrs already.
func portsFree(addrs ...string) error {
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			return fmt.Errorf("%s is in use (another demo still running?): %w", a, err)
		}
		ln.Close()
	}
	return nil
}

// runCmd runs a short command, printing it and its output.
func (d *demo) runCmd(argv ...string) (string, error) {
	d.say("$ %s", strings.Join(argv, " "))
	cmd := exec.CommandContext(d.ctx, argv[0], argv[1:]...)
	// On Ctrl-C, stop the command's whole process group (make's go build
	// too), not just the command.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var b strings.Builder
	w := io.MultiWriter(&b, d.indent())
	cmd.Stdout, cmd.Stderr = w, w // one writer: exec calls it from one goroutine at a time
	err := cmd.Run()
	if err != nil {
		return b.String(), fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return b.String(), nil
}

// say prints a line of the demo's transcript.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, format+"\n", args...)
}

// indent returns a writer that prints lines indented under a command.
func (d *demo) indent() io.Writer { return &indenter{w: d.out, start: true} }

type indenter struct {
	w     io.Writer
	start bool
}

func (i *indenter) Write(p []byte) (int, error) {
	for _, c := range p {
		if i.start {
			io.WriteString(i.w, "    ")
			i.start = false
		}
		i.w.Write([]byte{c})
		if c == '\n' {
			i.start = true
		}
	}
	return len(p), nil
}
