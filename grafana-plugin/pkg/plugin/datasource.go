// Package plugin is the backend of the auditpipe audit data source: queries
// (QueryData), health (CheckHealth), resources (CallResource) and live tail
// (streams), all through the shared query layer.
package plugin

import (
	"context"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/models"
	"github.com/auditpipe/auditpipe/query"
)

// PluginID is the id of the data source in plugin.json.
const PluginID = "auditpipe-audit-datasource"

// Make sure Datasource implements the handlers Grafana calls.
var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ backend.StreamHandler         = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Ticker abstracts time.Ticker so stream tests drive time themselves.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// Options are the test seams of a Datasource; zero values are production.
type Options struct {
	Now       func() time.Time
	NewTicker func(time.Duration) Ticker
	// SelfAudit receives the audit events of exports and annotations;
	// nil sends them to the configured OTLP endpoint.
	SelfAudit Auditor
}

// Datasource is one configured instance of the data source.
type Datasource struct {
	settings  *models.Settings
	client    *query.Client
	resources backend.CallResourceHandler
	now       func() time.Time
	newTicker func(time.Duration) Ticker
	audit     Auditor
	logger    log.Logger
}

// NewDatasource is the instance factory datasource.Manage calls.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return New(s, Options{})
}

// New creates an instance with the given test seams.
func New(s backend.DataSourceInstanceSettings, opts Options) (*Datasource, error) {
	settings, err := models.LoadSettings(s)
	if err != nil {
		return nil, err
	}
	cfg, err := settings.ClientConfig()
	if err != nil {
		return nil, err
	}
	client, err := query.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	d := &Datasource{
		settings:  settings,
		client:    client,
		now:       opts.Now,
		newTicker: opts.NewTicker,
		audit:     opts.SelfAudit,
		logger:    log.DefaultLogger,
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.newTicker == nil {
		d.newTicker = func(p time.Duration) Ticker { return realTicker{time.NewTicker(p)} }
	}
	if d.audit == nil {
		d.audit = newOTLPAuditor(settings.SelfAuditEndpoint)
	}
	d.resources = httpadapter.New(d.routes())
	return d, nil
}

// Dispose is called when the settings change; the client holds no
// resources that outlive a request.
func (d *Datasource) Dispose() {}

// CallResource serves the resource routes (resources.go).
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}
