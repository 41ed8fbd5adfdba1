// Package auditlog lets a service emit one audit event in one call over the
// OpenTelemetry logs API, with typed fields and the attribute names of the
// audit semantic conventions (package semconv).
//
//	audit := auditlog.New(provider, auditlog.WithTenant("brand-eu"))
//	id, err := audit.Emit(ctx, auditlog.Event{
//		Actor:  auditlog.Actor{ID: "emp-1042", Name: "a.petrova", Type: semconv.ActorEmployee, Roles: []string{"bonus_manager"}},
//		Action: "bonus.manual_grant", Module: semconv.ModuleBonuses,
//		Target: auditlog.Target{Type: "player", ID: "8812"},
//		Old:    map[string]any{"bonus_balance": 0}, New: map[string]any{"bonus_balance": 500},
//		Comment: "compensation for outage, ticket 5521", ClientIP: "203.0.113.24",
//	})
//
// Emit checks the event against semconv.Validate before emitting it, so a
// service learns about a broken event where it is made, not in the pipeline.
package auditlog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/auditpipe/auditpipe/semconv"
)

// ScopeName is the instrumentation scope of the events.
const ScopeName = "github.com/auditpipe/auditpipe/auditlog"

// Actor is who acted.
type Actor struct {
	ID    string   // required: employee id, service name, player id
	Name  string   // login or display name
	Type  string   // semconv.ActorEmployee, ActorService, ActorPlayer or ActorSystem
	Roles []string // the actor's roles when acting
}

// Target is what was acted on.
type Target struct {
	Type string // e.g. player, withdrawal, bonus
	ID   string
}

// Event is one audit event. Action, Module and Actor.ID are required.
type Event struct {
	Action  string // the action name, e.g. bonus.manual_grant (the record's EventName)
	Module  string // the back-office section, e.g. semconv.ModuleBonuses
	Actor   Actor
	Target  Target
	Outcome string // semconv.OutcomeSuccess (the default), OutcomeFailure or OutcomeDenied

	// Old and New are the value before and after the action. A string or
	// json.RawMessage is sent as it is (JSON or plain text); nil is left
	// out; any other value is marshalled to JSON.
	Old, New any

	Comment   string // why: reason, ticket
	Tags      []string
	Message   string // a human sentence, the record's body
	ClientIP  string // the address the actor acted from
	UserAgent string
	SessionID string
	RequestID string
	Tenant    string // overrides the logger's WithTenant
	// Category is usually left to the pipeline's rules; set it only when the
	// service knows better.
	Category string

	// ID and Time are set by Emit when empty: a fresh UUIDv7 and the clock.
	ID   string
	Time time.Time
}

// Logger emits audit events. It is safe for concurrent use.
type Logger struct {
	logger log.Logger
	tenant string
	now    func() time.Time
	newID  func() (string, error)
}

// Option configures a Logger.
type Option func(*Logger)

// WithTenant sets the tenant (brand) of every event that does not name one.
func WithTenant(tenant string) Option { return func(l *Logger) { l.tenant = tenant } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(l *Logger) { l.now = now } }

// WithIDGenerator replaces the UUIDv7 event id generator. Ids must be
// unique: the pipeline de-duplicates events by id.
func WithIDGenerator(newID func() (string, error)) Option {
	return func(l *Logger) { l.newID = newID }
}

// New returns a Logger that emits through provider.
func New(provider log.LoggerProvider, opts ...Option) *Logger {
	l := &Logger{
		logger: provider.Logger(ScopeName),
		now:    time.Now,
		newID: func() (string, error) {
			id, err := uuid.NewV7()
			return id.String(), err
		},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Emit validates e, fills in its id and time, and emits it. It returns the
// event id, which the pipeline uses as the stored document's id. An invalid
// event is not emitted: the error is a *semconv.ValidationError or says
// which change value could not be encoded.
func (l *Logger) Emit(ctx context.Context, e Event) (string, error) {
	ev, err := l.toSemconv(e)
	if err != nil {
		return "", err
	}
	lr := plog.NewLogRecord()
	ev.CopyToLogRecord(lr)
	if err := semconv.Validate(lr); err != nil {
		return "", err
	}
	var rec log.Record
	rec.SetEventName(ev.Action)
	rec.SetTimestamp(ev.Timestamp)
	rec.SetObservedTimestamp(l.now())
	rec.SetSeverity(log.SeverityInfo)
	rec.SetSeverityText("INFO")
	if ev.Body != "" {
		rec.SetBody(attribute.StringValue(ev.Body))
	}
	// The attributes are read back from the pdata record so that the names
	// and types are exactly those of semconv.Event.CopyToLogRecord.
	attrs := make([]attribute.KeyValue, 0, lr.Attributes().Len())
	for k, v := range lr.Attributes().All() {
		attrs = append(attrs, toAttribute(k, v))
	}
	rec.AddAttributes(attrs...)
	l.logger.Emit(ctx, rec)
	return ev.ID, nil
}

func (l *Logger) toSemconv(e Event) (semconv.Event, error) {
	ev := semconv.Event{
		ID: e.ID, Timestamp: e.Time, Action: e.Action, Category: e.Category, Outcome: e.Outcome,
		ActorID: e.Actor.ID, ActorName: e.Actor.Name, ActorType: e.Actor.Type, ActorRoles: e.Actor.Roles,
		Module: e.Module, TargetType: e.Target.Type, TargetID: e.Target.ID,
		Comment: e.Comment, Tags: e.Tags, ClientAddress: e.ClientIP, UserAgent: e.UserAgent,
		SessionID: e.SessionID, RequestID: e.RequestID, Tenant: e.Tenant, Body: e.Message,
	}
	if ev.Outcome == "" {
		ev.Outcome = semconv.OutcomeSuccess
	}
	if ev.Tenant == "" {
		ev.Tenant = l.tenant
	}
	if ev.Timestamp.IsZero() {
		ev.Timestamp = l.now()
	}
	if ev.ID == "" {
		id, err := l.newID()
		if err != nil {
			return ev, fmt.Errorf("generate event id: %w", err)
		}
		ev.ID = id
	}
	var err error
	if ev.OldValue, err = changeValue(e.Old); err != nil {
		return ev, fmt.Errorf("%s: %w", semconv.AttrChangeOld, err)
	}
	if ev.NewValue, err = changeValue(e.New); err != nil {
		return ev, fmt.Errorf("%s: %w", semconv.AttrChangeNew, err)
	}
	return ev, nil
}

func changeValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.RawMessage:
		return string(v), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode as JSON: %w", err)
	}
	return string(raw), nil
}

// toAttribute converts the value types CopyToLogRecord writes: strings,
// string lists and integers.
func toAttribute(k string, v pcommon.Value) attribute.KeyValue {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return attribute.Int64(k, v.Int())
	case pcommon.ValueTypeSlice:
		items := make([]string, v.Slice().Len())
		for i := range items {
			items[i] = v.Slice().At(i).AsString()
		}
		return attribute.StringSlice(k, items)
	}
	return attribute.String(k, v.AsString())
}
