// Package models holds the data source settings (jsonData/secureJsonData).
package models

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/auditpipe/auditpipe/query"
)

// Authentication types (Settings.AuthType).
const (
	AuthNone   = "none"
	AuthBasic  = "basic"
	AuthAPIKey = "apiKey"
)

// Defaults of the settings the editor may leave empty.
const (
	DefaultExportMaxRows = 1_000_000
	DefaultRole          = "Editor"
)

// Settings is the configuration of one data source instance. The JSON tags
// are the jsonData keys of the plugin contract.
type Settings struct {
	URLs              []string `json:"urls"`
	AuthType          string   `json:"authType"`
	Username          string   `json:"username"`
	TLSSkipVerify     bool     `json:"tlsSkipVerify"`
	TLSCACert         bool     `json:"tlsCACert"`
	Index             string   `json:"index"`
	AnnotationsIndex  string   `json:"annotationsIndex"`
	ExportMaxRows     int      `json:"exportMaxRows"`
	ExportRole        string   `json:"exportRole"`
	UnmaskRole        string   `json:"unmaskRole"`
	AnnotateRole      string   `json:"annotateRole"`
	SelfAuditEndpoint string   `json:"selfAuditEndpoint"`

	Secrets SecureSettings `json:"-"`
}

// SecureSettings are the decrypted secureJsonData values.
type SecureSettings struct {
	Password  string
	APIKey    string
	TLSCACert string
}

// Roles of Grafana users, lowest first.
var roleRank = map[string]int{"None": 0, "Viewer": 1, "Editor": 2, "Admin": 3}

// LoadSettings reads and validates the settings of a data source instance.
func LoadSettings(s backend.DataSourceInstanceSettings) (*Settings, error) {
	var cfg Settings
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &cfg); err != nil {
			return nil, fmt.Errorf("invalid jsonData: %w", err)
		}
	}
	if len(cfg.URLs) == 0 && s.URL != "" {
		cfg.URLs = []string{s.URL}
	}
	cfg.Secrets = SecureSettings{
		Password:  s.DecryptedSecureJSONData["password"],
		APIKey:    s.DecryptedSecureJSONData["apiKey"],
		TLSCACert: s.DecryptedSecureJSONData["tlsCACert"],
	}
	cfg.applyDefaults()
	return &cfg, cfg.Validate()
}

func (s *Settings) applyDefaults() {
	if s.AuthType == "" {
		s.AuthType = AuthNone
	}
	if s.Index == "" {
		s.Index = query.DefaultIndex
	}
	if s.AnnotationsIndex == "" {
		s.AnnotationsIndex = query.DefaultAnnotationsIndex
	}
	if s.ExportMaxRows == 0 {
		s.ExportMaxRows = DefaultExportMaxRows
	}
	for _, r := range []*string{&s.ExportRole, &s.UnmaskRole, &s.AnnotateRole} {
		if *r == "" {
			*r = DefaultRole
		}
	}
}

// Validate reports the first setting that cannot work.
func (s *Settings) Validate() error {
	if len(s.URLs) == 0 {
		return errors.New("settings: no Elasticsearch URL configured")
	}
	switch s.AuthType {
	case AuthNone:
	case AuthBasic:
		if s.Username == "" {
			return errors.New("settings: basic authentication needs a username")
		}
	case AuthAPIKey:
		if s.Secrets.APIKey == "" {
			return errors.New("settings: API key authentication needs an API key")
		}
	default:
		return fmt.Errorf("settings: authType must be none, basic or apiKey, not %q", s.AuthType)
	}
	if s.ExportMaxRows < 0 {
		return errors.New("settings: exportMaxRows must not be negative")
	}
	for name, r := range map[string]string{"exportRole": s.ExportRole, "unmaskRole": s.UnmaskRole, "annotateRole": s.AnnotateRole} {
		if _, ok := roleRank[r]; !ok {
			return fmt.Errorf("settings: %s must be Viewer, Editor or Admin, not %q", name, r)
		}
	}
	if s.TLSCACert && strings.TrimSpace(s.Secrets.TLSCACert) == "" {
		return errors.New("settings: tlsCACert is set but no CA certificate was given")
	}
	return nil
}

// RoleAtLeast reports whether a Grafana role reaches the required one.
// Unknown roles reach nothing.
func RoleAtLeast(role, required string) bool {
	have, ok := roleRank[role]
	return ok && have >= roleRank[required]
}

// ValidRole tells whether role is one of Grafana's org roles.
func ValidRole(role string) bool {
	_, ok := roleRank[role]
	return ok
}

// ClientConfig turns the settings into a query client configuration.
func (s *Settings) ClientConfig() (query.Config, error) {
	cfg := query.Config{Addresses: s.URLs, Index: s.Index}
	switch s.AuthType {
	case AuthBasic:
		cfg.Username, cfg.Password = s.Username, s.Secrets.Password
	case AuthAPIKey:
		cfg.APIKey = s.Secrets.APIKey
	}
	if s.TLSSkipVerify || s.TLSCACert {
		tlsCfg := &tls.Config{InsecureSkipVerify: s.TLSSkipVerify} //nolint:gosec // operator's explicit choice
		if s.TLSCACert {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(s.Secrets.TLSCACert)) {
				return cfg, errors.New("settings: tlsCACert holds no PEM certificate")
			}
			tlsCfg.RootCAs = pool
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		cfg.Transport = tr
	}
	return cfg, nil
}
