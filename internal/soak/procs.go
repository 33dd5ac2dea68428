package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cardex/internal/procs"
)

// start starts argv in the run's group (see package procs), with its
// output going to stdout and stderr (nil: discarded).
func (s *soak) start(name string, stdout, stderr io.Writer, argv ...string) (*procs.Proc, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return s.procs.Start(name, cmd)
}

// wait waits for the process to exit, or for the run to stop (then it
// kills it).
func (s *soak) wait(p *procs.Proc) error {
	select {
	case <-p.Done():
		return p.Err()
	case <-s.ctx.Done():
		p.Kill()
		return s.ctx.Err()
	}
}

// cleanup stops every process and undoes every mount; it runs on every
// way out.
func (s *soak) cleanup() {
	s.procs.StopAll()
	s.mu.Lock()
	mounts := s.mounts
	s.mounts = nil
	s.mu.Unlock()
	for i := len(mounts) - 1; i >= 0; i-- {
		unmount(mounts[i])
	}
}

// execResult is a short command run to its end.
type execResult struct {
	stdout, stderr string
	code           int
	wall, cpu      time.Duration
	maxRSS         int64
}

// execute runs argv to its end and returns its output and costs; err is
// only for a command that could not run or was stopped.
func (s *soak) execute(name string, argv ...string) (execResult, error) {
	var out, errb bytes.Buffer
	p, err := s.start(name, &out, &errb, argv...)
	if err != nil {
		return execResult{}, err
	}
	err = s.wait(p)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return execResult{}, fmt.Errorf("%s: %w", name, err)
	}
	return execResult{stdout: out.String(), stderr: errb.String(), code: p.ExitCode(),
		wall: p.Wall(), cpu: p.CPU(), maxRSS: p.MaxRSS()}, nil
}

// mountTmpfs mounts a tmpfs of size bytes at dir (created).
func (s *soak) mountTmpfs(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		return fmt.Errorf("mount -t tmpfs %s (needs root): %w", dir, err)
	}
	s.mu.Lock()
	s.mounts = append(s.mounts, dir)
	s.mu.Unlock()
	return nil
}

// remountReadOnly makes the tmpfs at dir read-only, as mount -o remount,ro.
func remountReadOnly(dir string) error {
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""); err != nil {
		return fmt.Errorf("mount -o remount,ro %s: %w", dir, err)
	}
	return nil
}

func unmount(dir string) {
	if err := syscall.Unmount(dir, 0); err != nil {
		syscall.Unmount(dir, syscall.MNT_DETACH)
	}
}

// unmountStale undoes mounts under dir left by a run that was killed
// before its cleanup.
func unmountStale(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return
	}
	defer f.Close()
	var stale []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && strings.HasPrefix(fields[1], abs+"/") {
			stale = append(stale, fields[1])
		}
	}
	for i := len(stale) - 1; i >= 0; i-- {
		unmount(stale[i])
	}
}

// procStatus reads a field in kB (VmRSS, VmHWM) from /proc/PID/status,
// in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// fdCount counts the open file descriptors of pid.
func fdCount(pid int) (int, error) {
	es, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(es), err
}

// mb formats bytes as MB (10^6), as the bars are written.
func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// secs formats a duration in seconds.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// firstLines returns up to n lines of s, for messages.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("… (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}
