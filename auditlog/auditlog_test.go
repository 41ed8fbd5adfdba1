package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/auditpipe/auditpipe/semconv"
)

// recorder is an SDK processor that keeps every emitted record.
type recorder struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (r *recorder) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (r *recorder) Shutdown(context.Context) error                         { return nil }
func (r *recorder) ForceFlush(context.Context) error                       { return nil }

func (r *recorder) OnEmit(_ context.Context, rec *sdklog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *recorder) all() []sdklog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records
}

var fixedNow = time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC)

func newTestLogger(t *testing.T, opts ...Option) (*Logger, *recorder) {
	t.Helper()
	rec := &recorder{}
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(rec))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	opts = append([]Option{WithClock(func() time.Time { return fixedNow })}, opts...)
	return New(provider, opts...), rec
}

func attrs(rec sdklog.Record) map[string]any {
	out := map[string]any{}
	rec.WalkAttributes(func(kv attribute.KeyValue) bool {
		out[string(kv.Key)] = kv.Value.AsInterface()
		return true
	})
	return out
}

func manualBonus() Event {
	return Event{
		Actor:    Actor{ID: "emp-1042", Name: "a.petrova", Type: semconv.ActorEmployee, Roles: []string{"bonus_manager"}},
		Action:   "bonus.manual_grant",
		Module:   semconv.ModuleBonuses,
		Target:   Target{Type: "player", ID: "8812"},
		Old:      map[string]any{"bonus_balance": 0},
		New:      map[string]any{"bonus_balance": 500, "games": []string{"slots"}},
		Comment:  "compensation for outage, ticket 5521",
		Tags:     []string{"manual"},
		Message:  "granted 500 EUR manual bonus to player 8812",
		ClientIP: "203.0.113.24", UserAgent: "Mozilla/5.0", SessionID: "sess-7f3a9c", RequestID: "req-5d1c0b7e",
	}
}

func TestEmitSetsTheConventionAttributes(t *testing.T) {
	logger, rec := newTestLogger(t, WithTenant("brand-eu"))
	id, err := logger.Emit(context.Background(), manualBonus())
	if err != nil {
		t.Fatal(err)
	}
	records := rec.all()
	if len(records) != 1 {
		t.Fatalf("%d records emitted", len(records))
	}
	r := records[0]
	if r.EventName() != "bonus.manual_grant" || !r.Timestamp().Equal(fixedNow) || r.Severity() != log.SeverityInfo ||
		r.Body().AsString() != "granted 500 EUR manual bonus to player 8812" || r.InstrumentationScope().Name != ScopeName {
		t.Errorf("record: name %q time %v severity %v body %q scope %q",
			r.EventName(), r.Timestamp(), r.Severity(), r.Body().AsString(), r.InstrumentationScope().Name)
	}
	want := map[string]any{
		semconv.AttrEventID:       id,
		semconv.AttrActorID:       "emp-1042",
		semconv.AttrActorName:     "a.petrova",
		semconv.AttrActorType:     "employee",
		semconv.AttrActorRoles:    []string{"bonus_manager"},
		semconv.AttrModule:        "bonuses",
		semconv.AttrActionOutcome: "success",
		semconv.AttrTargetType:    "player",
		semconv.AttrTargetID:      "8812",
		semconv.AttrChangeOld:     `{"bonus_balance":0}`,
		semconv.AttrChangeNew:     `{"bonus_balance":500,"games":["slots"]}`,
		semconv.AttrComment:       "compensation for outage, ticket 5521",
		semconv.AttrTags:          []string{"manual"},
		semconv.AttrClientAddress: "203.0.113.24",
		semconv.AttrUserAgent:     "Mozilla/5.0",
		semconv.AttrSessionID:     "sess-7f3a9c",
		semconv.AttrRequestID:     "req-5d1c0b7e",
		semconv.AttrTenant:        "brand-eu",
	}
	if got := attrs(r); !reflect.DeepEqual(got, want) {
		t.Errorf("attributes\n got %v\nwant %v", got, want)
	}
}

func TestEmitAssignsUniqueTimeOrderedIDs(t *testing.T) {
	provider := sdklog.NewLoggerProvider(sdklog.WithProcessor(&recorder{}))
	logger := New(provider) // the real clock and UUIDv7 ids
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id, err := logger.Emit(context.Background(), Event{Actor: Actor{ID: "svc-x"}, Action: "api.access", Module: semconv.ModuleAPI})
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || id <= prev {
			t.Fatalf("id %s after %s: not unique or not increasing", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestEmitKeepsCallerSetValues(t *testing.T) {
	logger, rec := newTestLogger(t, WithTenant("brand-eu"))
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	e := Event{ID: "evt-1", Time: at, Tenant: "brand-uk", Outcome: semconv.OutcomeDenied, Category: semconv.CategoryCritical,
		Actor: Actor{ID: "emp-1"}, Action: "withdrawal.cancel", Module: semconv.ModulePayments}
	id, err := logger.Emit(context.Background(), e)
	if err != nil || id != "evt-1" {
		t.Fatalf("id %q, err %v", id, err)
	}
	r := rec.all()[0]
	got := attrs(r)
	if !r.Timestamp().Equal(at) || !r.ObservedTimestamp().Equal(fixedNow) || got[semconv.AttrTenant] != "brand-uk" ||
		got[semconv.AttrActionOutcome] != "denied" || got[semconv.AttrActionCategory] != "critical" {
		t.Errorf("time %v observed %v attributes %v", r.Timestamp(), r.ObservedTimestamp(), got)
	}
	for _, absent := range []string{semconv.AttrChangeOld, semconv.AttrChangeNew, semconv.AttrComment, semconv.AttrActorRoles} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s set although the event has none", absent)
		}
	}
}

func TestChangeValueShapes(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"maintenance mode: on", "maintenance mode: on"},
		{json.RawMessage(`{"a":[1,2]}`), `{"a":[1,2]}`},
		{[]string{"support", "admin"}, `["support","admin"]`},
		{42.5, "42.5"},
		{true, "true"},
		{struct {
			Balance  float64 `json:"balance"`
			Currency string  `json:"currency"`
		}{120.5, "EUR"}, `{"balance":120.5,"currency":"EUR"}`},
	} {
		got, err := changeValue(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("changeValue(%#v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestEmitRejectsInvalidEventsAndEmitsNothing(t *testing.T) {
	logger, rec := newTestLogger(t)
	for _, tc := range []struct {
		name   string
		mutate func(*Event)
		attr   string
	}{
		{"no action", func(e *Event) { e.Action = "" }, "event_name"},
		{"action not dotted", func(e *Event) { e.Action = "ManualBonus" }, "event_name"},
		{"no actor", func(e *Event) { e.Actor.ID = "" }, semconv.AttrActorID},
		{"no module", func(e *Event) { e.Module = "" }, semconv.AttrModule},
		{"unknown outcome", func(e *Event) { e.Outcome = "ok" }, semconv.AttrActionOutcome},
		{"unknown actor type", func(e *Event) { e.Actor.Type = "robot" }, semconv.AttrActorType},
		{"host name as IP", func(e *Event) { e.ClientIP = "localhost" }, semconv.AttrClientAddress},
		{"huge new value", func(e *Event) { e.New = strings.Repeat("x", semconv.MaxChangeValue+1) }, semconv.AttrChangeNew},
		{"value JSON cannot encode", func(e *Event) { e.Old = math.Inf(1) }, semconv.AttrChangeOld},
		{"unmarshalable value", func(e *Event) { e.New = func() {} }, semconv.AttrChangeNew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := manualBonus()
			tc.mutate(&e)
			id, err := logger.Emit(context.Background(), e)
			if err == nil || id != "" {
				t.Fatalf("accepted: id %q", id)
			}
			if !strings.Contains(err.Error(), tc.attr) {
				t.Errorf("error %q does not name %s", err, tc.attr)
			}
		})
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d invalid events were emitted", n)
	}
}

func TestEmitReportsIDGeneratorFailure(t *testing.T) {
	logger, rec := newTestLogger(t, WithIDGenerator(func() (string, error) { return "", errors.New("entropy exhausted") }))
	if _, err := logger.Emit(context.Background(), manualBonus()); err == nil || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Fatalf("err %v", err)
	}
	if len(rec.all()) != 0 {
		t.Error("emitted an event without an id")
	}
}

func TestValidationErrorIsTyped(t *testing.T) {
	logger, _ := newTestLogger(t)
	_, err := logger.Emit(context.Background(), Event{Action: "x.y"})
	var verr *semconv.ValidationError
	if !errors.As(err, &verr) || len(verr.Violations) != 2 {
		t.Fatalf("err %v, want a ValidationError naming user.id and audit.module", err)
	}
}
