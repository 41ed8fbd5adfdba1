package auditelasticsearchexporter

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/auditpipe/auditpipe/internal/readmetest"
)

const readmePath = "README.md"

// The confighttp options (squashed into Config) the README must name: the
// ones the exporter relies on; the others are covered by a link.
var documentedHTTPOptions = []string{"endpoint", "tls", "timeout", "compression", "headers"}

// The README must document every option.
func TestReadmeDocumentsEveryOption(t *testing.T) {
	assert.Empty(t, readmetest.MissingOptions(t, readmePath, Config{}, documentedHTTPOptions...), "options missing from the README")
}

// The README's example must be a valid configuration.
func TestReadmeExampleIsValid(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	checked := 0
	for _, b := range blocks {
		var doc struct {
			Exporters map[string]map[string]any `yaml:"exporters"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(b[1]), &doc), b[1])
		for id, body := range doc.Exporters {
			if !strings.HasPrefix(id, "audit_elasticsearch") {
				continue
			}
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(body).Unmarshal(cfg), id)
			require.NoError(t, cfg.Validate(), id)
			checked++
		}
	}
	assert.Positive(t, checked, "the README has an audit_elasticsearch example")
}
