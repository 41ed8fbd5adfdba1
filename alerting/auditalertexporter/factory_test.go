package auditalertexporter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/alerting/rule"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	require.NoError(t, f.CreateDefaultConfig().(*Config).Validate())
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Rules = []rule.Config{{Name: "roles", Match: `event_name == "role.assign"`}}
	set := exportertest.NewNopSettings(metadata.Type)

	exp, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(ctx), "shutdown without start")
	require.NoError(t, exp.Shutdown(ctx), "twice")

	exp, err = f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(ctx, auditLogs()))
	assert.False(t, exp.Capabilities().MutatesData)
	require.NoError(t, exp.Shutdown(ctx))
	require.NoError(t, exp.Shutdown(ctx))

	cfg.Rules = []rule.Config{{Name: "bad", Match: "event_name =="}}
	_, err = f.CreateLogs(ctx, set, cfg)
	assert.ErrorContains(t, err, `rules[0] "bad"`)
}
