package auditreceiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

// recordCollector keeps what an SDK logger emits, so tests can hand the
// records to an exporter themselves and see its error.
type recordCollector struct{ records []sdklog.Record }

func (c *recordCollector) OnEmit(_ context.Context, r *sdklog.Record) error {
	c.records = append(c.records, r.Clone())
	return nil
}
func (*recordCollector) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (*recordCollector) Shutdown(context.Context) error                         { return nil }
func (*recordCollector) ForceFlush(context.Context) error                       { return nil }

// sdkRecords emits ld through the OTel SDK, one logger provider per resource,
// as instrumented back-offices would, and returns the SDK records.
func sdkRecords(ld plog.Logs) []sdklog.Record {
	var out []sdklog.Record
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		var resAttrs []attribute.KeyValue
		for k, v := range rl.Resource().Attributes().All() {
			resAttrs = append(resAttrs, attribute.KeyValue{Key: attribute.Key(k), Value: attributeValue(v)})
		}
		collector := &recordCollector{}
		provider := sdklog.NewLoggerProvider(
			sdklog.WithResource(resource.NewSchemaless(resAttrs...)),
			sdklog.WithProcessor(collector),
		)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			sl := rl.ScopeLogs().At(j)
			logger := provider.Logger(sl.Scope().Name())
			for k := 0; k < sl.LogRecords().Len(); k++ {
				lr := sl.LogRecords().At(k)
				var rec otellog.Record
				rec.SetEventName(lr.EventName())
				if lr.Timestamp() != 0 {
					rec.SetTimestamp(lr.Timestamp().AsTime())
				}
				if lr.Body().Type() == pcommon.ValueTypeStr {
					rec.SetBody(attribute.StringValue(lr.Body().Str()))
				}
				for name, v := range lr.Attributes().All() {
					rec.AddAttributes(attribute.KeyValue{Key: attribute.Key(name), Value: attributeValue(v)})
				}
				logger.Emit(context.Background(), rec)
			}
		}
		out = append(out, collector.records...)
	}
	return out
}

func attributeValue(v pcommon.Value) attribute.Value {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return attribute.Int64Value(v.Int())
	case pcommon.ValueTypeDouble:
		return attribute.Float64Value(v.Double())
	case pcommon.ValueTypeBool:
		return attribute.BoolValue(v.Bool())
	case pcommon.ValueTypeSlice:
		items := make([]attribute.Value, v.Slice().Len())
		for i := range items {
			items[i] = attributeValue(v.Slice().At(i))
		}
		return attribute.SliceValue(items...)
	default:
		return attribute.StringValue(v.AsString())
	}
}

func logsOf(events ...semconv.Event) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, "backoffice")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := range events {
		events[i].CopyToLogRecord(records.AppendEmpty())
	}
	return ld
}

// sdkExporter is the part of the two SDK exporters the tests use.
type sdkExporter interface {
	Export(context.Context, []sdklog.Record) error
	Shutdown(context.Context) error
}

func newGRPCExporter(t *testing.T, s *testServer, opts ...otlploggrpc.Option) sdkExporter {
	t.Helper()
	exp, err := otlploggrpc.New(context.Background(), append([]otlploggrpc.Option{
		otlploggrpc.WithEndpoint(s.grpcAddr.String()), otlploggrpc.WithInsecure(),
		otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: false}),
	}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, exp.Shutdown(context.Background())) })
	return exp
}

func newHTTPExporter(t *testing.T, s *testServer, opts ...otlploghttp.Option) sdkExporter {
	t.Helper()
	exp, err := otlploghttp.New(context.Background(), append([]otlploghttp.Option{
		otlploghttp.WithEndpoint(s.httpAddr.String()), otlploghttp.WithInsecure(),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}),
	}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, exp.Shutdown(context.Background())) })
	return exp
}

var sdkTransports = []struct {
	name        string
	transport   string
	newExporter func(*testing.T, *testServer) sdkExporter
}{
	{"grpc", transportGRPC, func(t *testing.T, s *testServer) sdkExporter { return newGRPCExporter(t, s) }},
	{"http", transportHTTP, func(t *testing.T, s *testServer) sdkExporter { return newHTTPExporter(t, s) }},
}

func TestSDKExportRejectsInvalidRecordsAlone(t *testing.T) {
	missingActor := validEvent("a-2")
	missingActor.ActorID = ""
	badAction := validEvent("a-3")
	badAction.Action = "ManualBonusGrant"
	badAction.ClientAddress = "10.0.0.300"

	for _, tr := range sdkTransports {
		t.Run(tr.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			s := startReceiver(t, testConfig(t), sink)
			exp := tr.newExporter(t, s)

			err := exp.Export(context.Background(),
				sdkRecords(logsOf(validEvent("a-1"), missingActor, badAction, validEvent("a-4"))))

			require.Error(t, err, "the SDK reports the partial success")
			assert.Contains(t, err.Error(), `2 log records rejected as invalid audit events: `+
				`record 1 (id "a-2"): user.id: required attribute is missing; `+
				`record 2 (id "a-3"): event_name: "ManualBonusGrant" is not a dotted lower-case action name such as withdrawal.cancel, `+
				`client.address: "10.0.0.300" is not an IP address`)
			assert.Equal(t, []string{"a-1", "a-4"}, idsOf(sink))
			got := sink.AllLogs()[0].ResourceLogs().At(0)
			name, _ := got.Resource().Attributes().Get(semconv.AttrServiceName)
			assert.Equal(t, "backoffice", name.Str())
			assert.Equal(t, int64(2), s.sumOf(t, rejectedMetricName))
			assert.Equal(t, int64(2), s.sumOf(t, "otelcol_receiver_accepted_log_records"))
		})
	}
}

func TestSDKExportAllValid(t *testing.T) {
	for _, tr := range sdkTransports {
		t.Run(tr.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			s := startReceiver(t, testConfig(t), sink)
			require.NoError(t, tr.newExporter(t, s).Export(context.Background(),
				sdkRecords(logsOf(validEvent("v-1"), validEvent("v-2")))))
			assert.Equal(t, []string{"v-1", "v-2"}, idsOf(sink))
			assert.Zero(t, s.sumOf(t, rejectedMetricName))
		})
	}
}

// generatedBatch builds a mixed batch with auditgen and returns it with the
// generated items in the order their records appear in the batch.
func generatedBatch(t *testing.T, n int) (plog.Logs, auditgen.Counts, []auditgen.Item) {
	t.Helper()
	opts := auditgen.Options{Seed: 42, MalformedRatio: 0.2, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	ld := plog.NewLogs()
	counts := auditgen.New(opts).AppendLogs(ld, n)

	// A second generator with the same options replays the same items;
	// AppendLogs groups them by service in order of first appearance.
	replay := auditgen.New(opts)
	var services []string
	byService := map[string][]auditgen.Item{}
	for range n {
		it := replay.Next()
		if _, seen := byService[it.Service]; !seen {
			services = append(services, it.Service)
		}
		byService[it.Service] = append(byService[it.Service], it)
	}
	var inOrder []auditgen.Item
	for _, svc := range services {
		inOrder = append(inOrder, byService[svc]...)
	}
	require.Equal(t, ld.LogRecordCount(), len(inOrder))
	require.Positive(t, counts.Malformed)
	require.Positive(t, counts.Valid)
	return ld, counts, inOrder
}

// assertReconciled checks that exactly the valid generated records reached
// the sink and that the message names the first malformed ones with their
// broken attribute. When the request kept the generated order, the named
// indexes are checked too; the SDK exporters regroup records, so then the
// named records are found by id.
func assertReconciled(t *testing.T, sink *consumertest.LogsSink, items []auditgen.Item, counts auditgen.Counts, rejected int64, msg string, ordered bool) {
	t.Helper()
	var wantIDs []string
	var malformed []int
	malformedByID := map[string]auditgen.Item{}
	for i, it := range items {
		if it.Malformed {
			malformed = append(malformed, i)
			malformedByID[it.Event.ID] = it
		} else {
			wantIDs = append(wantIDs, it.Event.ID)
		}
	}
	gotIDs := idsOf(sink)
	sort.Strings(gotIDs)
	sort.Strings(wantIDs)
	assert.Equal(t, wantIDs, gotIDs)
	assert.Equal(t, counts.Valid, len(gotIDs))
	assert.Equal(t, int64(counts.Malformed), rejected)

	header := strconv.Itoa(counts.Malformed) + " log records rejected as invalid audit events: "
	trailer := fmt.Sprintf("; and %d more", counts.Malformed-maxNamedRejections)
	require.True(t, strings.HasPrefix(msg, header), msg)
	require.True(t, strings.HasSuffix(msg, trailer), msg)
	named := strings.Split(strings.TrimSuffix(strings.TrimPrefix(msg, header), trailer), "; ")
	require.Len(t, named, maxNamedRejections)
	for k, part := range named {
		var defect string
		if ordered {
			assert.True(t, strings.HasPrefix(part, fmt.Sprintf("record %d", malformed[k])), "%q names record %d", part, malformed[k])
			defect = items[malformed[k]].Defect
		} else if _, idPart, found := strings.Cut(part, `(id "`); found {
			it, ok := malformedByID[idPart[:strings.Index(idPart, `"`)]]
			require.True(t, ok, "%q names a malformed record", part)
			defect = it.Defect
		} else {
			defect = semconv.AttrEventID // only a record without an id is named without one
		}
		assert.Contains(t, part, defect+": ", "%q names the broken attribute", part)
	}
}

func TestAuditgenBatchOverOTLPGRPC(t *testing.T) {
	ld, counts, items := generatedBatch(t, 400)
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)

	conn, err := grpc.NewClient(s.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	resp, err := plogotlp.NewGRPCClient(conn).Export(context.Background(), plogotlp.NewExportRequestFromLogs(ld))
	require.NoError(t, err)

	assertReconciled(t, sink, items, counts, resp.PartialSuccess().RejectedLogRecords(), resp.PartialSuccess().ErrorMessage(), true)
	assert.Equal(t, int64(counts.Malformed), s.sumOf(t, rejectedMetricName))
}

func TestAuditgenBatchOverOTLPHTTP(t *testing.T) {
	ld, counts, items := generatedBatch(t, 400)
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)

	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	resp, err := http.Post(s.httpURL("/v1/logs"), protobufContentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := plogotlp.NewExportResponse()
	require.NoError(t, out.UnmarshalProto(raw))

	assertReconciled(t, sink, items, counts, out.PartialSuccess().RejectedLogRecords(), out.PartialSuccess().ErrorMessage(), true)
}

func TestAuditgenBatchThroughSDKExporters(t *testing.T) {
	ld, counts, items := generatedBatch(t, 200)
	for _, tr := range sdkTransports {
		t.Run(tr.name, func(t *testing.T) {
			sink := new(consumertest.LogsSink)
			s := startReceiver(t, testConfig(t), sink)
			err := tr.newExporter(t, s).Export(context.Background(), sdkRecords(ld))
			require.Error(t, err)
			msg := err.Error()
			// The SDK wraps the message: "OTLP partial success: <message> (N logs rejected)".
			msg = msg[strings.Index(msg, strconv.Itoa(counts.Malformed)+" log records rejected"):strings.LastIndex(msg, " (")]
			assertReconciled(t, sink, items, counts, s.sumOf(t, rejectedMetricName), msg, false)
		})
	}
}

func TestOTLPJSONOverHTTP(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)
	bad := validEvent("j-2")
	bad.Outcome = "ok"
	body, err := plogotlp.NewExportRequestFromLogs(logsOf(validEvent("j-1"), bad)).MarshalJSON()
	require.NoError(t, err)

	resp, err := http.Post(s.httpURL("/v1/logs"), "application/json; charset=utf-8", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, jsonContentType, resp.Header.Get("Content-Type"))
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := plogotlp.NewExportResponse()
	require.NoError(t, out.UnmarshalJSON(raw))
	assert.Equal(t, int64(1), out.PartialSuccess().RejectedLogRecords())
	assert.Equal(t, `1 log records rejected as invalid audit events: record 1 (id "j-2"): `+
		`audit.action.outcome: "ok" is not one of success, failure, denied`, out.PartialSuccess().ErrorMessage())
	assert.Equal(t, []string{"j-1"}, idsOf(sink))
}

func TestOTLPHTTPBadRequests(t *testing.T) {
	sink := new(consumertest.LogsSink)
	cfg := testConfig(t)
	cfg.Protocols.HTTP.Get().ServerConfig.MaxRequestBodySize = 4096
	s := startReceiver(t, cfg, sink)
	url := s.httpURL("/v1/logs")

	valid, err := plogotlp.NewExportRequestFromLogs(logsOf(validEvent("ok-1"))).MarshalProto()
	require.NoError(t, err)

	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantStatus  int
		wantMessage string
	}{
		{"wrong content type", http.MethodPost, "text/plain", valid, http.StatusUnsupportedMediaType, `unsupported content type "text/plain"`},
		{"no content type", http.MethodPost, "", valid, http.StatusUnsupportedMediaType, `unsupported content type ""`},
		{"GET", http.MethodGet, protobufContentType, nil, http.StatusMethodNotAllowed, "method GET not allowed"},
		{"invalid protobuf", http.MethodPost, protobufContentType, []byte{0x0a, 0xff, 0xff, 0x01}, http.StatusBadRequest, "the body is not an OTLP logs request in protobuf"},
		{"invalid JSON", http.MethodPost, jsonContentType, []byte(`{"resourceLogs": [`), http.StatusBadRequest, "the body is not an OTLP logs request in json"},
		{"oversized", http.MethodPost, protobufContentType, bytes.Repeat(valid, 4096/len(valid)+1), http.StatusRequestEntityTooLarge, "larger than the 4096 bytes allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, url, bytes.NewReader(tc.body))
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			message := string(raw)
			if resp.Header.Get("Content-Type") == protobufContentType {
				var st spb.Status
				require.NoError(t, proto.Unmarshal(raw, &st))
				assert.Equal(t, int32(codes.InvalidArgument), st.Code)
				message = st.Message
			}
			assert.Contains(t, message, tc.wantMessage)
		})
	}
	assert.Empty(t, idsOf(sink), "nothing of a bad request reaches the pipeline")

	resp, err := http.Post(url, protobufContentType, bytes.NewReader(valid))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"ok-1"}, idsOf(sink), "bad requests do not disturb the next one")
}

func TestBackPressureGRPC(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		code  codes.Code
		retry bool
	}{
		{"queue full", exporterhelper.ErrQueueIsFull, codes.ResourceExhausted, true},
		{"transient", fmt.Errorf("elasticsearch: %w", io.ErrUnexpectedEOF), codes.Unavailable, true},
		{"permanent", consumererror.NewPermanent(fmt.Errorf("mapping conflict")), codes.Internal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.RetryAfter = 250 * time.Millisecond
			s := startReceiver(t, cfg, consumertest.NewErr(tc.err))
			conn, err := grpc.NewClient(s.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(t, err)
			defer conn.Close()

			_, err = plogotlp.NewGRPCClient(conn).Export(context.Background(),
				plogotlp.NewExportRequestFromLogs(logsOf(validEvent("b-1"), validEvent("b-2"))))
			st := status.Convert(err)
			assert.Equal(t, tc.code, st.Code())
			assert.Contains(t, st.Message(), tc.err.Error())
			var retryInfo *errdetails.RetryInfo
			for _, d := range st.Details() {
				if info, ok := d.(*errdetails.RetryInfo); ok {
					retryInfo = info
				}
			}
			if tc.retry {
				require.NotNil(t, retryInfo)
				assert.Equal(t, 250*time.Millisecond, retryInfo.GetRetryDelay().AsDuration())
			} else {
				assert.Nil(t, retryInfo)
			}
			assert.Zero(t, s.sumOf(t, "otelcol_receiver_accepted_log_records"))
			assert.Equal(t, int64(2), s.sumOf(t, "otelcol_receiver_refused_log_records")+s.sumOf(t, "otelcol_receiver_failed_log_records"))
		})
	}
}

func TestBackPressureHTTP(t *testing.T) {
	body, err := plogotlp.NewExportRequestFromLogs(logsOf(validEvent("b-1"))).MarshalProto()
	require.NoError(t, err)
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		retryAfter string
	}{
		{"queue full", exporterhelper.ErrQueueIsFull, http.StatusTooManyRequests, "3"},
		{"transient", io.ErrUnexpectedEOF, http.StatusServiceUnavailable, "3"},
		{"permanent", consumererror.NewPermanent(fmt.Errorf("mapping conflict")), http.StatusInternalServerError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.RetryAfter = 2100 * time.Millisecond // rounded up to whole seconds
			s := startReceiver(t, cfg, consumertest.NewErr(tc.err))
			resp, err := http.Post(s.httpURL("/v1/logs"), protobufContentType, bytes.NewReader(body))
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, tc.retryAfter, resp.Header.Get("Retry-After"))
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var st spb.Status
			require.NoError(t, proto.Unmarshal(raw, &st))
			assert.Contains(t, st.Message, tc.err.Error())
		})
	}
}

// TestSDKRetriesAfterRefusal: the SDK exporters honour the receiver's retry
// information, and the records arrive exactly once.
func TestSDKRetriesAfterRefusal(t *testing.T) {
	retry := struct {
		grpc otlploggrpc.RetryConfig
		http otlploghttp.RetryConfig
	}{
		otlploggrpc.RetryConfig{Enabled: true, InitialInterval: 10 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: 20 * time.Second},
		otlploghttp.RetryConfig{Enabled: true, InitialInterval: 10 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsedTime: 20 * time.Second},
	}
	for _, tc := range []struct {
		name        string
		newExporter func(*testing.T, *testServer) sdkExporter
	}{
		{"grpc", func(t *testing.T, s *testServer) sdkExporter {
			return newGRPCExporter(t, s, otlploggrpc.WithRetry(retry.grpc))
		}},
		{"http", func(t *testing.T, s *testServer) sdkExporter {
			return newHTTPExporter(t, s, otlploghttp.WithRetry(retry.http))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newRefusingSink(1, exporterhelper.ErrQueueIsFull)
			cfg := testConfig(t)
			cfg.RetryAfter = 50 * time.Millisecond
			s := startReceiver(t, cfg, sink)
			require.NoError(t, tc.newExporter(t, s).Export(context.Background(),
				sdkRecords(logsOf(validEvent("r-1"), validEvent("r-2")))))
			assert.Equal(t, []string{"r-1", "r-2"}, idsOf(&sink.LogsSink))
			assert.Equal(t, int32(-1), sink.refusals.Load(), "one refusal, then one delivery")
		})
	}
}

// fakeAuth is a server authenticator that authenticates the principal named
// by the X-Principal header (gRPC metadata x-principal) and refuses requests
// without one.
type fakeAuth struct{ component.StartFunc }

func (fakeAuth) Shutdown(context.Context) error { return nil }

func (fakeAuth) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	for k, v := range sources {
		if strings.EqualFold(k, "X-Principal") && len(v) > 0 {
			info := client.FromContext(ctx)
			info.Auth = authData{"subject": v[0]}
			return client.NewContext(ctx, info), nil
		}
	}
	return ctx, errors.New("no principal")
}

type hostWithAuth struct {
	component.Host
	id component.ID
}

func (h hostWithAuth) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{h.id: fakeAuth{}}
}

func TestEnrichmentOverHTTP(t *testing.T) {
	authID := component.MustNewID("fakeauth")
	cfg := testConfig(t)
	cfg.Enrichment = EnrichmentConfig{ClientAddressFromPeer: true, IncludePrincipal: true, TrustedProxies: []string{"127.0.0.0/8"}}
	cfg.Protocols.HTTP.Get().ServerConfig.Auth = configoptional.Some(confighttp.AuthConfig{
		Config: configauth.Config{AuthenticatorID: authID},
	})
	sink := new(consumertest.LogsSink)
	s := startReceiverWithHost(t, cfg, sink, hostWithAuth{Host: componenttest.NewNopHost(), id: authID})

	own := validEvent("e-2")
	own.ClientAddress = "203.0.113.24"
	body, err := plogotlp.NewExportRequestFromLogs(logsOf(validEvent("e-1"), own)).MarshalProto()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.httpURL("/v1/logs"), bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", protobufContentType)
	req.Header.Set("X-Principal", "backoffice-eu")
	req.Header.Add("X-Forwarded-For", "1.1.1.1, 198.51.100.7")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	got := attributesByID(sink)
	assert.Equal(t, "198.51.100.7", got["e-1"][semconv.AttrClientAddress], "right-most untrusted X-Forwarded-For hop")
	assert.Equal(t, "203.0.113.24", got["e-2"][semconv.AttrClientAddress], "the emitter's own address stays")
	assert.Equal(t, "backoffice-eu", got["e-1"][semconv.AttrIngestPrincipal])
	assert.Equal(t, "backoffice-eu", got["e-2"][semconv.AttrIngestPrincipal])
}

func TestEnrichmentOverGRPC(t *testing.T) {
	cfg := testConfig(t)
	// The loopback peer is not a trusted proxy: its X-Forwarded-For is ignored.
	cfg.Enrichment = EnrichmentConfig{ClientAddressFromPeer: true, IncludePrincipal: true, TrustedProxies: []string{"10.0.0.0/8"}}
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, cfg, sink)
	conn, err := grpc.NewClient(s.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()

	forged := validEvent("g-1")
	ld := logsOf(forged)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr(semconv.AttrIngestPrincipal, "forged")
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", "198.51.100.7")
	_, err = plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	require.NoError(t, err)

	attrs := attributesByID(sink)["g-1"]
	assert.Equal(t, "127.0.0.1", attrs[semconv.AttrClientAddress])
	assert.NotContains(t, attrs, semconv.AttrIngestPrincipal, "an unauthenticated delivery cannot name a principal")
}

func TestPrincipalOverGRPC(t *testing.T) {
	authID := component.MustNewID("fakeauth")
	cfg := testConfig(t)
	cfg.Enrichment.IncludePrincipal = true
	cfg.Protocols.GRPC.Get().Auth = configoptional.Some(configauth.Config{AuthenticatorID: authID})
	sink := new(consumertest.LogsSink)
	s := startReceiverWithHost(t, cfg, sink, hostWithAuth{Host: componenttest.NewNopHost(), id: authID})
	conn, err := grpc.NewClient(s.grpcAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	logsClient := plogotlp.NewGRPCClient(conn)

	_, err = logsClient.Export(context.Background(), plogotlp.NewExportRequestFromLogs(logsOf(validEvent("p-0"))))
	assert.Equal(t, codes.Unauthenticated, status.Code(err))

	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-principal", "svc-cashier")
	_, err = logsClient.Export(ctx, plogotlp.NewExportRequestFromLogs(logsOf(validEvent("p-1"))))
	require.NoError(t, err)
	assert.Equal(t, []string{"p-1"}, idsOf(sink))
	assert.Equal(t, "svc-cashier", attributesByID(sink)["p-1"][semconv.AttrIngestPrincipal])
}

// TestHTTPAuthFailureAnswersInTheEndpointsFormat: confighttp refuses the
// request before our handlers; the error still has each endpoint's shape.
func TestHTTPAuthFailureAnswersInTheEndpointsFormat(t *testing.T) {
	authID := component.MustNewID("fakeauth")
	cfg := testConfig(t)
	cfg.Protocols.HTTP.Get().ServerConfig.Auth = configoptional.Some(confighttp.AuthConfig{
		Config: configauth.Config{AuthenticatorID: authID},
	})
	sink := new(consumertest.LogsSink)
	s := startReceiverWithHost(t, cfg, sink, hostWithAuth{Host: componenttest.NewNopHost(), id: authID})

	resp, err := http.Post(s.httpURL("/v1/audit/events"), jsonContentType, strings.NewReader(grantJSON))
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.JSONEq(t, `{"error":"no principal"}`, string(raw))

	body, err := plogotlp.NewExportRequestFromLogs(logsOf(validEvent("u-1"))).MarshalProto()
	require.NoError(t, err)
	resp, err = http.Post(s.httpURL("/v1/logs"), protobufContentType, bytes.NewReader(body))
	require.NoError(t, err)
	raw, err = io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	var st spb.Status
	require.NoError(t, proto.Unmarshal(raw, &st))
	assert.Equal(t, int32(codes.Unauthenticated), st.Code)
	assert.Equal(t, "no principal", st.Message)
	assert.Empty(t, idsOf(sink))
}

func attributesByID(sink *consumertest.LogsSink) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			for j := 0; j < ld.ResourceLogs().At(i).ScopeLogs().Len(); j++ {
				lrs := ld.ResourceLogs().At(i).ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out[recordID(lrs.At(k))] = lrs.At(k).Attributes().AsRaw()
				}
			}
		}
	}
	return out
}

func TestHTTPStatusOf(t *testing.T) {
	for code, want := range map[codes.Code]int{
		codes.ResourceExhausted: http.StatusTooManyRequests,
		codes.Unavailable:       http.StatusServiceUnavailable,
		codes.Internal:          http.StatusInternalServerError,
	} {
		assert.Equal(t, want, httpStatusOf(code), code.String())
	}
	assert.Equal(t, codes.InvalidArgument, grpcCodeOf(http.StatusRequestEntityTooLarge))
	assert.Equal(t, codes.Unauthenticated, grpcCodeOf(http.StatusUnauthorized))
}
