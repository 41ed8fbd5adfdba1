package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
)

const (
	transportGRPC = "grpc"
	transportHTTP = "http"

	rejectedMetricName = "otelcol_receiver_audit_rejected_log_records"

	// memoryLimiterRefusal is the message of the memory limiter's refusal;
	// its sentinel error lives in a collector-internal module we cannot import.
	memoryLimiterRefusal = "data refused due to high memory usage"
)

// auditReceiver serves OTLP logs over gRPC and HTTP and audit events as JSON
// over HTTP, and hands the valid ones to the next consumer.
type auditReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	next      consumer.Logs
	admission admission
	now       func() time.Time

	obsGRPC  *receiverhelper.ObsReport
	obsHTTP  *receiverhelper.ObsReport
	rejected metric.Int64Counter

	mu         sync.Mutex
	serverGRPC *grpc.Server
	serverHTTP *http.Server
	serving    sync.WaitGroup
	// grpcAddr and httpAddr are where the servers listen, which differs from
	// the configured endpoint when that asks for port 0.
	grpcAddr net.Addr
	httpAddr net.Addr
}

func newAuditReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*auditReceiver, error) {
	trusted, err := parseTrustedProxies(cfg.Enrichment.TrustedProxies)
	if err != nil {
		return nil, err
	}
	r := &auditReceiver{
		cfg:      cfg,
		settings: set,
		next:     next,
		admission: admission{
			mode: cfg.Validation.Mode,
			enrichment: enricher{
				clientAddressFromPeer: cfg.Enrichment.ClientAddressFromPeer,
				includePrincipal:      cfg.Enrichment.IncludePrincipal,
				trustedProxies:        trusted,
			},
		},
		now: time.Now,
	}
	if r.obsGRPC, err = newObsReport(set, transportGRPC); err != nil {
		return nil, err
	}
	if r.obsHTTP, err = newObsReport(set, transportHTTP); err != nil {
		return nil, err
	}
	r.rejected, err = set.MeterProvider.Meter(metadata.ScopeName).Int64Counter(
		rejectedMetricName,
		metric.WithDescription("Number of log records rejected because they are not valid audit events (validation mode reject)."),
		metric.WithUnit("{records}"),
	)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func newObsReport(set receiver.Settings, transport string) (*receiverhelper.ObsReport, error) {
	return receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		ReceiverCreateSettings: set,
	})
}

// Start opens the configured servers; it returns once they listen.
func (r *auditReceiver) Start(ctx context.Context, host component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.startGRPC(ctx, host); err != nil {
		return err
	}
	if err := r.startHTTP(ctx, host); err != nil {
		// Do not leak the gRPC server that did start.
		return errors.Join(err, r.shutdownLocked(ctx))
	}
	return nil
}

func (r *auditReceiver) startGRPC(ctx context.Context, host component.Host) error {
	cfg := r.cfg.Protocols.GRPC.Get()
	if cfg == nil {
		return nil
	}
	server, err := cfg.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	registerGRPC(server, r)
	listener, err := cfg.NetAddr.Listen(ctx)
	if err != nil {
		return err
	}
	r.serverGRPC, r.grpcAddr = server, listener.Addr()
	r.settings.Logger.Info("Starting gRPC server", zap.String("endpoint", listener.Addr().String()))
	r.serving.Go(func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	})
	return nil
}

func (r *auditReceiver) startHTTP(ctx context.Context, host component.Host) error {
	cfg := r.cfg.Protocols.HTTP.Get()
	if cfg == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc(cfg.LogsURLPath, r.handleOTLPLogs)
	mux.HandleFunc(cfg.EventsURLPath, r.handleJSONEvents)
	server, err := cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, mux,
		confighttp.WithErrorHandler(r.httpErrorHandler))
	if err != nil {
		return err
	}
	listener, err := cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return err
	}
	r.serverHTTP, r.httpAddr = server, listener.Addr()
	r.settings.Logger.Info("Starting HTTP server", zap.String("endpoint", listener.Addr().String()))
	r.serving.Go(func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	})
	return nil
}

// Shutdown stops accepting requests and waits for those in flight, so that
// every request answered with success has reached the next consumer. It is
// safe without Start and safe to call twice.
func (r *auditReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shutdownLocked(ctx)
}

func (r *auditReceiver) shutdownLocked(ctx context.Context) error {
	var err error
	if r.serverHTTP != nil {
		err = r.serverHTTP.Shutdown(ctx)
		r.serverHTTP = nil
	}
	if r.serverGRPC != nil {
		r.serverGRPC.GracefulStop()
		r.serverGRPC = nil
	}
	r.serving.Wait()
	return err
}

// deliver passes the admitted records on and counts the rejected ones.
func (r *auditReceiver) deliver(ctx context.Context, transport, format string, ld plog.Logs, rejected int) error {
	if rejected > 0 {
		r.rejected.Add(ctx, int64(rejected), metric.WithAttributes(
			attribute.String("receiver", r.settings.ID.String()),
			attribute.String("transport", transport),
		))
	}
	count := ld.LogRecordCount()
	if count == 0 {
		return nil
	}
	obs := r.obsHTTP
	if transport == transportGRPC {
		obs = r.obsGRPC
	}
	ctx = obs.StartLogsOp(ctx)
	err := r.next.ConsumeLogs(ctx, ld)
	obs.EndLogsOp(ctx, format, count, err)
	return err
}

// refusalStatus turns the next consumer's error into what the sender sees.
// A full queue or memory limit is RESOURCE_EXHAUSTED (HTTP 429), any other
// transient failure UNAVAILABLE (HTTP 503); both carry RetryInfo so that
// SDKs back off and resend. A permanent error means the pipeline lost the
// data for good: INTERNAL (HTTP 500), not to be retried.
func (r *auditReceiver) refusalStatus(err error) *status.Status {
	if consumererror.IsPermanent(err) {
		return status.New(codes.Internal, "the pipeline refused the records permanently: "+err.Error())
	}
	code := codes.Unavailable
	if errors.Is(err, exporterhelper.ErrQueueIsFull) || strings.Contains(err.Error(), memoryLimiterRefusal) {
		code = codes.ResourceExhausted
	}
	st := status.New(code, "the pipeline cannot take the records now, retry later: "+err.Error())
	withRetry, detailErr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(r.cfg.RetryAfter)})
	if detailErr != nil {
		return st
	}
	return withRetry
}
