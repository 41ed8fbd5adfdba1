package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

const (
	ndjsonContentType    = "application/x-ndjson"
	ndjsonAltContentType = "application/ndjson"

	statusAccepted = "accepted"
	statusRejected = "rejected"
)

var (
	errEmptyBody  = errors.New("the body is empty, send a JSON object, an array of objects or NDJSON")
	errBodyShape  = errors.New("the body must be a JSON object or an array of objects")
	errNoJSONLine = errors.New("no line of the NDJSON body is JSON")
)

// jsonEvent is the JSON intake shape: the fields of semconv.Event an emitter
// may set, under the same names. The pipeline's own fields (chain_*,
// validation_error, ingest_principal, ...) are unknown here, so that a
// sender cannot forge them. old_value and new_value take any JSON value.
type jsonEvent struct {
	ID            string          `json:"id"`
	Timestamp     string          `json:"timestamp"`
	Action        string          `json:"action"`
	Category      string          `json:"category"`
	Outcome       string          `json:"outcome"`
	Severity      string          `json:"severity"`
	ActorID       string          `json:"actor_id"`
	ActorName     string          `json:"actor_name"`
	ActorType     string          `json:"actor_type"`
	ActorRoles    []string        `json:"actor_roles"`
	Module        string          `json:"module"`
	TargetType    string          `json:"target_type"`
	TargetID      string          `json:"target_id"`
	OldValue      json.RawMessage `json:"old_value"`
	NewValue      json.RawMessage `json:"new_value"`
	Comment       string          `json:"comment"`
	Tags          []string        `json:"tags"`
	ClientAddress string          `json:"client_address"`
	UserAgent     string          `json:"user_agent"`
	SessionID     string          `json:"session_id"`
	RequestID     string          `json:"request_id"`
	Tenant        string          `json:"tenant"`
	SourceService string          `json:"source_service"`
	Body          string          `json:"body"`
}

// intakeResponse is the answer to a parsed JSON intake request.
type intakeResponse struct {
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	Results  []itemResult `json:"results"`
}

// itemResult says what happened to one event of the request. Warning holds
// the validation error of an event accepted in validation mode tag.
type itemResult struct {
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	Warning string `json:"warning,omitempty"`
}

// handleJSONEvents serves POST /v1/audit/events.
func (r *auditReceiver) handleJSONEvents(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed, use POST", req.Method))
		return
	}
	mt := mediaType(req)
	ndjson := mt == ndjsonContentType || mt == ndjsonAltContentType
	if !ndjson && mt != jsonContentType {
		writeJSONError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q, use %s or %s",
			req.Header.Get("Content-Type"), jsonContentType, ndjsonContentType))
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		writeJSONError(w, bodyReadStatus(err), bodyReadMessage(err))
		return
	}
	items, err := splitItems(body, ndjson)
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}

	src := r.admission.enrichment.source(req.Context(), req.Header.Values(forwardedForHeader))
	batch := newJSONBatch(pcommon.NewTimestampFromTime(r.now()))
	resp := intakeResponse{Results: make([]itemResult, len(items))}
	for i, raw := range items {
		res := r.admitJSON(batch, i, raw, src)
		if res.Status == statusAccepted {
			resp.Accepted++
		} else {
			resp.Rejected++
		}
		resp.Results[i] = res
	}
	if err := r.deliver(req.Context(), transportHTTP, formatJSON, batch.logs, resp.Rejected); err != nil {
		st := r.refusalStatus(err)
		setRetryAfter(w, st)
		writeJSONError(w, httpStatusOf(st.Code()), st.Message())
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// admitJSON decodes, validates and enriches one event and adds it to batch
// when it is admitted.
func (r *auditReceiver) admitJSON(batch *jsonBatch, index int, raw json.RawMessage, src requestSource) itemResult {
	res := itemResult{Index: index, Status: statusRejected}
	event, err := decodeEvent(raw)
	if err != nil {
		res.ID = lenientID(raw)
		res.Error = err.Error()
		return res
	}
	res.ID = event.ID
	lr := plog.NewLogRecord()
	event.CopyToLogRecord(lr)
	lr.SetObservedTimestamp(batch.observed)
	keep, invalid := r.admission.admit(lr, src)
	if !keep {
		res.Error = invalid.Error()
		return res
	}
	if invalid != nil {
		res.Warning = invalid.Error()
	}
	lr.MoveTo(batch.records(event.SourceService).AppendEmpty())
	res.Status = statusAccepted
	return res
}

// jsonBatch collects the admitted events of one request, one resource per
// source_service.
type jsonBatch struct {
	logs      plog.Logs
	observed  pcommon.Timestamp
	byService map[string]plog.LogRecordSlice
}

func newJSONBatch(observed pcommon.Timestamp) *jsonBatch {
	return &jsonBatch{logs: plog.NewLogs(), observed: observed, byService: map[string]plog.LogRecordSlice{}}
}

func (b *jsonBatch) records(service string) plog.LogRecordSlice {
	if records, ok := b.byService[service]; ok {
		return records
	}
	rl := b.logs.ResourceLogs().AppendEmpty()
	if service != "" {
		rl.Resource().Attributes().PutStr(semconv.AttrServiceName, service)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	b.byService[service] = sl.LogRecords()
	return sl.LogRecords()
}

// splitItems cuts the body into one raw JSON text per event. A JSON body is
// one object or an array; NDJSON has one event per non-empty line, and a
// line that is not JSON is rejected alone. It fails only when the body as a
// whole is not JSON.
func splitItems(body []byte, ndjson bool) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errEmptyBody
	}
	if ndjson {
		return ndjsonLines(trimmed)
	}
	var whole json.RawMessage
	if err := json.Unmarshal(trimmed, &whole); err != nil {
		return nil, fmt.Errorf("the body is not valid JSON: %s", describeJSONError(err))
	}
	switch trimmed[0] {
	case '{':
		return []json.RawMessage{whole}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("the body is not valid JSON: %s", describeJSONError(err))
		}
		return items, nil
	default:
		return nil, errBodyShape
	}
}

func ndjsonLines(body []byte) ([]json.RawMessage, error) {
	var items []json.RawMessage
	anyJSON := false
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		anyJSON = anyJSON || json.Valid(line)
		items = append(items, json.RawMessage(line))
	}
	if !anyJSON {
		return nil, errNoJSONLine
	}
	return items, nil
}

// decodeEvent reads one event strictly: an object, known fields only,
// nothing after it.
func decodeEvent(raw []byte) (semconv.Event, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return semconv.Event{}, errors.New("an event must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in jsonEvent
	if err := dec.Decode(&in); err != nil {
		return semconv.Event{}, errors.New(describeJSONError(err))
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return semconv.Event{}, errors.New("unexpected data after the event object")
	}
	return in.toEvent()
}

func (in *jsonEvent) toEvent() (semconv.Event, error) {
	e := semconv.Event{
		ID: in.ID, Action: in.Action, Category: in.Category, Outcome: in.Outcome, Severity: in.Severity,
		ActorID: in.ActorID, ActorName: in.ActorName, ActorType: in.ActorType, ActorRoles: in.ActorRoles,
		Module: in.Module, TargetType: in.TargetType, TargetID: in.TargetID,
		Comment: in.Comment, Tags: in.Tags, ClientAddress: in.ClientAddress, UserAgent: in.UserAgent,
		SessionID: in.SessionID, RequestID: in.RequestID, Tenant: in.Tenant,
		SourceService: in.SourceService, Body: in.Body,
	}
	if in.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Timestamp)
		if err != nil {
			return semconv.Event{}, fmt.Errorf("timestamp: %q is not an RFC 3339 time such as 2026-11-23T09:15:02Z", in.Timestamp)
		}
		e.Timestamp = t
	}
	var err error
	if e.OldValue, err = changeValueText(in.OldValue); err != nil {
		return semconv.Event{}, fmt.Errorf("old_value: %w", err)
	}
	if e.NewValue, err = changeValueText(in.NewValue); err != nil {
		return semconv.Event{}, fmt.Errorf("new_value: %w", err)
	}
	return e, nil
}

// changeValueText stores a change value as semconv wants it: a JSON string
// as its text, any other JSON value as its compact JSON text (keeping the
// sender's key order and number spelling), null as absent.
func changeValueText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return "", err
	}
	return compact.String(), nil
}

// describeJSONError rewrites encoding/json errors in the intake's terms.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q: expected %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	default:
		return strings.TrimPrefix(err.Error(), "json: ")
	}
}

// lenientID finds the id of an event that failed strict decoding, so the
// sender can tell which event the error is about.
func lenientID(raw []byte) string {
	var probe struct {
		ID any `json:"id"`
	}
	// A decoder, unlike Unmarshal, ignores what follows the first value.
	if json.NewDecoder(bytes.NewReader(raw)).Decode(&probe) != nil {
		return ""
	}
	id, _ := probe.ID.(string)
	return id
}

func writeJSONError(w http.ResponseWriter, httpStatus int, msg string) {
	writeJSON(w, httpStatus, struct {
		Error string `json:"error"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, httpStatus int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "cannot encode the response: %v", err)
		return
	}
	writeBody(w, jsonContentType, httpStatus, body)
}
