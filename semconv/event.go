package semconv

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Event is the typed form of one audit event: what the processor chains, what
// the exporter indexes and what the query layer decodes. Its JSON form (the
// field tags) is the event shape of auditpipe's HTTP APIs and of the
// tamper-evidence hash, so a field's tag must never change meaning.
type Event struct {
	ID            string    `json:"id"`
	Timestamp     time.Time `json:"timestamp"`
	Action        string    `json:"action"`
	Category      string    `json:"category,omitempty"`
	Outcome       string    `json:"outcome"`
	Severity      string    `json:"severity,omitempty"`
	ActorID       string    `json:"actor_id"`
	ActorName     string    `json:"actor_name,omitempty"`
	ActorType     string    `json:"actor_type,omitempty"`
	ActorRoles    []string  `json:"actor_roles,omitempty"`
	Module        string    `json:"module"`
	TargetType    string    `json:"target_type,omitempty"`
	TargetID      string    `json:"target_id,omitempty"`
	OldValue      string    `json:"old_value,omitempty"`
	NewValue      string    `json:"new_value,omitempty"`
	ChangeFields  []string  `json:"change_fields,omitempty"`
	ChangeDiff    string    `json:"change_diff,omitempty"`
	Comment       string    `json:"comment,omitempty"`
	Tags          []string  `json:"tags,omitempty"`
	ClientAddress string    `json:"client_address,omitempty"`
	UserAgent     string    `json:"user_agent,omitempty"`
	SessionID     string    `json:"session_id,omitempty"`
	RequestID     string    `json:"request_id,omitempty"`
	Tenant        string    `json:"tenant,omitempty"`
	SourceService string    `json:"source_service,omitempty"`
	Body          string    `json:"body,omitempty"`

	RedactedFields  []string `json:"redacted_fields,omitempty"`
	ValidationError string   `json:"validation_error,omitempty"`
	IngestPrincipal string   `json:"ingest_principal,omitempty"`
	ChainStream     string   `json:"chain_stream,omitempty"`
	ChainSeq        int64    `json:"chain_seq,omitempty"`
	ChainHash       string   `json:"chain_hash,omitempty"`
}

// FormatTime is the one textual form of an event time everywhere auditpipe
// writes one (documents, hashes, exports): UTC, RFC 3339 with nanoseconds.
// Keeping it identical is what lets a verifier re-hash a stored document.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// EventFromLogRecord reads the audit attributes of lr (and service.name from
// its resource) into an Event. Missing attributes stay zero.
func EventFromLogRecord(resource pcommon.Resource, lr plog.LogRecord) Event {
	attrs := lr.Attributes()
	e := Event{
		ID:              str(attrs, AttrEventID),
		Timestamp:       lr.Timestamp().AsTime().UTC(),
		Action:          lr.EventName(),
		Category:        str(attrs, AttrActionCategory),
		Outcome:         str(attrs, AttrActionOutcome),
		Severity:        str(attrs, AttrSeverity),
		ActorID:         str(attrs, AttrActorID),
		ActorName:       str(attrs, AttrActorName),
		ActorType:       str(attrs, AttrActorType),
		ActorRoles:      strs(attrs, AttrActorRoles),
		Module:          str(attrs, AttrModule),
		TargetType:      str(attrs, AttrTargetType),
		TargetID:        str(attrs, AttrTargetID),
		OldValue:        str(attrs, AttrChangeOld),
		NewValue:        str(attrs, AttrChangeNew),
		ChangeFields:    strs(attrs, AttrChangeFields),
		ChangeDiff:      str(attrs, AttrChangeDiff),
		Comment:         str(attrs, AttrComment),
		Tags:            strs(attrs, AttrTags),
		ClientAddress:   str(attrs, AttrClientAddress),
		UserAgent:       str(attrs, AttrUserAgent),
		SessionID:       str(attrs, AttrSessionID),
		RequestID:       str(attrs, AttrRequestID),
		Tenant:          str(attrs, AttrTenant),
		SourceService:   str(resource.Attributes(), AttrServiceName),
		Body:            lr.Body().AsString(),
		RedactedFields:  strs(attrs, AttrRedactedFields),
		ValidationError: str(attrs, AttrValidationError),
		IngestPrincipal: str(attrs, AttrIngestPrincipal),
		ChainStream:     str(attrs, AttrChainStream),
	}
	if v, ok := attrs.Get(AttrChainSeq); ok && v.Type() == pcommon.ValueTypeInt {
		e.ChainSeq = v.Int()
	}
	e.ChainHash = str(attrs, AttrChainHash)
	if lr.Timestamp() == 0 {
		e.Timestamp = time.Time{}
	}
	return e
}

// CopyToLogRecord writes e into lr: EventName, timestamp, body and one
// attribute per non-empty field. SourceService belongs to the resource and
// is not written here.
func (e *Event) CopyToLogRecord(lr plog.LogRecord) {
	lr.SetEventName(e.Action)
	if !e.Timestamp.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.Timestamp))
	}
	if e.Body != "" {
		lr.Body().SetStr(e.Body)
	}
	attrs := lr.Attributes()
	for _, kv := range []struct{ key, val string }{
		{AttrEventID, e.ID}, {AttrActionCategory, e.Category}, {AttrActionOutcome, e.Outcome},
		{AttrSeverity, e.Severity}, {AttrActorID, e.ActorID}, {AttrActorName, e.ActorName},
		{AttrActorType, e.ActorType}, {AttrModule, e.Module}, {AttrTargetType, e.TargetType},
		{AttrTargetID, e.TargetID}, {AttrChangeOld, e.OldValue}, {AttrChangeNew, e.NewValue},
		{AttrChangeDiff, e.ChangeDiff}, {AttrComment, e.Comment}, {AttrClientAddress, e.ClientAddress},
		{AttrUserAgent, e.UserAgent}, {AttrSessionID, e.SessionID}, {AttrRequestID, e.RequestID},
		{AttrTenant, e.Tenant}, {AttrValidationError, e.ValidationError},
		{AttrIngestPrincipal, e.IngestPrincipal}, {AttrChainStream, e.ChainStream}, {AttrChainHash, e.ChainHash},
	} {
		if kv.val != "" {
			attrs.PutStr(kv.key, kv.val)
		}
	}
	for _, kv := range []struct {
		key  string
		vals []string
	}{
		{AttrActorRoles, e.ActorRoles}, {AttrChangeFields, e.ChangeFields},
		{AttrTags, e.Tags}, {AttrRedactedFields, e.RedactedFields},
	} {
		if len(kv.vals) > 0 {
			putStrs(attrs, kv.key, kv.vals)
		}
	}
	if e.ChainSeq != 0 {
		attrs.PutInt(AttrChainSeq, e.ChainSeq)
	}
}

func str(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// strs reads a string-slice attribute; a single string counts as a one-item list.
func strs(attrs pcommon.Map, key string) []string {
	v, ok := attrs.Get(key)
	if !ok {
		return nil
	}
	if v.Type() != pcommon.ValueTypeSlice {
		if s := v.AsString(); s != "" {
			return []string{s}
		}
		return nil
	}
	out := make([]string, 0, v.Slice().Len())
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).AsString())
	}
	return out
}

func putStrs(attrs pcommon.Map, key string, vals []string) {
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(vals))
	for _, v := range vals {
		s.AppendEmpty().SetStr(v)
	}
}
