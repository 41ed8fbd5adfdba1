package plugin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/auditpipe/auditpipe/semconv"
)

// SelfAuditService is the service.name of the data source's own audit events.
const SelfAuditService = "grafana-auditpipe-datasource"

// Auditor records what users of the data source do with audit data, so the
// auditors are audited too.
type Auditor interface {
	Emit(ctx context.Context, e semconv.Event) error
}

// errNoEndpoint means no self-audit endpoint is configured.
var errNoEndpoint = errors.New("no self-audit endpoint configured")

// otlpAuditor sends events as OTLP/HTTP JSON logs to an auditpipe
// collector's receiver.
type otlpAuditor struct {
	url    string
	client *http.Client
}

func newOTLPAuditor(endpoint string) *otlpAuditor {
	if endpoint == "" {
		return &otlpAuditor{}
	}
	url := endpoint
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if !strings.HasSuffix(url, "/v1/logs") {
		url = strings.TrimSuffix(url, "/") + "/v1/logs"
	}
	return &otlpAuditor{url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

func (a *otlpAuditor) Emit(ctx context.Context, e semconv.Event) error {
	if a.url == "" {
		return errNoEndpoint
	}
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, SelfAuditService)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	e.CopyToLogRecord(lr)
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode self-audit event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("send self-audit event: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("send self-audit event: %s answered %s", a.url, res.Status)
	}
	return nil
}

// newEventID returns a random 128-bit id for a self-audit event.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
