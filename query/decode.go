package query

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// DecodeSource reads an Elasticsearch document (_source) of the audit
// mapping into an Event. Fields may be stored nested ({"user":{"id":…}}) or
// dotted ({"user.id":…}); both read the same.
func DecodeSource(source []byte) (semconv.Event, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(source))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return semconv.Event{}, fmt.Errorf("decode audit document: %w", err)
	}
	flat := map[string]any{}
	flatten("", doc, flat)
	e := semconv.Event{
		ID:              str(flat, "event.id"),
		Action:          str(flat, "event.action"),
		Category:        str(flat, "audit.action.category"),
		Outcome:         str(flat, "audit.action.outcome"),
		Severity:        str(flat, "audit.severity"),
		ActorID:         str(flat, "user.id"),
		ActorName:       str(flat, "user.name"),
		ActorType:       str(flat, "audit.actor.type"),
		ActorRoles:      strs(flat, "user.roles"),
		Module:          str(flat, "audit.module"),
		TargetType:      str(flat, "audit.target.type"),
		TargetID:        str(flat, "audit.target.id"),
		OldValue:        str(flat, "audit.change.old_text"),
		NewValue:        str(flat, "audit.change.new_text"),
		ChangeFields:    strs(flat, "audit.change.fields"),
		ChangeDiff:      str(flat, "audit.change.diff"),
		Comment:         str(flat, "audit.comment"),
		Tags:            strs(flat, "audit.tags"),
		ClientAddress:   str(flat, "source.ip"),
		UserAgent:       str(flat, "user_agent.original"),
		SessionID:       str(flat, "audit.session.id"),
		RequestID:       str(flat, "audit.request.id"),
		Tenant:          str(flat, "audit.tenant"),
		SourceService:   str(flat, "service.name"),
		Body:            str(flat, "message"),
		RedactedFields:  strs(flat, "audit.redacted.fields"),
		ValidationError: str(flat, "audit.validation.error"),
		IngestPrincipal: str(flat, "audit.ingest.principal"),
		ChainStream:     str(flat, "audit.chain.stream"),
		ChainHash:       str(flat, "audit.chain.hash"),
	}
	if e.Outcome == "" {
		e.Outcome = str(flat, "event.outcome")
	}
	if ts := str(flat, "@timestamp"); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return e, fmt.Errorf("decode audit document %q: @timestamp: %w", e.ID, err)
		}
		e.Timestamp = t.UTC()
	}
	if s := str(flat, "audit.chain.seq"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return e, fmt.Errorf("decode audit document %q: audit.chain.seq: %w", e.ID, err)
		}
		e.ChainSeq = n
	}
	return e, nil
}

// flatten writes nested objects as dotted keys. The flattened change values
// (audit.change.old/new) expand too; nothing reads them.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		if len(v) > 0 {
			return str(map[string]any{key: v[0]}, key)
		}
	}
	return ""
}

func strs(m map[string]any, key string) []string {
	switch v := m[key].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			if s := str(map[string]any{key: item}, key); s != "" {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}
