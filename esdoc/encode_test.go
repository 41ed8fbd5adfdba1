package esdoc

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// randomEvent fills every field of an Event, each left empty now and then,
// with strings chosen to stress the encoder: quotes, backslashes, control
// characters, multi-byte runes, JSON and not-quite-JSON change values.
func randomEvent(r *rand.Rand) semconv.Event {
	s := func() string {
		if r.IntN(5) == 0 {
			return ""
		}
		return randomString(r)
	}
	list := func() []string {
		n := r.IntN(4)
		if n == 0 {
			return nil
		}
		out := make([]string, n)
		for i := range out {
			out[i] = randomString(r)
		}
		return out
	}
	pick := func(vals []string) string {
		if r.IntN(6) == 0 {
			return s() // empty or a value outside the enumeration (tag mode)
		}
		return vals[r.IntN(len(vals))]
	}
	changeValue := func() string {
		switch r.IntN(6) {
		case 0:
			return ""
		case 1:
			return `{"balance": 120.5, "currency":"EUR", "limits": {"daily": [1, 2, 3]}, "note": "a \"b\" \n c"}`
		case 2:
			return "{\n  \"pretty\": true,\n\t\"nested\": {\"x\": null}\n}"
		case 3:
			return `[1, "two", {"three": 3}]`
		case 4:
			return `"a JSON string"`
		}
		return s()
	}
	ts := time.Time{}
	if r.IntN(20) != 0 {
		ts = time.Unix(0, r.Int64N(4_000_000_000_000_000_000)).UTC()
	}
	return semconv.Event{
		ID: s(), Timestamp: ts, Action: s(),
		Category: pick(semconv.Categories), Outcome: pick(semconv.Outcomes), Severity: pick(semconv.Severities),
		ActorID: s(), ActorName: s(), ActorType: pick(semconv.ActorTypes), ActorRoles: list(),
		Module: s(), TargetType: s(), TargetID: s(),
		OldValue: changeValue(), NewValue: changeValue(), ChangeFields: list(), ChangeDiff: s(),
		Comment: s(), Tags: list(), ClientAddress: s(), UserAgent: s(), SessionID: s(), RequestID: s(),
		Tenant: s(), SourceService: s(), Body: s(), RedactedFields: list(), ValidationError: s(),
		IngestPrincipal: s(), ChainStream: s(), ChainSeq: r.Int64() - r.Int64(), ChainHash: s(),
	}
}

var runePool = []rune("aZ09 -_.:/@\"\\\n\r\t\x00\x01\x1f\x7féßü€漢字😀\u2028\u2029\ufffd<>&{}[],")

func randomString(r *rand.Rand) string {
	var b strings.Builder
	for n := 1 + r.IntN(24); n > 0; n-- {
		b.WriteRune(runePool[r.IntN(len(runePool))])
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for i := 0; i < 20000; i++ {
		want := randomEvent(r)
		buf = AppendDocument(buf[:0], &want)
		if !json.Valid(buf) {
			t.Fatalf("event %d: invalid JSON %s", i, buf)
		}
		if strings.ContainsAny(string(buf), "\n\r") {
			t.Fatalf("event %d: document spans lines, which breaks a bulk body: %s", i, buf)
		}
		got, err := Decode(buf)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d does not round-trip\nwant %#v\ngot  %#v\ndoc  %s", i, want, got, buf)
		}
	}
}

func TestTimestampIsFormatTime(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		time.Date(2026, 11, 23, 9, 15, 2, 0, time.FixedZone("UTC+3", 3*3600)),
		time.Date(2026, 11, 23, 9, 15, 2, 100, time.UTC),
	} {
		e := semconv.Event{Timestamp: ts}
		doc := decodeMap(t, AppendDocument(nil, &e))
		if got, want := doc[FieldTimestamp], semconv.FormatTime(ts); got != want {
			t.Errorf("@timestamp = %v, want FormatTime %q", got, want)
		}
		back, err := Decode(AppendDocument(nil, &e))
		if err != nil || !back.Timestamp.Equal(ts) || back.Timestamp.Location() != time.UTC {
			t.Errorf("timestamp %v came back as %v (%v)", ts, back.Timestamp, err)
		}
	}
}

// exampleEvent is the manual bonus of docs/semantic-conventions.md after
// the processor: every field set.
func exampleEvent() semconv.Event {
	return semconv.Event{
		ID: "01JD3Q8W5T4ZK2V7X9B6N1M0PA", Timestamp: time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		Action: "bonus.manual_grant", Category: semconv.CategoryRights, Outcome: semconv.OutcomeDenied,
		Severity: semconv.SeverityHigh, ActorID: "emp-1042", ActorName: "a.petrova", ActorType: semconv.ActorEmployee,
		ActorRoles: []string{"bonus_manager", "support"}, Module: "bonuses", TargetType: "player", TargetID: "8812",
		OldValue: "{\n  \"bonus_balance\": 0\n}", NewValue: `[500, "EUR"]`, ChangeFields: []string{"bonus_balance"},
		ChangeDiff: `{"bonus_balance":[0,500]}`, Comment: "compensation for outage, ticket 5521", Tags: []string{"manual"},
		ClientAddress: "203.0.113.24", UserAgent: "Mozilla/5.0", SessionID: "sess-7f3a9c", RequestID: "req-5d1c0b7e",
		Tenant: "brand-eu", SourceService: "backoffice-bonus", Body: "granted 500 EUR manual bonus to player 8812",
		RedactedFields: []string{"audit.change.new:card_number:pan"}, ValidationError: "user.name: too long",
		IngestPrincipal: "backoffice-eu", ChainStream: "brand-eu", ChainSeq: 10452, ChainHash: "9f2ce1",
	}
}

func TestDocumentFollowsTheTable(t *testing.T) {
	e := exampleEvent()
	doc := decodeMap(t, AppendDocument(nil, &e))
	want := map[string]any{
		FieldTimestamp: "2026-11-23T09:15:02.123456789Z", FieldMessage: e.Body,
		FieldEventID: e.ID, FieldAction: e.Action,
		FieldEventCategory: []any{"iam"}, FieldEventType: []any{"change", "group"},
		FieldEventOutcome: "failure", FieldEventSeverity: 3.0, FieldEventKind: "event", FieldEventDataset: "audit",
		FieldActorID: "emp-1042", FieldActorName: "a.petrova", FieldActorRoles: []any{"bonus_manager", "support"},
		FieldSourceIP: "203.0.113.24", FieldUserAgent: "Mozilla/5.0",
		FieldRelatedUser: []any{"emp-1042", "a.petrova"}, FieldRelatedIP: []any{"203.0.113.24"},
		FieldServiceName: "backoffice-bonus", FieldTags: []any{"manual"},
		FieldActorType: "employee", FieldCategory: "rights", FieldOutcome: "denied", FieldSeverity: "high",
		FieldModule: "bonuses", FieldTargetType: "player", FieldTargetID: "8812", FieldSessionID: "sess-7f3a9c",
		FieldRequestID: "req-5d1c0b7e", FieldTenant: "brand-eu", FieldChainStream: "brand-eu", FieldChainSeq: 10452.0,
		FieldChainHash: "9f2ce1", FieldIngestPrincipal: "backoffice-eu", FieldAuditTags: []any{"manual"},
		FieldChangeFields: []any{"bonus_balance"}, FieldRedactedFields: []any{"audit.change.new:card_number:pan"},
		FieldChangeOld + ".bonus_balance": 0.0, FieldChangeNew + ".value": []any{500.0, "EUR"},
		FieldChangeOldText: e.OldValue, FieldChangeNewText: e.NewValue, FieldChangeDiff: e.ChangeDiff,
		FieldComment: e.Comment, FieldValidationError: e.ValidationError,
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("document fields differ from the table\n got %v\nwant %v", doc, want)
	}
}

func TestDocumentFieldsAreMapped(t *testing.T) {
	e := exampleEvent()
	doc := decodeMap(t, AppendDocument(nil, &e))
	written := map[string]bool{}
	for path := range doc {
		for _, flat := range []string{FieldChangeOld, FieldChangeNew} {
			if strings.HasPrefix(path, flat+".") {
				path = flat
			}
		}
		written[path] = true
	}
	mapped := map[string]bool{}
	for path := range documentFields() {
		mapped[path] = true
	}
	if !reflect.DeepEqual(written, mapped) {
		t.Errorf("written fields %v\nmapped fields %v", sortedKeys(written), sortedKeys(mapped))
	}
}

func TestDerivedFields(t *testing.T) {
	tests := []struct {
		name  string
		event semconv.Event
		want  map[string]any // nil value: the field must be absent
	}{
		{"success outcome", semconv.Event{Outcome: "success"}, map[string]any{FieldEventOutcome: "success"}},
		{"unknown outcome", semconv.Event{Outcome: "maybe"}, map[string]any{FieldEventOutcome: "unknown", FieldOutcome: "maybe"}},
		{"no outcome", semconv.Event{}, map[string]any{FieldEventOutcome: nil}},
		{"info severity is rank 0", semconv.Event{Severity: "info"}, map[string]any{FieldEventSeverity: 0.0}},
		{"unknown severity has no rank", semconv.Event{Severity: "urgent"}, map[string]any{FieldEventSeverity: nil, FieldSeverity: "urgent"}},
		{"login category", semconv.Event{Category: "login"}, map[string]any{FieldEventCategory: []any{"authentication"}, FieldEventType: []any{"start"}}},
		{"unknown category", semconv.Event{Category: "odd"}, map[string]any{FieldEventCategory: nil, FieldCategory: "odd"}},
		{"name equal to id listed once", semconv.Event{ActorID: "u1", ActorName: "u1"}, map[string]any{FieldRelatedUser: []any{"u1"}}},
		{"name without id", semconv.Event{ActorName: "bob"}, map[string]any{FieldRelatedUser: []any{"bob"}}},
		{"text change value", semconv.Event{OldValue: "was active"}, map[string]any{FieldChangeOld: nil, FieldChangeOldText: "was active"}},
		{"truncated JSON", semconv.Event{NewValue: `{"a":`}, map[string]any{FieldChangeNewText: `{"a":`}},
		{"invalid UTF-8 in JSON is text only", semconv.Event{NewValue: "{\"a\":\"\xff\"}"}, map[string]any{FieldChangeNew + ".a": nil}},
		{"always event kind and dataset", semconv.Event{}, map[string]any{FieldEventKind: "event", FieldEventDataset: "audit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := decodeMap(t, AppendDocument(nil, &tt.event))
			for field, want := range tt.want {
				got, present := doc[field]
				if want == nil && present {
					t.Errorf("%s = %v, want absent", field, got)
				}
				if want != nil && !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", field, got, want)
				}
			}
		})
	}
	// JSON null is wrapped, not dropped.
	e := semconv.Event{NewValue: " null "}
	if doc := AppendDocument(nil, &e); !strings.Contains(string(doc), `"new":{"value":null}`) {
		t.Errorf("null change value not wrapped: %s", doc)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, src := range []string{``, `{`, `{"@timestamp":"yesterday"}`, `{"user":{"id":5}}`, `{"audit":{"chain":{"seq":"x"}}}`} {
		if _, err := Decode([]byte(src)); err == nil {
			t.Errorf("Decode(%s) succeeded, want an error", src)
		}
	}
}

// decodeMap parses a document into dotted paths, the way fields are queried.
func decodeMap(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("invalid document %s: %v", doc, err)
	}
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if obj, ok := v.(map[string]any); ok && len(obj) > 0 {
			for k, c := range obj {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, c)
			}
			return
		}
		out[prefix] = v
	}
	walk("", m)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func BenchmarkAppendDocument(b *testing.B) {
	e := exampleEvent()
	buf := AppendDocument(nil, &e)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendDocument(buf[:0], &e)
	}
}

func BenchmarkDecode(b *testing.B) {
	e := exampleEvent()
	doc := AppendDocument(nil, &e)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(doc); err != nil {
			b.Fatal(err)
		}
	}
}
