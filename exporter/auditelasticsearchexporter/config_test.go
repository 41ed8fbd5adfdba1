package auditelasticsearchexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfigDefault(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	want := createDefaultConfig().(*Config)
	want.Endpoints = []string{"https://es1.internal:9200"}
	assert.Equal(t, want, cfg)

	assert.Equal(t, "audit", cfg.DataStream.Dataset)
	assert.Equal(t, "default", cfg.DataStream.Namespace)
	assert.True(t, cfg.IndexManagement.Enabled)
	assert.Equal(t, configcompression.TypeGzip, cfg.ClientConfig.Compression)
	assert.Zero(t, cfg.BackOffConfig.MaxElapsedTime, "audit events must be retried until stored")
	assert.True(t, cfg.QueueBatchConfig.HasValue())
	assert.True(t, cfg.QueueBatchConfig.Get().Batch.HasValue())
}

func TestLoadConfigFull(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, []string{"https://es1.internal:9200", "https://es2.internal:9200"}, cfg.Endpoints)
	assert.Equal(t, "auditpipe", cfg.User)
	assert.Equal(t, "s3cret", string(cfg.Password))
	assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, "/etc/auditpipe/es-ca.pem", cfg.ClientConfig.TLS.CAFile)
	assert.Equal(t, DataStreamConfig{Dataset: "backoffice", Namespace: "prod"}, cfg.DataStream)
	assert.Equal(t, "audit.tenant", cfg.Routing.TenantAttribute)
	assert.Equal(t, IndexManagementConfig{Enabled: false, ILM: false, SetupAttempts: 2}, cfg.IndexManagement)
	assert.Equal(t, RetentionConfig{HotMaxAge: 24 * time.Hour, WarmAfter: 7 * 24 * time.Hour, DeleteAfter: 61320 * time.Hour}, cfg.Retention)
	assert.Equal(t, 1<<20, cfg.BulkMaxBytes)
	q := cfg.QueueBatchConfig.Get()
	require.NotNil(t, q.StorageID)
	assert.Equal(t, component.MustNewID("file_storage"), *q.StorageID)
	assert.Equal(t, int64(50000), q.QueueSize)
	assert.Equal(t, 2, q.NumConsumers)
	assert.Equal(t, int64(1000), q.Batch.Get().MaxSize)
	assert.Equal(t, 500*time.Millisecond, q.Batch.Get().FlushTimeout)
	assert.Equal(t, 10*time.Second, cfg.BackOffConfig.MaxInterval)
}

func TestLoadConfigCloud(t *testing.T) {
	cfg := loadConfig(t, "cloud")
	require.NoError(t, confmap.Validate(cfg))
	assert.Empty(t, cfg.endpoints())
	assert.Equal(t, "c29tZS1rZXk=", string(cfg.APIKey))
}

// The queue and its batches can be sized in bytes as well as in items.
func TestLoadConfigBatchingByBytes(t *testing.T) {
	cfg := loadConfig(t, "bytes")
	require.NoError(t, confmap.Validate(cfg))
	q := cfg.QueueBatchConfig.Get()
	assert.Equal(t, exporterhelper.RequestSizerTypeBytes, q.Sizer)
	assert.Equal(t, int64(256<<20), q.QueueSize)
	assert.Equal(t, exporterhelper.RequestSizerTypeBytes, q.Batch.Get().Sizer)
	assert.Equal(t, int64(1<<20), q.Batch.Get().MinSize)
	assert.Equal(t, int64(5<<20), q.Batch.Get().MaxSize)
}

func TestConfigValidateErrors(t *testing.T) {
	for name, want := range map[string]error{
		"no_endpoint":   errNoEndpoint,
		"both":          errEndpointsAndCloud,
		"bad_namespace": errBadDataStreamName,
		"bad_retention": errBadRetention,
		"password_only": errPasswordWithoutUser,
		"small_bulk":    errBadBulkMaxBytes,
		"zstd":          errUnsupportedCompression,
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, loadConfig(t, name).Validate(), want)
		})
	}
}

func TestEndpointFallsBackToHTTPClientEndpoint(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "http://localhost:9200"
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"http://localhost:9200"}, cfg.endpoints())
}
