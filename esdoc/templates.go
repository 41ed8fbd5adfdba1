package esdoc

import (
	"strconv"
	"strings"
	"time"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
)

// maxTermChars keeps every indexed keyword below Lucene's 32766-byte term
// limit (4 bytes per character at worst). A longer value stays in _source
// but is not indexed, instead of failing the whole document.
const maxTermChars = 8191

func keyword() map[string]any { return map[string]any{"type": "keyword", "ignore_above": maxTermChars} }
func text() map[string]any    { return map[string]any{"type": "text"} }

// unindexedKeyword is kept in _source only: too large and too rarely
// searched to index (a diff, the original of a dead-lettered event).
func unindexedKeyword() map[string]any {
	return map[string]any{"type": "keyword", "index": false, "doc_values": false}
}

// documentFields is the document table of docs/semantic-conventions.md: the
// mapping of every field AppendDocument writes.
func documentFields() map[string]map[string]any {
	flattened := map[string]any{"type": "flattened", "ignore_above": maxTermChars}
	return map[string]map[string]any{
		FieldTimestamp:       {"type": "date"},
		FieldMessage:         text(),
		FieldEventID:         keyword(),
		FieldAction:          keyword(),
		FieldEventCategory:   keyword(),
		FieldEventType:       keyword(),
		FieldEventOutcome:    keyword(),
		FieldEventSeverity:   {"type": "long"},
		FieldEventKind:       keyword(),
		FieldEventDataset:    keyword(),
		FieldActorID:         keyword(),
		FieldActorName:       keyword(),
		FieldActorRoles:      keyword(),
		FieldSourceIP:        {"type": "ip"},
		FieldUserAgent:       keyword(),
		FieldRelatedUser:     keyword(),
		FieldRelatedIP:       {"type": "ip"},
		FieldServiceName:     keyword(),
		FieldTags:            keyword(),
		FieldActorType:       keyword(),
		FieldCategory:        keyword(),
		FieldOutcome:         keyword(),
		FieldSeverity:        keyword(),
		FieldModule:          keyword(),
		FieldTargetType:      keyword(),
		FieldTargetID:        keyword(),
		FieldSessionID:       keyword(),
		FieldRequestID:       keyword(),
		FieldTenant:          keyword(),
		FieldChainStream:     keyword(),
		FieldChainSeq:        {"type": "long"},
		FieldChainHash:       keyword(),
		FieldIngestPrincipal: keyword(),
		FieldAuditTags:       keyword(),
		FieldChangeFields:    keyword(),
		FieldRedactedFields:  keyword(),
		FieldChangeOld:       flattened,
		FieldChangeNew:       flattened,
		FieldChangeOldText:   text(),
		FieldChangeNewText:   text(),
		FieldChangeDiff:      unindexedKeyword(),
		FieldComment:         text(),
		FieldValidationError: text(),
	}
}

// Mappings returns the index mappings of audit documents. Dynamic mapping
// is off: AppendDocument writes only mapped fields, and a field someone else
// adds stays in _source without growing the mapping of an evidence store.
func Mappings() map[string]any {
	return map[string]any{
		"dynamic":    false,
		"properties": nest(documentFields()),
	}
}

// nest turns dotted field names into the object "properties" tree
// Elasticsearch mappings use.
func nest(fields map[string]map[string]any) map[string]any {
	root := map[string]any{}
	for name, mapping := range fields {
		props := root
		parts := strings.Split(name, ".")
		for _, p := range parts[:len(parts)-1] {
			obj, ok := props[p].(map[string]any)
			if !ok {
				obj = map[string]any{"properties": map[string]any{}}
				props[p] = obj
			}
			props = obj["properties"].(map[string]any)
		}
		props[parts[len(parts)-1]] = mapping
	}
	return root
}

// TemplateOptions configure ComponentTemplate.
type TemplateOptions struct {
	// LifecyclePolicy is the ILM policy backing indices use; empty sets none.
	LifecyclePolicy string
	// Version is stored as the template's version so an operator can tell
	// which auditpipe installed it.
	Version int
}

// ComponentTemplate returns the body of a PUT _component_template request
// carrying the audit mappings and lifecycle setting.
func ComponentTemplate(opts TemplateOptions) map[string]any {
	tmpl := map[string]any{"mappings": Mappings()}
	if opts.LifecyclePolicy != "" {
		tmpl["settings"] = map[string]any{"index.lifecycle.name": opts.LifecyclePolicy}
	}
	return withMeta(map[string]any{"template": tmpl}, opts.Version)
}

// IndexTemplateOptions configure IndexTemplate.
type IndexTemplateOptions struct {
	// Dataset is the data stream dataset: the template matches
	// logs-<Dataset>-* so that every namespace (tenant) shares it.
	Dataset string
	// ComposedOf names the component templates to apply, in order.
	ComposedOf []string
	// Priority must exceed the built-in logs template (100) so that ours
	// wins for logs-<Dataset>-*.
	Priority int
	Version  int
}

// IndexTemplate returns the body of a PUT _index_template request for the
// audit data streams.
func IndexTemplate(opts IndexTemplateOptions) map[string]any {
	return withMeta(map[string]any{
		"index_patterns": []string{"logs-" + opts.Dataset + "-*"},
		"data_stream":    map[string]any{},
		"composed_of":    opts.ComposedOf,
		"priority":       opts.Priority,
	}, opts.Version)
}

// Retention is the lifecycle of audit indices.
type Retention struct {
	// HotMaxAge rolls the write index over after this age.
	HotMaxAge time.Duration
	// WarmAfter moves an index to the warm phase this long after rollover;
	// zero skips the warm phase.
	WarmAfter time.Duration
	// DeleteAfter deletes an index this long after rollover; zero keeps
	// indices forever.
	DeleteAfter time.Duration
}

// ILMPolicy returns the body of a PUT _ilm/policy request implementing r.
func ILMPolicy(r Retention) map[string]any {
	phases := map[string]any{
		"hot": map[string]any{
			"min_age": "0ms",
			"actions": map[string]any{
				"rollover": map[string]any{
					"max_age":                Duration(r.HotMaxAge),
					"max_primary_shard_size": "50gb",
				},
			},
		},
	}
	if r.WarmAfter > 0 {
		phases["warm"] = map[string]any{
			"min_age": Duration(r.WarmAfter),
			"actions": map[string]any{"readonly": map[string]any{}, "set_priority": map[string]any{"priority": 50}},
		}
	}
	if r.DeleteAfter > 0 {
		phases["delete"] = map[string]any{
			"min_age": Duration(r.DeleteAfter),
			"actions": map[string]any{"delete": map[string]any{}},
		}
	}
	return map[string]any{"policy": map[string]any{"phases": phases}}
}

// Duration formats d in Elasticsearch time units, the largest unit that
// divides it exactly ("30d", "12h", "90s", "1500ms").
func Duration(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d != 0 && d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// DeadLetterIndexPrefix starts the name of every daily dead-letter index.
const DeadLetterIndexPrefix = "audit-deadletter-"

// DeadLetterIndex names the dead-letter index of day t (UTC):
// audit-deadletter-yyyy.mm.dd.
func DeadLetterIndex(t time.Time) string {
	return DeadLetterIndexPrefix + t.UTC().Format("2006.01.02")
}

// DeadLetterIndexTemplate returns the body of a PUT _index_template request
// for the plain (not data stream) dead-letter indices. Dynamic mapping is off
// so the failed event, kept whole in event.original, can never cause another
// mapping failure.
func DeadLetterIndexTemplate(priority, version int) map[string]any {
	return withMeta(map[string]any{
		"index_patterns": []string{DeadLetterIndexPrefix + "*"},
		"priority":       priority,
		"template": map[string]any{"mappings": map[string]any{
			"dynamic": false,
			"properties": nest(map[string]map[string]any{
				FieldTimestamp:     {"type": "date"},
				FieldEventID:       keyword(),
				FieldErrorType:     keyword(),
				FieldErrorReason:   text(),
				FieldEventOriginal: unindexedKeyword(),
			}),
		}},
	}, version)
}

// AppendDeadLetter appends the dead-letter document of an event that
// Elasticsearch refused: when it was refused, why, and the original document.
func AppendDeadLetter(dst []byte, at time.Time, eventID, errType, reason string, original []byte) []byte {
	w := writer{b: append(dst, '{')}
	w.key("@timestamp")
	w.b = append(w.b, '"')
	w.b = at.UTC().AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.open("event")
	w.str("id", eventID)
	w.key("original")
	w.b = jsonstr.Append(w.b, string(original))
	w.close()
	w.open("error")
	w.str("type", errType)
	w.str("reason", reason)
	w.close()
	return append(w.b, '}')
}

func withMeta(body map[string]any, version int) map[string]any {
	body["_meta"] = map[string]any{"managed_by": "auditpipe", "description": "audit events, see docs/semantic-conventions.md"}
	if version > 0 {
		body["version"] = version
	}
	return body
}
