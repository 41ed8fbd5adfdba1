package semconv

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// docExamples returns the JSON examples of the document as log records.
func docExamples(t *testing.T) []plog.LogRecord {
	t.Helper()
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []plog.LogRecord
	parts := strings.Split(string(raw), "```json\n")
	for _, part := range parts[1:] {
		block, _, _ := strings.Cut(part, "```")
		var ex struct {
			EventName  string         `json:"event_name"`
			Timestamp  time.Time      `json:"timestamp"`
			Body       string         `json:"body"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal([]byte(block), &ex); err != nil {
			t.Fatalf("document example is not valid JSON: %v\n%s", err, block)
		}
		lr := plog.NewLogRecord()
		lr.SetEventName(ex.EventName)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ex.Timestamp))
		lr.Body().SetStr(ex.Body)
		if err := lr.Attributes().FromRaw(ex.Attributes); err != nil {
			t.Fatal(err)
		}
		out = append(out, lr)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no JSON example", docPath)
	}
	return out
}

func TestValidateAcceptsTheDocumentedExamples(t *testing.T) {
	for i, lr := range docExamples(t) {
		if err := Validate(lr); err != nil {
			t.Errorf("example %d (%s): %v", i, lr.EventName(), err)
		}
	}
	// The failed login the document describes in prose.
	login := minimal()
	login.Action, login.Module, login.Outcome = "auth.login", ModuleAuth, OutcomeFailure
	login.ActorID, login.ClientAddress = "a.petrova", "198.51.100.7"
	if err := Validate(record(login)); err != nil {
		t.Errorf("failed login: %v", err)
	}
}

func minimal() Event {
	return Event{
		ID:        "01JD3Q8W5T4ZK2V7X9B6N1M0PA",
		Timestamp: time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC),
		Action:    "bonus.manual_grant",
		Outcome:   OutcomeSuccess,
		ActorID:   "emp-1042",
		Module:    ModuleBonuses,
	}
}

func record(e Event) plog.LogRecord {
	lr := plog.NewLogRecord()
	e.CopyToLogRecord(lr)
	return lr
}

func TestValidateAcceptsValidEvents(t *testing.T) {
	full := fullEvent()
	cases := map[string]func(e *Event){
		"required attributes only": func(*Event) {},
		"every attribute":          func(e *Event) { *e = full },
		"IPv6 client":              func(e *Event) { e.ClientAddress = "2001:db8::24" },
		"three-part action":        func(e *Event) { e.Action = "player.kyc.document_upload" },
		"module with underscore":   func(e *Event) { e.Module = "risk_management" },
		"non-JSON change values":   func(e *Event) { e.OldValue, e.NewValue = "maintenance off", "maintenance on" },
		"values at the limits": func(e *Event) {
			e.ID = strings.Repeat("a", MaxEventIDLen)
			e.OldValue = strings.Repeat("x", MaxChangeValue)
			e.NewValue = strings.Repeat("y", MaxChangeValue)
			e.Comment = strings.Repeat("c", MaxCommentLen)
			e.ActorRoles = make([]string, MaxListItems)
			e.Tags = make([]string, MaxListItems)
		},
	}
	for _, v := range ActorTypes {
		cases["actor type "+v] = func(e *Event) { e.ActorType = v }
	}
	for _, v := range Categories {
		cases["category "+v] = func(e *Event) { e.Category = v }
	}
	for _, v := range Outcomes {
		cases["outcome "+v] = func(e *Event) { e.Outcome = v }
	}
	for _, v := range Severities {
		cases["severity "+v] = func(e *Event) { e.Severity = v }
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			e := minimal()
			mutate(&e)
			if err := Validate(record(e)); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestValidateNamesTheBrokenAttribute(t *testing.T) {
	long := func(n int) string { return strings.Repeat("z", n) }
	strList := func(n int) func(pcommon.Slice) {
		return func(s pcommon.Slice) {
			for range n {
				s.AppendEmpty().SetStr("x")
			}
		}
	}
	cases := []struct {
		name   string
		attr   string
		mutate func(lr plog.LogRecord)
	}{
		{"no timestamp", "timestamp", func(lr plog.LogRecord) { lr.SetTimestamp(0) }},
		{"no event name", "event_name", func(lr plog.LogRecord) { lr.SetEventName("") }},
		{"camel-case event name", "event_name", func(lr plog.LogRecord) { lr.SetEventName("BonusGrant") }},
		{"undotted event name", "event_name", func(lr plog.LogRecord) { lr.SetEventName("bonus") }},
		{"empty event name segment", "event_name", func(lr plog.LogRecord) { lr.SetEventName("bonus..grant") }},
		{"upper-case event name", "event_name", func(lr plog.LogRecord) { lr.SetEventName("Bonus.grant") }},
		{"no event id", AttrEventID, remove(AttrEventID)},
		{"empty event id", AttrEventID, putStr(AttrEventID, "")},
		{"event id with a space", AttrEventID, putStr(AttrEventID, "evt 1")},
		{"event id too long", AttrEventID, putStr(AttrEventID, long(MaxEventIDLen+1))},
		{"numeric event id", AttrEventID, func(lr plog.LogRecord) { lr.Attributes().PutInt(AttrEventID, 7) }},
		{"no actor id", AttrActorID, remove(AttrActorID)},
		{"empty actor id", AttrActorID, putStr(AttrActorID, "")},
		{"numeric actor id", AttrActorID, func(lr plog.LogRecord) { lr.Attributes().PutInt(AttrActorID, 1042) }},
		{"no module", AttrModule, remove(AttrModule)},
		{"capitalised module", AttrModule, putStr(AttrModule, "Finance")},
		{"module with a dash", AttrModule, putStr(AttrModule, "fin-ance")},
		{"no outcome", AttrActionOutcome, remove(AttrActionOutcome)},
		{"unknown outcome", AttrActionOutcome, putStr(AttrActionOutcome, "ok")},
		{"boolean outcome", AttrActionOutcome, func(lr plog.LogRecord) { lr.Attributes().PutBool(AttrActionOutcome, true) }},
		{"unknown actor type", AttrActorType, putStr(AttrActorType, "robot")},
		{"unknown category", AttrActionCategory, putStr(AttrActionCategory, "other")},
		{"unknown severity", AttrSeverity, putStr(AttrSeverity, "urgent")},
		{"host name as client address", AttrClientAddress, putStr(AttrClientAddress, "localhost")},
		{"client address with port", AttrClientAddress, putStr(AttrClientAddress, "203.0.113.24:443")},
		{"old value too large", AttrChangeOld, putStr(AttrChangeOld, long(MaxChangeValue+1))},
		{"new value too large", AttrChangeNew, putStr(AttrChangeNew, long(MaxChangeValue+1))},
		{"comment too long", AttrComment, putStr(AttrComment, long(MaxCommentLen+1))},
		{"numeric user name", AttrActorName, func(lr plog.LogRecord) { lr.Attributes().PutInt(AttrActorName, 3) }},
		{"map as tenant", AttrTenant, func(lr plog.LogRecord) { lr.Attributes().PutEmptyMap(AttrTenant) }},
		{"roles as a string", AttrActorRoles, putStr(AttrActorRoles, "admin,support")},
		{"too many roles", AttrActorRoles, func(lr plog.LogRecord) { strList(MaxListItems + 1)(lr.Attributes().PutEmptySlice(AttrActorRoles)) }},
		{"numeric role", AttrActorRoles, func(lr plog.LogRecord) { lr.Attributes().PutEmptySlice(AttrActorRoles).AppendEmpty().SetInt(1) }},
		{"too many tags", AttrTags, func(lr plog.LogRecord) { strList(MaxListItems + 1)(lr.Attributes().PutEmptySlice(AttrTags)) }},
		{"map as tag", AttrTags, func(lr plog.LogRecord) { lr.Attributes().PutEmptySlice(AttrTags).AppendEmpty().SetEmptyMap() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lr := record(fullEvent())
			tc.mutate(lr)
			err := Validate(lr)
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Violations) == 0 {
				t.Fatalf("accepted (err %v)", err)
			}
			for _, v := range verr.Violations {
				if v.Attribute != tc.attr || v.Problem == "" {
					t.Errorf("violation %q, want one naming %s", v, tc.attr)
				}
			}
			if !strings.Contains(err.Error(), tc.attr+": ") {
				t.Errorf("message %q does not name %s", err, tc.attr)
			}
		})
	}
}

func remove(attr string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) { lr.Attributes().Remove(attr) }
}

func putStr(attr, v string) func(plog.LogRecord) {
	return func(lr plog.LogRecord) { lr.Attributes().PutStr(attr, v) }
}

func TestValidateListsEveryMissingRequiredAttribute(t *testing.T) {
	err := Validate(plog.NewLogRecord())
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("empty record accepted: %v", err)
	}
	var got []string
	for _, v := range verr.Violations {
		got = append(got, v.Attribute)
	}
	want := []string{"timestamp", "event_name", AttrEventID, AttrActorID, AttrModule, AttrActionOutcome}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("violations %v, want %v in that order", got, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invalid audit event: timestamp: ") || !strings.HasSuffix(msg, "; and 3 more") {
		t.Errorf("message %q: want the first three violations and a count of the rest", msg)
	}
}

func TestValidationErrorWithFewViolationsNamesThemAll(t *testing.T) {
	err := &ValidationError{Violations: []Violation{{"user.id", "required attribute is missing"}, {"audit.module", "bad"}}}
	if got, want := err.Error(), "invalid audit event: user.id: required attribute is missing; audit.module: bad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzValidate(f *testing.F) {
	f.Add("bonus.manual_grant", "01JD3Q8W5T4ZK2V7X9B6N1M0PA", "emp-1", "bonuses", "success", "203.0.113.24")
	f.Add("", "", "", "", "", "")
	f.Add("a.b", "x y", "u", "Mod", "denied", "::1")
	f.Fuzz(func(t *testing.T, action, id, actor, module, outcome, ip string) {
		e := Event{ID: id, Timestamp: time.Unix(1, 0), Action: action, ActorID: actor, Module: module,
			Outcome: outcome, ClientAddress: ip}
		err := Validate(record(e))
		var verr *ValidationError
		if err != nil && (!errors.As(err, &verr) || len(verr.Violations) == 0) {
			t.Fatalf("error without violations: %v", err)
		}
		if err == nil && (action == "" || id == "" || actor == "" || module == "" || outcome == "") {
			t.Fatalf("accepted a record missing a required attribute: %+v", e)
		}
	})
}

func TestIsModule(t *testing.T) {
	for s, want := range map[string]bool{"finance": true, "bonus_admin": true, "Bonus Admin": false, "": false, "9x": false, "users.roles": false} {
		if got := IsModule(s); got != want {
			t.Errorf("IsModule(%q) = %v, want %v", s, got, want)
		}
	}
}
