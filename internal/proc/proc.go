// Package proc runs the project's binaries as child processes, for the
// end-to-end tests and the benchmark tool: output to a log file, a clean stop
// with SIGTERM, readiness over HTTP, and what /proc says about them.
package proc // import "github.com/auditpipe/auditpipe/internal/proc"

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a started binary.
type Process struct {
	Name string
	// Log is the file that holds its standard output and error.
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs binary with args, and env added to this process's environment.
// Its output goes to <dir>/<name>.log.
func Start(dir, binary string, env []string, args ...string) (*Process, error) {
	name := filepath.Base(binary)
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Alive reports whether the process has not exited yet.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill ends the process at once, as a crash or an OOM kill would, and waits
// for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to shut down cleanly and waits for it; past grace it
// kills the process and says so. A process that has exited is left alone.
func (p *Process) Stop(grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", p.Name, grace)
	}
}

// LogText is what the process has written so far.
func (p *Process) LogText() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// WaitHTTP polls url until it answers with a status below 500. It fails
// early when the process exits.
func (p *Process) WaitHTTP(ctx context.Context, url string, within time.Duration) error {
	deadline := time.After(within)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while starting; see %s", p.Name, p.Log)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("%s did not answer at %s within %s; see %s", p.Name, url, within, p.Log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// CPUSeconds is the user plus system time the process has used, from
// /proc/<pid>/stat (fields 14 and 15, in USER_HZ ticks, 100 per second on
// Linux whatever the kernel's HZ).
func (p *Process) CPUSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields are counted after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat for %s", p.Name)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / 100, nil
}

// StatusBytes reads a size field (VmRSS, RssAnon, RssFile…) of
// /proc/<pid>/status; 0 when the process is gone.
func (p *Process) StatusBytes(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == field+":" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago, for a child process to listen on.
func FreeAddr() (string, error) {
	addrs, err := FreeAddrs(1)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// FreeAddrs returns n distinct 127.0.0.1 addresses whose ports were free a
// moment ago. All n ports are held until the last is chosen: ports taken one
// at a time and released in between can repeat, and a child given the same
// port for two listeners fails to start.
func FreeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}
