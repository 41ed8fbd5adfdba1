package auditreceiver

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

// testConfig enables both protocols on free loopback ports.
func testConfig(t testing.TB) *Config {
	t.Helper()
	cfg := loadConfig(t, "")
	cfg.Protocols.GRPC.Get().NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Protocols.HTTP.Get().ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	return cfg
}

type testServer struct {
	*auditReceiver
	telemetry *componenttest.Telemetry
}

func (s *testServer) httpURL(path string) string { return "http://" + s.httpAddr.String() + path }

// startReceiver starts a receiver with cfg in front of next and stops it
// when the test ends.
func startReceiver(t testing.TB, cfg *Config, next consumer.Logs) *testServer {
	t.Helper()
	return startReceiverWithHost(t, cfg, next, componenttest.NewNopHost())
}

func startReceiverWithHost(t testing.TB, cfg *Config, next consumer.Logs, host component.Host) *testServer {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	r, err := newAuditReceiver(cfg, set, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { assert.NoError(t, r.Shutdown(context.Background())) })
	return &testServer{auditReceiver: r, telemetry: tel}
}

// sumOf reads a counter of the receiver's telemetry; 0 when never recorded.
func (s *testServer) sumOf(t *testing.T, name string) int64 {
	t.Helper()
	m, err := s.telemetry.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

// refusingSink refuses the first `refusals` deliveries with err, then keeps what it gets.
type refusingSink struct {
	consumertest.LogsSink
	refusals atomic.Int32
	err      error
}

func newRefusingSink(refusals int32, err error) *refusingSink {
	s := &refusingSink{err: err}
	s.refusals.Store(refusals)
	return s
}

func (s *refusingSink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if s.refusals.Add(-1) >= 0 {
		return s.err
	}
	return s.LogsSink.ConsumeLogs(ctx, ld)
}

// idsOf lists the log.record.uid of every record the sink received, in order.
func idsOf(sink *consumertest.LogsSink) []string {
	var ids []string
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					ids = append(ids, recordID(lrs.At(k)))
				}
			}
		}
	}
	return ids
}

// validEvent is a minimal valid audit event.
func validEvent(id string) semconv.Event {
	return semconv.Event{
		ID:        id,
		Timestamp: time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		Action:    "bonus.manual_grant",
		Outcome:   semconv.OutcomeSuccess,
		ActorID:   "emp-1042",
		Module:    semconv.ModuleBonuses,
	}
}

func TestLifecycle(t *testing.T) {
	t.Run("start and shutdown twice", func(t *testing.T) {
		set := receivertest.NewNopSettings(metadata.Type)
		r, err := newAuditReceiver(testConfig(t), set, consumertest.NewNop())
		require.NoError(t, err)
		require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
		conn, err := net.Dial("tcp", r.grpcAddr.String())
		require.NoError(t, err, "gRPC server listens after Start")
		require.NoError(t, conn.Close())
		conn, err = net.Dial("tcp", r.httpAddr.String())
		require.NoError(t, err, "HTTP server listens after Start")
		require.NoError(t, conn.Close())

		require.NoError(t, r.Shutdown(context.Background()))
		require.NoError(t, r.Shutdown(context.Background()))
		_, err = net.Dial("tcp", r.httpAddr.String())
		assert.Error(t, err, "HTTP server stopped after Shutdown")
	})
	t.Run("shutdown without start", func(t *testing.T) {
		r, err := newAuditReceiver(testConfig(t), receivertest.NewNopSettings(metadata.Type), consumertest.NewNop())
		require.NoError(t, err)
		assert.NoError(t, r.Shutdown(context.Background()))
	})
	t.Run("busy HTTP port stops the started gRPC server", func(t *testing.T) {
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer busy.Close()
		cfg := testConfig(t)
		cfg.Protocols.HTTP.Get().ServerConfig.NetAddr.Endpoint = busy.Addr().String()
		r, err := newAuditReceiver(cfg, receivertest.NewNopSettings(metadata.Type), consumertest.NewNop())
		require.NoError(t, err)
		require.Error(t, r.Start(context.Background(), componenttest.NewNopHost()))
		_, err = net.Dial("tcp", r.grpcAddr.String())
		assert.Error(t, err, "the gRPC server must not outlive a failed Start")
		assert.NoError(t, r.Shutdown(context.Background()))
	})
}

func TestRefusalStatus(t *testing.T) {
	cfg := testConfig(t)
	cfg.RetryAfter = 1500 * time.Millisecond
	r, err := newAuditReceiver(cfg, receivertest.NewNopSettings(metadata.Type), consumertest.NewNop())
	require.NoError(t, err)

	for _, tc := range []struct {
		name      string
		err       error
		code      codes.Code
		retryInfo bool
	}{
		{"queue full", exporterhelper.ErrQueueIsFull, codes.ResourceExhausted, true},
		{"wrapped queue full", errors.Join(errors.New("exporter"), exporterhelper.ErrQueueIsFull), codes.ResourceExhausted, true},
		{"memory limiter", errors.New("data refused due to high memory usage"), codes.ResourceExhausted, true},
		{"transient", errors.New("connection reset"), codes.Unavailable, true},
		{"permanent", consumererror.NewPermanent(errors.New("mapping conflict")), codes.Internal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := r.refusalStatus(tc.err)
			assert.Equal(t, tc.code, st.Code())
			assert.Contains(t, st.Message(), tc.err.Error())
			var delays []time.Duration
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.RetryInfo); ok {
					delays = append(delays, info.GetRetryDelay().AsDuration())
				}
			}
			if tc.retryInfo {
				assert.Equal(t, []time.Duration{1500 * time.Millisecond}, delays)
			} else {
				assert.Empty(t, delays)
			}
		})
	}
}
