package auditelasticsearchexporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

func TestEncodeWritesCreateActionsWithEventIDs(t *testing.T) {
	evs := events(10, 5)
	var b batch
	b.encode(toLogs(evs), func(pcommon.Resource, plog.LogRecord) string { return "logs-audit-default" })
	require.Len(t, b.items, 5)
	lines := strings.Split(strings.TrimSuffix(string(b.body), "\n"), "\n")
	require.Len(t, lines, 10)
	for i, it := range b.items {
		var action map[string]map[string]string
		require.NoError(t, json.Unmarshal([]byte(lines[2*i]), &action))
		assert.Equal(t, map[string]string{"_index": "logs-audit-default", "_id": it.id}, action["create"])
		doc, err := esdoc.Decode(b.body[it.docStart : it.end-1])
		require.NoError(t, err)
		assert.Equal(t, it.id, doc.ID)
	}
}

func TestEventWithoutIDGetsAStableContentID(t *testing.T) {
	e := events(11, 1)[0]
	e.ID = ""
	var b1, b2 batch
	route := func(pcommon.Resource, plog.LogRecord) string { return "x" }
	b1.encode(toLogs([]semconv.Event{e}), route)
	b2.encode(toLogs([]semconv.Event{e}), route)
	assert.True(t, strings.HasPrefix(b1.items[0].id, "sha256-"))
	assert.Equal(t, b1.items[0].id, b2.items[0].id, "a retry of the same record must get the same _id")
}

func TestAppendActionEscapesUnusualIDs(t *testing.T) {
	line := appendAction(nil, "create", "logs-a-b", "id \"with\" quotes\n")
	var action map[string]map[string]string
	require.NoError(t, json.Unmarshal(line, &action))
	assert.Equal(t, "id \"with\" quotes\n", action["create"]["_id"])
	assert.True(t, bytes.HasSuffix(line, []byte("}}\n")))
}

func TestChunksRespectMaxBytes(t *testing.T) {
	var b batch
	b.encode(toLogs(events(12, 100)), func(pcommon.Resource, plog.LogRecord) string { return "i" })
	const maxBytes = 4096
	chunks := b.chunks(maxBytes)
	next := 0
	for _, c := range chunks {
		require.Equal(t, next, c.first, "chunks are contiguous")
		size := b.items[c.end-1].end - b.items[c.first].start
		assert.True(t, size <= maxBytes || c.end-c.first == 1, "chunk of %d bytes", size)
		next = c.end
	}
	assert.Equal(t, 100, next)
	assert.Len(t, b.chunks(1<<30), 1)
}

func TestSubsetKeepsResourceAndScope(t *testing.T) {
	evs := events(13, 30)
	ld := toLogs(evs)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().SetName("auditlog")
	var b batch
	b.encode(ld, func(pcommon.Resource, plog.LogRecord) string { return "i" })
	picked := []int{29, 0, 5}
	sub := b.subset(ld, picked)
	assert.Equal(t, 3, sub.LogRecordCount())
	got := map[string]string{}
	for i := 0; i < sub.ResourceLogs().Len(); i++ {
		rl := sub.ResourceLogs().At(i)
		svc, _ := rl.Resource().Attributes().Get(semconv.AttrServiceName)
		lrs := rl.ScopeLogs().At(0).LogRecords()
		for j := 0; j < lrs.Len(); j++ {
			id, _ := lrs.At(j).Attributes().Get(semconv.AttrEventID)
			got[id.Str()] = svc.Str()
		}
	}
	for _, i := range picked {
		it := b.items[i]
		assert.Equal(t, ld.ResourceLogs().At(it.rl).Resource().Attributes().AsRaw()[semconv.AttrServiceName], got[it.id])
	}
}

func TestSanitizeNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"brand-eu": "brand_eu", "Brand.UK": "brand_uk", "ok_1": "ok_1", "": "", "---": "",
		"ünï": "_n_", strings.Repeat("a", 150): strings.Repeat("a", 100),
	} {
		assert.Equal(t, want, sanitizeNamespace(in), "sanitizeNamespace(%q)", in)
	}
}

func TestParseBulkResponse(t *testing.T) {
	items, err := parseBulkResponse(strings.NewReader(`{"errors":false,"items":[{"create":{"status":201}}]}`))
	require.NoError(t, err)
	assert.Nil(t, items, "no errors: nothing decoded")

	items, err = parseBulkResponse(strings.NewReader(`{"took":3,"errors":true,"items":[
		{"create":{"status":201}},
		{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"document already exists"}}},
		{"index":{"status":400,"error":{"type":"document_parsing_exception","reason":"failed to parse field [source.ip]","caused_by":{"type":"illegal_argument_exception","reason":"'x' is not an IP string literal."}}}}]}`))
	require.NoError(t, err)
	require.Len(t, items, 3)
	assert.Equal(t, 409, items[1].Status)
	assert.Equal(t, "document_parsing_exception", items[2].errorType())
	assert.Equal(t, "failed to parse field [source.ip] (caused by illegal_argument_exception: 'x' is not an IP string literal.)", items[2].describe())

	_, err = parseBulkResponse(strings.NewReader(`{"errors":true,"items":[]}`))
	assert.Error(t, err)
	_, err = parseBulkResponse(strings.NewReader(`<html>`))
	assert.Error(t, err)
}

// scriptedES answers _bulk with a status per document chosen by script
// (keyed by event id), records every request, and accepts template calls.
type scriptedES struct {
	mu         sync.Mutex
	script     func(id string) int
	requests   []string // "METHOD path"
	created    map[string]bool
	deadLetter []map[string]any
	userAgents []string
	failBulk   int // whole-request status of the next failNext bulk requests
	failNext   int
}

func newScriptedES(t *testing.T, script func(id string) int) (*scriptedES, *httptest.Server) {
	s := &scriptedES{script: script, created: map[string]bool{}}
	ts := httptest.NewServer(gunzip(http.HandlerFunc(s.serve)))
	t.Cleanup(ts.Close)
	return s, ts
}

func (s *scriptedES) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.userAgents = append(s.userAgents, r.UserAgent())
	if r.URL.Path != "/_bulk" {
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
		return
	}
	if s.failNext > 0 {
		s.failNext--
		w.WriteHeader(s.failBulk)
		_, _ = io.WriteString(w, `{"error":{"type":"cluster_block_exception"}}`)
		return
	}
	var items []string
	errors := false
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		sc.Scan()
		for op, meta := range action {
			status := 201
			if strings.HasPrefix(meta.Index, esdoc.DeadLetterIndexPrefix) {
				var doc map[string]any
				_ = json.Unmarshal(sc.Bytes(), &doc)
				s.deadLetter = append(s.deadLetter, doc)
			} else {
				status = s.script(meta.ID)
				if status == 201 && s.created[meta.ID] {
					status = 409
				}
				if status == 201 {
					s.created[meta.ID] = true
				}
			}
			item := fmt.Sprintf(`{"%s":{"status":%d}}`, op, status)
			if status >= 300 {
				errors = true
				item = fmt.Sprintf(`{"%s":{"status":%d,"error":{"type":"status_%d_exception","reason":"scripted"}}}`, op, status, status)
			}
			items = append(items, item)
		}
	}
	fmt.Fprintf(w, `{"errors":%t,"items":[%s]}`, errors, strings.Join(items, ","))
}

func newUnitExporter(t testing.TB, url string, tel *componenttest.Telemetry, adjust ...func(*Config)) *esExporter {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{url}
	for _, f := range adjust {
		f(cfg)
	}
	set := exportertest.NewNopSettings(metadata.Type)
	set.BuildInfo.Version = "1.2.3"
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
	}
	exp, err := newExporter(cfg, set)
	require.NoError(t, err)
	exp.now = func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.shutdown(context.Background()) })
	return exp
}

func TestPushRetriesOnlyRetryableItems(t *testing.T) {
	evs := events(14, 10)
	statusOf := map[string]int{evs[1].ID: 429, evs[2].ID: 503, evs[3].ID: 400, evs[4].ID: 404}
	es, ts := newScriptedES(t, func(id string) int {
		if st, ok := statusOf[id]; ok {
			return st
		}
		return 201
	})
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := newUnitExporter(t, ts.URL, tel)

	err := exp.pushLogs(context.Background(), toLogs(evs))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	retried := map[string]bool{}
	lrsOf(logsErr.Data(), func(lr plog.LogRecord) {
		id, _ := lr.Attributes().Get(semconv.AttrEventID)
		retried[id.Str()] = true
	})
	assert.Equal(t, map[string]bool{evs[1].ID: true, evs[2].ID: true}, retried, "only 429 and 5xx items are retried")

	es.mu.Lock()
	require.Len(t, es.deadLetter, 2, "400 and 404 items are dead-lettered")
	for _, dl := range es.deadLetter {
		ev := dl["event"].(map[string]any)
		assert.Contains(t, []string{evs[3].ID, evs[4].ID}, ev["id"])
		assert.Contains(t, ev["original"], ev["id"])
		assert.Equal(t, "2026-11-23T10:00:00Z", dl["@timestamp"])
		assert.Contains(t, dl["error"].(map[string]any)["type"], "exception")
	}
	for _, ua := range es.userAgents {
		assert.Equal(t, "auditpipe/1.2.3", ua)
	}
	es.mu.Unlock()

	// The retry of the two: now accepted.
	delete(statusOf, evs[1].ID)
	delete(statusOf, evs[2].ID)
	require.NoError(t, exp.pushLogs(context.Background(), logsErr.Data()))
	assert.Equal(t, int64(8), documentCount(t, tel, "indexed"))
	assert.Equal(t, int64(2), documentCount(t, tel, "retried"))
	assert.Equal(t, int64(2), documentCount(t, tel, "dead_lettered"))

	// A replay of all ten: duplicates are conflicts, not errors, not copies.
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(evs[:3])))
	assert.Equal(t, int64(3), documentCount(t, tel, "conflict"))
}

func TestPushRetriesWholeRequestFailures(t *testing.T) {
	for _, status := range []int{429, 500, 503, 401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			es, ts := newScriptedES(t, func(string) int { return 201 })
			es.failBulk, es.failNext = status, 1000
			exp := newUnitExporter(t, ts.URL, nil)
			evs := events(15, 4)
			err := exp.pushLogs(context.Background(), toLogs(evs))
			require.Error(t, err)
			assert.False(t, consumererror.IsPermanent(err))
			var logsErr consumererror.Logs
			require.ErrorAs(t, err, &logsErr)
			assert.Equal(t, 4, logsErr.Data().LogRecordCount())
		})
	}
}

func TestWholeRequestRejectionIsDeadLettered(t *testing.T) {
	es, ts := newScriptedES(t, func(string) int { return 201 })
	exp := newUnitExporter(t, ts.URL, nil)
	evs := events(16, 3)

	// The bulk is refused as a whole (400): every document is dead-lettered.
	es.failBulk, es.failNext = http.StatusBadRequest, 1
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(evs)))
	es.mu.Lock()
	require.Len(t, es.deadLetter, 3)
	assert.Equal(t, "bulk_request_400", es.deadLetter[0]["error"].(map[string]any)["type"])
	es.mu.Unlock()

	// When the dead-letter write fails too, the events are retried, not lost.
	es.failNext = 2
	err := exp.pushLogs(context.Background(), toLogs(evs))
	require.Error(t, err)
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 3, logsErr.Data().LogRecordCount())
}

func TestPushWaitsForTemplates(t *testing.T) {
	es, ts := newScriptedES(t, func(string) int { return 201 })
	exp := newUnitExporter(t, ts.URL, nil)
	require.NoError(t, exp.pushLogs(context.Background(), toLogs(events(17, 2))))
	es.mu.Lock()
	defer es.mu.Unlock()
	bulk := -1
	for i, r := range es.requests {
		if r == "POST /_bulk" && bulk < 0 {
			bulk = i
		}
	}
	require.Positive(t, bulk)
	assert.Subset(t, es.requests[:bulk], []string{
		"PUT /_ilm/policy/auditpipe-audit-retention",
		"PUT /_component_template/auditpipe-audit-mappings",
		"PUT /_index_template/auditpipe-audit",
		"PUT /_index_template/auditpipe-deadletter",
	})
}

func lrsOf(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}
