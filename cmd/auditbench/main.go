// Command auditbench measures the whole pipeline on this machine, as `make
// bench` runs it: the built otelcol-audit on its default configuration fed
// by auditgen over OTLP, once into an accepting sink (an Elasticsearch API
// that acknowledges every document and stores nothing) and once into esdev.
// It writes bench/RESULTS.md with the figures, the machine and the method.
//
//	go run ./cmd/auditbench -bin ./bin -gobench bench/go-bench.txt -out bench/RESULTS.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "auditbench:", err)
		stop()
		os.Exit(1)
	}
}

type options struct {
	bin             string
	config          string
	out             string
	goBench         string
	sendDuration    time.Duration
	rate            int
	latencyDuration time.Duration
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("auditbench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin", "directory holding otelcol-audit, esdev and auditgen")
	fs.StringVar(&o.config, "config", "cmd/otelcol-audit/config.yaml", "the collector's shipped default configuration, run with free ports and its state in a temporary directory")
	fs.StringVar(&o.out, "out", "bench/RESULTS.md", "results file to write")
	fs.StringVar(&o.goBench, "gobench", "", "output of the component `go test -bench` run to summarise in the results")
	fs.DurationVar(&o.sendDuration, "throughput-duration", 30*time.Second, "how long auditgen sends at full speed in a throughput run")
	fs.IntVar(&o.rate, "rate", 2_000, "highest events per second of the background load while latency is probed (at most a quarter of the measured throughput is used)")
	fs.DurationVar(&o.latencyDuration, "latency-duration", 45*time.Second, "how long latency is probed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.sendDuration <= 0 || o.rate < 1 || o.latencyDuration <= 0 {
		return errors.New("-throughput-duration, -rate and -latency-duration must be positive")
	}
	machine := describeMachine()

	sinkRow, err := benchSink(ctx, o)
	if err != nil {
		return fmt.Errorf("accepting sink: %w", err)
	}
	esdevRow, err := benchESDev(ctx, o)
	if err != nil {
		return fmt.Errorf("esdev: %w", err)
	}
	machine.loadAfter = loadAverage()

	res := results{machine: machine, opts: o, rows: []row{sinkRow, esdevRow}}
	if o.goBench != "" {
		if res.goBench, err = goBenchSummary(o.goBench); err != nil {
			return err
		}
	}
	fmt.Print(res.table())
	return res.write(o.out)
}

// row is one line of the table: a destination measured end to end.
type row struct {
	name       string
	throughput throughput
	latency    latencyRun
}

func benchSink(ctx context.Context, o options) (row, error) {
	sink, err := startAcceptingSink()
	if err != nil {
		return row{}, err
	}
	defer sink.close()
	return benchPipeline(ctx, o, "OTLP → accepting sink", sink.url, sinkDestination{sink})
}

func benchESDev(ctx context.Context, o options) (row, error) {
	dir, err := os.MkdirTemp("", "auditbench-esdev")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	es, url, err := startESDev(ctx, o.bin, dir)
	if err != nil {
		return row{}, err
	}
	defer func() { _ = es.Stop(stopGrace) }()
	return benchPipeline(ctx, o, "OTLP → esdev", url, esdevDestination{url: url})
}

// benchPipeline starts a collector writing to esURL, warms it up, then
// measures throughput and latency.
// On failure its directory, with the collector's log, is kept.
func benchPipeline(ctx context.Context, o options, name, esURL string, dst destination) (_ row, err error) {
	dir, err := os.MkdirTemp("", "auditbench-collector")
	if err != nil {
		return row{}, err
	}
	defer func() {
		if err == nil {
			os.RemoveAll(dir)
		}
	}()
	col, err := startCollector(ctx, o.bin, o.config, dir, esURL)
	if err != nil {
		return row{}, err
	}
	defer func() { _ = col.Stop(stopGrace) }()

	fmt.Printf("%s: warming up\n", name)
	const warmup = 5_000
	if _, err := auditgen(ctx, o.bin, col.grpcAddr, "-total", fmt.Sprint(warmup), "-seed", "1"); err != nil {
		return row{}, err
	}
	if err := waitDocuments(ctx, dst, warmup, 2*time.Minute); err != nil {
		return row{}, fmt.Errorf("warm-up: %w (collector log: %s)", err, col.Log)
	}
	fmt.Printf("%s: throughput, sending for %s\n", name, o.sendDuration)
	tp, err := measureThroughput(ctx, o.bin, col, dst, o.sendDuration, 2)
	if err != nil {
		return row{}, fmt.Errorf("throughput: %w (collector log: %s)", err, col.Log)
	}
	rate := moderateRate(o.rate, tp.eventsPerSecond())
	fmt.Printf("%s: latency, probes for %s under %d events/s\n", name, o.latencyDuration, rate)
	lat, err := measureLatency(ctx, o.bin, col, dst, rate, o.latencyDuration, 3)
	if err != nil {
		return row{}, fmt.Errorf("latency: %w (collector log: %s)", err, col.Log)
	}
	return row{name: name, throughput: tp, latency: lat}, nil
}

// moderateRate is the background load of the latency run: at most a quarter
// of the throughput just measured, so that on a slow or busy machine the
// probes time the pipeline rather than a growing backlog.
func moderateRate(limit int, throughput float64) int {
	return max(100, min(limit, int(throughput/4)))
}
