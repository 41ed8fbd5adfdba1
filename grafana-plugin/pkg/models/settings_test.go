package models

import (
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func load(jsonData string, secure map[string]string) (*Settings, error) {
	return LoadSettings(backend.DataSourceInstanceSettings{URL: "http://fallback:9200", JSONData: []byte(jsonData), DecryptedSecureJSONData: secure})
}

func TestDefaults(t *testing.T) {
	s, err := load(`{}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.URLs[0] != "http://fallback:9200" || s.Index != "logs-audit-*" || s.AnnotationsIndex != "audit-annotations" ||
		s.ExportMaxRows != DefaultExportMaxRows || s.ExportRole != "Editor" || s.UnmaskRole != "Editor" || s.AuthType != AuthNone {
		t.Fatalf("defaults = %+v", s)
	}
}

func TestValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		json   string
		secure map[string]string
		want   string
	}{
		"auth type":     {`{"authType":"kerberos"}`, nil, "authType"},
		"basic no user": {`{"authType":"basic"}`, nil, "username"},
		"api key":       {`{"authType":"apiKey"}`, nil, "API key"},
		"role":          {`{"exportRole":"Owner"}`, nil, "exportRole"},
		"negative rows": {`{"exportMaxRows":-1}`, nil, "exportMaxRows"},
		"ca missing":    {`{"tlsCACert":true}`, nil, "CA certificate"},
		"bad json":      {`{"urls":"x"}`, nil, "jsonData"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := load(tc.json, tc.secure)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestClientConfigAuth(t *testing.T) {
	s, err := load(`{"authType":"basic","username":"bob","urls":["https://es:9200"]}`, map[string]string{"password": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.ClientConfig()
	if err != nil || cfg.Username != "bob" || cfg.Password != "pw" || cfg.Addresses[0] != "https://es:9200" {
		t.Fatalf("ClientConfig = %+v, %v", cfg, err)
	}
	s, _ = load(`{"tlsCACert":true}`, map[string]string{"tlsCACert": "not a pem"})
	if _, err := s.ClientConfig(); err == nil {
		t.Fatal("a CA without PEM was accepted")
	}
}

func TestRoleAtLeast(t *testing.T) {
	for _, tc := range []struct {
		role, required string
		want           bool
	}{{"Viewer", "Editor", false}, {"Editor", "Editor", true}, {"Admin", "Editor", true}, {"", "Viewer", false}, {"Superuser", "Viewer", false}} {
		if got := RoleAtLeast(tc.role, tc.required); got != tc.want {
			t.Errorf("RoleAtLeast(%q, %q) = %v", tc.role, tc.required, got)
		}
	}
}
