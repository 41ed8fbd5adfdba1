// Package auditalertexporter is the audit_alert exporter: alert rules over
// the audit stream with email, Telegram, Slack, webhook and log notifications.
package auditalertexporter // import "github.com/auditpipe/auditpipe/alerting/auditalertexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/alerting/rule"
)

// Defaults of Config.
const (
	defaultEvaluationInterval  = time.Second
	defaultRulesReloadInterval = 30 * time.Second
)

// NewFactory returns the factory of the audit_alert exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogsExporter, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		EvaluationInterval:  defaultEvaluationInterval,
		RulesReloadInterval: defaultRulesReloadInterval,
		DefaultReceiver:     LogReceiver,
	}
}

func createLogsExporter(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	e, err := newAlertExporter(ctx, set, cfg.(*Config), rule.SystemClock{})
	if err != nil {
		return nil, err
	}
	// No queue and no retry: evaluation is in memory and never fails, and
	// delivery is already asynchronous per notifier.
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
	)
}
