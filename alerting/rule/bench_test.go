package rule

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

// BenchmarkObserve measures evaluating the README's kinds of rules (every,
// threshold grouped by address, absence grouped by service) on a realistic
// auditgen load; the figure is per event.
func BenchmarkObserve(b *testing.B) {
	gen := auditgen.New(auditgen.Options{Seed: 1, Start: monday10, Span: time.Hour})
	ld := plog.NewLogs()
	gen.AppendLogs(ld, 1000)
	clock := &fakeClock{now: monday10}
	rules, err := Compile([]Config{
		{Name: "big_manual_bonus", Match: `event_name == "bonus.manual_grant" and Double(ParseJSON(attributes["audit.change.new"])["bonus_balance"]) - Double(ParseJSON(attributes["audit.change.old"])["bonus_balance"]) > 1000`},
		{Name: "failed_logins", Match: `IsMatch(event_name, "^auth\\.") and attributes["audit.action.outcome"] != "success"`,
			Kind: KindThreshold, Threshold: 10, Window: 5 * time.Minute, GroupBy: []string{semconv.AttrClientAddress}},
		{Name: "role_change", Match: `event_name == "role.assign"`, GroupBy: []string{semconv.AttrActorID}},
		{Name: "silent_service", Match: "true", Kind: KindAbsence, Window: 15 * time.Minute, GroupBy: []string{semconv.AttrServiceName}},
	}, testTelemetry())
	if err != nil {
		b.Fatal(err)
	}
	e := NewEvaluator(rules, clock, nopLogger())
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clock.now = clock.now.Add(time.Millisecond)
		e.ObserveLogs(ctx, ld)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*ld.LogRecordCount()), "ns/event")
}

func testTelemetry() component.TelemetrySettings { return componenttest.NewNopTelemetrySettings() }

func nopLogger() *zap.Logger { return zap.NewNop() }
