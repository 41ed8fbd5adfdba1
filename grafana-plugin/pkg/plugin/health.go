package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/auditpipe/auditpipe/query"
)

// CheckHealth tests connectivity, authentication and the presence of audit
// data, and says which of them failed.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	err := d.client.Health(ctx)
	var msg string
	switch {
	case err == nil:
		return &backend.CheckHealthResult{Status: backend.HealthStatusOk,
			Message: fmt.Sprintf("Connected to Elasticsearch; audit data found in %s", d.client.Index())}, nil
	case errors.Is(err, query.ErrUnauthorized):
		msg = "Authentication failed: check the username/password or API key. (" + err.Error() + ")"
	case errors.Is(err, query.ErrNoData):
		msg = fmt.Sprintf("Connected, but no audit data stream matches %q: check the index setting or that the auditpipe exporter is writing.", d.client.Index())
	case errors.Is(err, query.ErrUnreachable):
		msg = "Cannot reach Elasticsearch at " + fmt.Sprint(d.settings.URLs) + ": " + err.Error()
	default:
		msg = "Elasticsearch health check failed: " + err.Error()
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: msg}, nil
}
