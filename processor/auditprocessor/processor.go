package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

// pipelineAttributes is how many attributes the processor may add to a record.
const pipelineAttributes = 9

var errNotStorage = errors.New("is not a storage extension")

type auditProcessor struct {
	cfg    *Config
	id     component.ID
	logger *zap.Logger

	drop     []*ottl.Condition[*ottllog.TransformContext]
	classify *classifier
	redact   *redactor // nil when disabled
	diff     *differ   // nil when disabled
	chain    *chainer  // nil when disabled
	// scratches are *scratch, kept so their memory is reused.
	scratches sync.Pool

	classified, redacted, dropped, chained, resent metric.Int64Counter
}

func newAuditProcessor(set processor.Settings, cfg *Config) (*auditProcessor, error) {
	p := &auditProcessor{cfg: cfg, id: set.ID, logger: set.Logger}
	var err error
	if p.classify, err = newClassifier(cfg, set.TelemetrySettings); err != nil {
		return nil, err
	}
	if len(cfg.Drop.Conditions) > 0 {
		parser, err := newLogParser(set.TelemetrySettings)
		if err != nil {
			return nil, err
		}
		if p.drop, err = parser.ParseConditions(cfg.Drop.Conditions); err != nil {
			return nil, err
		}
	}
	if cfg.Redaction.Enabled {
		if p.redact, err = newRedactor(cfg.Redaction); err != nil {
			return nil, err
		}
	}
	if cfg.Diff.Enabled {
		p.diff = &differ{maxFields: cfg.Diff.MaxFields, maxBytes: cfg.Diff.MaxBytes}
	}
	if cfg.Chain.Enabled {
		p.chain = newChainer(cfg.Chain.StreamKey, cfg.Chain.RecentIDs)
	}
	if err = p.createCounters(set.TelemetrySettings); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *auditProcessor) createCounters(set component.TelemetrySettings) error {
	meter := set.MeterProvider.Meter(metadata.ScopeName)
	var errs []error
	counter := func(name, desc, unit string) metric.Int64Counter {
		c, err := meter.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		return c
	}
	p.classified = counter("otelcol_processor_audit_events_classified", "Events that at least one classification rule matched.", "{events}")
	p.redacted = counter("otelcol_processor_audit_values_redacted", "Values redacted (dropped, masked or hashed).", "{values}")
	p.dropped = counter("otelcol_processor_audit_events_dropped", "Events dropped by drop.conditions.", "{events}")
	p.chained = counter("otelcol_processor_audit_events_chained", "Events given a chain sequence number and hash.", "{events}")
	p.resent = counter("otelcol_processor_audit_events_resent", "Events dropped because an event with the same id was accepted already.", "{events}")
	return errors.Join(errs...)
}

// start opens the chain's storage client; without one the chain restarts at
// sequence 1 after a restart, which a verifier reports as inserted events.
func (p *auditProcessor) start(ctx context.Context, host component.Host) error {
	if p.chain == nil {
		return nil
	}
	if p.cfg.Chain.Storage == nil {
		p.logger.Warn("chain.storage is not set: the chain restarts at sequence 1 when the collector restarts")
		return nil
	}
	ext, ok := host.GetExtensions()[*p.cfg.Chain.Storage]
	if !ok {
		return fmt.Errorf("chain.storage: extension %s not found", p.cfg.Chain.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("chain.storage: extension %s %w", p.cfg.Chain.Storage, errNotStorage)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, p.id, "chain")
	if err != nil {
		return fmt.Errorf("chain.storage: %w", err)
	}
	p.chain.setClient(client)
	return nil
}

func (p *auditProcessor) shutdown(ctx context.Context) error {
	if p.chain == nil {
		return nil
	}
	return p.chain.close(ctx)
}

func (p *auditProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	if len(p.drop) > 0 {
		if n := p.dropMatching(ctx, ld); n > 0 {
			p.dropped.Add(ctx, int64(n))
		}
		if ld.LogRecordCount() == 0 {
			return ld, processorhelper.ErrSkipProcessingData
		}
	}
	var classified, redacted int
	s, _ := p.scratches.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				// Room for what the pipeline adds (classification, diff,
				// redaction list, chain): one allocation instead of several.
				lr.Attributes().EnsureCapacity(lr.Attributes().Len() + pipelineAttributes)
				if p.classify.classify(ctx, rl, sl, lr) {
					classified++
				}
				redacted += p.processChange(lr, s)
			}
		}
	}
	s.parser.reset() // drop the references into this batch
	p.scratches.Put(s)
	p.classified.Add(ctx, int64(classified))
	if redacted > 0 {
		p.redacted.Add(ctx, int64(redacted))
	}
	if p.chain != nil {
		n, resent, err := p.chain.chain(ctx, ld)
		if err != nil {
			return ld, err
		}
		p.chained.Add(ctx, int64(n))
		if resent > 0 {
			p.resent.Add(ctx, int64(resent))
		}
	}
	return ld, nil
}

// settlingChain wraps the next consumer so that the chain learns whether the
// batch it just linked was accepted (processorhelper calls it right after
// processLogs, with the chain lock still held).
func (p *auditProcessor) settlingChain(next consumer.Logs) (consumer.Logs, error) {
	return consumer.NewLogs(func(ctx context.Context, ld plog.Logs) error {
		err := next.ConsumeLogs(ctx, ld)
		return errors.Join(err, p.chain.settle(ctx, err))
	}, consumer.WithCapabilities(next.Capabilities()))
}

// processChange redacts the record and computes the diff of the redacted
// old/new values, so that the diff never carries a secret. It returns the
// number of values redacted.
func (p *auditProcessor) processChange(lr plog.LogRecord, s *scratch) int {
	if p.redact == nil && p.diff == nil {
		return 0
	}
	attrs := lr.Attributes()
	// The parsed values live in the parser's memory until its next reset.
	s.parser.reset()
	oldV := readChange(attrs, semconv.AttrChangeOld, &s.parser)
	newV := readChange(attrs, semconv.AttrChangeNew, &s.parser)
	rd := redaction{secrets: s.secrets}
	defer func() {
		clear(rd.secrets) // they point into this record's values
		s.secrets = rd.secrets[:0]
	}()
	if p.redact != nil {
		p.redact.redactAttributes(attrs, &rd)
		p.redact.redactValue(lr.Body(), "body", "", &rd)
		if p.redact.redactChange(&oldV, semconv.AttrChangeOld, &rd) {
			attrs.PutStr(semconv.AttrChangeOld, oldV.text)
		}
		if p.redact.redactChange(&newV, semconv.AttrChangeNew, &rd) {
			attrs.PutStr(semconv.AttrChangeNew, newV.text)
		}
		if len(rd.fields) > 0 {
			list := attrs.PutEmptySlice(semconv.AttrRedactedFields)
			for _, f := range rd.fields {
				list.AppendEmpty().SetStr(f)
			}
		}
	}
	if p.diff != nil {
		p.diff.writeDiff(attrs, oldV, newV, rd.secretChanges(), s)
	}
	return rd.count
}

// scratch is the memory that processing reuses from record to record.
type scratch struct {
	parser  jsonParser
	walk    diffWalk
	buf     []byte
	secrets []rawSecret
}

func (p *auditProcessor) dropMatching(ctx context.Context, ld plog.Logs) int {
	dropped := 0
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				if p.matchesDrop(ctx, rl, sl, lr) {
					dropped++
					return true
				}
				return false
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return dropped
}

func (p *auditProcessor) matchesDrop(ctx context.Context, rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) bool {
	tCtx := ottllog.NewTransformContext(rl, sl, lr)
	defer tCtx.Close()
	for _, c := range p.drop {
		ok, err := c.Eval(ctx, tCtx)
		if err != nil {
			p.logger.Debug("drop condition failed; event kept", zap.String("condition", c.String()), zap.Error(err))
			continue
		}
		if ok {
			return true
		}
	}
	return false
}
