package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter"
	"github.com/auditpipe/auditpipe/alerting/rule"
	"github.com/auditpipe/auditpipe/processor/auditprocessor"
	"github.com/auditpipe/auditpipe/semconv"
)

var shippedConfigs = []string{"config.yaml", "config.production.yaml"}

// loadShipped loads and validates a shipped config with every factory of
// the distribution, with the production example's secrets set.
func loadShipped(t *testing.T, name string) *otelcol.Config {
	t.Helper()
	factories, err := components()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUDITPIPE_REDACTION_KEY", "k")
	t.Setenv("ELASTICSEARCH_API_KEY", "k")
	t.Setenv("SMTP_PASSWORD", "p")
	t.Setenv("TELEGRAM_BOT_TOKEN", "123:abc")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1")
	t.Setenv("WEBHOOK_HMAC_SECRET", "s")
	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join(".", name), factories)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestShippedConfigsAreValid loads the embedded default and the production
// example with every factory of the distribution and validates them, so a
// renamed option breaks the build here rather than an SRE's deployment.
func TestShippedConfigsAreValid(t *testing.T) {
	for _, name := range shippedConfigs {
		t.Run(name, func(t *testing.T) {
			if len(loadShipped(t, name).Service.Pipelines) == 0 {
				t.Fatal("no pipelines")
			}
		})
	}
}

// TestShippedConfigsAlertOnEveryCriticalAction runs each critical action of
// the taxonomy through the shipped config's audit processor and alert rules:
// each must fire critical_action. (Role assignment, employee lock and
// promotion disable are rated high, not critical, and once fired nothing.)
func TestShippedConfigsAlertOnEveryCriticalAction(t *testing.T) {
	ctx := context.Background()
	for _, name := range shippedConfigs {
		t.Run(name, func(t *testing.T) {
			cfg := loadShipped(t, name)
			procCfg := cfg.Processors[component.MustNewID("audit")].(*auditprocessor.Config)
			procCfg.Chain.Storage = nil // the test runs no storage extension
			sink := new(consumertest.LogsSink)
			proc, err := auditprocessor.NewFactory().CreateLogs(ctx,
				processortest.NewNopSettings(component.MustNewType("audit")), procCfg, sink)
			if err != nil {
				t.Fatal(err)
			}
			if err := proc.Start(ctx, componenttest.NewNopHost()); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = proc.Shutdown(ctx) }()
			alertCfg := cfg.Exporters[component.MustNewID("audit_alert")].(*auditalertexporter.Config)
			rules, err := rule.Compile(alertCfg.Rules, componenttest.NewNopTelemetrySettings())
			if err != nil {
				t.Fatal(err)
			}
			for _, action := range []string{"bonus.manual_grant", "withdrawal.cancel", "role.assign",
				"employee.lock", "promotion.disable"} {
				sink.Reset()
				if err := proc.ConsumeLogs(ctx, criticalAction(action)); err != nil {
					t.Fatal(err)
				}
				fired := false
				for _, a := range rule.NewEvaluator(rules, rule.SystemClock{}, zap.NewNop()).ObserveLogs(ctx, sink.AllLogs()[0]) {
					fired = fired || (a.Rule == "critical_action" && a.State == rule.StateFiring)
				}
				if !fired {
					t.Errorf("%s fires no critical_action alert", action)
				}
			}
		})
	}
}

func criticalAction(action string) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(action)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)))
	lr.Attributes().PutStr(semconv.AttrEventID, "ev-"+action)
	lr.Attributes().PutStr(semconv.AttrActorID, "emp-7")
	lr.Attributes().PutStr(semconv.AttrActionOutcome, "success")
	return ld
}

func TestEveryComponentIsBuiltIn(t *testing.T) {
	factories, err := components()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"receivers":  {"audit", "otlp"},
		"processors": {"audit", "memory_limiter"},
		"exporters":  {"audit_elasticsearch", "audit_alert", "debug"},
		"extensions": {"file_storage", "health_check", "pprof", "zpages"},
	}
	have := map[string]map[string]bool{"receivers": {}, "processors": {}, "exporters": {}, "extensions": {}}
	for t := range factories.Receivers {
		have["receivers"][t.String()] = true
	}
	for t := range factories.Processors {
		have["processors"][t.String()] = true
	}
	for t := range factories.Exporters {
		have["exporters"][t.String()] = true
	}
	for t := range factories.Extensions {
		have["extensions"][t.String()] = true
	}
	for kind, types := range want {
		for _, typ := range types {
			if !have[kind][typ] {
				t.Errorf("%s lacks %q", kind, typ)
			}
		}
	}
}
