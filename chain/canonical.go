package chain

import (
	"strconv"
	"unicode/utf8"

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
	w.buf = appendJCSString(w.buf, v)
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
		w.buf = appendJCSString(w.buf, v)
	}
	w.buf = append(w.buf, ']')
}

const hexDigits = "0123456789abcdef"

// jcsPlain marks the bytes appendJCSString copies as they are: printable
// ASCII other than '"' and '\\'. (A table: this loop runs over every byte
// of every chained event.)
var jcsPlain = func() (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

// appendJCSString writes s as RFC 8785 requires: only '"', '\\' and control
// characters escaped (short forms where JSON has them), everything else
// literal; invalid UTF-8 becomes U+FFFD, as encoding/json does. Runs that
// need no escaping are copied whole.
func appendJCSString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jcsPlain[c] {
			i++
			continue
		}
		buf = append(buf, s[start:i]...)
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, "\ufffd"...)
			} else {
				buf = append(buf, s[i:i+size]...)
			}
			i += size
			start = i
			continue
		}
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\b':
			buf = append(buf, `\b`...)
		case '\t':
			buf = append(buf, `\t`...)
		case '\n':
			buf = append(buf, `\n`...)
		case '\f':
			buf = append(buf, `\f`...)
		case '\r':
			buf = append(buf, `\r`...)
		default:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
