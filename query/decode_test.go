package query

import (
	"reflect"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

func TestDecodeSource(t *testing.T) {
	want := semconv.Event{
		ID: "01JD3Q8W5T4ZK2V7X9B6N1M0PA", Timestamp: time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		Action: "bonus.manual_grant", Category: "financial", Outcome: "success", Severity: "high",
		ActorID: "emp-1042", ActorName: "a.petrova", ActorType: "employee", ActorRoles: []string{"bonus_manager"},
		Module: "bonuses", TargetType: "player", TargetID: "8812",
		OldValue: `{"bonus_balance":0}`, NewValue: `{"bonus_balance":500}`, ChangeFields: []string{"bonus_balance"},
		ChangeDiff: `{"bonus_balance":[0,500]}`, Comment: "compensation", Tags: []string{"manual"},
		ClientAddress: "203.0.113.24", UserAgent: "Mozilla/5.0", SessionID: "sess-1", RequestID: "req-1",
		Tenant: "brand-eu", SourceService: "backoffice", Body: "granted 500 EUR",
		RedactedFields: []string{"audit.change.new:card_number:pan"}, IngestPrincipal: "bo-eu",
		ChainStream: "brand-eu", ChainSeq: 10452, ChainHash: "9f2c",
	}
	nested := `{"@timestamp":"2026-11-23T09:15:02.123456789Z","message":"granted 500 EUR",
	 "event":{"id":"01JD3Q8W5T4ZK2V7X9B6N1M0PA","action":"bonus.manual_grant","outcome":"success","severity":3},
	 "user":{"id":"emp-1042","name":"a.petrova","roles":["bonus_manager"]},
	 "source":{"ip":"203.0.113.24"},"user_agent":{"original":"Mozilla/5.0"},"service":{"name":"backoffice"},
	 "audit":{"actor":{"type":"employee"},"action":{"category":"financial","outcome":"success"},"severity":"high",
	  "module":"bonuses","target":{"type":"player","id":"8812"},
	  "change":{"old":{"bonus_balance":0},"new":{"bonus_balance":500},"old_text":"{\"bonus_balance\":0}",
	   "new_text":"{\"bonus_balance\":500}","fields":["bonus_balance"],"diff":"{\"bonus_balance\":[0,500]}"},
	  "comment":"compensation","tags":["manual"],"session":{"id":"sess-1"},"request":{"id":"req-1"},
	  "tenant":"brand-eu","redacted":{"fields":["audit.change.new:card_number:pan"]},
	  "ingest":{"principal":"bo-eu"},"chain":{"stream":"brand-eu","seq":10452,"hash":"9f2c"}}}`
	for name, src := range map[string]string{"nested": nested} {
		got, err := DecodeSource([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

func TestDecodeSourceErrors(t *testing.T) {
	for _, src := range []string{`{`, `{"@timestamp":"yesterday"}`, `{"audit":{"chain":{"seq":"x"}}}`} {
		if _, err := DecodeSource([]byte(src)); err == nil {
			t.Errorf("DecodeSource(%s) succeeded", src)
		}
	}
}
