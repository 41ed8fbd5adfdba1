package auditprocessor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

const benchBatch = 256

// benchBatches returns batches of auditgen's mix (the generated back-office
// day, secrets included).
func benchBatches(b *testing.B) []plog.Logs {
	b.Helper()
	g := auditgen.New(auditgen.Options{Seed: 1, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	out := make([]plog.Logs, 16)
	for i := range out {
		out[i] = plog.NewLogs()
		g.AppendLogs(out[i], benchBatch)
	}
	return out
}

// runPipeline feeds b.N events through consume, one batch at a time. The
// mix is kept as OTLP protobuf, as a receiver gets it, and each batch is
// decoded just before it is consumed (the processors mutate it), with the
// clock stopped, and let go afterwards: the heap the GC marks is the size of
// a collector's batches in flight, not of the 4,096 events of the mix held
// as pdata. Besides wall time it reports the process CPU time spent inside
// consume per event (cpu-ns/event, GC included), which stays meaningful on
// a machine shared with other builds.
func runPipeline(b *testing.B, consume consumer.ConsumeLogsFunc) {
	var wire [][]byte
	for _, ld := range benchBatches(b) {
		raw, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		require.NoError(b, err)
		wire = append(wire, raw)
	}
	ctx := context.Background()
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i*benchBatch < b.N; i++ {
		b.StopTimer()
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(wire[i%len(wire)])
		require.NoError(b, err)
		uniqueEventIDs(ld, i)
		b.StartTimer()
		before := processCPU(b)
		if err := consume(ctx, ld); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b) - before
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
}

// uniqueEventIDs makes the ids of the i-th batch decoded from the mix its own,
// as in real traffic: the chain drops an id it has accepted before.
func uniqueEventIDs(ld plog.Logs, i int) {
	suffix := "-" + strconv.Itoa(i)
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if id, ok := lr.Attributes().Get(semconv.AttrEventID); ok {
					id.SetStr(id.Str() + suffix)
				}
			}
		}
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAuditProcessor: default rules, redaction, diff and chain on. One
// op is one event, so ns/op and allocs/op are per event.
func BenchmarkAuditProcessor(b *testing.B) {
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type),
		createDefaultConfig(), consumertest.NewNop())
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(b, p.Shutdown(context.Background())) }()
	runPipeline(b, p.ConsumeLogs)
}

// BenchmarkAuditProcessorNoChain isolates the cost of the chain: reading the
// event back, its RFC 8785 form and SHA-256, and the set of recent ids.
func BenchmarkAuditProcessorNoChain(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.Chain.Enabled = false
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type),
		cfg, consumertest.NewNop())
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(b, p.Shutdown(context.Background())) }()
	runPipeline(b, p.ConsumeLogs)
}

// BenchmarkContribPair is what a stock collector would run for the same job:
// contrib redactionprocessor (secret keys and the same value detectors as
// regexes, HMAC) followed by the default classification rules as plain OTTL
// set() statements, which is what transformprocessor executes (it does not
// resolve with this module set). It does no diff and no chain.
func BenchmarkContribPair(b *testing.B) {
	ctx := context.Background()
	classify := contribClassification(b)
	last := consumer.ConsumeLogsFunc(func(ctx context.Context, ld plog.Logs) error {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					tCtx := ottllog.NewTransformContext(rl, sl, lr)
					err := classify.Execute(ctx, tCtx)
					tCtx.Close()
					if err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	next, err := consumer.NewLogs(last)
	require.NoError(b, err)

	f := redactionprocessor.NewFactory()
	cfg := f.CreateDefaultConfig().(*redactionprocessor.Config)
	cfg.AllowAllKeys = true
	cfg.BlockedKeyPatterns = []string{`(?i)pass(word|wd)?|pwd|secret|token|api[_-]?key|authorization|cookie|cvv|cvc|\bpin\b|card_?number|\bpan\b|iban|otp`}
	cfg.BlockedValues = []string{
		`\b\d(?:[ -]?\d){12,18}\b`,
		`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`,
		`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`,
		`\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}`,
		`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
		`(?i)\b(?:bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{8,}`,
		`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
		`\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bAKIA[0-9A-Z]{16}\b`,
	}
	cfg.HashFunction = redactionprocessor.HMACSHA256
	cfg.HMACKey = "bench-key"
	red, err := f.CreateLogs(ctx, processortest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(b, err)
	require.NoError(b, red.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(b, red.Shutdown(ctx)) }()
	runPipeline(b, red.ConsumeLogs)
}

// contribClassification writes each default rule as set() statements. First
// match wins per field by guarding each statement with "field still unset".
func contribClassification(b *testing.B) ottl.StatementSequence[*ottllog.TransformContext] {
	set := component.TelemetrySettings{Logger: componenttest.NewNopTelemetrySettings().Logger,
		MeterProvider: componenttest.NewNopTelemetrySettings().MeterProvider}
	parser, err := ottllog.NewParser(ottlfuncs.StandardFuncs[*ottllog.TransformContext](), set)
	require.NoError(b, err)
	var statements []string
	for _, r := range defaultClassificationRules {
		for _, f := range []struct{ attr, value string }{
			{semconv.AttrActionCategory, r.Set.Category}, {semconv.AttrSeverity, r.Set.Severity},
			{semconv.AttrActorType, r.Set.ActorType},
		} {
			if f.value == "" {
				continue
			}
			statements = append(statements, fmt.Sprintf(`set(attributes[%q], %q) where attributes[%q] == nil and (%s)`,
				f.attr, f.value, f.attr, r.Condition))
		}
	}
	parsed, err := parser.ParseStatements(statements)
	require.NoError(b, err, strings.Join(statements, "\n"))
	return ottllog.NewStatementSequence(parsed, set)
}

// BenchmarkChainHash measures chain.Hasher alone on processed events of the
// mix: the share of the processor's cost that lives in package chain.
func BenchmarkChainHash(b *testing.B) {
	cfg := createDefaultConfig().(*Config)
	cfg.Chain.Enabled = false
	p, err := newAuditProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(b, err)
	var evs []semconv.Event
	for _, ld := range benchBatches(b)[:2] {
		out, err := p.processLogs(context.Background(), ld)
		require.NoError(b, err)
		for _, rl := range out.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					evs = append(evs, semconv.EventFromLogRecord(rl.Resource(), lr))
				}
			}
		}
	}
	var h chain.Hasher
	b.ReportAllocs()
	b.ResetTimer()
	prev := ""
	for i := 0; i < b.N; i++ {
		e := evs[i%len(evs)]
		e.ChainSeq = int64(i + 1)
		prev = h.Hash(prev, &e)
	}
}
