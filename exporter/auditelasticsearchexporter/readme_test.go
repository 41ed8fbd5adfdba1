package auditelasticsearchexporter

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

const readmePath = "README.md"

// The confighttp options (squashed into Config) the README must name: the
// ones the exporter relies on; the others are covered by a link.
var documentedHTTPOptions = []string{"endpoint", "tls", "timeout", "compression", "headers"}

// The README must document every option.
func TestReadmeDocumentsEveryOption(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	var missing []string
	for _, key := range append(configKeys(reflect.TypeOf(Config{}), ""), documentedHTTPOptions...) {
		if !strings.Contains(string(raw), "`"+key+"`") {
			missing = append(missing, key)
		}
	}
	assert.Empty(t, missing, "options missing from the README")
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

// configKeys lists the dotted mapstructure keys of a config struct. Only
// auditpipe's own structs are descended into; collector structs
// (sending_queue, retry_on_failure) are documented as one key, and squashed
// ones are listed in documentedHTTPOptions.
func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && strings.HasPrefix(f.Type.PkgPath(), "github.com/auditpipe/") {
			keys = append(keys, configKeys(f.Type, prefix+tag+".")...)
			continue
		}
		keys = append(keys, prefix+tag)
	}
	return keys
}
