package auditelasticsearchexporter

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
)

// recordingES answers every request with success and keeps the headers and
// decoded body of the last _bulk.
type recordingES struct {
	mu     sync.Mutex
	header http.Header
	body   string
}

func (s *recordingES) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	if r.URL.Path != "/_bulk" {
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.header, s.body = r.Header.Clone(), string(raw)
	s.mu.Unlock()
	_, _ = io.WriteString(w, `{"errors":false,"items":[]}`)
}

// lastBulk sends two events and returns what the cluster received.
func lastBulk(t *testing.T, adjust func(*Config)) (http.Header, string) {
	t.Helper()
	es := &recordingES{}
	ts := httptest.NewServer(http.HandlerFunc(es.serve))
	t.Cleanup(ts.Close)
	exp := newUnitExporter(t, ts.URL, nil, adjust)
	evs := events(30, 2)
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(evs)))
	es.mu.Lock()
	defer es.mu.Unlock()
	require.NotNil(t, es.header, "no bulk request received")
	assert.Contains(t, es.body, evs[1].ID)
	return es.header, es.body
}

func TestClientSendsCredentialsCompressionAndUserAgent(t *testing.T) {
	t.Run("basic auth, gzip", func(t *testing.T) {
		h, _ := lastBulk(t, func(cfg *Config) {
			cfg.User, cfg.Password = "auditpipe", configopaque.String("s3cret")
		})
		req := &http.Request{Header: h}
		user, pass, ok := req.BasicAuth()
		assert.True(t, ok)
		assert.Equal(t, "auditpipe", user)
		assert.Equal(t, "s3cret", pass)
		assert.Equal(t, "gzip", h.Get("Content-Encoding"), "gzip is the default")
		assert.Equal(t, "auditpipe/1.2.3", h.Get("User-Agent"))
	})
	t.Run("api key wins over user", func(t *testing.T) {
		h, _ := lastBulk(t, func(cfg *Config) {
			cfg.User, cfg.Password = "auditpipe", configopaque.String("s3cret")
			cfg.APIKey = configopaque.String("a2V5OnNlY3JldA==")
		})
		// HTTP auth schemes are case-insensitive; the client writes "APIKey".
		scheme, key, _ := strings.Cut(h.Get("Authorization"), " ")
		assert.True(t, strings.EqualFold("ApiKey", scheme), "scheme %q", scheme)
		assert.Equal(t, "a2V5OnNlY3JldA==", key)
	})
	t.Run("no compression, headers override the user agent", func(t *testing.T) {
		h, _ := lastBulk(t, func(cfg *Config) {
			cfg.ClientConfig.Compression = "none"
			cfg.ClientConfig.Headers = configopaque.MapList{
				{Name: "User-Agent", Value: "audit-shipper/7"},
				{Name: "X-Tenant", Value: "eu"},
			}
		})
		assert.Empty(t, h.Get("Content-Encoding"))
		assert.Equal(t, "audit-shipper/7", h.Get("User-Agent"))
		assert.Equal(t, "eu", h.Get("X-Tenant"))
	})
}

func TestBulkLatencyIsRecorded(t *testing.T) {
	es := &recordingES{}
	ts := httptest.NewServer(http.HandlerFunc(es.serve))
	t.Cleanup(ts.Close)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := newUnitExporter(t, ts.URL, tel)
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(events(31, 3))))
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(events(32, 3))))

	m, err := tel.GetMetric("auditpipe.elasticsearch.bulk.duration")
	require.NoError(t, err)
	points := m.Data.(metricdata.Histogram[float64]).DataPoints
	require.Len(t, points, 1)
	assert.Equal(t, uint64(2), points[0].Count, "one measurement per bulk request")
	assert.Equal(t, int64(6), documentCount(t, tel, "indexed"))
}

// TLS goes through configtls: a cluster with a private CA is trusted with
// tls.ca_file, and refused without it (the events stay queued for retry).
func TestClientTrustsTheConfiguredCA(t *testing.T) {
	es := &recordingES{}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(es.serve))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600))

	exp := newUnitExporter(t, ts.URL, nil, func(cfg *Config) { cfg.ClientConfig.TLS.CAFile = caFile })
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(events(33, 2))))
	es.mu.Lock()
	assert.NotEmpty(t, es.body, "bulk received over TLS")
	es.mu.Unlock()

	untrusting := newUnitExporter(t, ts.URL, nil)
	err := untrusting.pushLogs(context.Background(), toLogs(events(34, 2)))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "an unknown CA is a retryable failure, not a drop")
}

// A refused document is not retried; it is logged with Elasticsearch's
// reason and written to the dead-letter index.
func TestRefusedDocumentIsLoggedWithItsReason(t *testing.T) {
	evs := events(35, 3)
	_, ts := newScriptedES(t, func(id string) int {
		if id == evs[1].ID {
			return http.StatusBadRequest
		}
		return http.StatusCreated
	})
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{ts.URL}
	core, logs := observer.New(zap.WarnLevel)
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	exp, err := newExporter(cfg, set)
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.shutdown(context.Background()) })

	require.NoError(t, exp.pushLogs(context.Background(), toLogs(evs)), "nothing left to retry")
	refused := logs.FilterField(zap.String("event.id", evs[1].ID)).All()
	require.Len(t, refused, 1)
	fields := refused[0].ContextMap()
	assert.Equal(t, "status_400_exception", fields["error.type"])
	assert.Equal(t, "scripted", fields["error.reason"])
	assert.Contains(t, fields["index"], "audit-deadletter-")
}
