package auditprocessor

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README must document every option and every built-in rule.
func TestReadmeDocumentsOptionsAndRules(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	for _, key := range configKeys(reflect.TypeOf(Config{}), "") {
		assert.Contains(t, readme, "`"+key+"`", "option %s", key)
	}
	for _, r := range defaultClassificationRules {
		assert.Contains(t, readme, "`"+r.Name+"`", "classification rule %s", r.Name)
	}
	for _, r := range builtinRedactionRules() {
		assert.Contains(t, readme, "`"+r.name+"`", "redaction rule %s", r.name)
	}
}

// configKeys lists the dotted mapstructure keys of a config struct; list
// elements are written key[].field as in the README.
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
		switch {
		case ft.Kind() == reflect.Struct:
			keys = append(keys[:len(keys)-1], configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, configKeys(ft.Elem(), key+"[].")...)
		}
	}
	return keys
}
