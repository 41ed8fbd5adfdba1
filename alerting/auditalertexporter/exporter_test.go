package auditalertexporter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/alerting/notifier"
	"github.com/auditpipe/auditpipe/alerting/rule"
	"github.com/auditpipe/auditpipe/semconv"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// hookServer is an Alertmanager-webhook consumer that verifies signatures.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	messages []notifier.WebhookMessage
	badSigs  int
}

func newHookServer(t *testing.T, secret string) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if notifier.VerifySignature([]byte(secret), body, r.Header.Get(notifier.SignatureHeader)) != nil {
			h.badSigs++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m notifier.WebhookMessage
		if err := json.Unmarshal(body, &m); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.messages = append(h.messages, m)
	}))
	t.Cleanup(h.Close)
	return h
}

// alerts returns "rule/status/group" of every alert received, in order.
func (h *hookServer) alerts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, m := range h.messages {
		for _, a := range m.Alerts {
			out = append(out, a.Labels["alertname"]+"/"+a.Status+"/"+a.Labels[semconv.AttrClientAddress])
		}
	}
	return out
}

// storageHost provides a real file_storage extension in a directory.
type storageHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.ext }

var storageID = component.MustNewIDWithName("file_storage", "alerts")

func startFileStorage(t *testing.T, dir string) (component.Host, extension.Extension) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return storageHost{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{storageID: ext}}, ext
}

func testConfig(hookURL string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.EvaluationInterval = time.Hour // the tests drive evaluate() themselves
	cfg.Receivers = []ReceiverConfig{{Name: "security", Notifiers: []notifier.Config{{
		Webhook: &notifier.WebhookConfig{Endpoint: hookURL, Secret: "hmac-key"},
		Retry:   notifier.RetryConfig{MaxAttempts: 1},
	}}}}
	cfg.Rules = []rule.Config{
		{
			Name: "failed_logins", Kind: rule.KindThreshold, Threshold: 3, Window: 5 * time.Minute,
			Match:   `event_name == "auth.login" and attributes["audit.action.outcome"] == "failure"`,
			GroupBy: []string{semconv.AttrClientAddress}, Receivers: []string{"security"}, Severity: semconv.SeverityHigh,
		},
		{Name: "role_change", Match: `event_name == "role.assign"`, Summary: "{{.Event.ActorID}} changed roles of {{.Event.TargetID}}"},
	}
	return cfg
}

func newTestExporter(t *testing.T, cfg *Config, clock rule.Clock, logger *zap.Logger, tel *componenttest.Telemetry) *alertExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := exportertest.NewNopSettings(metadata.Type)
	// A fixed id, as in a collector: storage clients are keyed by it.
	set.ID = component.NewIDWithName(metadata.Type, "test")
	set.Logger = logger
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
		set.Logger = logger
	}
	e, err := newAlertExporter(context.Background(), set, cfg, clock)
	require.NoError(t, err)
	return e
}

func auditLogs(events ...semconv.Event) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, "backoffice")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, e := range events {
		e.CopyToLogRecord(sl.LogRecords().AppendEmpty())
	}
	return ld
}

var seq int

func failedLogin(ip string) semconv.Event {
	seq++
	return semconv.Event{ID: "ev-" + string(rune('a'+seq%26)) + time.Duration(seq).String(), Action: "auth.login",
		Outcome: semconv.OutcomeFailure, ActorID: "admin", ClientAddress: ip, Module: semconv.ModuleAuth}
}

func TestAlertsRouteAndSurviveRestart(t *testing.T) {
	ctx := context.Background()
	hook := newHookServer(t, "hmac-key")
	clock := &fakeClock{now: monday10}
	dir := t.TempDir()
	logCore, logs := observer.New(zap.InfoLevel)

	// First process: three failed logins from one address, a role change.
	host, ext := startFileStorage(t, dir)
	cfg := testConfig(hook.URL)
	cfg.Storage = &storageID
	e := newTestExporter(t, cfg, clock, zap.New(logCore), nil)
	require.NoError(t, e.start(ctx, host))
	require.NoError(t, e.pushLogs(ctx, auditLogs(failedLogin("203.0.113.9"), failedLogin("203.0.113.9"), failedLogin("198.51.100.7"))))
	clock.set(monday10.Add(time.Minute))
	require.NoError(t, e.pushLogs(ctx, auditLogs(failedLogin("203.0.113.9"),
		semconv.Event{ID: "r1", Action: "role.assign", ActorID: "emp-7", TargetID: "emp-9", Module: semconv.ModuleUsers, Outcome: "success"})))
	require.NoError(t, e.shutdown(ctx)) // flushes the notifiers, saves state
	require.NoError(t, ext.Shutdown(ctx))

	assert.Equal(t, []string{"failed_logins/firing/203.0.113.9"}, hook.alerts())
	assert.Zero(t, hook.badSigs)
	lines := logs.FilterMessage(notifier.LogMessage).All()
	require.Len(t, lines, 1, "the role change went to the default (log) receiver")
	assert.Equal(t, "role_change", lines[0].ContextMap()["rule"])
	assert.Equal(t, "emp-7 changed roles of emp-9", lines[0].ContextMap()["summary"])

	// Second process on the same storage: nothing is re-sent, the firing
	// alert is remembered and resolves when its window has passed.
	host, ext = startFileStorage(t, dir)
	e = newTestExporter(t, testConfig(hook.URL), clock, zap.New(logCore), nil)
	e.cfg.Storage = &storageID
	require.NoError(t, e.start(ctx, host))
	clock.set(monday10.Add(2 * time.Minute))
	e.evaluate(ctx)
	require.NoError(t, e.pushLogs(ctx, auditLogs(failedLogin("203.0.113.9"))), "still firing: deduped")
	clock.set(monday10.Add(7 * time.Minute))
	e.evaluate(ctx)
	require.NoError(t, e.shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx))
	assert.Equal(t, []string{"failed_logins/firing/203.0.113.9", "failed_logins/resolved/203.0.113.9"}, hook.alerts())
}

func TestTelemetryCountsAlertsAndNotifications(t *testing.T) {
	ctx := context.Background()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	t.Cleanup(down.Close)
	clock := &fakeClock{now: monday10}
	e := newTestExporter(t, testConfig(down.URL), clock, zap.NewNop(), tel)
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	for range 3 {
		require.NoError(t, e.pushLogs(ctx, auditLogs(failedLogin("203.0.113.9"))))
	}
	require.NoError(t, e.pushLogs(ctx, auditLogs(semconv.Event{ID: "r", Action: "role.assign", Outcome: "success"})))
	clock.set(monday10.Add(10 * time.Minute))
	e.evaluate(ctx)
	require.NoError(t, e.shutdown(ctx))

	sum := func(name string) map[string]int64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		out := map[string]int64{}
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			for _, kv := range dp.Attributes.ToSlice() {
				out[kv.Value.AsString()] += dp.Value
			}
		}
		return out
	}
	assert.Equal(t, map[string]int64{"failed_logins": 1, "role_change": 1}, sum("otelcol_exporter_audit_alert_alerts_fired"))
	assert.Equal(t, map[string]int64{"failed_logins": 1}, sum("otelcol_exporter_audit_alert_alerts_resolved"))
	assert.Equal(t, map[string]int64{"security/webhook0": 2}, sum("otelcol_exporter_audit_alert_notifications_failed"))
	assert.Equal(t, map[string]int64{"log/log0": 1}, sum("otelcol_exporter_audit_alert_notifications_sent"))
}

func TestRulesFileReloadKeepsStateAndRejectsBadFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(body string, mod time.Time) {
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		require.NoError(t, os.Chtimes(path, mod, mod))
	}
	write("rules:\n  - name: exports\n    match: 'event_name == \"report.export\"'\n", monday10)
	clock := &fakeClock{now: monday10}
	core, logs := observer.New(zap.InfoLevel)
	cfg := createDefaultConfig().(*Config)
	cfg.EvaluationInterval, cfg.RulesFile, cfg.RulesReloadInterval = time.Hour, path, time.Minute
	e := newTestExporter(t, cfg, clock, zap.New(core), nil)
	require.NoError(t, e.start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, e.shutdown(ctx)) }()
	export := semconv.Event{ID: "x1", Action: "report.export", Outcome: "success"}
	require.NoError(t, e.pushLogs(ctx, auditLogs(export)))

	// A broken file is refused; the old rule keeps working.
	write("rules:\n  - name: exports\n    match: 'event_name =='\n", monday10.Add(time.Minute))
	clock.set(monday10.Add(time.Minute))
	e.evaluate(ctx)
	assert.Len(t, logs.FilterMessage("rules_file has errors; keeping the current rules").All(), 1)

	// A fixed file is picked up at the next reload interval.
	write("rules:\n  - name: exports\n    match: 'event_name == \"report.export\"'\n  - name: logins\n    match: 'event_name == \"auth.login\"'\n", monday10.Add(2*time.Minute))
	clock.set(monday10.Add(2 * time.Minute))
	e.evaluate(ctx)
	require.Len(t, logs.FilterMessage("alert rules reloaded").All(), 1)
	require.NoError(t, e.pushLogs(ctx, auditLogs(semconv.Event{ID: "l1", Action: "auth.login", Outcome: "success"})))
	for _, d := range e.dispatchers {
		require.NoError(t, d.Shutdown(ctx))
	}
	var rules []any
	for _, l := range logs.FilterMessage(notifier.LogMessage).All() {
		rules = append(rules, l.ContextMap()["rule"])
	}
	assert.Equal(t, []any{"exports", "logins"}, rules)
}

func TestStartFailsOnMissingStorage(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1")
	cfg.Storage = &storageID
	e := newTestExporter(t, cfg, &fakeClock{now: monday10}, zap.NewNop(), nil)
	assert.ErrorContains(t, e.start(context.Background(), componenttest.NewNopHost()), `storage extension "file_storage/alerts" not found`)
	require.NoError(t, e.shutdown(context.Background()))
}
