package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/auditpipe/auditpipe/internal/proc"
	"github.com/auditpipe/auditpipe/internal/shippedconfig"
)

// stopGrace is how long a process has to stop cleanly before it is killed.
const stopGrace = 20 * time.Second

// ready is how long a process has to answer over HTTP once started.
const ready = 90 * time.Second

// collector is a running otelcol-audit with the addresses it listens on.
type collector struct {
	*proc.Process
	grpcAddr, httpAddr string
}

// startCollector runs otelcol-audit on the shipped default configuration
// (config, cmd/otelcol-audit/config.yaml: validation, memory limiter, audit
// processor with its hash chain, exporter with a persistent queue, alert
// rules on the log notifier), overridden with --set only where a benchmark
// must: free ports, state in dir, the exporter pointed at esURL, and no
// internal metrics server (its port is fixed).
func startCollector(ctx context.Context, bin, config, dir, esURL string) (*collector, error) {
	addrs, err := proc.FreeAddrs(5)
	if err != nil {
		return nil, err
	}
	health, grpcAddr, httpAddr := addrs[0], addrs[1], addrs[2]
	args := shippedconfig.Args(config,
		shippedconfig.Listen{Health: health, ZPages: addrs[3], PProf: addrs[4], GRPC: grpcAddr, HTTP: httpAddr},
		filepath.Join(dir, "storage"), esURL, "service::telemetry::metrics::level=none")
	p, err := proc.Start(dir, filepath.Join(bin, "otelcol-audit"), nil, args...)
	if err != nil {
		return nil, err
	}
	if err := p.WaitHTTP(ctx, "http://"+health+"/", ready); err != nil {
		_ = p.Stop(stopGrace)
		return nil, err
	}
	return &collector{Process: p, grpcAddr: grpcAddr, httpAddr: httpAddr}, nil
}

// startESDev runs esdev on a free port with its data in dir and the default
// one-second refresh, as `make run` does.
func startESDev(ctx context.Context, bin, dir string) (*proc.Process, string, error) {
	addr, err := proc.FreeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := proc.Start(dir, filepath.Join(bin, "esdev"), nil, "-addr", addr, "-data", filepath.Join(dir, "esdev"))
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := p.WaitHTTP(ctx, url+"/", ready); err != nil {
		_ = p.Stop(stopGrace)
		return nil, "", err
	}
	return p, url, nil
}
