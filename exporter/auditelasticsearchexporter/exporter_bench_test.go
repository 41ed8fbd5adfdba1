package auditelasticsearchexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

const benchBatch = 1000

// BenchmarkPushLogs measures encoding plus sending bulk requests to a sink
// that reads and discards them, as contrib benchmarks its exporter. One op
// is one export of benchBatch events. events/cpu-s divides the events by
// the CPU time of the whole process (exporter and sink), which is the
// per-core throughput even on a machine shared with other work.
func BenchmarkPushLogs(b *testing.B) {
	for _, compression := range []configcompression.Type{"none", configcompression.TypeGzip} {
		b.Run(string(compression), func(b *testing.B) {
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				_, _ = io.WriteString(w, `{"errors":false,"items":[]}`)
			}))
			defer sink.Close()
			exp := newUnitExporter(b, sink.URL, nil, func(cfg *Config) { cfg.ClientConfig.Compression = compression })
			ld := toLogs(events(30, benchBatch))
			ctx := context.Background()
			if err := exp.pushLogs(ctx, ld); err != nil { // installs the templates
				b.Fatal(err)
			}
			m := startMeasure(b)
			for b.Loop() {
				if err := exp.pushLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			m.report(b)
		})
	}
}

// BenchmarkEncode measures building the bulk body alone.
func BenchmarkEncode(b *testing.B) {
	ld := toLogs(events(31, benchBatch))
	route := func(pcommon.Resource, plog.LogRecord) string { return "logs-audit-default" }
	var bt batch
	m := startMeasure(b)
	for b.Loop() {
		bt.reset()
		bt.encode(ld, route)
	}
	b.SetBytes(int64(len(bt.body)))
	m.report(b)
}

type measure struct {
	cpu     time.Duration
	mallocs uint64
}

func startMeasure(b *testing.B) measure {
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return measure{cpu: cpuTime(), mallocs: ms.Mallocs}
}

func (m measure) report(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	evs := float64(b.N * benchBatch)
	b.ReportMetric(evs/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(evs/(cpuTime()-m.cpu).Seconds(), "events/cpu-s")
	b.ReportMetric(float64(ms.Mallocs-m.mallocs)/evs, "allocs/event")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
