package auditelasticsearchexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

func TestTemplatesInstalled(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	exp := startExporter(t, cfg, nil)
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(events(1, 10))))
	c.waitCount(t, cfg.index(), 10, 30*time.Second)

	policy, component, template, deadLetter := (&esExporter{cfg: cfg}).names()
	status, res := c.request(t, http.MethodGet, "/_index_template/"+template, nil)
	require.Equal(t, http.StatusOK, status, "%v", res)
	raw, _ := json.Marshal(res)
	assert.Contains(t, string(raw), "logs-"+cfg.DataStream.Dataset+"-*")
	assert.Contains(t, string(raw), component)

	status, res = c.request(t, http.MethodGet, "/_component_template/"+component, nil)
	require.Equal(t, http.StatusOK, status, "%v", res)
	raw, _ = json.Marshal(res)
	assert.Contains(t, string(raw), `"flattened"`)
	assert.Contains(t, string(raw), policy)

	status, _ = c.request(t, http.MethodGet, "/_ilm/policy/"+policy, nil)
	assert.Equal(t, http.StatusOK, status)
	status, _ = c.request(t, http.MethodGet, "/_index_template/"+deadLetter, nil)
	assert.Equal(t, http.StatusOK, status)

	// The data stream got our mapping, not a dynamic one.
	status, res = c.request(t, http.MethodGet, "/"+cfg.index()+"/_mapping", nil)
	require.Equal(t, http.StatusOK, status, "%v", res)
	raw, _ = json.Marshal(res)
	assert.Contains(t, string(raw), `"ip":{"type":"ip"}`)
}

func TestDocumentsSearchableWithTypedFields(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	exp := startExporter(t, cfg, nil)

	evs := events(2, 300)
	for i := range evs {
		// A third in 10.20.0.0/16, the rest elsewhere.
		if i%3 == 0 {
			evs[i].ClientAddress = "10.20." + strconv.Itoa(i%200) + "." + strconv.Itoa(i%250)
		} else {
			evs[i].ClientAddress = "192.0.2." + strconv.Itoa(i%250)
		}
	}
	evs[7].ActorID = "emp-term-check"
	evs[8].ActorID = "emp-term-check"
	sendAll(t, exp, evs, 100)
	require.Equal(t, 300, c.waitCount(t, cfg.index(), 300, 30*time.Second))

	assert.Equal(t, 100, c.count(t, cfg.index(), map[string]any{"term": map[string]any{esdoc.FieldSourceIP: "10.20.0.0/16"}}),
		"CIDR term on source.ip")
	assert.Equal(t, 2, c.count(t, cfg.index(), map[string]any{"term": map[string]any{esdoc.FieldActorID: "emp-term-check"}}),
		"term on user.id")

	// _source decodes back to the event that was sent.
	hits := c.searchHits(t, cfg.index(), map[string]any{"term": map[string]any{esdoc.FieldEventID: evs[7].ID}}, 1)
	require.Len(t, hits, 1)
	assert.Equal(t, evs[7].ID, hits[0]["_id"])
	src, _ := json.Marshal(hits[0]["_source"])
	got, err := esdoc.Decode(src)
	require.NoError(t, err)
	assert.True(t, got.Timestamp.Equal(evs[7].Timestamp))
	got.Timestamp = evs[7].Timestamp
	assert.Equal(t, evs[7], got)
}

func TestReplayedBatchLeavesOneCopy(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := startExporter(t, cfg, tel)

	evs := events(3, 500)
	sendAll(t, exp, evs, 250)
	require.Equal(t, 500, c.waitCount(t, cfg.index(), 500, 30*time.Second))
	sendAll(t, exp, evs, 500) // the same events again, as a client retry or replay sends them
	waitFor(t, 30*time.Second, "replayed documents answered as conflicts", func() bool {
		return documentCount(t, tel, "conflict") == 500
	})
	c.requireExactly(t, cfg.index(), evs)
	assert.Equal(t, int64(500), documentCount(t, tel, "indexed"))
}

func TestMappingConflictGoesToDeadLetterIndex(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := startExporter(t, cfg, tel)

	evs := events(4, 50)
	bad := evs[17]
	evs[17].ClientAddress = "not-an-ip" // slipped through validation in tag mode
	evs[17].ValidationError = "client.address: \"not-an-ip\" is not an IP address"
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(evs)))

	deadLetters := esdoc.DeadLetterIndexPrefix + "*"
	waitFor(t, 30*time.Second, "the dead letter", func() bool { return c.count(t, deadLetters, nil) == 1 })
	require.Equal(t, 49, c.waitCount(t, cfg.index(), 49, 30*time.Second), "the rest of the batch is indexed")
	assert.Zero(t, c.count(t, cfg.index(), map[string]any{"term": map[string]any{esdoc.FieldEventID: bad.ID}}))

	hits := c.searchHits(t, deadLetters, map[string]any{"term": map[string]any{esdoc.FieldEventID: bad.ID}}, 1)
	require.Len(t, hits, 1)
	src := hits[0]["_source"].(map[string]any)
	errObj := src["error"].(map[string]any)
	assert.NotEmpty(t, errObj["type"])
	assert.Contains(t, errObj["reason"], "source.ip")
	original := src["event"].(map[string]any)["original"].(string)
	back, err := esdoc.Decode([]byte(original))
	require.NoError(t, err)
	assert.Equal(t, "not-an-ip", back.ClientAddress)
	assert.Equal(t, bad.ID, back.ID)
	assert.Equal(t, int64(1), documentCount(t, tel, "dead_lettered"))
}

func TestTenantRouting(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	cfg.Routing.TenantAttribute = semconv.AttrTenant
	exp := startExporter(t, cfg, nil)
	evs := events(5, 90)
	for i := range evs {
		evs[i].Tenant = []string{"Brand-EU", "brand-uk", ""}[i%3]
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(evs)))
	prefix := "logs-" + cfg.DataStream.Dataset + "-"
	for _, ns := range []string{"brand_eu", "brand_uk", "default"} {
		assert.Equal(t, 30, c.waitCount(t, prefix+ns, 30, 30*time.Second), "namespace %s", ns)
	}
}

func TestStartReturnsWhileElasticsearchIsDown(t *testing.T) {
	c := newCluster(t)
	c.requireDev(t)
	c.dev.stop()
	cfg := testConfig(c, t)
	cfg.IndexManagement.SetupAttempts = 1
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := startExporter(t, cfg, tel) // must not block on the unreachable cluster

	evs := events(6, 200)
	sendAll(t, exp, evs, 100) // queued
	c.dev.restart()
	// The first export after the outage installs the templates before writing.
	require.Equal(t, 200, c.waitCount(t, cfg.index(), 200, 60*time.Second))
	status, res := c.request(t, http.MethodGet, "/"+cfg.index()+"/_mapping", nil)
	require.Equal(t, http.StatusOK, status)
	raw, _ := json.Marshal(res)
	assert.Contains(t, string(raw), `"ip":{"type":"ip"}`)
	c.requireExactly(t, cfg.index(), evs)
}

func TestShutdownFlushesTheQueue(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	// A batch that would wait a minute to fill: only Shutdown sends it.
	q := cfg.QueueBatchConfig.Get()
	q.Batch.Get().FlushTimeout = time.Minute
	q.Batch.Get().MinSize = 10_000
	q.Batch.Get().MaxSize = 20_000
	exp := startExporter(t, cfg, nil)
	evs := events(7, 321)
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(evs)))
	require.NoError(t, exp.Shutdown(context.Background()))
	c.requireExactly(t, cfg.index(), evs)
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{"http://127.0.0.1:1"}
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestIndexManagementDisabledWritesWithoutTemplates(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	cfg.IndexManagement.Enabled = false
	// Locked-down clusters have the templates installed by an operator.
	put := func(path string, body any) {
		status, res := c.request(t, http.MethodPut, path, body)
		require.Less(t, status, 300, "%s: %v", path, res)
	}
	put("/_component_template/ops-audit", esdoc.ComponentTemplate(esdoc.TemplateOptions{}))
	put("/_index_template/ops-audit", esdoc.IndexTemplate(esdoc.IndexTemplateOptions{
		Dataset: cfg.DataStream.Dataset, ComposedOf: []string{"ops-audit"}, Priority: 500}))
	exp := startExporter(t, cfg, nil)
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(events(8, 20))))
	assert.Equal(t, 20, c.waitCount(t, cfg.index(), 20, 30*time.Second))
	policy, _, _, _ := (&esExporter{cfg: cfg}).names()
	status, _ := c.request(t, http.MethodGet, "/_ilm/policy/"+policy, nil)
	assert.Equal(t, http.StatusNotFound, status, "no policy installed with index management off")
}

// Old/new values are searchable by path (flattened) and as the original
// text; changed field names and related.* are keywords.
func TestChangeValuesSearchable(t *testing.T) {
	c := newCluster(t)
	cfg := testConfig(c, t)
	exp := startExporter(t, cfg, nil)
	evs := events(9, 20)
	evs[3].OldValue = `{"limits":{"daily":100},"status":"active"}`
	evs[3].NewValue = `{"limits":{"daily":5000},"status":"frozen"}`
	evs[3].ChangeFields = []string{"limits.daily", "status"}
	evs[4].NewValue = "plain text, not JSON"
	evs[5].ActorID, evs[5].ClientAddress = "emp-related-check", "198.51.100.77"
	sendAll(t, exp, evs, 20)
	require.Equal(t, 20, c.waitCount(t, cfg.index(), 20, 30*time.Second))
	c.refresh(t, cfg.index())

	for name, q := range map[string]map[string]any{
		"flattened path":       {"term": map[string]any{esdoc.FieldChangeNew + ".limits.daily": "5000"}},
		"flattened leaf value": {"term": map[string]any{esdoc.FieldChangeOld: "active"}},
		"changed field":        {"term": map[string]any{esdoc.FieldChangeFields: "limits.daily"}},
		"original text":        {"match_phrase": map[string]any{esdoc.FieldChangeNewText: "frozen"}},
	} {
		assert.Equal(t, 1, c.count(t, cfg.index(), map[string]any{"bool": map[string]any{"filter": []any{q,
			map[string]any{"term": map[string]any{esdoc.FieldEventID: evs[3].ID}}}}}), name)
	}
	assert.Equal(t, 1, c.count(t, cfg.index(), map[string]any{"match_phrase": map[string]any{esdoc.FieldChangeNewText: "plain text, not JSON"}}),
		"a value that is not JSON is kept as text")
	assert.Equal(t, 1, c.count(t, cfg.index(), map[string]any{"bool": map[string]any{"filter": []any{
		map[string]any{"term": map[string]any{esdoc.FieldRelatedUser: "emp-related-check"}},
		map[string]any{"term": map[string]any{esdoc.FieldRelatedIP: "198.51.100.0/24"}},
	}}}), "related.user keyword and related.ip CIDR")
}
