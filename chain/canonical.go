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
	// "action" is never omitted, so every later member starts with a comma.
	b := append(dst, `{"action":`...)
	b = jsonstr.Append(b, e.Action)
	b = jsonstr.Append(append(b, `,"actor_id":`...), e.ActorID)
	b = optionalStr(b, `,"actor_name":`, e.ActorName)
	b = optionalList(b, `,"actor_roles":`, e.ActorRoles)
	b = optionalStr(b, `,"actor_type":`, e.ActorType)
	b = optionalStr(b, `,"body":`, e.Body)
	b = optionalStr(b, `,"category":`, e.Category)
	if e.ChainSeq != 0 {
		b = strconv.AppendInt(append(b, `,"chain_seq":`...), e.ChainSeq, 10)
	}
	b = optionalStr(b, `,"chain_stream":`, e.ChainStream)
	b = optionalStr(b, `,"change_diff":`, e.ChangeDiff)
	b = optionalList(b, `,"change_fields":`, e.ChangeFields)
	b = optionalStr(b, `,"client_address":`, e.ClientAddress)
	b = optionalStr(b, `,"comment":`, e.Comment)
	b = jsonstr.Append(append(b, `,"id":`...), e.ID)
	b = optionalStr(b, `,"ingest_principal":`, e.IngestPrincipal)
	b = jsonstr.Append(append(b, `,"module":`...), e.Module)
	b = optionalStr(b, `,"new_value":`, e.NewValue)
	b = optionalStr(b, `,"old_value":`, e.OldValue)
	b = jsonstr.Append(append(b, `,"outcome":`...), e.Outcome)
	b = optionalList(b, `,"redacted_fields":`, e.RedactedFields)
	b = optionalStr(b, `,"request_id":`, e.RequestID)
	b = optionalStr(b, `,"session_id":`, e.SessionID)
	b = optionalStr(b, `,"severity":`, e.Severity)
	b = optionalStr(b, `,"source_service":`, e.SourceService)
	b = optionalList(b, `,"tags":`, e.Tags)
	b = optionalStr(b, `,"target_id":`, e.TargetID)
	b = optionalStr(b, `,"target_type":`, e.TargetType)
	b = optionalStr(b, `,"tenant":`, e.Tenant)
	// semconv.FormatTime's form, which has nothing to escape.
	b = append(semconv.AppendTime(append(b, `,"timestamp":"`...), e.Timestamp), '"')
	b = optionalStr(b, `,"user_agent":`, e.UserAgent)
	b = optionalStr(b, `,"validation_error":`, e.ValidationError)
	return append(b, '}')
}

// optionalStr mirrors encoding/json's omitempty: an empty member is absent.
// It and optionalList take and return the buffer rather than writing through
// a pointer, which would cost a write barrier per member while the GC runs.
func optionalStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return jsonstr.Append(append(b, key...), v)
}

func optionalList(b []byte, key string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(append(b, key...), '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, v)
	}
	return append(b, ']')
}
