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

	"cardex/internal/procs"
)

// start starts a long-running process in the run's group (see package
// procs), with its output in logPath.
func (d *demo) start(name, logPath string, argv ...string) (*procs.Proc, error) {
	d.say("$ %s &> %s", strings.Join(argv, " "), logPath)
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	p, err := d.procs.Start(name, cmd)
	if err != nil {
		log.Close()
		return nil, err
	}
	d.logs = append(d.logs, log)
	return p, nil
}

// stopAll stops every process this run started, the last started first,
// and closes their logs.
func (d *demo) stopAll() {
	if d.procs.Len() > 0 {
		d.say("==> stopping nginx and the replicas")
	}
	d.procs.StopAll()
	for _, f := range d.logs {
		f.Close()
	}
	d.logs = nil
}

// logName is where p's output goes.
func logName(p *procs.Proc) string {
	if f, ok := p.Cmd.Stdout.(*os.File); ok {
		return f.Name()
	}
	return "its output"
}

// waitHealthy polls url until it answers 200, p exits, or limit passes.
func (d *demo) waitHealthy(p *procs.Proc, url string, limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		if p.Exited() {
			return fmt.Errorf("%s exited before it answered; see %s", p.Name, logName(p))
		}
		ctx, cancel := context.WithTimeout(d.ctx, time.Second)
		resp, err := fetch(ctx, c, url, nil)
		cancel()
		if err == nil && resp.StatusCode == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s within %s; see %s", p.Name, url, limit, logName(p))
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
