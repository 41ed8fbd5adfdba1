// Package readmetest checks that a component's README documents every option
// of its configuration, so a new option cannot ship undocumented.
package readmetest // import "github.com/auditpipe/auditpipe/internal/readmetest"

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// MissingOptions returns the options of cfg (a config struct value) that the
// README at path does not name in backquotes, written with dots or with the
// collector's :: separators: `chain.enabled` or `chain::enabled`.
func MissingOptions(t testing.TB, path string, cfg any, extra ...string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, key := range append(ConfigKeys(reflect.TypeOf(cfg)), extra...) {
		colons := strings.ReplaceAll(key, ".", "::")
		if !strings.Contains(string(raw), "`"+key+"`") && !strings.Contains(string(raw), "`"+colons+"`") {
			missing = append(missing, key)
		}
	}
	return missing
}

// ConfigKeys lists the dotted mapstructure keys of a config struct type as a
// README writes them: nested structs by their fields, list elements as
// key[].field. Only auditpipe's own structs are descended into; a collector
// struct (confighttp, configretry, component.ID...) is one key, documented
// with a link to its own reference. Squashed fields are left out for the
// same reason.
func ConfigKeys(typ reflect.Type) []string {
	return configKeys(typ, "")
}

func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ours(ft):
			keys = append(keys, configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ours(ft.Elem()):
			keys = append(keys, key)
			keys = append(keys, configKeys(ft.Elem(), key+"[].")...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

func ours(t reflect.Type) bool { return strings.HasPrefix(t.PkgPath(), "github.com/auditpipe/") }
