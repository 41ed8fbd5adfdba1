package auditalertexporter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditpipe/auditpipe/alerting/notifier"
	"github.com/auditpipe/auditpipe/alerting/rule"
	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/processor/auditprocessor"
	"github.com/auditpipe/auditpipe/receiver/auditreceiver"
	"github.com/auditpipe/auditpipe/semconv"
)

// e2eRules are the README's worked examples, as the demo config uses them.
var e2eRules = []rule.Config{
	{
		Name: "big_manual_bonus",
		Match: `event_name == "bonus.manual_grant" and attributes["audit.action.outcome"] == "success"` +
			` and Double(ParseJSON(attributes["audit.change.new"])["bonus_balance"])` +
			` - Double(ParseJSON(attributes["audit.change.old"])["bonus_balance"]) > 1000`,
		Summary: "manual bonus by {{.Event.ActorID}} to player {{.Event.TargetID}}: {{.Event.Comment}}",
	},
	{
		Name:  "failed_logins",
		Match: `event_name == "auth.login" and attributes["audit.action.outcome"] != "success"`,
		Kind:  rule.KindThreshold, Threshold: 5, Window: 5 * time.Minute,
		GroupBy: []string{semconv.AttrClientAddress}, Severity: semconv.SeverityHigh,
	},
	{
		Name:    "night_export",
		Match:   `event_name == "report.export" and Hour(time) < 6`,
		Summary: "{{.Event.ActorID}} exported {{.Event.TargetID}} at {{.Event.Timestamp.Format \"15:04\"}} UTC",
	},
	{Name: "role_change", Match: `event_name == "role.assign"`},
	{
		Name: "silent_service", Match: "true", Kind: rule.KindAbsence, Window: 10 * time.Minute,
		GroupBy: []string{semconv.AttrServiceName}, Severity: semconv.SeverityMedium,
	},
}

// triggersARule reports whether a generated event could match one of
// e2eRules other than silent_service; such events are left out of the
// background load so that the scripted events alone decide what fires.
func triggersARule(it *auditgen.Item) bool {
	switch it.Event.Action {
	case "bonus.manual_grant", "role.assign", "report.export":
		return true
	case "auth.login":
		return it.Event.Outcome != semconv.OutcomeSuccess
	}
	return false
}

// TestEndToEnd runs auditgen -> audit receiver (OTLP/HTTP) -> audit
// processor (default rules, redaction) -> audit_alert exporter in process and
// checks exactly which alerts fire.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: monday10}
	logCore, logs := observer.New(zap.InfoLevel)

	cfg := createDefaultConfig().(*Config)
	cfg.EvaluationInterval = time.Hour // driven by the test
	cfg.Rules = e2eRules
	exp := newTestExporter(t, cfg, clock, zap.New(logCore), nil)
	require.NoError(t, exp.start(ctx, componenttest.NewNopHost()))
	toExporter, err := consumer.NewLogs(exp.pushLogs)
	require.NoError(t, err)

	pf := auditprocessor.NewFactory()
	proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), toExporter)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))

	rf := auditreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*auditreceiver.Config)
	endpoint := freeAddr(t)
	rcfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = endpoint
	rcfg.Protocols.GRPC = configoptional.None[configgrpc.ServerConfig]()
	recv, err := rf.CreateLogs(ctx, receivertest.NewNopSettings(rf.Type()), rcfg, proc)
	require.NoError(t, err)
	require.NoError(t, recv.Start(ctx, componenttest.NewNopHost()))

	// Background: a deterministic auditgen load with no rule's trigger in it.
	gen := auditgen.New(auditgen.Options{Seed: 42, Start: monday10, Span: time.Hour})
	background := plog.NewLogs()
	services := map[string]bool{}
	for range 400 {
		it := gen.Next()
		if triggersARule(&it) {
			continue
		}
		appendEvent(background, it.Service, it.Event)
		services[it.Service] = true
	}
	send(t, endpoint, background)

	// The scripted scenario.
	scripted := plog.NewLogs()
	const svc = "backoffice-eu"
	services[svc] = true
	n := 0
	ev := func(action, outcome, actor string) semconv.Event {
		n++
		return semconv.Event{ID: fmt.Sprintf("e2e-%03d", n), Timestamp: monday10.Add(time.Duration(n) * time.Second),
			Action: action, Outcome: outcome, ActorID: actor, Module: "auth", Tenant: "brand-eu"}
	}
	for range 5 { // brute force: fires
		e := ev("auth.login", semconv.OutcomeFailure, "admin")
		e.ClientAddress = "203.0.113.9"
		appendEvent(scripted, svc, e)
	}
	for range 4 { // below the threshold
		e := ev("auth.login", semconv.OutcomeFailure, "j.doe")
		e.ClientAddress = "198.51.100.7"
		appendEvent(scripted, svc, e)
	}
	big := ev("bonus.manual_grant", semconv.OutcomeSuccess, "emp-1042")
	big.Module, big.TargetID = semconv.ModuleBonuses, "8812"
	big.OldValue, big.NewValue = `{"bonus_balance":0}`, `{"bonus_balance":1500}`
	big.Comment = "compensation, password=hunter2"
	small := ev("bonus.manual_grant", semconv.OutcomeSuccess, "emp-1042")
	small.Module, small.OldValue, small.NewValue = semconv.ModuleBonuses, `{"bonus_balance":0}`, `{"bonus_balance":500}`
	nightExport := ev("report.export", semconv.OutcomeSuccess, "emp-77")
	nightExport.Module, nightExport.TargetID = semconv.ModuleReports, "players_full"
	nightExport.Timestamp = time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC)
	dayExport := ev("report.export", semconv.OutcomeSuccess, "emp-78")
	dayExport.Module = semconv.ModuleReports
	role := ev("role.assign", semconv.OutcomeSuccess, "emp-1")
	role.Module, role.TargetID = semconv.ModuleEmployees, "emp-9"
	for _, e := range []semconv.Event{big, small, nightExport, dayExport, role} {
		appendEvent(scripted, svc, e)
	}
	send(t, endpoint, scripted)

	// Ten minutes of silence: every service goes quiet, the burst ends.
	clock.set(monday10.Add(11 * time.Minute))
	exp.evaluate(ctx)

	require.NoError(t, recv.Shutdown(ctx))
	require.NoError(t, proc.Shutdown(ctx))
	require.NoError(t, exp.shutdown(ctx))

	var got []string
	summaries := map[string]string{}
	for _, l := range logs.FilterMessage(notifier.LogMessage).All() {
		f := l.ContextMap()
		got = append(got, fmt.Sprintf("%s/%s/%s", f["rule"], f["state"], f["group"]))
		summaries[f["rule"].(string)] = f["summary"].(string)
	}
	want := []string{
		"failed_logins/firing/client.address=203.0.113.9",
		"failed_logins/resolved/client.address=203.0.113.9",
		"big_manual_bonus/firing/log.record.uid=" + big.ID,
		"night_export/firing/log.record.uid=" + nightExport.ID,
		"role_change/firing/log.record.uid=" + role.ID,
	}
	for s := range services {
		want = append(want, "silent_service/firing/service.name="+s)
	}
	slices.Sort(got)
	slices.Sort(want)
	assert.Equal(t, want, got)

	// Templates see what the processor left: the password is redacted.
	assert.True(t, strings.HasPrefix(summaries["big_manual_bonus"], "manual bonus by emp-1042 to player 8812: compensation, "), summaries["big_manual_bonus"])
	assert.NotContains(t, summaries["big_manual_bonus"], "hunter2")
	assert.Equal(t, "emp-77 exported players_full at 02:30 UTC", summaries["night_export"])
}

func appendEvent(ld plog.Logs, service string, e semconv.Event) {
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, service)
	e.CopyToLogRecord(rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
}

// send posts ld to the receiver as OTLP/HTTP protobuf and expects it accepted.
func send(t *testing.T, endpoint string, ld plog.Logs) {
	t.Helper()
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	resp, err := http.Post("http://"+endpoint+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}
