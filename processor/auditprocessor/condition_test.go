package auditprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/auditpipe/auditpipe/semconv"
)

// attributeValues are the values a test record holds under one key: every
// pcommon type, Empty, and no value at all.
var attributeValues = []struct {
	name string
	put  func(m pcommon.Map, key string)
	// typed: not a string and not nil, which OTTL converts for IsMatch or
	// compares by its raw form; only these may leave a condition undecided.
	typed bool
}{
	{"absent", func(m pcommon.Map, k string) { m.Remove(k) }, false},
	{"empty", func(m pcommon.Map, k string) { m.PutEmpty(k) }, false},
	{"str denied", func(m pcommon.Map, k string) { m.PutStr(k, "denied") }, false},
	{"str failure", func(m pcommon.Map, k string) { m.PutStr(k, "failure") }, false},
	{"str svc", func(m pcommon.Map, k string) { m.PutStr(k, "svc-payments") }, false},
	{"str p-1", func(m pcommon.Map, k string) { m.PutStr(k, "p-1") }, false},
	{"str player", func(m pcommon.Map, k string) { m.PutStr(k, "player") }, false},
	{"str employee", func(m pcommon.Map, k string) { m.PutStr(k, semconv.ActorEmployee) }, false},
	{"int", func(m pcommon.Map, k string) { m.PutInt(k, 1042) }, true},
	{"double", func(m pcommon.Map, k string) { m.PutDouble(k, 1.5) }, true},
	{"bool", func(m pcommon.Map, k string) { m.PutBool(k, true) }, true},
	{"empty bytes", func(m pcommon.Map, k string) { m.PutEmptyBytes(k) }, true},
	{"bytes", func(m pcommon.Map, k string) { m.PutEmptyBytes(k).FromRaw([]byte{0x70, 1}) }, true},
	{"map", func(m pcommon.Map, k string) { m.PutEmptyMap(k).PutStr("player", "p-1") }, true},
	{"slice with player", func(m pcommon.Map, k string) {
		s := m.PutEmptySlice(k)
		s.AppendEmpty().SetStr("admin")
		s.AppendEmpty().SetStr("player")
	}, true},
	{"slice without player", func(m pcommon.Map, k string) { m.PutEmptySlice(k).AppendEmpty().SetStr("admin") }, true},
	{"slice of int", func(m pcommon.Map, k string) { m.PutEmptySlice(k).AppendEmpty().SetInt(7) }, true},
	{"empty slice", func(m pcommon.Map, k string) { m.PutEmptySlice(k) }, true},
}

type testRecord struct {
	desc string
	ld   plog.Logs
	lr   plog.LogRecord
	// typedKey holds a typed value (see attributeValues), "" if none.
	typedKey string
}

// testRecords varies the event name and, one key at a time, the value of
// each attribute the rules read.
func testRecords() []testRecord {
	var out []testRecord
	for _, name := range []string{"bonus.manual_grant", "auth.login", "report.view", "player.profile_update",
		"role.revoke", "x.y", "", `a"b`} {
		for _, key := range []string{semconv.AttrActionOutcome, semconv.AttrActorType, semconv.AttrActorID,
			semconv.AttrActorRoles, "x"} {
			for _, v := range attributeValues {
				ld, lr := newEvent(name, semconv.OutcomeSuccess)
				v.put(lr.Attributes(), key)
				r := testRecord{desc: fmt.Sprintf("%q with %s %s", name, key, v.name), ld: ld, lr: lr}
				if v.typed {
					r.typedKey = key
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// extraConditions use each form of the subset, alone and combined.
var extraConditions = []string{
	`event_name == "auth.login"`,
	`event_name != "auth.login"`,
	`event_name == "a\"b"`,
	`IsMatch(event_name, "^(auth|x)\\.")`,
	`true`,
	`false`,
	`attributes["x"] == "denied"`,
	`attributes["x"] != "denied"`,
	`attributes["x"] == nil`,
	`attributes["x"] != nil`,
	`IsMatch(attributes["x"], "^p")`,
	`ContainsValue(attributes["x"], "player")`,
	`ContainsValue(attributes["x"], "7")`,
	`ContainsValue(attributes["x"], "player") and event_name == "auth.login"`,
	`event_name == "x.y" or attributes["x"] == "p-1" and IsMatch(event_name, "^auth")`,
	`(event_name == "x.y" or attributes["x"] == "p-1") and IsMatch(event_name, "^auth")`,
	`((event_name == "auth.login" or (attributes["x"] == "denied")) and (attributes["x"] != nil or false))`,
	`attributes["x"] != nil and (ContainsValue(attributes["x"], "player") or IsMatch(attributes["x"], "^p"))`,
	`event_name != "x.y" and (IsMatch(attributes["x"], "^p") or attributes["x"] == nil)`,
	`ContainsValue(attributes["x"], "player") and false`,
	`false and ContainsValue(attributes["x"], "player")`,
	`ContainsValue(attributes["x"], "player") or true`,
	`true and (false or attributes["x"] == "denied")`,
	`attributes["x"]=="svc-payments"or(event_name=="auth.login"and true)`,
}

// The fast form of every default rule and of each form of the subset gives
// OTTL's result on every record, and is undecided only where OTTL fails or
// the record holds a typed value the condition reads. A rule skipped on its
// name gate is false in OTTL, without error.
func TestFastConditionsAgreeWithOTTL(t *testing.T) {
	parser, err := newLogParser(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	var conditions []string
	for _, r := range defaultClassificationRules {
		conditions = append(conditions, r.Condition)
	}
	conditions = append(conditions, extraConditions...)
	// All compiled before any name is looked up, as in newClassifier.
	names := newEventNameTests()
	fastConditions := make([]fastCondition, len(conditions))
	for i, cond := range conditions {
		fastConditions[i] = compileCondition(cond, names)
		require.NotNil(t, fastConditions[i], "not compiled: %s", cond)
	}
	for i, r := range defaultClassificationRules {
		if strings.Contains(r.Condition, "event_name") {
			assert.GreaterOrEqual(t, nameGate(fastConditions[i]), 0, "%s is not skipped on the event name", r.Name)
		}
	}
	records := testRecords()
	decided, undecided := 0, 0
	for i, cond := range conditions {
		ottlCond, err := parser.ParseCondition(cond)
		require.NoError(t, err, cond)
		fast := fastConditions[i]
		for _, r := range records {
			rl := r.ld.ResourceLogs().At(0)
			want, err := ottlCond.Eval(context.Background(), newTransformContext(rl, r.lr))
			results := names.results(r.lr.EventName())
			got := fast.eval(results, r.lr.Attributes())
			switch {
			case err != nil:
				assert.Equal(t, verdictUndecided, got, "OTTL fails (%v) on %s: %s", err, r.desc, cond)
			case got == verdictUndecided:
				undecided++
				assert.True(t, r.typedKey != "" && strings.Contains(cond, `attributes["`+r.typedKey+`"]`),
					"undecided on %s: %s", r.desc, cond)
			default:
				decided++
				assert.Equal(t, verdictOf(want), got, "%s: %s", r.desc, cond)
			}
			if gate := nameGate(fast); gate >= 0 && !results.has(gate) {
				assert.NoError(t, err, "gate failed on %s but OTTL fails: %s", r.desc, cond)
				assert.False(t, want, "gate failed on %s but OTTL is true: %s", r.desc, cond)
			}
		}
	}
	assert.Positive(t, undecided)
	assert.Greater(t, decided, 50*undecided)
}

// Each form on each type of value: the verdict, decided exactly where OTTL's
// semantics are modelled, and OTTL's result wherever it is decided.
func TestConditionFormsOnEachValueType(t *testing.T) {
	const (
		F = verdictFalse
		T = verdictTrue
		U = verdictUndecided
	)
	forms := []string{
		`attributes["k"] == "player"`,
		`attributes["k"] != "player"`,
		`attributes["k"] == nil`,
		`attributes["k"] != nil`,
		`IsMatch(attributes["k"], "^p")`,
		`ContainsValue(attributes["k"], "player")`,
	}
	want := map[string][6]verdict{
		"absent":               {F, T, T, F, F, U},
		"empty":                {F, T, T, F, F, U},
		"str denied":           {F, T, F, T, F, U},
		"str failure":          {F, T, F, T, F, U},
		"str svc":              {F, T, F, T, F, U},
		"str p-1":              {F, T, F, T, T, U},
		"str player":           {T, F, F, T, T, U},
		"str employee":         {F, T, F, T, F, U},
		"int":                  {F, T, F, T, U, U},
		"double":               {F, T, F, T, U, U},
		"bool":                 {F, T, F, T, U, U},
		"empty bytes":          {F, T, U, U, U, U},
		"bytes":                {F, T, U, U, U, U},
		"map":                  {F, T, F, T, U, U},
		"slice with player":    {F, T, F, T, U, T},
		"slice without player": {F, T, F, T, U, F},
		"slice of int":         {F, T, F, T, U, F},
		"empty slice":          {F, T, F, T, U, F},
	}
	require.Len(t, want, len(attributeValues))
	parser, err := newLogParser(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	for i, form := range forms {
		fast := compileCondition(form, newEventNameTests())
		require.NotNil(t, fast, form)
		ottlCond, err := parser.ParseCondition(form)
		require.NoError(t, err)
		for _, v := range attributeValues {
			ld, lr := newEvent("a.b", semconv.OutcomeSuccess)
			v.put(lr.Attributes(), "k")
			got := fast.eval(nil, lr.Attributes())
			assert.Equal(t, want[v.name][i], got, "%s on %s", form, v.name)
			if got != verdictUndecided {
				ok, err := ottlCond.Eval(context.Background(), newTransformContext(ld.ResourceLogs().At(0), lr))
				require.NoError(t, err, "%s on %s", form, v.name)
				assert.Equal(t, ok, got == verdictTrue, "%s on %s", form, v.name)
			}
		}
	}
}

// Valid OTTL outside the subset is not compiled, and classifies through OTTL.
func TestConditionsOutsideTheSubsetAreLeftToOTTL(t *testing.T) {
	parser, err := newLogParser(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	for _, cond := range []string{
		`not event_name == "a.b"`,
		`event_name == "a.b" and not attributes["k"] == nil`,
		`log.event_name == "a.b"`,
		`resource.attributes["service.name"] == "backoffice"`,
		`attributes["k"]["sub"] == "v"`,
		`attributes["k"] == 1`,
		`attributes["k"] > "a"`,
		`"a.b" == event_name`,
		`event_name == nil`,
		`IsString(attributes["k"])`,
		`IsMatch(body, "a")`,
		`IsMatch(attributes["k"], attributes["pattern"])`,
		`ContainsValue(attributes["k"], 1)`,
		`IsMatch(event_name, "a") == true`,
		`severity_number >= SEVERITY_NUMBER_WARN`,
	} {
		_, err := parser.ParseCondition(cond)
		require.NoError(t, err, cond)
		assert.Nil(t, compileCondition(cond, newEventNameTests()), cond)
	}

	cfg := createDefaultConfig().(*Config)
	cfg.DefaultRules = false
	cfg.Rules = []ClassificationRule{
		{Name: "int", Condition: `attributes["k"] == 1`, Set: Classification{Category: semconv.CategoryConfig}},
		{Name: "not", Condition: `not event_name == "a.b"`, Set: Classification{Severity: semconv.SeverityHigh}},
	}
	c := newTestClassifier(t, cfg)
	for _, r := range c.rules {
		assert.Nil(t, r.fast, r.name)
	}
	ld, lr := newEvent("x.y", semconv.OutcomeSuccess)
	lr.Attributes().PutInt("k", 1)
	assert.True(t, classifyOne(t, c, lr, ld))
	assert.Equal(t, semconv.CategoryConfig, attr(lr, semconv.AttrActionCategory))
	assert.Equal(t, semconv.SeverityHigh, attr(lr, semconv.AttrSeverity))

	ld, lr = newEvent("a.b", semconv.OutcomeSuccess)
	lr.Attributes().PutInt("k", 2)
	assert.False(t, classifyOne(t, c, lr, ld))
}

// Where the fast form is undecided the rule's OTTL condition decides, and an
// OTTL error is still no match, logged at debug level.
func TestUndecidedRecordsFallBackToOTTL(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	set := componenttest.NewNopTelemetrySettings()
	set.Logger = zap.New(core)
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []ClassificationRule{{Name: "numeric_service", Condition: `IsMatch(attributes["user.id"], "^99")`,
		Set: Classification{ActorType: semconv.ActorService}}}
	c, err := newClassifier(cfg, set)
	require.NoError(t, err)

	// OTTL matches the text of an Int.
	ld, lr := newEvent("player.profile_update", semconv.OutcomeSuccess)
	lr.Attributes().PutInt(semconv.AttrActorID, 9912)
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.ActorService, attr(lr, semconv.AttrActorType))

	ld, lr = newEvent("player.profile_update", semconv.OutcomeSuccess)
	lr.Attributes().PutInt(semconv.AttrActorID, 1042)
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.ActorEmployee, attr(lr, semconv.AttrActorType))
	assert.Zero(t, logs.Len())

	// ContainsValue on a string fails in OTTL: actor_player does not match.
	ld, lr = newEvent("player.profile_update", semconv.OutcomeSuccess,
		semconv.AttrActorID, "8812", semconv.AttrActorRoles, "admin,player")
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.ActorEmployee, attr(lr, semconv.AttrActorType))
	failed := logs.FilterMessage("classification rule failed; treated as no match").All()
	require.Len(t, failed, 1)
	assert.Equal(t, "actor_player", failed[0].ContextMap()["rule"])
}
