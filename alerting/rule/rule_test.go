package rule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/semconv"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// monday10 is a Monday, 10:00 UTC.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

var eventSeq int

// record builds a one-record batch; attrs are record attributes.
func record(service, action string, attrs map[string]string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, service)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(action)
	eventSeq++
	lr.Attributes().PutStr(semconv.AttrEventID, fmt.Sprintf("ev-%d", eventSeq))
	for k, v := range attrs {
		lr.Attributes().PutStr(k, v)
	}
	return ld
}

func newEval(t *testing.T, clock *fakeClock, cfgs ...Config) *Evaluator {
	t.Helper()
	rules, err := Compile(cfgs, componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	return NewEvaluator(rules, clock, zap.NewNop())
}

func failedLogin(ip string) plog.Logs {
	return record("backoffice", "auth.login", map[string]string{
		semconv.AttrActionOutcome: semconv.OutcomeFailure, semconv.AttrClientAddress: ip, semconv.AttrActorID: "admin",
	})
}

var bruteForce = Config{
	Name:      "failed_logins",
	Match:     `event_name == "auth.login" and attributes["audit.action.outcome"] == "failure"`,
	Kind:      KindThreshold,
	Threshold: 10,
	Window:    5 * time.Minute,
	GroupBy:   []string{semconv.AttrClientAddress},
	Severity:  semconv.SeverityHigh,
	Labels:    map[string]string{"team": "security"},
	Summary:   `{{.Count}} failed logins from {{index .Group "client.address"}} (last user {{.Event.ActorID}}, team {{.Labels.team}})`,
}

func TestThresholdFiresOncePerGroupAndResolves(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, bruteForce)
	ctx := context.Background()
	for i := range 9 {
		assert.Empty(t, e.ObserveLogs(ctx, failedLogin("203.0.113.9")), "login %d", i+1)
		clock.advance(10 * time.Second)
	}
	// Another address does not add to the first one's count.
	assert.Empty(t, e.ObserveLogs(ctx, failedLogin("198.51.100.1")))
	alerts := e.ObserveLogs(ctx, failedLogin("203.0.113.9"))
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, StateFiring, a.State)
	assert.Equal(t, "failed_logins", a.Rule)
	assert.Equal(t, "client.address=203.0.113.9", a.GroupKey)
	assert.Equal(t, 10, a.Count)
	assert.Equal(t, "10 failed logins from 203.0.113.9 (last user admin, team security)", a.Summary)
	assert.Equal(t, map[string]string{"alertname": "failed_logins", "severity": "high", "team": "security",
		"client.address": "203.0.113.9"}, a.Labels)
	assert.Equal(t, clock.now, a.StartsAt)

	// Dedupe: more failures while firing send nothing.
	assert.Empty(t, e.ObserveLogs(ctx, failedLogin("203.0.113.9")))
	assert.Empty(t, e.Tick(clock.now.Add(time.Minute)))

	// Once the window has slid past the burst, the alert resolves, once.
	resolved := e.Tick(clock.now.Add(5 * time.Minute))
	require.Len(t, resolved, 1)
	assert.Equal(t, StateResolved, resolved[0].State)
	assert.Equal(t, a.Fingerprint(), resolved[0].Fingerprint())
	assert.False(t, resolved[0].EndsAt.IsZero())
	assert.Equal(t, a.Summary, resolved[0].Summary, "a resolve notification repeats what fired")
	assert.Equal(t, 10, resolved[0].Count)
	assert.Empty(t, e.Tick(clock.now.Add(10*time.Minute)))
}

func TestThresholdWindowSlides(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, bruteForce)
	for range 10 {
		// One failure a minute: never 10 within 5 minutes.
		assert.Empty(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")))
		clock.advance(time.Minute)
	}
}

func TestEveryAlertsEachEvent(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, Config{
		Name:  "big_bonus",
		Match: `event_name == "bonus.manual_grant" and Double(ParseJSON(attributes["audit.change.new"])["amount"]) > 1000`,
	})
	ctx := context.Background()
	grant := func(amount string) plog.Logs {
		return record("backoffice", "bonus.manual_grant", map[string]string{
			semconv.AttrChangeNew: `{"amount":` + amount + `,"currency":"EUR"}`, semconv.AttrActorID: "emp-1",
		})
	}
	assert.Empty(t, e.ObserveLogs(ctx, grant("500")))
	first := e.ObserveLogs(ctx, grant("1500"))
	require.Len(t, first, 1)
	assert.Equal(t, "bonus.manual_grant by emp-1", first[0].Summary)
	assert.Len(t, e.ObserveLogs(ctx, grant("2500")), 1, "each event is its own alert")

	// The same event delivered twice (a retry upstream) alerts once.
	dup := grant("5000")
	assert.Len(t, e.ObserveLogs(ctx, dup), 1)
	assert.Empty(t, e.ObserveLogs(ctx, dup))

	// A record without audit.change.new fails ParseJSON: no match, counted.
	assert.Empty(t, e.ObserveLogs(ctx, record("backoffice", "bonus.manual_grant", nil)))
	assert.EqualValues(t, 1, e.MatchErrors())

	// Per-event alerts resolve silently and are forgotten.
	assert.Empty(t, e.Tick(clock.now.Add(10*time.Minute)))
	assert.Empty(t, e.series["big_bonus"])
}

func TestEveryGroupedDedupesAndRepeats(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, Config{
		Name: "role_changes", Match: `event_name == "role.assign"`, GroupBy: []string{semconv.AttrActorID},
		Window: 10 * time.Minute, RepeatInterval: 3 * time.Minute,
	})
	ctx := context.Background()
	roleAssign := func() plog.Logs {
		return record("backoffice", "role.assign", map[string]string{semconv.AttrActorID: "emp-7"})
	}
	require.Len(t, e.ObserveLogs(ctx, roleAssign()), 1)
	clock.advance(time.Minute)
	assert.Empty(t, e.ObserveLogs(ctx, roleAssign()), "dedupe while firing")
	assert.Empty(t, e.Tick(monday10.Add(2*time.Minute)))
	rep := e.Tick(monday10.Add(3 * time.Minute))
	require.Len(t, rep, 1)
	assert.True(t, rep[0].Repeat)
	assert.Equal(t, 2, rep[0].Count)
	assert.Empty(t, e.Tick(monday10.Add(4*time.Minute)))
	// Last match at 10:01, window 10m: resolves at 10:11 with a notification.
	assert.Len(t, e.Tick(monday10.Add(6*time.Minute)), 1, "second repeat")
	res := e.Tick(monday10.Add(11 * time.Minute))
	require.Len(t, res, 1)
	assert.Equal(t, StateResolved, res[0].State)
}

func TestForKeepsAlertPending(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold, cfg.For = 2, 2*time.Minute
	e := newEval(t, clock, cfg)
	ctx := context.Background()
	e.ObserveLogs(ctx, failedLogin("203.0.113.9"))
	assert.Empty(t, e.ObserveLogs(ctx, failedLogin("203.0.113.9")))
	assert.Equal(t, StatePending, e.series["failed_logins"]["client.address=203.0.113.9"].State)
	clock.advance(time.Minute)
	e.ObserveLogs(ctx, failedLogin("203.0.113.9"))
	assert.Empty(t, e.Tick(monday10.Add(time.Minute)))
	fired := e.Tick(monday10.Add(2 * time.Minute))
	require.Len(t, fired, 1)
	assert.Equal(t, StateFiring, fired[0].State)

	// A condition that stops holding before `for` never fires.
	clock.now = monday10.Add(time.Hour)
	e.ObserveLogs(ctx, failedLogin("198.51.100.7"))
	e.ObserveLogs(ctx, failedLogin("198.51.100.7"))
	for _, a := range e.Tick(clock.now.Add(6 * time.Minute)) {
		assert.NotEqual(t, "client.address=198.51.100.7", a.GroupKey)
	}
	assert.NotContains(t, e.series["failed_logins"], "client.address=198.51.100.7")
}

func TestResolveAfterDelaysResolution(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold, cfg.ResolveAfter = 1, 10*time.Minute
	e := newEval(t, clock, cfg)
	require.Len(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")), 1)
	assert.Empty(t, e.Tick(monday10.Add(4*time.Minute)), "still 1 hit in the window")
	assert.Empty(t, e.Tick(monday10.Add(6*time.Minute)), "last seen true at 10:04, resolve_after 10m")
	assert.Empty(t, e.Tick(monday10.Add(13*time.Minute)))
	assert.Len(t, e.Tick(monday10.Add(14*time.Minute)), 1)
}

func TestAbsencePerServiceSeenBefore(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, Config{
		Name: "silent_service", Match: `true`, Kind: KindAbsence, Window: 15 * time.Minute,
		GroupBy: []string{semconv.AttrServiceName}, Severity: semconv.SeverityHigh,
	})
	ctx := context.Background()
	assert.Empty(t, e.Tick(monday10.Add(time.Hour)), "nothing seen, nothing missing")
	assert.Empty(t, e.ObserveLogs(ctx, record("backoffice-eu", "player.view", nil)))
	clock.advance(10 * time.Minute)
	assert.Empty(t, e.ObserveLogs(ctx, record("backoffice-us", "player.view", nil)))
	assert.Empty(t, e.Tick(monday10.Add(14*time.Minute)))
	fired := e.Tick(monday10.Add(15 * time.Minute))
	require.Len(t, fired, 1)
	assert.Equal(t, "service.name=backoffice-eu", fired[0].GroupKey)
	assert.Equal(t, "no matching event for 15m from service.name=backoffice-eu", fired[0].Summary)
	assert.Empty(t, e.Tick(monday10.Add(16*time.Minute)), "dedupe")

	// Traffic comes back: resolved.
	clock.now = monday10.Add(20 * time.Minute)
	res := e.ObserveLogs(ctx, record("backoffice-eu", "player.view", nil))
	require.Len(t, res, 1)
	assert.Equal(t, StateResolved, res[0].State)
	// backoffice-us went silent at 10:10 + 15m.
	us := e.Tick(monday10.Add(25 * time.Minute))
	require.Len(t, us, 1)
	assert.Equal(t, "service.name=backoffice-us", us[0].GroupKey)
}

func TestRateComparesWindows(t *testing.T) {
	clock := &fakeClock{now: monday10}
	e := newEval(t, clock, Config{
		Name: "export_spike", Match: `event_name == "report.export"`, Kind: KindRate,
		Window: 10 * time.Minute, RateFactor: 3, Threshold: 5,
	})
	ctx := context.Background()
	export := func() []Alert { return e.ObserveLogs(ctx, record("bo", "report.export", nil)) }
	for range 2 { // previous window: 2 exports
		assert.Empty(t, export())
	}
	clock.advance(10 * time.Minute)
	for i := range 5 { // current window: 6 needed (3 × 2)
		assert.Empty(t, export(), "export %d", i+1)
	}
	fired := export()
	require.Len(t, fired, 1)
	assert.Equal(t, 6, fired[0].Count)
}

func TestMaxGroupsBoundsTrackedGroups(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold, cfg.MaxGroups = 2, 2
	e := newEval(t, clock, cfg)
	ctx := context.Background()
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"} {
		e.ObserveLogs(ctx, failedLogin(ip))
	}
	assert.Len(t, e.series["failed_logins"], 2)
	assert.EqualValues(t, 2, e.GroupOverflow())
	// Tracked groups still alert.
	assert.Len(t, e.ObserveLogs(ctx, failedLogin("192.0.2.1")), 1)
	// Once the window has passed, idle groups are forgotten and room is made.
	e.Tick(monday10.Add(10 * time.Minute))
	assert.Len(t, e.series["failed_logins"], 0)
	assert.Empty(t, e.ObserveLogs(ctx, failedLogin("192.0.2.3")))
	assert.Len(t, e.series["failed_logins"], 1)
}

func TestQuietHoursHoldNotificationUntilTheyEnd(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)} // Monday night
	cfg := bruteForce
	cfg.Threshold = 1
	cfg.Window = 8 * time.Hour
	cfg.Mute = []MuteConfig{{Days: []string{"mon"}, Start: "22:00", End: "07:00", Timezone: "UTC"}}
	e := newEval(t, clock, cfg)
	assert.Empty(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")), "muted at night")
	assert.Empty(t, e.Tick(time.Date(2026, 11, 24, 6, 59, 0, 0, time.UTC)))
	held := e.Tick(time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC))
	require.Len(t, held, 1, "the firing alert is sent when quiet hours end")
	assert.Equal(t, StateFiring, held[0].State)
}

func TestMutedRuleSendsNothing(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold, cfg.Muted = 1, true
	e := newEval(t, clock, cfg)
	assert.Empty(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")))
	assert.Equal(t, StateFiring, e.series["failed_logins"]["client.address=203.0.113.9"].State)
	assert.Empty(t, e.Tick(monday10.Add(time.Hour)), "resolves silently: never notified")
}

func TestStateSurvivesRestart(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.RepeatInterval = time.Hour
	store := newMapClient()
	ctx := context.Background()

	first := newEval(t, clock, cfg)
	for range 9 {
		first.ObserveLogs(ctx, failedLogin("203.0.113.9"))
	}
	require.NoError(t, first.Save(ctx, store))
	// Restart with 9 hits persisted: the 10th fires.
	second := newEval(t, clock, cfg)
	require.NoError(t, second.Load(ctx, store))
	require.Len(t, second.ObserveLogs(ctx, failedLogin("203.0.113.9")), 1)
	require.NoError(t, second.Save(ctx, store))

	// Restart while firing: nothing is re-sent, dedupe still holds.
	third := newEval(t, clock, cfg)
	require.NoError(t, third.Load(ctx, store))
	assert.Empty(t, third.Tick(clock.now.Add(time.Second)))
	assert.Empty(t, third.ObserveLogs(ctx, failedLogin("203.0.113.9")))
	// ...and the alert it remembers still resolves.
	res := third.Tick(clock.now.Add(6 * time.Minute))
	require.Len(t, res, 1)
	assert.Equal(t, StateResolved, res[0].State)
	assert.Equal(t, monday10, res[0].StartsAt)
}

func TestRestoreDropsRemovedRules(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold = 1
	e := newEval(t, clock, cfg)
	e.ObserveLogs(context.Background(), failedLogin("203.0.113.9"))
	store := newMapClient()
	require.NoError(t, e.Save(context.Background(), store))
	other := newEval(t, clock, Config{Name: "other", Match: "true"})
	require.NoError(t, other.Load(context.Background(), store))
	assert.NotContains(t, other.series, "failed_logins")
	assert.Empty(t, other.series["other"])
}

func TestSetRulesKeepsStateOfKeptRules(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold = 1
	e := newEval(t, clock, cfg)
	require.Len(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")), 1)
	cfg.Summary = "changed"
	rules, err := Compile([]Config{cfg}, componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	e.SetRules(rules)
	assert.Empty(t, e.ObserveLogs(context.Background(), failedLogin("203.0.113.9")), "still firing: deduped")
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	set := componenttest.NewNopTelemetrySettings()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad OTTL", Config{Name: "x", Match: `event_name ==`}, `rules[1] "x": match:`},
		{"unknown function", Config{Name: "x", Match: `Nope(event_name)`}, `rules[1] "x": match:`},
		{"bad template", Config{Name: "x", Match: "true", Summary: "{{.Count"}, `rules[1] "x": summary template`},
		{"unknown template field", Config{Name: "x", Match: "true", Message: "{{.Evnt}}"}, `rules[1] "x": message template`},
		{"unknown kind", Config{Name: "x", Match: "true", Kind: "often"}, `kind must be one of`},
		{"threshold without window", Config{Name: "x", Match: "true", Kind: KindThreshold, Threshold: 3}, "window must be positive"},
		{"threshold zero", Config{Name: "x", Match: "true", Kind: KindThreshold, Window: time.Minute}, "threshold must be at least 1"},
		{"absence without group", Config{Name: "x", Match: "true", Kind: KindAbsence, Window: time.Minute}, "absence needs group_by"},
		{"rate factor", Config{Name: "x", Match: "true", Kind: KindRate, Window: time.Minute, RateFactor: 1}, "rate_factor"},
		{"severity", Config{Name: "x", Match: "true", Severity: "urgent"}, "severity must be one of"},
		{"negative", Config{Name: "x", Match: "true", For: -time.Second}, "must not be negative"},
		{"mute", Config{Name: "x", Match: "true", Mute: []MuteConfig{{Start: "25:00", End: "07:00"}}}, "mute[0]: start"},
		{"mute day", Config{Name: "x", Match: "true", Mute: []MuteConfig{{Days: []string{"someday"}, Start: "22:00", End: "07:00"}}}, `unknown day "someday"`},
		{"timezone", Config{Name: "x", Match: "true", Mute: []MuteConfig{{Start: "22:00", End: "07:00", Timezone: "Mars/Olympus"}}}, "timezone"},
		{"duplicate", Config{Name: "ok", Match: "true"}, "duplicate rule name"},
		{"no name", Config{Match: "true"}, "name is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]Config{{Name: "ok", Match: "true"}, tc.cfg}, set)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestMuteWindowContains(t *testing.T) {
	w, err := compileMute(MuteConfig{Days: []string{"Friday"}, Start: "22:00", End: "06:00", Timezone: "Europe/Berlin"})
	require.NoError(t, err)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, berlin) }
	assert.True(t, w.contains(at(27, 22, 0)), "Friday 22:00")
	assert.True(t, w.contains(at(28, 5, 59).UTC()), "Saturday 05:59 belongs to Friday night, in any zone")
	assert.False(t, w.contains(at(28, 6, 0)))
	assert.False(t, w.contains(at(27, 21, 59)))
	assert.False(t, w.contains(at(28, 23, 0)), "Saturday night is not muted")

	day, err := compileMute(MuteConfig{Start: "12:00", End: "13:00"})
	require.NoError(t, err)
	assert.True(t, day.contains(time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)))
	assert.False(t, day.contains(time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)))
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Second: "1m30s", 36 * time.Hour: "36h", 10 * time.Second: "10s"} {
		assert.Equal(t, want, shortDuration(d))
	}
}

func TestStateText(t *testing.T) {
	for s, name := range map[State]string{StateInactive: "inactive", StatePending: "pending", StateFiring: "firing", StateResolved: "resolved"} {
		assert.Equal(t, name, s.String())
		b, err := s.MarshalText()
		require.NoError(t, err)
		var back State
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
	}
	_, err := State(9).MarshalText()
	assert.Error(t, err)
	assert.True(t, strings.HasPrefix(State(9).String(), "State("))
	var s State
	assert.Error(t, s.UnmarshalText([]byte("burning")))
}

// mapClient is an in-memory storage.Client.
type mapClient struct{ m map[string][]byte }

func newMapClient() *mapClient { return &mapClient{m: map[string][]byte{}} }

func (c *mapClient) Get(_ context.Context, k string) ([]byte, error) { return c.m[k], nil }
func (c *mapClient) Set(_ context.Context, k string, v []byte) error {
	c.m[k] = append([]byte(nil), v...)
	return nil
}
func (c *mapClient) Delete(_ context.Context, k string) error { delete(c.m, k); return nil }
func (c *mapClient) Close(context.Context) error              { return nil }
func (c *mapClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = c.m[op.Key]
		case storage.Set:
			_ = c.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			delete(c.m, op.Key)
		}
	}
	return nil
}

func TestSaveWritesOnlyWhatChanged(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold = 1
	e := newEval(t, clock, cfg)
	store := newMapClient()
	ctx := context.Background()
	for i := range 50 {
		e.ObserveLogs(ctx, failedLogin(fmt.Sprintf("203.0.113.%d", i)))
	}
	require.NoError(t, e.Save(ctx, store))
	written := len(store.m)
	require.Positive(t, written)

	for k := range store.m {
		store.m[k] = []byte("not rewritten")
	}
	e.ObserveLogs(ctx, failedLogin("203.0.113.7"))
	require.NoError(t, e.Save(ctx, store))
	rewritten := 0
	for _, v := range store.m {
		if string(v) != "not rewritten" {
			rewritten++
		}
	}
	assert.Equal(t, 1, rewritten, "one alert changed: one bucket is written")

	// Once every alert resolved and went idle, its bucket is deleted.
	e.Tick(monday10.Add(time.Hour))
	require.NoError(t, e.Save(ctx, store))
	assert.Empty(t, store.m)
}

// failingClient refuses every write, as a full disk does.
type failingClient struct{ *mapClient }

func (failingClient) Batch(context.Context, ...*storage.Operation) error {
	return errors.New("disk full")
}

func TestFailedSaveIsWrittenByTheNextOne(t *testing.T) {
	clock := &fakeClock{now: monday10}
	cfg := bruteForce
	cfg.Threshold = 1
	e := newEval(t, clock, cfg)
	ctx := context.Background()
	e.ObserveLogs(ctx, failedLogin("203.0.113.9"))

	store := newMapClient()
	require.ErrorContains(t, e.Save(ctx, failingClient{store}), "disk full")
	require.NoError(t, e.Save(ctx, store))
	restored := newEval(t, clock, cfg)
	require.NoError(t, restored.Load(ctx, store))
	assert.Equal(t, StateFiring, restored.series["failed_logins"]["client.address=203.0.113.9"].State)
}
