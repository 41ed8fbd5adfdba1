package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

// NewFactory returns the factory of the audit processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogsProcessor, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		DefaultRules: true,
		Diff:         DiffConfig{Enabled: true, MaxFields: 64, MaxBytes: 8192},
		Redaction:    RedactionConfig{Enabled: true, DefaultRules: true},
		Chain:        ChainConfig{Enabled: true, StreamKey: semconv.AttrTenant, RecentIDs: 100_000},
	}
}

func createLogsProcessor(
	ctx context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Logs,
) (processor.Logs, error) {
	p, err := newAuditProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	if p.chain != nil {
		if next, err = p.settlingChain(next); err != nil {
			return nil, err
		}
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	)
}
