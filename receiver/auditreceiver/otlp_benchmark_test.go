//go:build unix

package auditreceiver

import (
	"bytes"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/auditpipe/auditpipe/internal/auditgen"
)

const benchBatchSize = 1000

// BenchmarkOTLPHTTPProtobuf1000 posts OTLP/HTTP protobuf batches of 1,000
// generated (valid) audit events to a running receiver in front of a no-op
// consumer. Run with -cpu 1 for the single-core figure. It reports events/s
// of wall time and events per CPU-second of the process (client and server):
// on a shared machine the wall-time rate drops with everyone else's load,
// the CPU-time rate does not.
func BenchmarkOTLPHTTPProtobuf1000(b *testing.B) {
	ld := plog.NewLogs()
	counts := auditgen.New(auditgen.Options{Seed: 1, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}).AppendLogs(ld, benchBatchSize)
	require.Zero(b, counts.Malformed, "every event is valid, so every event is delivered")
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(b, err)

	for _, mode := range []ValidationMode{ValidationReject, ValidationOff} {
		b.Run("validation="+string(mode), func(b *testing.B) {
			cfg := testConfig(b)
			cfg.Validation.Mode = mode
			s := startReceiver(b, cfg, consumertest.NewNop())
			url := s.httpURL("/v1/logs")
			client := &http.Client{}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			cpuBefore := processCPUTime(b)
			b.ResetTimer()
			for range b.N {
				resp, err := client.Post(url, protobufContentType, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			events := float64(b.N * benchBatchSize)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(events/(processCPUTime(b)-cpuBefore).Seconds(), "events/cpu-s")
		})
	}
}

// processCPUTime is the user and system CPU time this process has used.
func processCPUTime(b *testing.B) time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
