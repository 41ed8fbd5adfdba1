package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startOTLPReceiver runs the core OTLP receiver for one protocol on a free
// port and returns its endpoint and the sink behind it.
func startOTLPReceiver(t *testing.T, protocol string) (string, *consumertest.LogsSink) {
	t.Helper()
	factory := otlpreceiver.NewFactory()
	cfg := factory.CreateDefaultConfig().(*otlpreceiver.Config)
	addr := freeAddr(t)
	if protocol == "grpc" {
		grpcCfg := configgrpc.NewDefaultServerConfig()
		grpcCfg.NetAddr.Endpoint = addr
		cfg.Protocols.GRPC = configoptional.Some(grpcCfg)
		cfg.Protocols.HTTP = configoptional.None[otlpreceiver.HTTPConfig]()
	} else {
		cfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
		cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = addr
	}
	sink := new(consumertest.LogsSink)
	rcv, err := factory.CreateLogs(context.Background(), receivertest.NewNopSettings(factory.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rcv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return addr, sink
}

func TestSendsExactlyWhatItReportsToTheOTLPReceiver(t *testing.T) {
	for _, protocol := range []string{"grpc", "http"} {
		t.Run(protocol, func(t *testing.T) {
			endpoint, sink := startOTLPReceiver(t, protocol)
			secretsFile := filepath.Join(t.TempDir(), "secrets.txt")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-total", "1000", "-endpoint", endpoint, "-protocol", protocol,
				"-malformed", "0.05", "-batch", "128", "-concurrency", "3", "-json", "-secrets-out", secretsFile},
				&stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var report Report
			if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
				t.Fatalf("decode report: %v\n%s", err, stdout.String())
			}
			if report.Sent.Total != 1000 || report.Delivered.Total != 1000 || report.Failed != 0 || report.Requests != 8 {
				t.Fatalf("report: %+v", report)
			}

			received := recount(t, sink.AllLogs())
			if received.Total != 1000 || received.Malformed != report.Sent.Malformed || received.Valid != report.Sent.Valid {
				t.Errorf("received %d records, %d malformed; reported %+v", received.Total, received.Malformed, report.Sent)
			}
			assertSameCounts(t, "category", received.ByCategory, report.Delivered.ByCategory)
			assertSameCounts(t, "action", received.ByAction, report.Delivered.ByAction)

			secrets, err := os.ReadFile(secretsFile)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(string(secrets))
			if len(lines) == 0 || len(lines) != report.Secrets {
				t.Fatalf("%d secrets written, %d reported", len(lines), report.Secrets)
			}
			all := allText(sink.AllLogs())
			for _, s := range lines {
				if !strings.Contains(all, s) {
					t.Fatalf("secret %q is not in what arrived", s)
				}
			}
		})
	}
}

// recount classifies what arrived as the generator did: records failing
// validation are the malformed ones; the rest count by expected category.
func recount(t *testing.T, batches []plog.Logs) auditgen.Counts {
	t.Helper()
	var c auditgen.Counts
	ids := map[string]bool{}
	for _, ld := range batches {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					item := auditgen.Item{Event: semconv.EventFromLogRecord(rl.Resource(), lr)}
					if err := semconv.Validate(lr); err != nil {
						item.Malformed, item.Defect = true, err.(*semconv.ValidationError).Violations[0].Attribute
					} else {
						if ids[item.Event.ID] {
							t.Errorf("event id %s arrived twice", item.Event.ID)
						}
						ids[item.Event.ID] = true
						item.Expected, _ = auditgen.Expect(item.Event.Action, item.Event.Outcome)
					}
					c.Add(&item)
				}
			}
		}
	}
	return c
}

func allText(batches []plog.Logs) string {
	var b strings.Builder
	for _, ld := range batches {
		raw, _ := (&plog.JSONMarshaler{}).MarshalLogs(ld)
		b.Write(raw)
	}
	// JSON escapes the few characters secrets may contain; decode them back.
	return strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(b.String())
}

func assertSameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: received %v, reported %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s %s: received %d, reported %d", what, k, got[k], v)
		}
	}
}

// fakeClock advances only when the sender sleeps, and records the waits.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	return nil
}

func testConfig(total, batch int) Config {
	return Config{Total: total, Batch: batch, Concurrency: 1, Timeout: 5 * time.Second,
		Retry: RetryPolicy{Initial: 100 * time.Millisecond, Max: 5 * time.Second, MaxElapsed: time.Minute}}
}

func sendWithFakeClock(cfg Config, client logsClient, malformed float64) (Report, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
	s := &sender{cfg: cfg, client: client, now: clock.now, sleep: clock.sleep}
	gen := auditgen.New(auditgen.Options{Seed: 1, MalformedRatio: malformed})
	return s.run(context.Background(), gen), clock
}

// scriptedServer answers OTLP/gRPC requests with the next scripted error
// (nil = accept), then accepts everything; reject decides partial successes.
type scriptedServer struct {
	plogotlp.UnimplementedGRPCServer
	mu       sync.Mutex
	errs     []error
	reject   func(plog.Logs) int64
	accepted int
}

func (s *scriptedServer) Export(_ context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		if err != nil {
			return plogotlp.NewExportResponse(), err
		}
	}
	resp := plogotlp.NewExportResponse()
	if s.reject != nil {
		if n := s.reject(req.Logs()); n > 0 {
			resp.PartialSuccess().SetRejectedLogRecords(n)
			resp.PartialSuccess().SetErrorMessage("invalid audit event")
		}
	}
	s.accepted += req.Logs().LogRecordCount()
	return resp, nil
}

func startScripted(t *testing.T, srv *scriptedServer) *grpcClient {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	plogotlp.RegisterGRPCServer(gs, srv)
	go func() { _ = gs.Serve(l) }()
	t.Cleanup(gs.Stop)
	client, err := newGRPCClient(l.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func throttled(delay time.Duration) error {
	st, _ := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	return st.Err()
}

func TestRetriesResourceExhaustedAfterTheServersDelay(t *testing.T) {
	srv := &scriptedServer{errs: []error{throttled(2 * time.Second), status.Error(codes.Unavailable, "restarting")}}
	report, clock := sendWithFakeClock(testConfig(300, 100), startScripted(t, srv), 0)
	if report.Retries != 2 || report.Failed != 0 || report.Delivered.Total != 300 || srv.accepted != 300 {
		t.Fatalf("report %+v, server accepted %d", report, srv.accepted)
	}
	if clock.waits[0] != 2*time.Second || clock.waits[1] <= 0 || clock.waits[1] > 200*time.Millisecond {
		t.Errorf("waits %v: want the RetryInfo delay, then the second backoff step", clock.waits)
	}
	if report.Refused() {
		t.Error("a throttled run that delivered everything counts as refused")
	}
}

func TestGivesUpWhenRetriesRunOut(t *testing.T) {
	errs := make([]error, 100)
	for i := range errs {
		errs[i] = status.Error(codes.Unavailable, "down")
	}
	cfg := testConfig(50, 50)
	cfg.Retry.MaxElapsed = 10 * time.Second
	report, clock := sendWithFakeClock(cfg, startScripted(t, &scriptedServer{errs: errs}), 0)
	if report.Failed != 50 || report.Delivered.Total != 0 || !report.Refused() {
		t.Fatalf("report %+v", report)
	}
	var waited time.Duration
	for _, w := range clock.waits {
		waited += w
	}
	if waited > 10*time.Second || !strings.Contains(report.Errors[0], "gave up") {
		t.Errorf("waited %v, errors %v", waited, report.Errors)
	}
}

func TestPermanentRefusalIsNotRetriedAndExitsNonZero(t *testing.T) {
	srv := &scriptedServer{errs: []error{status.Error(codes.Unauthenticated, "no token")}}
	client := startScripted(t, srv)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-total", "10", "-endpoint", client.conn.Target(), "-batch", "10"}, &stdout, &stderr)
	if code != exitRefused {
		t.Fatalf("exit %d, want %d; %s", code, exitRefused, stderr.String())
	}
	if !strings.Contains(stdout.String(), "failed 10") || !strings.Contains(stdout.String(), "no token") {
		t.Errorf("summary does not show the refusal:\n%s", stdout.String())
	}
}

func TestPartialSuccessCountsRejections(t *testing.T) {
	countInvalid := func(ld plog.Logs) int64 {
		var n int64
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			lrs := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
			for j := 0; j < lrs.Len(); j++ {
				if semconv.Validate(lrs.At(j)) != nil {
					n++
				}
			}
		}
		return n
	}
	report, _ := sendWithFakeClock(testConfig(1000, 200), startScripted(t, &scriptedServer{reject: countInvalid}), 0.1)
	if report.Rejected == 0 || report.Rejected != int64(report.Sent.Malformed) || report.Refused() {
		t.Fatalf("a validating server rejecting exactly the malformed records: %+v", report)
	}

	rejectAll := func(ld plog.Logs) int64 { return int64(ld.LogRecordCount()) }
	report, _ = sendWithFakeClock(testConfig(100, 100), startScripted(t, &scriptedServer{reject: rejectAll}), 0)
	if report.Rejected != 100 || !report.Refused() {
		t.Fatalf("rejecting valid records must count as refused: %+v", report)
	}
}

func TestHTTPRetriesTooManyRequestsAfterRetryAfter(t *testing.T) {
	var mu sync.Mutex
	calls, received := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("X-Tenant") != "brand-eu" {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
		if calls == 1 {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(body.Bytes()); err != nil {
			t.Error(err)
		}
		received += req.Logs().LogRecordCount()
		raw, _ := plogotlp.NewExportResponse().MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(raw)
	}))
	defer srv.Close()
	client := newHTTPClient(srv.URL, map[string]string{"X-Tenant": "brand-eu"})
	report, clock := sendWithFakeClock(testConfig(120, 60), client, 0)
	if report.Retries != 1 || clock.waits[0] != 3*time.Second || received != 120 || report.Delivered.Total != 120 {
		t.Fatalf("report %+v, waits %v, received %d", report, clock.waits, received)
	}
}

func TestHTTPBadRequestIsFinal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad payload", http.StatusBadRequest)
	}))
	defer srv.Close()
	report, clock := sendWithFakeClock(testConfig(10, 10), newHTTPClient(srv.URL, nil), 0)
	if report.Failed != 10 || len(clock.waits) != 0 || !strings.Contains(report.Errors[0], "400") {
		t.Fatalf("report %+v, waits %v", report, clock.waits)
	}
}

func TestDurationStopsARateLimitedRun(t *testing.T) {
	srv := &scriptedServer{}
	cfg := testConfig(0, 10)
	cfg.Duration, cfg.Rate = 300*time.Millisecond, 100
	report := Send(context.Background(), cfg, auditgen.New(auditgen.Options{Seed: 1}), startScripted(t, srv))
	// The token bucket allows one batch at once and Rate per second after.
	if report.Sent.Total < 10 || report.Sent.Total > 10+30 || report.Delivered.Total != srv.accepted {
		t.Fatalf("sent %d in 300ms at 100/s (server accepted %d)", report.Sent.Total, srv.accepted)
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-protocol", "http", "-header", "authorization=Bearer abc", "-header", "x-a=1"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Endpoint != "127.0.0.1:4318" || o.cfg.Total != 1000 || o.cfg.Headers["authorization"] != "Bearer abc" || o.cfg.Headers["x-a"] != "1" {
		t.Errorf("options %+v", o.cfg)
	}
	o, err = parseFlags([]string{"-start", "2026-11-22T00:00:00Z", "-span", "1h", "-tenants", "a, b", "-seed", "9"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.gen.Start.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) || o.gen.Span != time.Hour ||
		strings.Join(o.gen.Tenants, "|") != "a|b" || o.gen.Seed != 9 {
		t.Errorf("generator options %+v", o.gen)
	}
	o, _ = parseFlags([]string{"-duration", "1m"}, &bytes.Buffer{})
	if o.cfg.Endpoint != "127.0.0.1:4317" || o.cfg.Total != 0 {
		t.Errorf("a duration run must not stop at a default total: %+v", o.cfg)
	}
	for _, bad := range [][]string{{"-protocol", "udp"}, {"-malformed", "1.5"}, {"-batch", "0"}, {"-header", "novalue"}, {"extra"}, {"-start", "yesterday"}, {"-span", "0s"}} {
		var stderr bytes.Buffer
		if code := run(context.Background(), bad, &bytes.Buffer{}, &stderr); code != exitUsage || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr.String())
		}
	}
}

func TestLogsURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:4318":                  "http://127.0.0.1:4318/v1/logs",
		"https://otel.example:443":        "https://otel.example:443/v1/logs",
		"http://127.0.0.1:4318/custom/in": "http://127.0.0.1:4318/custom/in",
	} {
		if got := logsURL(in); got != want {
			t.Errorf("logsURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableSummary(t *testing.T) {
	report, _ := sendWithFakeClock(testConfig(200, 100), startScripted(t, &scriptedServer{}), 0.1)
	var out bytes.Buffer
	printTable(&out, &report)
	for _, want := range []string{"sent 200 records", "category (valid)", "login", "action (valid)", "auth.login", "malformed attribute"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
