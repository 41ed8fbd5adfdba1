package auditprocessor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

// The local seed table must list exactly auditgen's taxonomy, so that the
// table test above covers every generated action with the same expectation.
func TestSeedTableMatchesAuditgenTaxonomy(t *testing.T) {
	local := map[string]int{}
	for i, s := range seedTaxonomy {
		local[s.action] = i
	}
	for _, spec := range auditgen.Actions() {
		i, ok := local[spec.Action]
		if !assert.True(t, ok, "seed table misses %s", spec.Action) {
			continue
		}
		s := seedTaxonomy[i]
		assert.Equal(t, spec.Category, s.category, spec.Action)
		assert.Equal(t, spec.Severity, s.severity, spec.Action)
		if spec.FailedSeverity != "" && s.failStatus != "" {
			assert.Equal(t, spec.FailedSeverity, s.failedSeverity, spec.Action)
		}
	}
	assert.Len(t, seedTaxonomy, len(auditgen.Actions()))
}

// A generated day: every event gets the expected classification and none of
// the secrets auditgen embedded survives.
func TestAuditgenMixClassifiedAndRedacted(t *testing.T) {
	g := auditgen.New(auditgen.Options{Seed: 42, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})
	ld := plog.NewLogs()
	type expectation struct{ action, category, severity string }
	var want []expectation
	seen := map[string]bool{}
	for range 3000 {
		it := g.Next()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(semconv.AttrServiceName, it.Service)
		it.CopyToLogRecord(rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
		want = append(want, expectation{it.Event.Action, it.Expected.Category, it.Expected.Severity})
		seen[it.Event.Action] = true
	}
	for _, spec := range auditgen.Actions() {
		assert.True(t, seen[spec.Action], "the mix never produced %s", spec.Action)
	}
	secrets := g.Secrets()
	require.NotEmpty(t, secrets)

	cfg := createDefaultConfig().(*Config)
	p, err := newAuditProcessor(processorSettings(), cfg)
	require.NoError(t, err)
	out, err := p.processLogs(context.Background(), ld)
	require.NoError(t, err)

	var all strings.Builder
	i := 0
	for _, rl := range out.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				w := want[i]
				i++
				assert.Equal(t, w.category, attr(lr, semconv.AttrActionCategory), "%s %s", w.action, attr(lr, semconv.AttrActionOutcome))
				assert.Equal(t, w.severity, attr(lr, semconv.AttrSeverity), "%s %s", w.action, attr(lr, semconv.AttrActionOutcome))
				all.WriteString(dump(lr))
				all.WriteString("\n")
			}
		}
	}
	dumped := all.String()
	for _, s := range secrets {
		assert.NotContains(t, dumped, s)
	}
}
