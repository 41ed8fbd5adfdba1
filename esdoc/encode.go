package esdoc

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
	"github.com/auditpipe/auditpipe/semconv"
)

// ecsCategory is the ECS event.category / event.type pair of each
// audit.action.category, pre-encoded as JSON arrays (table "Category to ECS
// and OCSF" of docs/semantic-conventions.md).
var ecsCategory = map[string]struct{ category, typ string }{
	semconv.CategoryDataChange:   {`["configuration"]`, `["change"]`},
	semconv.CategoryCreate:       {`["configuration"]`, `["creation"]`},
	semconv.CategoryDelete:       {`["configuration"]`, `["deletion"]`},
	semconv.CategoryRights:       {`["iam"]`, `["change","group"]`},
	semconv.CategoryExportAccess: {`["database"]`, `["access"]`},
	semconv.CategoryLogin:        {`["authentication"]`, `["start"]`},
	semconv.CategoryConfig:       {`["configuration"]`, `["change"]`},
	semconv.CategoryFinancial:    {`["configuration"]`, `["change"]`},
	semconv.CategoryCritical:     {`["configuration"]`, `["change"]`},
}

// ecsOutcome maps audit.action.outcome to ECS event.outcome, whose only
// values are success, failure and unknown.
func ecsOutcome(outcome string) string {
	switch outcome {
	case semconv.OutcomeSuccess:
		return "success"
	case semconv.OutcomeFailure, semconv.OutcomeDenied:
		return "failure"
	}
	return "unknown"
}

// AppendDocument appends the document of e to dst as one line of JSON (no
// trailing newline) and returns the extended buffer. Empty fields are
// omitted. Strings must be valid UTF-8 to round-trip: invalid bytes are
// written as U+FFFD, as encoding/json does.
func AppendDocument(dst []byte, e *semconv.Event) []byte {
	w := writer{b: append(dst, '{')}
	w.key("@timestamp")
	w.b = append(w.b, '"')
	w.b = e.Timestamp.UTC().AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.str("message", e.Body)

	w.open("event")
	w.str("id", e.ID)
	w.str("action", e.Action)
	if c, ok := ecsCategory[e.Category]; ok {
		w.raw("category", c.category)
		w.raw("type", c.typ)
	}
	if e.Outcome != "" {
		w.str("outcome", ecsOutcome(e.Outcome))
	}
	if rank := semconv.SeverityRank(e.Severity); rank >= 0 {
		w.key("severity")
		w.b = strconv.AppendInt(w.b, int64(rank), 10)
	}
	w.str("kind", EventKind)
	w.str("dataset", EventDataset)
	w.close()

	if e.ActorID != "" || e.ActorName != "" || len(e.ActorRoles) > 0 {
		w.open("user")
		w.str("id", e.ActorID)
		w.str("name", e.ActorName)
		w.strs("roles", e.ActorRoles)
		w.close()
	}
	w.single("source", "ip", e.ClientAddress)
	w.single("user_agent", "original", e.UserAgent)
	w.related(e)
	w.single("service", "name", e.SourceService)
	w.strs("tags", e.Tags)

	w.open("audit")
	w.single("actor", "type", e.ActorType)
	if e.Category != "" || e.Outcome != "" {
		w.open("action")
		w.str("category", e.Category)
		w.str("outcome", e.Outcome)
		w.close()
	}
	w.str("severity", e.Severity)
	w.str("module", e.Module)
	if e.TargetType != "" || e.TargetID != "" {
		w.open("target")
		w.str("type", e.TargetType)
		w.str("id", e.TargetID)
		w.close()
	}
	w.single("session", "id", e.SessionID)
	w.single("request", "id", e.RequestID)
	w.str("tenant", e.Tenant)
	if e.ChainStream != "" || e.ChainSeq != 0 || e.ChainHash != "" {
		w.open("chain")
		w.str("stream", e.ChainStream)
		if e.ChainSeq != 0 {
			w.key("seq")
			w.b = strconv.AppendInt(w.b, e.ChainSeq, 10)
		}
		w.str("hash", e.ChainHash)
		w.close()
	}
	w.single("ingest", "principal", e.IngestPrincipal)
	w.strs("tags", e.Tags)
	w.change(e)
	if len(e.RedactedFields) > 0 {
		w.open("redacted")
		w.strs("fields", e.RedactedFields)
		w.close()
	}
	w.str("comment", e.Comment)
	w.single("validation", "error", e.ValidationError)
	w.close()

	return append(w.b, '}')
}

// writer appends JSON members, tracking whether the next one needs a comma.
// Keys are constants that need no escaping.
type writer struct {
	b     []byte
	comma bool
}

func (w *writer) key(k string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = true
}

func (w *writer) open(k string) {
	w.key(k)
	w.b = append(w.b, '{')
	w.comma = false
}

func (w *writer) close() {
	w.b = append(w.b, '}')
	w.comma = true
}

func (w *writer) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = jsonstr.Append(w.b, v)
}

// single writes {"obj":{"k":v}} for a one-field object, if v is set.
func (w *writer) single(obj, k, v string) {
	if v == "" {
		return
	}
	w.open(obj)
	w.str(k, v)
	w.close()
}

func (w *writer) strs(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = jsonstr.Append(w.b, v)
	}
	w.b = append(w.b, ']')
}

func (w *writer) raw(k, v string) {
	w.key(k)
	w.b = append(w.b, v...)
}

// related fills ECS related.user (actor id and name) and related.ip.
func (w *writer) related(e *semconv.Event) {
	if e.ActorID == "" && e.ActorName == "" && e.ClientAddress == "" {
		return
	}
	w.open("related")
	if e.ActorID != "" || e.ActorName != "" {
		w.key("user")
		w.b = append(w.b, '[')
		if e.ActorID != "" {
			w.b = jsonstr.Append(w.b, e.ActorID)
		}
		if e.ActorName != "" && e.ActorName != e.ActorID {
			if e.ActorID != "" {
				w.b = append(w.b, ',')
			}
			w.b = jsonstr.Append(w.b, e.ActorName)
		}
		w.b = append(w.b, ']')
	}
	if e.ClientAddress != "" {
		w.key("ip")
		w.b = append(w.b, '[')
		w.b = jsonstr.Append(w.b, e.ClientAddress)
		w.b = append(w.b, ']')
	}
	w.close()
}

func (w *writer) change(e *semconv.Event) {
	if e.OldValue == "" && e.NewValue == "" && len(e.ChangeFields) == 0 && e.ChangeDiff == "" {
		return
	}
	w.open("change")
	w.flattened("old", e.OldValue)
	w.flattened("new", e.NewValue)
	w.str("old_text", e.OldValue)
	w.str("new_text", e.NewValue)
	w.strs("fields", e.ChangeFields)
	w.str("diff", e.ChangeDiff)
	w.close()
}

// flattened writes v as a JSON object for a flattened field: an object as
// is, any other JSON value wrapped as {"value": v}, nothing if v is not JSON.
func (w *writer) flattened(k, v string) {
	if v == "" || !isJSON(v) {
		return
	}
	w.key(k)
	if first := firstNonSpace(v); first == '{' {
		w.b = appendCompact(w.b, v)
		return
	}
	w.b = append(w.b, `{"value":`...)
	w.b = appendCompact(w.b, v)
	w.b = append(w.b, '}')
}

// isJSON reports whether v is valid JSON in valid UTF-8 (encoding/json
// accepts invalid UTF-8 inside strings; Elasticsearch does not).
func isJSON(v string) bool {
	if !mayBeJSON(v) {
		return false
	}
	// A read-only view of v's bytes: json.Valid does not retain or modify
	// its argument, and copying 64 KiB change values would dominate the cost.
	return utf8.ValidString(v) && json.Valid(unsafe.Slice(unsafe.StringData(v), len(v)))
}

// mayBeJSON rejects most plain text by its first and last characters,
// sparing the full validation (which allocates an error for non-JSON).
func mayBeJSON(v string) bool {
	first, last := firstNonSpace(v), lastNonSpace(v)
	switch first {
	case '{':
		return last == '}'
	case '[':
		return last == ']'
	case '"':
		return last == '"'
	case 't', 'f':
		return last == 'e'
	case 'n':
		return last == 'l'
	}
	return first == '-' || first >= '0' && first <= '9'
}

func lastNonSpace(v string) byte {
	for i := len(v) - 1; i >= 0; i-- {
		if !isSpace(v[i]) {
			return v[i]
		}
	}
	return 0
}

func firstNonSpace(v string) byte {
	for i := 0; i < len(v); i++ {
		if !isSpace(v[i]) {
			return v[i]
		}
	}
	return 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendCompact appends valid JSON v without the white space between its
// tokens, so that a pretty-printed value cannot break the bulk body's lines.
func appendCompact(dst []byte, v string) []byte {
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case isSpace(c):
			dst = append(dst, v[start:i]...)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}
