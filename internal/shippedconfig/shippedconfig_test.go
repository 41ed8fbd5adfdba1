package shippedconfig

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// TestEveryFixedAddressIsMoved fails when the shipped config gains a
// listener, a directory or an exporter endpoint that Args leaves in place:
// two collectors on one machine would collide on it.
func TestEveryFixedAddressIsMoved(t *testing.T) {
	conf, err := confmaptest.LoadConf(filepath.Join("..", "..", "cmd", "otelcol-audit", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var moved []string
	for _, kv := range overrides(Listen{}, "", "") {
		key, _, _ := strings.Cut(kv, "=")
		moved = append(moved, key)
		if !conf.IsSet(key) {
			t.Errorf("%s is not in the shipped config: the override would add it, not move it", key)
		}
	}
	for _, key := range conf.AllKeys() {
		last := key[strings.LastIndex(key, "::")+len("::"):]
		if slices.Contains([]string{"endpoint", "endpoints", "directory"}, last) && !slices.Contains(moved, key) {
			t.Errorf("%s is fixed in the shipped config and Args does not move it", key)
		}
	}
}

func TestArgsSetEachOverrideAfterTheConfig(t *testing.T) {
	args := Args("c.yaml", Listen{Health: "h:1", ZPages: "z:2", PProf: "p:3", GRPC: "g:4", HTTP: "t:5"},
		"/state", "http://es:9200", "service::telemetry::logs::encoding=json")
	if args[0] != "--config" || args[1] != "c.yaml" {
		t.Fatalf("args start %q", args[:2])
	}
	for _, want := range []string{"extensions::health_check::endpoint=h:1", "extensions::pprof::endpoint=p:3",
		"receivers::audit::protocols::http::endpoint=t:5", "extensions::file_storage::directory=/state",
		"exporters::audit_elasticsearch::endpoints=[http://es:9200]", "service::telemetry::logs::encoding=json"} {
		i := slices.Index(args, want)
		if i < 3 || args[i-1] != "--set" {
			t.Errorf("%q is not passed with --set in %q", want, args)
		}
	}
}
