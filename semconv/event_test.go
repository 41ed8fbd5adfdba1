package semconv

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// fullEvent sets every field of Event.
func fullEvent() Event {
	return Event{
		ID:              "01JD3Q8W5T4ZK2V7X9B6N1M0PA",
		Timestamp:       time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		Action:          "bonus.manual_grant",
		Category:        CategoryCritical,
		Outcome:         OutcomeSuccess,
		Severity:        SeverityCritical,
		ActorID:         "emp-1042",
		ActorName:       "a.petrova",
		ActorType:       ActorEmployee,
		ActorRoles:      []string{"bonus_manager", "support"},
		Module:          ModuleBonuses,
		TargetType:      "player",
		TargetID:        "8812",
		OldValue:        `{"bonus_balance":0}`,
		NewValue:        `{"bonus_balance":500}`,
		ChangeFields:    []string{"bonus_balance"},
		ChangeDiff:      `{"bonus_balance":[0,500]}`,
		Comment:         "compensation for outage, ticket 5521",
		Tags:            []string{"manual"},
		ClientAddress:   "203.0.113.24",
		UserAgent:       "Mozilla/5.0 (X11; Linux x86_64)",
		SessionID:       "sess-7f3a9c",
		RequestID:       "req-5d1c0b7e",
		Tenant:          "brand-eu",
		SourceService:   "backoffice-eu",
		Body:            "granted 500 EUR manual bonus to player 8812",
		RedactedFields:  []string{"audit.change.new:card_number:pan"},
		ValidationError: "",
		IngestPrincipal: "backoffice-eu",
		ChainStream:     "brand-eu",
		ChainSeq:        10452,
		ChainHash:       "9f2ce1",
	}
}

func roundTrip(e Event) Event {
	res := pcommon.NewResource()
	if e.SourceService != "" {
		res.Attributes().PutStr(AttrServiceName, e.SourceService)
	}
	lr := plog.NewLogRecord()
	e.CopyToLogRecord(lr)
	return EventFromLogRecord(res, lr)
}

func TestEventRoundTripsThroughALogRecord(t *testing.T) {
	e := fullEvent()
	e.ValidationError = "user.id: required attribute is missing"
	if got := roundTrip(e); !reflect.DeepEqual(got, e) {
		t.Errorf("round trip changed the event:\n got %+v\nwant %+v", got, e)
	}
	required := minimal()
	if got := roundTrip(required); !reflect.DeepEqual(got, required) {
		t.Errorf("round trip changed the minimal event:\n got %+v\nwant %+v", got, required)
	}
}

func TestCopyToLogRecordUsesTheConventionNames(t *testing.T) {
	lr := plog.NewLogRecord()
	e := fullEvent()
	e.CopyToLogRecord(lr)
	if lr.EventName() != e.Action || lr.Body().Str() != e.Body || !lr.Timestamp().AsTime().Equal(e.Timestamp) {
		t.Errorf("event name %q, body %q, time %v", lr.EventName(), lr.Body().Str(), lr.Timestamp().AsTime())
	}
	attrs := lr.Attributes()
	for key, want := range map[string]string{
		AttrEventID: e.ID, AttrActorID: e.ActorID, AttrActionOutcome: e.Outcome, AttrModule: e.Module,
		AttrClientAddress: e.ClientAddress, AttrChangeNew: e.NewValue, AttrTenant: e.Tenant,
	} {
		if v, ok := attrs.Get(key); !ok || v.Str() != want {
			t.Errorf("%s = %v, want %q", key, v.AsRaw(), want)
		}
	}
	if v, _ := attrs.Get(AttrActorRoles); v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() != 2 {
		t.Errorf("%s must be a string list, got %v", AttrActorRoles, v.AsRaw())
	}
	if v, _ := attrs.Get(AttrChainSeq); v.Type() != pcommon.ValueTypeInt || v.Int() != e.ChainSeq {
		t.Errorf("%s must be an int, got %v", AttrChainSeq, v.AsRaw())
	}
	if _, ok := attrs.Get(AttrServiceName); ok {
		t.Errorf("%s belongs to the resource, not the record", AttrServiceName)
	}
}

func TestEmptyLogRecordGivesTheZeroEvent(t *testing.T) {
	got := EventFromLogRecord(pcommon.NewResource(), plog.NewLogRecord())
	if !reflect.DeepEqual(got, Event{}) || !got.Timestamp.IsZero() {
		t.Errorf("got %+v", got)
	}
	lr := plog.NewLogRecord()
	(&Event{}).CopyToLogRecord(lr)
	if lr.Attributes().Len() != 0 || lr.Timestamp() != 0 {
		t.Errorf("the zero event wrote %v at %d", lr.Attributes().AsRaw(), lr.Timestamp())
	}
}

func TestEventFromLogRecordTolerantReading(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.Attributes().PutStr(AttrActorRoles, "admin") // a single role sent as a string
	lr.Attributes().PutInt(AttrActorID, 1042)
	lr.Attributes().PutStr(AttrChainSeq, "12") // not an int: ignored
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 23, 11, 0, 0, 0, time.FixedZone("CET", 3600))))
	e := EventFromLogRecord(pcommon.NewResource(), lr)
	if !reflect.DeepEqual(e.ActorRoles, []string{"admin"}) || e.ActorID != "1042" || e.ChainSeq != 0 {
		t.Errorf("got %+v", e)
	}
	if e.Timestamp.Location() != time.UTC || e.Timestamp.Hour() != 10 {
		t.Errorf("timestamp %v, want 10:00 UTC", e.Timestamp)
	}
}

func TestFormatTimeIsUTCWithNanoseconds(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 15, 2, 123456789, time.FixedZone("CET", 3600))
	if got, want := FormatTime(at), "2026-11-23T09:15:02.123456789Z"; got != want {
		t.Errorf("FormatTime = %q, want %q", got, want)
	}
}

// TestEventJSONFieldNames pins the JSON form: it is hashed by the chain
// and served by the HTTP APIs, so a renamed tag breaks stored data.
func TestEventJSONFieldNames(t *testing.T) {
	e := fullEvent()
	e.ValidationError = "x"
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "timestamp", "action", "category", "outcome", "severity", "actor_id", "actor_name",
		"actor_type", "actor_roles", "module", "target_type", "target_id", "old_value", "new_value", "change_fields",
		"change_diff", "comment", "tags", "client_address", "user_agent", "session_id", "request_id", "tenant",
		"source_service", "body", "redacted_fields", "validation_error", "ingest_principal", "chain_stream",
		"chain_seq", "chain_hash"}
	if len(fields) != len(want) {
		t.Errorf("%d JSON fields, want %d: %s", len(fields), len(want), raw)
	}
	for _, f := range want {
		if _, ok := fields[f]; !ok {
			t.Errorf("JSON field %q missing: %s", f, raw)
		}
	}
	if fields["timestamp"] != "2026-11-23T09:15:02.123456789Z" {
		t.Errorf("timestamp encodes as %v", fields["timestamp"])
	}
	raw, _ = json.Marshal(minimal())
	var sparse map[string]any
	_ = json.Unmarshal(raw, &sparse)
	if len(sparse) != 6 {
		t.Errorf("optional fields must be omitted when empty: %s", raw)
	}
}

// eventFromLogRecordByGet is the former EventFromLogRecord, one Map.Get per
// field, kept as the reference EventFromLogRecord must agree with.
func eventFromLogRecordByGet(resource pcommon.Resource, lr plog.LogRecord) Event {
	attrs := lr.Attributes()
	e := Event{
		ID:              refStr(attrs, AttrEventID),
		Timestamp:       lr.Timestamp().AsTime().UTC(),
		Action:          lr.EventName(),
		Category:        refStr(attrs, AttrActionCategory),
		Outcome:         refStr(attrs, AttrActionOutcome),
		Severity:        refStr(attrs, AttrSeverity),
		ActorID:         refStr(attrs, AttrActorID),
		ActorName:       refStr(attrs, AttrActorName),
		ActorType:       refStr(attrs, AttrActorType),
		ActorRoles:      refStrs(attrs, AttrActorRoles),
		Module:          refStr(attrs, AttrModule),
		TargetType:      refStr(attrs, AttrTargetType),
		TargetID:        refStr(attrs, AttrTargetID),
		OldValue:        refStr(attrs, AttrChangeOld),
		NewValue:        refStr(attrs, AttrChangeNew),
		ChangeFields:    refStrs(attrs, AttrChangeFields),
		ChangeDiff:      refStr(attrs, AttrChangeDiff),
		Comment:         refStr(attrs, AttrComment),
		Tags:            refStrs(attrs, AttrTags),
		ClientAddress:   refStr(attrs, AttrClientAddress),
		UserAgent:       refStr(attrs, AttrUserAgent),
		SessionID:       refStr(attrs, AttrSessionID),
		RequestID:       refStr(attrs, AttrRequestID),
		Tenant:          refStr(attrs, AttrTenant),
		SourceService:   refStr(resource.Attributes(), AttrServiceName),
		Body:            lr.Body().AsString(),
		RedactedFields:  refStrs(attrs, AttrRedactedFields),
		ValidationError: refStr(attrs, AttrValidationError),
		IngestPrincipal: refStr(attrs, AttrIngestPrincipal),
		ChainStream:     refStr(attrs, AttrChainStream),
	}
	if v, ok := attrs.Get(AttrChainSeq); ok && v.Type() == pcommon.ValueTypeInt {
		e.ChainSeq = v.Int()
	}
	e.ChainHash = refStr(attrs, AttrChainHash)
	if lr.Timestamp() == 0 {
		e.Timestamp = time.Time{}
	}
	return e
}

func refStr(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok {
		return v.AsString()
	}
	return ""
}

// withoutEmptyLists sets e's empty lists to nil: a reused Event keeps the
// arrays of its lists, so an absent list reads back empty, not nil.
func withoutEmptyLists(e Event) Event {
	for _, list := range []*[]string{&e.ActorRoles, &e.ChangeFields, &e.Tags, &e.RedactedFields} {
		if len(*list) == 0 {
			*list = nil
		}
	}
	return e
}

func refStrs(attrs pcommon.Map, key string) []string {
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
	var out []string // nil for an empty list too: no list is written for it
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).AsString())
	}
	return out
}

// valueKinds is the number of value kinds setValue writes.
const valueKinds = 11

// setValue writes value kind k into v; tag makes string values distinct.
func setValue(v pcommon.Value, k int, tag string) {
	switch k {
	case 0:
		v.SetStr("s-" + tag)
	case 1:
		v.SetStr("")
	case 2:
		v.SetInt(int64(len(tag)) + 41)
	case 3:
		v.SetDouble(2.5)
	case 4:
		v.SetBool(true)
	case 5:
		m := v.SetEmptyMap()
		m.PutStr("a", tag)
		m.PutInt("b", 7)
	case 6:
		sl := v.SetEmptySlice()
		sl.AppendEmpty().SetStr("i-" + tag)
		sl.AppendEmpty().SetInt(3)
		sl.AppendEmpty().SetBool(false)
		sl.AppendEmpty().SetEmptyMap().PutStr("k", "v")
	case 7:
		v.SetEmptySlice()
	case 8:
		v.SetEmptyBytes().FromRaw([]byte("b-" + tag))
	case 9:
		// left empty
	case 10:
		v.SetEmptySlice().AppendEmpty().SetStr("one-" + tag)
	}
}

type attr struct {
	key  string
	kind int
}

// dupMark is appended to keys so a pcommon.Map holds them apart until the
// JSON round trip in withDuplicates removes it.
var dupMark = regexp.MustCompile(`~dup~[0-9]+"`)

// withDuplicates builds one log record per entry of recs (attributes in
// order, keys may repeat) and returns them as the OTLP/JSON decoder gives
// them back, which keeps repeated keys as pcommon does for OTLP input.
func withDuplicates(t testing.TB, res []attr, recs [][]attr, setRecord func(i int, lr plog.LogRecord)) plog.ResourceLogs {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	n := 0
	put := func(m pcommon.Map, a attr) {
		n++
		setValue(m.PutEmpty(fmt.Sprintf("%s~dup~%d", a.key, n)), a.kind, fmt.Sprint(n))
	}
	for _, a := range res {
		put(rl.Resource().Attributes(), a)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	for i, rec := range recs {
		lr := sl.LogRecords().AppendEmpty()
		for _, a := range rec {
			put(lr.Attributes(), a)
		}
		setRecord(i, lr)
	}
	raw, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	back, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(dupMark.ReplaceAll(raw, []byte(`"`)))
	if err != nil {
		t.Fatal(err)
	}
	out := back.ResourceLogs().At(0)
	for i, rec := range recs {
		if got := out.ScopeLogs().At(0).LogRecords().At(i).Attributes().Len(); got != len(rec) {
			t.Fatalf("record %d has %d attributes after decoding, want %d (repeated keys lost)", i, got, len(rec))
		}
	}
	return out
}

func checkAgainstReference(t *testing.T, rl plog.ResourceLogs) {
	t.Helper()
	lrs := rl.ScopeLogs().At(0).LogRecords()
	var reused Event // read into again and again, as the chain does
	for i := 0; i < lrs.Len(); i++ {
		lr := lrs.At(i)
		want := eventFromLogRecordByGet(rl.Resource(), lr)
		if got := EventFromLogRecord(rl.Resource(), lr); !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d %v:\n got %#v\nwant %#v", i, lr.Attributes().AsRaw(), got, want)
		}
		reused.ReadLogRecord(rl.Resource(), lr)
		if got := withoutEmptyLists(reused); !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d read into a reused event %v:\n got %#v\nwant %#v", i, lr.Attributes().AsRaw(), got, want)
		}
	}
}

// TestEventFromLogRecordMatchesGet compares EventFromLogRecord with the
// Get-based reference on records carrying every audit attribute, each key
// in turn repeated with every pair of value kinds.
func TestEventFromLogRecordMatchesGet(t *testing.T) {
	keys := append(Attributes(), AttrServiceName, "other.attribute")
	var recs [][]attr
	for _, key := range keys {
		for first := range valueKinds {
			for second := range valueKinds {
				rec := []attr{{key, first}}
				for j, other := range keys {
					rec = append(rec, attr{other, (j + first) % valueKinds})
				}
				recs = append(recs, append(rec, attr{key, second}))
			}
		}
	}
	for _, res := range [][]attr{nil, {{AttrServiceName, 0}}, {{AttrServiceName, 2}, {AttrServiceName, 0}}} {
		checkAgainstReference(t, withDuplicates(t, res, recs, func(i int, lr plog.LogRecord) {
			lr.SetEventName(fmt.Sprint("action.", i%3))
			if i%2 == 1 {
				lr.SetTimestamp(pcommon.Timestamp(1_790_000_000_000_000_000 + i))
			}
			setValue(lr.Body(), i%valueKinds, "body")
		}))
	}
}

// TestEventFromLogRecordMatchesGetRandom does the same on random records:
// random subsets of the keys, in random order, repeated or not.
func TestEventFromLogRecordMatchesGetRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	keys := append(Attributes(), AttrServiceName, "other.attribute", "audit.other")
	recs := make([][]attr, 3000)
	for i := range recs {
		for range rnd.IntN(2 * len(keys)) {
			recs[i] = append(recs[i], attr{keys[rnd.IntN(len(keys))], rnd.IntN(valueKinds)})
		}
	}
	checkAgainstReference(t, withDuplicates(t, []attr{{"host.name", 0}}, recs, func(i int, lr plog.LogRecord) {
		if rnd.IntN(2) == 0 {
			lr.SetTimestamp(pcommon.Timestamp(rnd.Int64()))
		}
	}))
}

func TestEventFromLogRecordFirstOccurrenceWins(t *testing.T) {
	rl := withDuplicates(t, []attr{{AttrServiceName, 0}, {AttrServiceName, 2}}, [][]attr{{
		{AttrActorID, 0}, {AttrActorID, 2}, // "s-1", then 43
		{AttrTags, 1}, {AttrTags, 10}, // "" (no tags), then a list
		{AttrChainSeq, 0}, {AttrChainSeq, 2}, // a string (no seq), then an int
		{AttrChangeFields, 7}, {AttrChangeFields, 0}, // an empty list, then a string
	}}, func(int, plog.LogRecord) {})
	e := EventFromLogRecord(rl.Resource(), rl.ScopeLogs().At(0).LogRecords().At(0))
	if e.ActorID != "s-3" || e.Tags != nil || e.ChainSeq != 0 || e.ChangeFields != nil ||
		e.SourceService != "s-1" {
		t.Errorf("got %#v", e)
	}
}

// benchRecord is an audit record as the processor leaves it: the emitter's
// attributes and the pipeline's.
func benchRecord() (pcommon.Resource, plog.LogRecord) {
	res := pcommon.NewResource()
	res.Attributes().PutStr(AttrServiceName, "backoffice-eu")
	lr := plog.NewLogRecord()
	lr.SetEventName("bonus.manual_grant")
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC)))
	lr.Body().SetStr("granted 500 EUR manual bonus to player 8812")
	a := lr.Attributes()
	a.PutStr(AttrEventID, "01JD3Q8W5T4ZK2V7X9B6N1M0PA")
	a.PutStr(AttrActorID, "emp-1042")
	a.PutStr(AttrActorName, "a.petrova")
	putStrs(a, AttrActorRoles, []string{"bonus_manager", "support"})
	a.PutStr(AttrActorType, ActorEmployee)
	a.PutStr(AttrClientAddress, "203.0.113.24")
	a.PutStr(AttrUserAgent, "Mozilla/5.0 (X11; Linux x86_64)")
	a.PutStr(AttrSessionID, "sess-7f3a9c")
	a.PutStr(AttrActionOutcome, OutcomeSuccess)
	a.PutStr(AttrModule, ModuleBonuses)
	a.PutStr(AttrTargetType, "player")
	a.PutStr(AttrTargetID, "8812")
	a.PutStr(AttrChangeOld, `{"bonus_balance":0,"card_number":"****"}`)
	a.PutStr(AttrChangeNew, `{"bonus_balance":500,"card_number":"****"}`)
	a.PutStr(AttrRequestID, "req-5d1c0b7e")
	a.PutStr(AttrTenant, "brand-eu")
	a.PutStr(AttrActionCategory, CategoryCritical)
	a.PutStr(AttrSeverity, SeverityCritical)
	putStrs(a, AttrChangeFields, []string{"bonus_balance"})
	a.PutStr(AttrChangeDiff, `{"bonus_balance":[0,500]}`)
	putStrs(a, AttrRedactedFields, []string{"audit.change.new:card_number:pan"})
	a.PutStr(AttrChainStream, "brand-eu")
	a.PutInt(AttrChainSeq, 10452)
	return res, lr
}

func BenchmarkEventFromLogRecord(b *testing.B) {
	res, lr := benchRecord()
	for _, bm := range []struct {
		name string
		read func(pcommon.Resource, plog.LogRecord) Event
	}{{"one-pass", EventFromLogRecord}, {"by-get", eventFromLogRecordByGet}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			var e Event
			for b.Loop() {
				e = bm.read(res, lr)
			}
			if e.ChainSeq != 10452 {
				b.Fatal(e)
			}
		})
	}
}
