package auditreceiver

import (
	"bytes"
	"io"
	"net/http"
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
// consumer and reports events/s. Run with -cpu 1 for the single-core figure.
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
			b.ReportMetric(float64(b.N*benchBatchSize)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
