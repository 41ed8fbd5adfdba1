package main

import (
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

	"github.com/auditpipe/auditpipe/internal/shippedconfig"
)

// process is a started binary logging to a file in the run's directory.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProcess(dir, binary string, args ...string) (*process, error) {
	name := filepath.Base(binary)
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// stop asks for a clean shutdown and kills the process if it takes too long.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// cpuSeconds is the user plus system time the process has used, from
// /proc/<pid>/stat (fields 14 and 15, in USER_HZ ticks, 100 per second on
// Linux whatever the kernel's HZ).
func (p *process) cpuSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields are counted after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat for %s", p.name)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / 100, nil
}

// waitUp polls url until it answers below 500, failing early if p exits.
func waitUp(ctx context.Context, p *process, url string) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while starting; see %s", p.name, p.log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
	}
	return fmt.Errorf("%s did not answer at %s within 90s; see %s", p.name, url, p.log)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// collector is a running otelcol-audit with the addresses it listens on.
type collector struct {
	*process
	grpcAddr, httpAddr string
}

// startCollector runs otelcol-audit on the shipped default configuration
// (config, cmd/otelcol-audit/config.yaml: validation, memory limiter, audit
// processor with its hash chain, exporter with a persistent queue, alert
// rules on the log notifier), overridden with --set only where a benchmark
// must: free ports, state in dir, the exporter pointed at esURL, and no
// internal metrics server (its port is fixed).
func startCollector(ctx context.Context, bin, config, dir, esURL string) (*collector, error) {
	var addrs [5]string
	for i := range addrs {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	health, grpcAddr, httpAddr := addrs[0], addrs[1], addrs[2]
	args := shippedconfig.Args(config,
		shippedconfig.Listen{Health: health, ZPages: addrs[3], PProf: addrs[4], GRPC: grpcAddr, HTTP: httpAddr},
		filepath.Join(dir, "storage"), esURL, "service::telemetry::metrics::level=none")
	p, err := startProcess(dir, filepath.Join(bin, "otelcol-audit"), args...)
	if err != nil {
		return nil, err
	}
	if err := waitUp(ctx, p, "http://"+health+"/"); err != nil {
		p.stop()
		return nil, err
	}
	return &collector{process: p, grpcAddr: grpcAddr, httpAddr: httpAddr}, nil
}

// startESDev runs esdev on a free port with its data in dir and the default
// one-second refresh, as `make run` does.
func startESDev(ctx context.Context, bin, dir string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := startProcess(dir, filepath.Join(bin, "esdev"), "-addr", addr, "-data", filepath.Join(dir, "esdev"))
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := waitUp(ctx, p, url+"/"); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, url, nil
}
