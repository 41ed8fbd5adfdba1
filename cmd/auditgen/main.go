// Command auditgen sends a realistic, deterministic back-office audit load
// (internal/auditgen) to an OTLP logs endpoint over gRPC or HTTP and prints
// what it sent, so tests and demos can reconcile it with what was stored.
//
//	go run ./cmd/auditgen -total 1000 -endpoint 127.0.0.1:4317
//
// It builds requests with the collector's pdata rather than the SDK, so it
// can also send records that break the conventions (-malformed).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/auditpipe/auditpipe/internal/auditgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second interrupt kills the process
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitRefused = 1 // the server refused data after retries
	exitUsage   = 2
)

type options struct {
	cfg        Config
	seed       int64
	malformed  float64
	actors     int
	start      string
	span       time.Duration
	tenants    string
	jsonOut    bool
	secretsOut string
	gen        auditgen.Options // from the flags above
}

type headerFlag map[string]string

func (h headerFlag) String() string { return fmt.Sprint(map[string]string(h)) }

func (h headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	h[k] = val
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	o.cfg.Headers = map[string]string{}
	fs := flag.NewFlagSet("auditgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.Endpoint, "endpoint", "", "OTLP endpoint host:port, or a URL for http (default 127.0.0.1:4317 for grpc, 127.0.0.1:4318 for http)")
	fs.StringVar(&o.cfg.Protocol, "protocol", "grpc", "grpc or http (OTLP/HTTP protobuf)")
	fs.Var(headerFlag(o.cfg.Headers), "header", "request header or gRPC metadata key=value, repeatable (e.g. authorization=Bearer …)")
	fs.Float64Var(&o.cfg.Rate, "rate", 0, "records per second, 0 = as fast as possible")
	fs.IntVar(&o.cfg.Total, "total", 0, "records to send (1000 when neither -total nor -duration is set)")
	fs.DurationVar(&o.cfg.Duration, "duration", 0, "stop sending after this long")
	fs.IntVar(&o.cfg.Concurrency, "concurrency", 2, "requests in flight")
	fs.IntVar(&o.cfg.Batch, "batch", 500, "records per request")
	fs.DurationVar(&o.cfg.Timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.DurationVar(&o.cfg.Retry.MaxElapsed, "retry-max-elapsed", time.Minute, "give a throttled or failing request up after this long")
	fs.Int64Var(&o.seed, "seed", 1, "random seed: the same seed sends the same events")
	fs.Float64Var(&o.malformed, "malformed", 0, "share (0..1) of records that break the conventions on purpose")
	fs.IntVar(&o.actors, "actors", auditgen.DefaultActors, "number of back-office employees")
	fs.StringVar(&o.start, "start", "", "RFC 3339 time of the earliest event (default: now minus -span); fixing it makes event ids reproducible")
	fs.DurationVar(&o.span, "span", auditgen.DefaultSpan, "events are spread over this window from -start")
	fs.StringVar(&o.tenants, "tenants", strings.Join(auditgen.DefaultTenants, ","), "comma-separated tenants (brands)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the summary as JSON")
	fs.StringVar(&o.secretsOut, "secrets-out", "", "write every secret value embedded in the events to this file, one per line")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return o, o.complete()
}

func (o *options) complete() error {
	c := &o.cfg
	switch c.Protocol {
	case "grpc":
		if c.Endpoint == "" {
			c.Endpoint = "127.0.0.1:4317"
		}
	case "http":
		if c.Endpoint == "" {
			c.Endpoint = "127.0.0.1:4318"
		}
	default:
		return fmt.Errorf("-protocol %q: want grpc or http", c.Protocol)
	}
	switch {
	case c.Total < 0 || c.Duration < 0 || c.Rate < 0:
		return errors.New("-total, -duration and -rate must not be negative")
	case c.Concurrency < 1 || c.Batch < 1:
		return errors.New("-concurrency and -batch must be at least 1")
	case o.malformed < 0 || o.malformed > 1:
		return errors.New("-malformed must be between 0 and 1")
	case o.span <= 0:
		return errors.New("-span must be positive")
	}
	o.gen = auditgen.Options{Seed: o.seed, MalformedRatio: o.malformed, Actors: o.actors, Span: o.span}
	if o.start != "" {
		start, err := time.Parse(time.RFC3339Nano, o.start)
		if err != nil {
			return fmt.Errorf("-start: %w", err)
		}
		o.gen.Start = start
	}
	for _, t := range strings.Split(o.tenants, ",") {
		if t = strings.TrimSpace(t); t != "" {
			o.gen.Tenants = append(o.gen.Tenants, t)
		}
	}
	if c.Total == 0 && c.Duration == 0 {
		c.Total = 1000
	}
	c.Retry.Initial, c.Retry.Max = 100*time.Millisecond, 5*time.Second
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "auditgen:", err)
		}
		return exitUsage
	}
	var client logsClient
	if o.cfg.Protocol == "grpc" {
		client, err = newGRPCClient(o.cfg.Endpoint, o.cfg.Headers)
		if err != nil {
			fmt.Fprintln(stderr, "auditgen:", err)
			return exitUsage
		}
	} else {
		client = newHTTPClient(o.cfg.Endpoint, o.cfg.Headers)
	}
	defer client.Close()

	gen := auditgen.New(o.gen)
	report := Send(ctx, o.cfg, gen, client)
	if o.secretsOut != "" {
		if err := writeLines(o.secretsOut, gen.Secrets()); err != nil {
			fmt.Fprintln(stderr, "auditgen:", err)
			return exitRefused
		}
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(report)
	} else {
		printTable(stdout, &report)
	}
	if report.Refused() {
		fmt.Fprintf(stderr, "auditgen: the server refused data: %d records failed, %d rejected\n", report.Failed, report.Rejected)
		return exitRefused
	}
	return exitOK
}

func writeLines(path string, lines []string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	return nil
}
