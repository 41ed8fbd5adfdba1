// Package auditelasticsearchexporter writes audit events to Elasticsearch
// data streams without losing or duplicating any: the event id is the
// document _id (written with op_type create), only the items Elasticsearch
// asks to retry are retried, and refused items go to a dead-letter index.
package auditelasticsearchexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
)

// NewFactory returns the factory of the audit_elasticsearch exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogsExporter, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	httpCfg := confighttp.NewDefaultClientConfig()
	httpCfg.Timeout = 30 * time.Second
	httpCfg.Compression = configcompression.TypeGzip

	queue := exporterhelper.NewDefaultQueueConfig()
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = 100_000
	queue.NumConsumers = 4
	batch := exporterhelper.NewDefaultBatchConfig()
	batch.Sizer = exporterhelper.RequestSizerTypeItems
	batch.FlushTimeout = time.Second
	batch.MinSize = 2_000
	batch.MaxSize = 5_000
	queue.Batch = configoptional.Some(batch)

	// Audit events are evidence: keep retrying until Elasticsearch takes
	// them (MaxElapsedTime 0 never gives up). Only retryable failures are
	// retried; refused documents go to the dead-letter index.
	retry := configretry.NewDefaultBackOffConfig()
	retry.MaxElapsedTime = 0

	return &Config{
		ClientConfig:     httpCfg,
		DataStream:       DataStreamConfig{Dataset: "audit", Namespace: "default"},
		IndexManagement:  IndexManagementConfig{Enabled: true, ILM: true, SetupAttempts: 5},
		Retention:        RetentionConfig{HotMaxAge: 7 * 24 * time.Hour, WarmAfter: 30 * 24 * time.Hour},
		BulkMaxBytes:     5 << 20,
		QueueBatchConfig: configoptional.Some(queue),
		BackOffConfig:    retry,
	}
}

func createLogsExporter(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	logs, err := exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The per-request timeout (timeout) bounds each bulk request; a whole
		// export may send several and write dead letters, so it has no
		// deadline of its own.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
		exporterhelper.WithQueue(c.QueueBatchConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
	)
	if err != nil {
		return nil, err
	}
	return &shutdownOnce{Logs: logs}, nil
}

// shutdownOnce makes a second Shutdown a no-op: exporterhelper's retry
// sender panics when shut down twice.
type shutdownOnce struct {
	exporter.Logs
	once sync.Once
	err  error
}

func (s *shutdownOnce) Shutdown(ctx context.Context) error {
	s.once.Do(func() { s.err = s.Logs.Shutdown(ctx) })
	return s.err
}
