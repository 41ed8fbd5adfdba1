package auditprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	p, err := f.CreateLogs(ctx, processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
	require.NoError(t, p.Shutdown(ctx), "shutdown without start")

	p, err = f.CreateLogs(ctx, processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, p.Shutdown(ctx))
	require.NoError(t, p.Shutdown(ctx), "second shutdown")
}

func TestLifecycleWithFileStorageClosesTheClient(t *testing.T) {
	ctx := context.Background()
	ext, host := startFileStorage(t, t.TempDir())
	p := startProcessor(t, chainConfig(), host)
	require.NoError(t, p.Shutdown(ctx))
	require.NoError(t, p.Shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx), "the extension shuts down only when its clients are closed")
}

func TestStartFailsOnMissingOrWrongStorage(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	create := func() component.Component {
		p, err := f.CreateLogs(ctx, processortest.NewNopSettings(metadata.Type), chainConfig(), consumertest.NewNop())
		require.NoError(t, err)
		return p
	}
	err := create().Start(ctx, componenttest.NewNopHost())
	assert.ErrorContains(t, err, "file_storage/audit not found")

	nf := extensiontest.NewNopFactory()
	notStorage, err := nf.Create(ctx, extensiontest.NewNopSettings(nf.Type()), nf.CreateDefaultConfig())
	require.NoError(t, err)
	host := testHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{storageID: notStorage}}
	assert.ErrorIs(t, create().Start(ctx, host), errNotStorage)
}

func TestProcessEndToEnd(t *testing.T) {
	ctx := context.Background()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(ctx)) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.Drop.Conditions = []string{`event_name == "health.check"`}
	sink := &consumertest.LogsSink{}
	p, err := NewFactory().CreateLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(ctx)) })

	ld, lr := newEvent("bonus.manual_grant", "success", semconv.AttrModule, "bonus", semconv.AttrTenant, "brand-eu",
		semconv.AttrChangeOld, `{"bonus_balance":0,"card":"4111111111111111"}`,
		semconv.AttrChangeNew, `{"bonus_balance":500,"card":"4111111111111111"}`,
		semconv.AttrComment, "asked by anna.petrova@example.com")
	lr.Body().SetStr("granted 500 EUR manual bonus to player 8812")
	health, _ := newEvent("health.check", "success")
	health.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	require.NoError(t, p.ConsumeLogs(ctx, ld))

	require.Equal(t, 1, sink.LogRecordCount())
	out := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, semconv.CategoryCritical, attr(out, semconv.AttrActionCategory))
	assert.Equal(t, semconv.SeverityCritical, attr(out, semconv.AttrSeverity))
	assert.Equal(t, semconv.ActorEmployee, attr(out, semconv.AttrActorType))
	assert.Equal(t, semconv.ModuleBonuses, attr(out, semconv.AttrModule))
	assert.Equal(t, []string{"bonus_balance"}, attrList(out, semconv.AttrChangeFields), "a redacted card that did not change is not a change")
	assert.Equal(t, `{"bonus_balance":[0,500]}`, attr(out, semconv.AttrChangeDiff))
	assert.Equal(t, "asked by "+mask("anna.petrova@example.com"), attr(out, semconv.AttrComment))
	assert.NotContains(t, dump(out), "4111111111111111")
	assert.Equal(t, "brand-eu", attr(out, semconv.AttrChainStream))
	assert.Equal(t, "1", attr(out, semconv.AttrChainSeq))
	assert.True(t, chain.Verify([]semconv.Event{semconv.EventFromLogRecord(sink.AllLogs()[0].ResourceLogs().At(0).Resource(), out)}).OK(),
		"the hash covers the event as stored: after classification, redaction and diff")
	want := chain.Hash("", semconv.EventFromLogRecord(sink.AllLogs()[0].ResourceLogs().At(0).Resource(), out))
	assert.Equal(t, want, attr(out, semconv.AttrChainHash))

	for name, value := range map[string]int64{
		"otelcol_processor_audit_events_classified": 1,
		"otelcol_processor_audit_values_redacted":   3,
		"otelcol_processor_audit_events_dropped":    1,
		"otelcol_processor_audit_events_chained":    1,
	} {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		sum := m.Data.(metricdata.Sum[int64])
		assert.Equal(t, value, sum.DataPoints[0].Value, name)
	}

	// A batch of noise only is dropped whole and nothing is forwarded.
	only, _ := newEvent("health.check", "success")
	require.NoError(t, p.ConsumeLogs(ctx, only))
	assert.Equal(t, 1, sink.LogRecordCount())
}

func TestDisabledStagesLeaveRecordsAlone(t *testing.T) {
	ctx := context.Background()
	cfg := createDefaultConfig().(*Config)
	cfg.Redaction.Enabled = false
	cfg.Diff.Enabled = false
	cfg.Chain.Enabled = false
	p := startProcessor(t, cfg, componenttest.NewNopHost())
	ld, _ := newEvent("player.profile_update", "success", "card", "4111111111111111",
		semconv.AttrChangeOld, `{"a":1}`, semconv.AttrChangeNew, `{"a":2}`)
	require.NoError(t, p.ConsumeLogs(ctx, ld))
	out := p.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "4111111111111111", attr(out, "card"))
	for _, k := range []string{semconv.AttrChangeFields, semconv.AttrChainHash, semconv.AttrRedactedFields} {
		_, ok := out.Attributes().Get(k)
		assert.False(t, ok, k)
	}
	assert.Equal(t, semconv.CategoryDataChange, attr(out, semconv.AttrActionCategory))
}

// A secret under a sensitive key is dropped from both sides before the diff,
// which would then see no change: an admin who replaced a password would
// leave no trace. It is reported as a changed field, never with its values.
func TestChangedSecretsAreReportedWithoutTheirValues(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Chain.Enabled = false
	p, err := newAuditProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, old, new string
		wantFields     []string
		wantDiff       string
	}{
		{name: "replaced", old: `{"host":"smtp","password":"Old#Secret1"}`, new: `{"host":"smtp","password":"New#Secret2"}`,
			wantFields: []string{"password"}, wantDiff: `{"password":["[REDACTED]","[REDACTED]"]}`},
		{name: "set and nested", old: `{"auth":{"user":"svc"}}`, new: `{"auth":{"user":"svc","api_key":"k-7f3a9c2e1b"}}`,
			wantFields: []string{"auth.api_key"}, wantDiff: `{"auth.api_key":[null,"[REDACTED]"]}`},
		{name: "removed, beside a plain change", old: `{"port":25,"token":"t-0a1b2c3d4e"}`, new: `{"port":587}`,
			wantFields: []string{"port", "token"}, wantDiff: `{"port":[25,587],"token":["[REDACTED]",null]}`},
		{name: "unchanged", old: `{"port":25,"password":"Same#Secret3"}`, new: `{"port":587,"password":"Same#Secret3"}`,
			wantFields: []string{"port"}, wantDiff: `{"port":[25,587]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ld, lr := newEvent("settings.update", "success", semconv.AttrChangeOld, tc.old, semconv.AttrChangeNew, tc.new)
			_, err := p.processLogs(context.Background(), ld)
			require.NoError(t, err)
			assert.Equal(t, tc.wantFields, attrList(lr, semconv.AttrChangeFields))
			assert.Equal(t, tc.wantDiff, attr(lr, semconv.AttrChangeDiff))
			for _, secret := range []string{"Old#Secret1", "New#Secret2", "k-7f3a9c2e1b", "t-0a1b2c3d4e", "Same#Secret3"} {
				assert.NotContains(t, dump(lr), secret)
			}
		})
	}
}
