package auditalertexporter

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/auditpipe/auditpipe/alerting/rule"
	"github.com/auditpipe/auditpipe/internal/readmetest"
)

const readmePath = "../README.md"

// The README must document every option.
func TestReadmeDocumentsEveryOption(t *testing.T) {
	assert.Empty(t, readmetest.MissingOptions(t, readmePath, Config{}), "options missing from the README")
}

// The README's examples must be valid configuration.
func TestReadmeExamplesAreValid(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	checked := 0
	for _, b := range blocks {
		var doc map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(b[1]), &doc), b[1])
		switch {
		case doc["exporters"] != nil:
			exporters := doc["exporters"].(map[string]any)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(exporters["audit_alert"].(map[string]any)).Unmarshal(cfg))
			require.NoError(t, cfg.Validate())
			checked++
		case doc["rules"] != nil:
			path := filepath.Join(t.TempDir(), "rules.yaml")
			require.NoError(t, os.WriteFile(path, []byte(b[1]), 0o600))
			cfgs, err := loadRulesFile(path)
			require.NoError(t, err)
			_, err = rule.Compile(cfgs, componenttest.NewNopTelemetrySettings())
			require.NoError(t, err)
			checked++
		}
	}
	assert.Equal(t, 2, checked, "the exporter example and the rules file example")
}
