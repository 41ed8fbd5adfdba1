package auditreceiver

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
)

func loadConfig(t testing.TB, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))

	grpcCfg := cfg.Protocols.GRPC.Get()
	require.NotNil(t, grpcCfg)
	assert.Equal(t, "localhost:4317", grpcCfg.NetAddr.Endpoint)
	httpCfg := cfg.Protocols.HTTP.Get()
	require.NotNil(t, httpCfg)
	assert.Equal(t, "localhost:4318", httpCfg.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, "/v1/logs", httpCfg.LogsURLPath)
	assert.Equal(t, "/v1/audit/events", httpCfg.EventsURLPath)
	assert.Equal(t, ValidationReject, cfg.Validation.Mode)
	assert.Equal(t, EnrichmentConfig{}, cfg.Enrichment)
	assert.Equal(t, 5*time.Second, cfg.RetryAfter)
}

func TestLoadConfigCustom(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))

	grpcCfg := cfg.Protocols.GRPC.Get()
	require.NotNil(t, grpcCfg)
	assert.Equal(t, "0.0.0.0:14317", grpcCfg.NetAddr.Endpoint)
	assert.Equal(t, 8, grpcCfg.MaxRecvMsgSizeMiB)
	httpCfg := cfg.Protocols.HTTP.Get()
	require.NotNil(t, httpCfg)
	assert.Equal(t, "0.0.0.0:14318", httpCfg.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, int64(1<<20), httpCfg.ServerConfig.MaxRequestBodySize)
	assert.Equal(t, "/otlp/v1/logs", httpCfg.LogsURLPath)
	assert.Equal(t, "/audit/events", httpCfg.EventsURLPath)
	assert.Equal(t, ValidationTag, cfg.Validation.Mode)
	assert.Equal(t, EnrichmentConfig{
		ClientAddressFromPeer: true,
		TrustedProxies:        []string{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"},
		IncludePrincipal:      true,
	}, cfg.Enrichment)
	assert.Equal(t, 2*time.Second, cfg.RetryAfter)
}

func TestLoadConfigHTTPOnly(t *testing.T) {
	cfg := loadConfig(t, "http_only")
	require.NoError(t, confmap.Validate(cfg))
	assert.False(t, cfg.Protocols.GRPC.HasValue())
	assert.True(t, cfg.Protocols.HTTP.HasValue())
}

func TestLoadConfigInvalid(t *testing.T) {
	for name, want := range map[string]error{
		"invalid_mode":     errValidationMode,
		"no_protocols":     errNoProtocol,
		"bad_proxy":        errTrustedProxyRange,
		"same_paths":       errSameURLPath,
		"zero_retry_after": errRetryAfter,
	} {
		t.Run(name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, name))
			assert.ErrorIs(t, err, want)
		})
	}
}

func TestValidateRejectsRelativeURLPath(t *testing.T) {
	cfg := loadConfig(t, "")
	cfg.Protocols.HTTP.Get().EventsURLPath = "v1/audit/events"
	assert.ErrorIs(t, cfg.Validate(), errURLPath)
}

func TestParseTrustedProxies(t *testing.T) {
	prefixes, err := parseTrustedProxies([]string{"10.1.2.3", "192.168.7.9/16", "::ffff:172.16.0.1", "2001:db8::1"})
	require.NoError(t, err)
	got := make([]string, len(prefixes))
	for i, p := range prefixes {
		got[i] = p.String()
	}
	assert.Equal(t, []string{"10.1.2.3/32", "192.168.0.0/16", "172.16.0.1/32", "2001:db8::1/128"}, got)

	_, err = parseTrustedProxies([]string{"10.0.0.0/33"})
	assert.ErrorIs(t, err, errTrustedProxyRange)
}

// TestREADMEDocumentsEveryOption keeps the README's option table complete
// for the receiver's own settings (the configgrpc/confighttp ones are linked).
func TestREADMEDocumentsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := range typ.NumField() {
			field := typ.Field(i)
			name := strings.Split(field.Tag.Get("mapstructure"), ",")[0]
			if name == "" || !field.IsExported() {
				continue // squashed core server settings and padding
			}
			path := prefix + name
			switch field.Type {
			case reflect.TypeFor[Protocols](), reflect.TypeFor[ValidationConfig](), reflect.TypeFor[EnrichmentConfig]():
				walk(path+"::", field.Type)
			default:
				assert.True(t, strings.Contains(string(readme), "| `"+path+"` |"), "README option table lacks %s", path)
			}
		}
	}
	walk("", reflect.TypeFor[Config]())
	walk("protocols::http::", reflect.TypeFor[HTTPConfig]())
}
