package auditgen

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

var testStart = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func record(t *testing.T, it *Item) plog.LogRecord {
	t.Helper()
	lr := plog.NewLogRecord()
	it.CopyToLogRecord(lr)
	return lr
}

func TestNextIsDeterministicForASeed(t *testing.T) {
	a := New(Options{Seed: 7, Start: testStart, MalformedRatio: 0.1})
	b := New(Options{Seed: 7, Start: testStart, MalformedRatio: 0.1})
	c := New(Options{Seed: 8, Start: testStart, MalformedRatio: 0.1})
	differs := false
	for i := range 2000 {
		x, y, z := a.Next(), b.Next(), c.Next()
		if !eventsEqual(x, y) {
			t.Fatalf("item %d differs for the same seed:\n%+v\n%+v", i, x.Event, y.Event)
		}
		differs = differs || x.Event.ID != z.Event.ID
	}
	if !differs {
		t.Error("seeds 7 and 8 produced the same event ids")
	}
	if !slices.Equal(a.Secrets(), b.Secrets()) {
		t.Error("secrets differ for the same seed")
	}
}

func eventsEqual(x, y Item) bool {
	jx, _ := json.Marshal(x.Event)
	jy, _ := json.Marshal(y.Event)
	return string(jx) == string(jy) && x.Service == y.Service && x.Defect == y.Defect && x.Expected == y.Expected
}

func TestValidItemsPassValidationAndMatchTheTaxonomy(t *testing.T) {
	g := New(Options{Seed: 1, Start: testStart})
	ids := map[string]bool{}
	seen := map[string]bool{}
	for i := range 20000 {
		it := g.Next()
		if it.Malformed {
			t.Fatalf("item %d malformed with MalformedRatio 0", i)
		}
		if err := semconv.Validate(record(t, &it)); err != nil {
			t.Fatalf("item %d (%s) invalid: %v", i, it.Event.Action, err)
		}
		if ids[it.Event.ID] {
			t.Fatalf("duplicate event id %s", it.Event.ID)
		}
		ids[it.Event.ID] = true
		want, ok := Expect(it.Event.Action, it.Event.Outcome)
		if !ok || want != it.Expected {
			t.Fatalf("%s/%s expected %+v, taxonomy says %+v", it.Event.Action, it.Event.Outcome, it.Expected, want)
		}
		if it.Event.Category != "" || it.Event.Severity != "" {
			t.Fatalf("emitter set category/severity: %+v", it.Event)
		}
		if it.Event.Timestamp.Before(testStart) || !it.Event.Timestamp.Before(testStart.Add(DefaultSpan+time.Minute)) {
			t.Fatalf("timestamp %v outside the span", it.Event.Timestamp)
		}
		if it.Service == "" || !slices.Contains(DefaultTenants, it.Event.Tenant) {
			t.Fatalf("service %q tenant %q", it.Service, it.Event.Tenant)
		}
		for _, v := range []string{it.Event.OldValue, it.Event.NewValue} {
			if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
				if !json.Valid([]byte(v)) {
					t.Fatalf("%s: invalid JSON %s", it.Event.Action, v)
				}
			}
		}
		seen[it.Event.Action+"/"+it.Event.Outcome] = true
		seen[it.Event.ActorType] = true
	}
	for _, spec := range Actions() {
		if !seen[spec.Action+"/"+semconv.OutcomeSuccess] {
			t.Errorf("action %s never generated", spec.Action)
		}
	}
	for _, want := range []string{"auth.login/failure", "api.access/denied", semconv.ActorEmployee,
		semconv.ActorService, semconv.ActorSystem, semconv.ActorPlayer} {
		if !seen[want] {
			t.Errorf("%s never generated", want)
		}
	}
}

func TestTaxonomyUsesTheConventions(t *testing.T) {
	critical := []string{"bonus.manual_grant", "withdrawal.cancel", "promotion.disable", "role.assign", "employee.lock"}
	for _, s := range Actions() {
		if !slices.Contains(semconv.Categories, s.Category) || semconv.SeverityRank(s.Severity) < 0 ||
			(s.FailedSeverity != "" && semconv.SeverityRank(s.FailedSeverity) < 0) {
			t.Errorf("%s: category/severity outside the enums: %+v", s.Action, s)
		}
		if slices.Contains(critical, s.Action) &&
			(s.Category != semconv.CategoryCritical || semconv.SeverityRank(s.Severity) < semconv.SeverityRank(semconv.SeverityHigh)) {
			t.Errorf("%s must be critical with severity at least high: %+v", s.Action, s)
		}
	}
	if e, _ := Expect("auth.login", semconv.OutcomeFailure); e != (Expectation{semconv.CategoryLogin, semconv.SeverityMedium}) {
		t.Errorf("failed login: %+v", e)
	}
	if _, ok := Expect("no.such", semconv.OutcomeSuccess); ok {
		t.Error("Expect accepted an unknown action")
	}
}

func TestMalformedItemsBreakExactlyTheirDefect(t *testing.T) {
	g := New(Options{Seed: 3, Start: testStart, MalformedRatio: 0.5})
	defects := map[string]int{}
	malformed := 0
	for i := range 4000 {
		it := g.Next()
		err := semconv.Validate(record(t, &it))
		if !it.Malformed {
			if err != nil {
				t.Fatalf("valid item %d rejected: %v", i, err)
			}
			continue
		}
		malformed++
		var verr *semconv.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("malformed item %d (defect %s) accepted", i, it.Defect)
		}
		for _, v := range verr.Violations {
			if v.Attribute != it.Defect {
				t.Fatalf("defect %s also broke %s", it.Defect, v)
			}
		}
		defects[it.Defect]++
	}
	if malformed < 1700 || malformed > 2300 {
		t.Errorf("%d of 4000 malformed at ratio 0.5", malformed)
	}
	for _, d := range Defects() {
		if defects[d] == 0 {
			t.Errorf("defect %s never generated", d)
		}
	}
}

func TestSecretsAreValidAndEmbedded(t *testing.T) {
	g := New(Options{Seed: 11, Start: testStart})
	var text strings.Builder
	for range 5000 {
		it := g.Next()
		text.WriteString(it.Event.OldValue + "\n" + it.Event.NewValue + "\n" + it.Event.Comment + "\n")
	}
	all := text.String()
	kinds := map[string]int{}
	for _, s := range g.Secrets() {
		if !strings.Contains(all, s) {
			t.Fatalf("secret %q not embedded in any event", s)
		}
		switch {
		case strings.HasPrefix(s, "eyJ"):
			kinds["jwt"]++
		case strings.Contains(s, "@"):
			kinds["email"]++
		case strings.HasPrefix(s, "+"):
			kinds["phone"]++
		case strings.HasPrefix(s, "sk_live_") || strings.HasPrefix(s, "apt_"):
			kinds["token"]++
		case len(s) >= 15 && len(s) <= 16 && strings.Trim(s, "0123456789") == "":
			kinds["card"]++
			if !luhnValid(s) {
				t.Errorf("card %s fails Luhn", s)
			}
		case len(s) >= 22 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= '0' && s[2] <= '9':
			kinds["iban"]++
			if ibanMod97(s[4:]+s[:4]) != 1 {
				t.Errorf("IBAN %s fails mod 97", s)
			}
		default:
			kinds["password"]++
		}
	}
	for _, k := range []string{"jwt", "email", "phone", "token", "card", "iban", "password"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the secrets: %v", k, kinds)
		}
	}
}

func luhnValid(s string) bool {
	return luhnCheckDigit([]byte(s[:len(s)-1])) == s[len(s)-1]
}

func TestLuhnAndIBANAgainstKnownValues(t *testing.T) {
	if !luhnValid("4111111111111111") || !luhnValid("378282246310005") || luhnValid("4111111111111112") {
		t.Error("Luhn check digit disagrees with published test cards")
	}
	if ibanMod97("370400440532013000"+"DE89") != 1 || ibanMod97("NWBK60161331926819"+"GB29") != 1 {
		t.Error("mod 97 disagrees with published example IBANs")
	}
}

func TestFailedLoginBursts(t *testing.T) {
	g := New(Options{Seed: 5, Start: testStart})
	run, longest := 0, 0
	var ip string
	for range 20000 {
		it := g.Next()
		if slices.Contains(it.Event.Tags, "burst") && (run == 0 || it.Event.ClientAddress == ip) {
			if it.Event.Outcome != semconv.OutcomeFailure || it.Event.Action != "auth.login" {
				t.Fatalf("burst item %+v", it.Event)
			}
			run, ip = run+1, it.Event.ClientAddress
			longest = max(longest, run)
			continue
		}
		run = 0
	}
	if longest < 8 {
		t.Errorf("longest failed-login burst from one address: %d, want at least 8", longest)
	}
}

func TestAppendLogsGroupsByServiceAndCounts(t *testing.T) {
	g := New(Options{Seed: 9, Start: testStart, MalformedRatio: 0.1})
	ld := plog.NewLogs()
	c := g.AppendLogs(ld, 3000)
	if ld.LogRecordCount() != 3000 || c.Total != 3000 || c.Valid+c.Malformed != 3000 {
		t.Fatalf("records %d, counts %+v", ld.LogRecordCount(), c)
	}
	services := map[string]bool{}
	var recount Counts
	invalid := 0
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		name, _ := rl.Resource().Attributes().Get(semconv.AttrServiceName)
		if services[name.Str()] {
			t.Errorf("service %s has two ResourceLogs", name.Str())
		}
		services[name.Str()] = true
		lrs := rl.ScopeLogs().At(0).LogRecords()
		for j := 0; j < lrs.Len(); j++ {
			if semconv.Validate(lrs.At(j)) != nil {
				invalid++
				continue
			}
			ev := semconv.EventFromLogRecord(rl.Resource(), lrs.At(j))
			exp, _ := Expect(ev.Action, ev.Outcome)
			recount.Add(&Item{Event: ev, Expected: exp})
		}
	}
	if invalid != c.Malformed || len(services) < 4 {
		t.Errorf("invalid %d, malformed %d, services %v", invalid, c.Malformed, services)
	}
	if !mapsEqual(recount.ByCategory, c.ByCategory) || !mapsEqual(recount.ByAction, c.ByAction) {
		t.Errorf("recount %+v\nreported %+v", recount, c)
	}
	var merged Counts
	merged.Merge(c)
	merged.Merge(c)
	if merged.Total != 6000 || merged.ByAction["auth.login"] != 2*c.ByAction["auth.login"] {
		t.Errorf("merge: %+v", merged)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDefaultsAndSmallActorCounts(t *testing.T) {
	g := New(Options{Actors: 2, Tenants: []string{"solo"}})
	for range 2000 {
		it := g.Next()
		if it.Event.Tenant != "solo" {
			t.Fatalf("tenant %q", it.Event.Tenant)
		}
		if time.Since(it.Event.Timestamp) > DefaultSpan+time.Minute || time.Until(it.Event.Timestamp) > time.Minute {
			t.Fatalf("default window: %v", it.Event.Timestamp)
		}
		if err := semconv.Validate(record(t, &it)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEventIDIsAULIDOfTheEventTime(t *testing.T) {
	g := New(Options{Seed: 2, Start: testStart})
	it := g.Next()
	id := it.Event.ID
	if len(id) != 26 || strings.Trim(id, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") != "" {
		t.Fatalf("id %q is not a ULID", id)
	}
	var ms int64
	for _, c := range id[:10] {
		ms = ms<<5 | int64(strings.IndexRune("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c))
	}
	if ms != it.Event.Timestamp.UnixMilli() {
		t.Errorf("ULID time %d, event time %d", ms, it.Event.Timestamp.UnixMilli())
	}
}

var sink Item

func BenchmarkNext(b *testing.B) {
	g := New(Options{Seed: 1, MalformedRatio: 0.01})
	b.ReportAllocs()
	for b.Loop() {
		sink = g.Next()
	}
}

func BenchmarkAppendLogs1000(b *testing.B) {
	g := New(Options{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		g.AppendLogs(plog.NewLogs(), 1000)
	}
}
