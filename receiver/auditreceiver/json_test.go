package auditreceiver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

const grantJSON = `{
  "id": "01JD3Q8W5T4ZK2V7X9B6N1M0PA",
  "timestamp": "2026-11-23T09:15:02.123456789Z",
  "action": "bonus.manual_grant",
  "outcome": "success",
  "actor_id": "emp-1042", "actor_name": "a.petrova", "actor_type": "employee", "actor_roles": ["bonus_manager"],
  "module": "bonuses", "target_type": "player", "target_id": "8812",
  "old_value": {"bonus_balance": 0},
  "new_value": {"bonus_balance": 500.50, "currency": "EUR"},
  "comment": "compensation for outage, ticket 5521", "tags": ["manual"],
  "client_address": "203.0.113.24", "user_agent": "Mozilla/5.0", "session_id": "sess-7f3a9c",
  "request_id": "req-5d1c0b7e", "tenant": "brand-eu", "source_service": "backoffice-eu",
  "body": "granted 500 EUR manual bonus to player 8812"
}`

func postEvents(t *testing.T, s *testServer, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(s.httpURL("/v1/audit/events"), contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, raw
}

func decodeIntake(t *testing.T, raw []byte) intakeResponse {
	t.Helper()
	var out intakeResponse
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return out
}

func TestJSONSingleEventMapsEveryField(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)
	observed := time.Date(2026, 11, 23, 9, 15, 3, 0, time.UTC)
	s.now = func() time.Time { return observed }

	status, header, raw := postEvents(t, s, "application/json", grantJSON)
	require.Equal(t, http.StatusOK, status, string(raw))
	assert.Equal(t, jsonContentType, header.Get("Content-Type"))
	assert.Equal(t, intakeResponse{Accepted: 1, Results: []itemResult{
		{Index: 0, ID: "01JD3Q8W5T4ZK2V7X9B6N1M0PA", Status: statusAccepted},
	}}, decodeIntake(t, raw))

	require.Len(t, sink.AllLogs(), 1)
	rl := sink.AllLogs()[0].ResourceLogs().At(0)
	assert.Equal(t, map[string]any{semconv.AttrServiceName: "backoffice-eu"}, rl.Resource().Attributes().AsRaw())
	lr := rl.ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "bonus.manual_grant", lr.EventName())
	assert.Equal(t, time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC), lr.Timestamp().AsTime())
	assert.Equal(t, observed, lr.ObservedTimestamp().AsTime())
	assert.Equal(t, "granted 500 EUR manual bonus to player 8812", lr.Body().Str())
	assert.Equal(t, map[string]any{
		semconv.AttrEventID:       "01JD3Q8W5T4ZK2V7X9B6N1M0PA",
		semconv.AttrActionOutcome: "success",
		semconv.AttrActorID:       "emp-1042",
		semconv.AttrActorName:     "a.petrova",
		semconv.AttrActorType:     "employee",
		semconv.AttrActorRoles:    []any{"bonus_manager"},
		semconv.AttrModule:        "bonuses",
		semconv.AttrTargetType:    "player",
		semconv.AttrTargetID:      "8812",
		semconv.AttrChangeOld:     `{"bonus_balance":0}`,
		semconv.AttrChangeNew:     `{"bonus_balance":500.50,"currency":"EUR"}`,
		semconv.AttrComment:       "compensation for outage, ticket 5521",
		semconv.AttrTags:          []any{"manual"},
		semconv.AttrClientAddress: "203.0.113.24",
		semconv.AttrUserAgent:     "Mozilla/5.0",
		semconv.AttrSessionID:     "sess-7f3a9c",
		semconv.AttrRequestID:     "req-5d1c0b7e",
		semconv.AttrTenant:        "brand-eu",
	}, lr.Attributes().AsRaw())
}

func TestJSONArrayRejectsBadItemsAlone(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)
	body := `[
	  {"id":"ok-1","timestamp":"2026-11-23T09:00:00Z","action":"withdrawal.cancel","outcome":"success","actor_id":"emp-7","module":"finance","source_service":"cashier"},
	  {"id":"unknown-1","timestamp":"2026-11-23T09:00:00Z","action":"withdrawal.cancel","outcome":"success","actor_id":"emp-7","module":"finance","amount":12},
	  {"id":"invalid-1","timestamp":"2026-11-23T09:00:00Z","action":"withdrawal.cancel","outcome":"ok","module":"finance"},
	  {"id":"type-1","actor_roles":"admin"},
	  {"id":"time-1","timestamp":"yesterday"},
	  {"id":"forged-1","chain_hash":"00"},
	  42,
	  {"id":"ok-2","timestamp":"2026-11-23T09:00:01Z","action":"role.assign","outcome":"denied","actor_id":"emp-8","module":"users","old_value":"plain text","new_value":["a",1]}
	]`
	status, _, raw := postEvents(t, s, "application/json", body)
	require.Equal(t, http.StatusOK, status, string(raw))
	assert.Equal(t, intakeResponse{Accepted: 2, Rejected: 6, Results: []itemResult{
		{Index: 0, ID: "ok-1", Status: statusAccepted},
		{Index: 1, ID: "unknown-1", Status: statusRejected, Error: `unknown field "amount"`},
		{Index: 2, ID: "invalid-1", Status: statusRejected, Error: `invalid audit event: user.id: required attribute is missing; ` +
			`audit.action.outcome: "ok" is not one of success, failure, denied`},
		{Index: 3, ID: "type-1", Status: statusRejected, Error: `field "actor_roles": expected []string, got a JSON string`},
		{Index: 4, ID: "time-1", Status: statusRejected, Error: `timestamp: "yesterday" is not an RFC 3339 time such as 2026-11-23T09:15:02Z`},
		{Index: 5, ID: "forged-1", Status: statusRejected, Error: `unknown field "chain_hash"`},
		{Index: 6, Status: statusRejected, Error: "an event must be a JSON object"},
		{Index: 7, ID: "ok-2", Status: statusAccepted},
	}}, decodeIntake(t, raw))

	assert.Equal(t, []string{"ok-1", "ok-2"}, idsOf(sink))
	attrs := attributesByID(sink)
	assert.Equal(t, "plain text", attrs["ok-2"][semconv.AttrChangeOld], "a JSON string is kept as is")
	assert.Equal(t, `["a",1]`, attrs["ok-2"][semconv.AttrChangeNew], "other JSON values keep their JSON text")
	assert.Equal(t, 2, sink.AllLogs()[0].ResourceLogs().Len(), "one resource per source_service")
	assert.Equal(t, int64(6), s.sumOf(t, rejectedMetricName))
}

func TestJSONNDJSON(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)
	line := func(id string) string {
		return `{"id":"` + id + `","timestamp":"2026-11-23T09:00:00Z","action":"report.export","outcome":"success","actor_id":"emp-1","module":"reports"}`
	}
	body := line("n-1") + "\r\n\n" + `{"id":"broken", ` + "\n" + line("n-2") + ` trailing` + "\n" + line("n-3") + "\n"
	status, _, raw := postEvents(t, s, "application/x-ndjson", body)
	require.Equal(t, http.StatusOK, status, string(raw))
	out := decodeIntake(t, raw)
	assert.Equal(t, 2, out.Accepted)
	assert.Equal(t, 2, out.Rejected)
	require.Len(t, out.Results, 4, "blank lines are not items")
	assert.Equal(t, itemResult{Index: 1, Status: statusRejected, Error: "invalid JSON: unexpected end of input"}, out.Results[1])
	assert.Equal(t, "n-2", out.Results[2].ID)
	assert.Equal(t, "unexpected data after the event object", out.Results[2].Error)
	assert.Equal(t, []string{"n-1", "n-3"}, idsOf(sink))
}

func TestJSONTagMode(t *testing.T) {
	sink := new(consumertest.LogsSink)
	cfg := testConfig(t)
	cfg.Validation.Mode = ValidationTag
	s := startReceiver(t, cfg, sink)
	status, _, raw := postEvents(t, s, "application/json", `{"id":"t-1","action":"x"}`)
	require.Equal(t, http.StatusOK, status)
	out := decodeIntake(t, raw)
	require.Len(t, out.Results, 1)
	assert.Equal(t, statusAccepted, out.Results[0].Status)
	assert.True(t, strings.HasPrefix(out.Results[0].Warning, "invalid audit event: timestamp: required"), out.Results[0].Warning)
	assert.Equal(t, out.Results[0].Warning, attributesByID(sink)["t-1"][semconv.AttrValidationError])
}

func TestJSONBadRequests(t *testing.T) {
	sink := new(consumertest.LogsSink)
	cfg := testConfig(t)
	cfg.Protocols.HTTP.Get().ServerConfig.MaxRequestBodySize = 2048
	s := startReceiver(t, cfg, sink)

	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		body        string
		wantStatus  int
		wantError   string
	}{
		{"not JSON", http.MethodPost, "application/json", "id=1&action=x", http.StatusBadRequest, "the body is not valid JSON: invalid JSON at byte 1"},
		{"truncated JSON", http.MethodPost, "application/json", `[{"id":"a"}`, http.StatusBadRequest, "the body is not valid JSON"},
		{"two top-level values", http.MethodPost, "application/json", `{"id":"a"} {"id":"b"}`, http.StatusBadRequest, "the body is not valid JSON"},
		{"scalar", http.MethodPost, "application/json", `"event"`, http.StatusBadRequest, "the body must be a JSON object or an array of objects"},
		{"empty", http.MethodPost, "application/json", " \n", http.StatusBadRequest, "the body is empty"},
		{"NDJSON without JSON", http.MethodPost, "application/x-ndjson", "a\nb\n", http.StatusBadRequest, "no line of the NDJSON body is JSON"},
		{"wrong content type", http.MethodPost, "text/csv", grantJSON, http.StatusUnsupportedMediaType, `unsupported content type "text/csv"`},
		{"protobuf content type", http.MethodPost, protobufContentType, grantJSON, http.StatusUnsupportedMediaType, "unsupported content type"},
		{"oversized", http.MethodPost, "application/json", "[" + strings.Repeat(grantJSON+",", 4) + grantJSON + "]", http.StatusRequestEntityTooLarge, "larger than the 2048 bytes allowed"},
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed, "method GET not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.httpURL("/v1/audit/events"), strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.wantStatus, resp.StatusCode)
			assert.Equal(t, jsonContentType, resp.Header.Get("Content-Type"))
			var out struct{ Error string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			assert.Contains(t, out.Error, tc.wantError)
		})
	}
	assert.Empty(t, idsOf(sink))

	status, _, raw := postEvents(t, s, "application/json; charset=utf-8", grantJSON)
	assert.Equal(t, http.StatusOK, status, string(raw))
	assert.Len(t, idsOf(sink), 1, "bad requests do not disturb the next one")
}

func TestJSONBackPressure(t *testing.T) {
	cfg := testConfig(t)
	cfg.RetryAfter = 7 * time.Second
	sink := newRefusingSink(1, exporterhelper.ErrQueueIsFull)
	s := startReceiver(t, cfg, sink)

	status, header, raw := postEvents(t, s, "application/json", grantJSON)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "7", header.Get("Retry-After"))
	assert.Contains(t, string(raw), "sending queue is full")
	assert.Empty(t, idsOf(&sink.LogsSink))

	status, _, _ = postEvents(t, s, "application/json", grantJSON)
	assert.Equal(t, http.StatusOK, status, "the retried request goes through")
	assert.Len(t, idsOf(&sink.LogsSink), 1)
}

// TestJSONAuditgenBatch posts generated events (typed defects only: the JSON
// shape cannot carry a wrong attribute type) as NDJSON and checks the
// per-item verdicts against what the generator says it broke.
func TestJSONAuditgenBatch(t *testing.T) {
	sink := new(consumertest.LogsSink)
	s := startReceiver(t, testConfig(t), sink)
	g := auditgen.New(auditgen.Options{Seed: 3, MalformedRatio: 0.25, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)})

	var body bytes.Buffer
	var items []auditgen.Item
	for len(items) < 300 {
		it := g.Next()
		check := plog.NewLogRecord()
		it.CopyToLogRecord(check)
		if it.Malformed && typeDefect(it, check) {
			continue
		}
		it.Event.SourceService = it.Service
		line, err := json.Marshal(it.Event)
		require.NoError(t, err)
		body.Write(line)
		body.WriteByte('\n')
		items = append(items, it)
	}
	status, _, raw := postEvents(t, s, "application/x-ndjson", body.String())
	require.Equal(t, http.StatusOK, status)
	out := decodeIntake(t, raw)
	require.Len(t, out.Results, len(items))
	require.Positive(t, out.Rejected, "the batch holds malformed events")
	valid := 0
	for i, res := range out.Results {
		it := items[i]
		if !it.Malformed {
			valid++
			assert.Equal(t, statusAccepted, res.Status, "item %d: %s", i, res.Error)
			continue
		}
		assert.Equal(t, statusRejected, res.Status, "item %d breaks %s", i, it.Defect)
		assert.Contains(t, res.Error, it.Defect+": ", "item %d", i)
	}
	assert.Equal(t, valid, out.Accepted)
	assert.Equal(t, valid, len(idsOf(sink)))
}

// typeDefect reports whether the generator broke the item by an attribute
// type that the typed event (and so the JSON shape) cannot express.
func typeDefect(it auditgen.Item, written plog.LogRecord) bool {
	typed := plog.NewLogRecord()
	it.Event.CopyToLogRecord(typed)
	return !reflect.DeepEqual(typed.Attributes().AsRaw(), written.Attributes().AsRaw())
}

// TestJSONShapeMatchesSemconvEvent keeps the intake's field names those of
// semconv.Event, whose JSON form is the documented event shape.
func TestJSONShapeMatchesSemconvEvent(t *testing.T) {
	eventTags := map[string]bool{}
	et := reflect.TypeFor[semconv.Event]()
	for i := range et.NumField() {
		eventTags[strings.Split(et.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	jt := reflect.TypeFor[jsonEvent]()
	for i := range jt.NumField() {
		tag := jt.Field(i).Tag.Get("json")
		assert.True(t, eventTags[tag], "intake field %q is not a semconv.Event field", tag)
	}
}

// TestJSONCompressedBodies: confighttp decompresses, and the size limit
// applies to the decompressed body, so a small bomb still gets 413.
func TestJSONCompressedBodies(t *testing.T) {
	sink := new(consumertest.LogsSink)
	cfg := testConfig(t)
	cfg.Protocols.HTTP.Get().ServerConfig.MaxRequestBodySize = 64 << 10
	s := startReceiver(t, cfg, sink)
	post := func(plain string) (int, string) {
		var zipped bytes.Buffer
		zw := gzip.NewWriter(&zipped)
		_, err := zw.Write([]byte(plain))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		req, err := http.NewRequest(http.MethodPost, s.httpURL("/v1/audit/events"), &zipped)
		require.NoError(t, err)
		req.Header.Set("Content-Type", jsonContentType)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(raw)
	}

	status, body := post(grantJSON)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Len(t, idsOf(sink), 1)

	status, body = post(`{"comment":"` + strings.Repeat("a", 1<<20) + `"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	assert.Contains(t, body, "larger than the 65536 bytes allowed")
	assert.Len(t, idsOf(sink), 1)
}
