package main

import (
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/otelcol/otelcoltest"
)

// TestShippedConfigsAreValid loads the embedded default and the production
// example with every factory of the distribution and validates them, so a
// renamed option breaks the build here rather than an SRE's deployment.
func TestShippedConfigsAreValid(t *testing.T) {
	factories, err := components()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUDITPIPE_REDACTION_KEY", "k")
	t.Setenv("ELASTICSEARCH_API_KEY", "k")
	t.Setenv("SMTP_PASSWORD", "p")
	t.Setenv("TELEGRAM_BOT_TOKEN", "123:abc")
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1")
	t.Setenv("WEBHOOK_HMAC_SECRET", "s")
	for _, name := range []string{"config.yaml", "config.production.yaml"} {
		t.Run(name, func(t *testing.T) {
			cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join(".", name), factories)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Service.Pipelines) == 0 {
				t.Fatal("no pipelines")
			}
		})
	}
}

func TestEveryComponentIsBuiltIn(t *testing.T) {
	factories, err := components()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"receivers":  {"audit", "otlp"},
		"processors": {"audit", "memory_limiter"},
		"exporters":  {"audit_elasticsearch", "audit_alert", "debug"},
		"extensions": {"file_storage", "health_check", "pprof", "zpages"},
	}
	have := map[string]map[string]bool{"receivers": {}, "processors": {}, "exporters": {}, "extensions": {}}
	for t := range factories.Receivers {
		have["receivers"][t.String()] = true
	}
	for t := range factories.Processors {
		have["processors"][t.String()] = true
	}
	for t := range factories.Exporters {
		have["exporters"][t.String()] = true
	}
	for t := range factories.Extensions {
		have["extensions"][t.String()] = true
	}
	for kind, types := range want {
		for _, typ := range types {
			if !have[kind][typ] {
				t.Errorf("%s lacks %q", kind, typ)
			}
		}
	}
}
