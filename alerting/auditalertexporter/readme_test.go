package auditalertexporter

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

const readmePath = "../README.md"

// The README must document every option.
func TestReadmeDocumentsEveryOption(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	var missing []string
	for _, key := range configKeys(reflect.TypeOf(Config{}), "") {
		if !strings.Contains(string(raw), "`"+key+"`") {
			missing = append(missing, key)
		}
	}
	assert.Empty(t, missing, "options missing from the README")
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

// configKeys lists the dotted mapstructure keys of a config struct; list
// elements are written key[].field, nested structs by their fields. Only auditpipe's own structs are
// descended into (configtls and component.ID are documented as one key).
func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		keys = append(keys, key)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ours(ft):
			// A nested struct is documented by its fields.
			keys = append(keys[:len(keys)-1], configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ours(ft.Elem()):
			keys = append(keys, configKeys(ft.Elem(), key+"[].")...)
		}
	}
	return keys
}

func ours(t reflect.Type) bool { return strings.HasPrefix(t.PkgPath(), "github.com/auditpipe/") }
