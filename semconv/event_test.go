package semconv

import (
	"encoding/json"
	"reflect"
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
