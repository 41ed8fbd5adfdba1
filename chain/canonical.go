package chain

import (
	"strconv"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
	"github.com/auditpipe/auditpipe/semconv"
)

// AppendCanonical appends the RFC 8785 (JCS) form of e's JSON encoding, with
// the chain hash left out, to dst. It writes the members directly in JCS
// order (keys sorted by UTF-16 code units, which for these ASCII keys is byte
// order) instead of marshalling and re-canonicalising: hashing is on the
// processor's hot path. The tests hold it byte-identical to
// jcs.Transform(json.Marshal(e)), so a field added to semconv.Event without
// being added here fails them.
func AppendCanonical(dst []byte, e *semconv.Event) []byte {
	w := jcsWriter{buf: append(dst, '{'), first: true}
	w.str("action", e.Action, false)
	w.str("actor_id", e.ActorID, false)
	w.str("actor_name", e.ActorName, true)
	w.list("actor_roles", e.ActorRoles)
	w.str("actor_type", e.ActorType, true)
	w.str("body", e.Body, true)
	w.str("category", e.Category, true)
	if e.ChainSeq != 0 {
		w.key("chain_seq")
		w.buf = strconv.AppendInt(w.buf, e.ChainSeq, 10)
	}
	w.str("chain_stream", e.ChainStream, true)
	w.str("change_diff", e.ChangeDiff, true)
	w.list("change_fields", e.ChangeFields)
	w.str("client_address", e.ClientAddress, true)
	w.str("comment", e.Comment, true)
	w.str("id", e.ID, false)
	w.str("ingest_principal", e.IngestPrincipal, true)
	w.str("module", e.Module, false)
	w.str("new_value", e.NewValue, true)
	w.str("old_value", e.OldValue, true)
	w.str("outcome", e.Outcome, false)
	w.list("redacted_fields", e.RedactedFields)
	w.str("request_id", e.RequestID, true)
	w.str("session_id", e.SessionID, true)
	w.str("severity", e.Severity, true)
	w.str("source_service", e.SourceService, true)
	w.list("tags", e.Tags)
	w.str("target_id", e.TargetID, true)
	w.str("target_type", e.TargetType, true)
	w.str("tenant", e.Tenant, true)
	// semconv.FormatTime's form, which has nothing to escape.
	w.key("timestamp")
	w.buf = append(semconv.AppendTime(append(w.buf, '"'), e.Timestamp), '"')
	w.str("user_agent", e.UserAgent, true)
	w.str("validation_error", e.ValidationError, true)
	return append(w.buf, '}')
}

type jcsWriter struct {
	buf   []byte
	first bool
}

func (w *jcsWriter) key(k string) {
	if !w.first {
		w.buf = append(w.buf, ',')
	}
	w.first = false
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, k...)
	w.buf = append(w.buf, '"', ':')
}

// str mirrors encoding/json's omitempty: an empty optional member is absent.
func (w *jcsWriter) str(k, v string, omitEmpty bool) {
	if omitEmpty && v == "" {
		return
	}
	w.key(k)
	w.buf = jsonstr.Append(w.buf, v)
}

func (w *jcsWriter) list(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	w.key(k)
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = jsonstr.Append(w.buf, v)
	}
	w.buf = append(w.buf, ']')
}
