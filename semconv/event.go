package semconv

import (
	"slices"
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
	return string(AppendTime(nil, t))
}

// AppendTime appends FormatTime's form of t to dst.
func AppendTime(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// EventFromLogRecord reads the audit attributes of lr (and service.name from
// its resource) into an Event. Missing attributes stay zero; any value type
// is read through AsString, a list attribute also accepts a single value, and
// audit.chain.seq counts only as an Int. When a key repeats (possible in OTLP
// input), its first occurrence wins, as with pcommon.Map.Get.
//
// It reads the attributes in one pass: it runs once per event on the
// processor's and the exporter's hot paths, and a Get per field would scan
// the attribute list once per field.
func EventFromLogRecord(resource pcommon.Resource, lr plog.LogRecord) Event {
	var e Event
	e.ReadLogRecord(resource, lr)
	return e
}

// ReadLogRecord sets e to EventFromLogRecord(resource, lr), reusing the
// arrays of e's lists: a caller that reads one event after another and lets
// each go before the next saves allocating them every time.
func (e *Event) ReadLogRecord(resource pcommon.Resource, lr plog.LogRecord) {
	*e = Event{
		Action: lr.EventName(), Body: lr.Body().AsString(),
		ActorRoles: e.ActorRoles[:0], ChangeFields: e.ChangeFields[:0],
		Tags: e.Tags[:0], RedactedFields: e.RedactedFields[:0],
	}
	if ts := lr.Timestamp(); ts != 0 {
		e.Timestamp = ts.AsTime().UTC()
	}
	var read uint32 // bits of the fields already read
	for k, v := range lr.Attributes().All() {
		s, list, bit := e.attrField(k)
		if bit == 0 || read&bit != 0 {
			continue
		}
		read |= bit
		switch {
		case s != nil:
			*s = asString(v)
		case list != nil:
			*list = appendStrs(*list, v)
		case v.Type() == pcommon.ValueTypeInt: // audit.chain.seq
			e.ChainSeq = v.Int()
		}
	}
	if v, ok := resource.Attributes().Get(AttrServiceName); ok {
		e.SourceService = v.AsString()
	}
}

// attrField maps an attribute key to the Event field it fills: a string
// field, a list field or, for audit.chain.seq, neither; bit is the field's
// own bit, 0 for a key that is no audit attribute.
func (e *Event) attrField(key string) (s *string, list *[]string, bit uint32) {
	switch key {
	case AttrEventID:
		return &e.ID, nil, 1 << 0
	case AttrActionCategory:
		return &e.Category, nil, 1 << 1
	case AttrActionOutcome:
		return &e.Outcome, nil, 1 << 2
	case AttrSeverity:
		return &e.Severity, nil, 1 << 3
	case AttrActorID:
		return &e.ActorID, nil, 1 << 4
	case AttrActorName:
		return &e.ActorName, nil, 1 << 5
	case AttrActorType:
		return &e.ActorType, nil, 1 << 6
	case AttrActorRoles:
		return nil, &e.ActorRoles, 1 << 7
	case AttrModule:
		return &e.Module, nil, 1 << 8
	case AttrTargetType:
		return &e.TargetType, nil, 1 << 9
	case AttrTargetID:
		return &e.TargetID, nil, 1 << 10
	case AttrChangeOld:
		return &e.OldValue, nil, 1 << 11
	case AttrChangeNew:
		return &e.NewValue, nil, 1 << 12
	case AttrChangeFields:
		return nil, &e.ChangeFields, 1 << 13
	case AttrChangeDiff:
		return &e.ChangeDiff, nil, 1 << 14
	case AttrComment:
		return &e.Comment, nil, 1 << 15
	case AttrTags:
		return nil, &e.Tags, 1 << 16
	case AttrClientAddress:
		return &e.ClientAddress, nil, 1 << 17
	case AttrUserAgent:
		return &e.UserAgent, nil, 1 << 18
	case AttrSessionID:
		return &e.SessionID, nil, 1 << 19
	case AttrRequestID:
		return &e.RequestID, nil, 1 << 20
	case AttrTenant:
		return &e.Tenant, nil, 1 << 21
	case AttrRedactedFields:
		return nil, &e.RedactedFields, 1 << 22
	case AttrValidationError:
		return &e.ValidationError, nil, 1 << 23
	case AttrIngestPrincipal:
		return &e.IngestPrincipal, nil, 1 << 24
	case AttrChainStream:
		return &e.ChainStream, nil, 1 << 25
	case AttrChainSeq:
		return nil, nil, 1 << 26
	case AttrChainHash:
		return &e.ChainHash, nil, 1 << 27
	}
	return nil, nil, 0
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

// strs reads a string-list attribute value; a single non-empty value counts
// as a one-item list.
// appendStrs appends the strings of a list value, or a single value's
// string unless it is empty, to dst.
// asString is v.AsString() with a string value, the usual case, first: it
// is asked for every attribute of every event the chain and the exporter read.
func asString(v pcommon.Value) string {
	if s := v.Str(); s != "" {
		return s
	}
	return v.AsString()
}

func appendStrs(dst []string, v pcommon.Value) []string {
	if v.Type() != pcommon.ValueTypeSlice {
		if s := v.AsString(); s != "" {
			return append(dst, s)
		}
		return dst
	}
	items := v.Slice()
	dst = slices.Grow(dst, items.Len())
	for _, item := range items.All() {
		dst = append(dst, asString(item))
	}
	return dst
}

func putStrs(attrs pcommon.Map, key string, vals []string) {
	s := attrs.PutEmptySlice(key)
	s.EnsureCapacity(len(vals))
	for _, v := range vals {
		s.AppendEmpty().SetStr(v)
	}
}
