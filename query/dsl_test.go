package query

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden DSL files")

var testRange = TimeRange{
	From: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
	To:   time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
}

func TestGoldenDSL(t *testing.T) {
	cases := []struct {
		name  string
		query Query
		build func(Query) DSL
	}{
		{"search_default", Query{}, func(q Query) DSL { return SearchDSL(q, testRange, nil) }},
		{"search_text_filters", Query{
			Text: "action:bonus.* AND NOT outcome:success",
			Filters: []Filter{
				{Field: "actor", Values: []string{"emp-1042", "a.petrova"}},
				{Field: "module", Values: []string{"bonuses"}},
				{Field: "ip", Values: []string{"203.0.113.0/24"}},
				{Field: "severity", Op: "neq", Values: []string{"info", "low"}},
				{Field: "changed_field", Values: []string{"balance"}},
			},
			Sort: "asc", Limit: 50,
		}, func(q Query) DSL { return SearchDSL(q, testRange, nil) }},
		{"search_after", Query{Filters: []Filter{{Field: "ip", Values: []string{"10.0.0.1", "192.168.0.0/16"}}}},
			func(q Query) DSL {
				after, err := DecodeCursor(EncodeCursor([]any{json.Number("1763900000000"), "evt-9"}))
				if err != nil {
					t.Fatal(err)
				}
				return SearchDSL(q, testRange, after)
			}},
		{"timeline", Query{Type: TypeTimeline, Text: "withdrawal"},
			func(q Query) DSL { return TimelineDSL(q, testRange, time.Minute, MaxSplits) }},
		{"timeline_split", Query{Type: TypeTimeline, SplitBy: "category",
			Filters: []Filter{{Field: "tenant", Values: []string{"brand-eu"}}}},
			func(q Query) DSL { return TimelineDSL(q, testRange, 5*time.Minute, MaxSplits) }},
		{"facets", Query{Type: TypeFacets, FacetField: "actor", Size: 5},
			func(q Query) DSL { return FacetsDSL(q, testRange) }},
		{"stats_count", Query{Type: TypeStats}, func(q Query) DSL { return StatsDSL(q, testRange) }},
		{"stats_actors", Query{Type: TypeStats, Stat: StatActors}, func(q Query) DSL { return StatsDSL(q, testRange) }},
		{"stats_failures", Query{Type: TypeStats, Stat: StatFailures}, func(q Query) DSL { return StatsDSL(q, testRange) }},
		{"stats_critical", Query{Type: TypeStats, Stat: StatCritical,
			Filters: []Filter{{Field: "tags", Op: "neq", Values: []string{"test"}}}},
			func(q Query) DSL { return StatsDSL(q, testRange) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.query
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(tc.build(q), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "dsl", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(got) != string(want) {
				t.Errorf("DSL differs from %s:\n%s", path, got)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	for name, q := range map[string]Query{
		"unknown type":     {Type: "graph"},
		"unknown field":    {Filters: []Filter{{Field: "password", Values: []string{"x"}}}},
		"no values":        {Filters: []Filter{{Field: "actor"}}},
		"bad ip":           {Filters: []Filter{{Field: "ip", Values: []string{"10.0.0.300"}}}},
		"bad cidr":         {Filters: []Filter{{Field: "ip", Values: []string{"10.0.0.0/33"}}}},
		"bad op":           {Filters: []Filter{{Field: "actor", Op: "like", Values: []string{"x"}}}},
		"limit too high":   {Limit: MaxLimit + 1},
		"bad sort":         {Sort: "random"},
		"facets no field":  {Type: TypeFacets},
		"bad split":        {Type: TypeTimeline, SplitBy: "colour"},
		"unknown stat":     {Type: TypeStats, Stat: "mean"},
		"facet size limit": {Type: TypeFacets, FacetField: "actor", Size: -1},
		"adhoc regex":      {AdhocFilters: []AdhocFilter{{Key: "actor", Operator: "=~", Value: "emp.*"}}},
		"adhoc field":      {AdhocFilters: []AdhocFilter{{Key: "secret", Operator: "=", Value: "x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := q.Normalize(); !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("Normalize() = %v, want ErrInvalidQuery", err)
			}
		})
	}
}

func TestRewriteFieldNames(t *testing.T) {
	for in, want := range map[string]string{
		"action:bonus.* AND NOT outcome:success": "event.action:bonus.* AND NOT audit.action.outcome:success",
		`comment:"action:x" OR (ip:10.0.0.1)`:    `audit.comment:"action:x" OR (source.ip:10.0.0.1)`,
		"user.id:emp-1 -severity:info":           "user.id:emp-1 -audit.severity:info",
		"refund transaction:action":              "refund transaction:action",
		`path\ action:x`:                         `path\ event.action:x`,
		"":                                       "",
	} {
		if got := RewriteFieldNames(in); got != want {
			t.Errorf("RewriteFieldNames(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter("actor=emp-1,emp-2")
	if err != nil || f.Field != "actor" || f.Op != OpEq || len(f.Values) != 2 {
		t.Fatalf("ParseFilter = %+v, %v", f, err)
	}
	f, err = ParseFilter("outcome!=success")
	if err != nil || f.Op != OpNeq || f.Values[0] != "success" {
		t.Fatalf("ParseFilter = %+v, %v", f, err)
	}
	if _, err := ParseFilter("actor"); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("ParseFilter(actor) = %v", err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := EncodeCursor([]any{json.Number("1763900000123"), "evt-1"})
	got, err := DecodeCursor(c)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].(json.Number).String() != "1763900000123" || got[1] != "evt-1" {
		t.Fatalf("DecodeCursor = %v", got)
	}
	if _, err := DecodeCursor("!!"); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("DecodeCursor(garbage) = %v", err)
	}
}

func TestIntervals(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Minute: "1m", 90 * time.Second: "90s",
		2 * time.Hour: "2h", 1500 * time.Millisecond: "1500ms"} {
		if got := FormatInterval(d); got != want {
			t.Errorf("FormatInterval(%v) = %s, want %s", d, got, want)
		}
	}
	if got := AutoInterval(testRange, 1440); got != time.Minute {
		t.Errorf("AutoInterval(24h, 1440) = %v", got)
	}
	if _, err := ParseInterval("5x"); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("ParseInterval(5x) = %v", err)
	}
}

func TestAdhocFiltersBecomeFilters(t *testing.T) {
	q := Query{Filters: []Filter{{Field: "module", Values: []string{"bonuses"}}},
		AdhocFilters: []AdhocFilter{{Key: "actor", Operator: "=", Value: "emp-1"}, {Key: "outcome", Operator: "!=", Value: "success"}}}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	if len(q.Filters) != 3 || q.Filters[1].Field != "actor" || q.Filters[2].Op != OpNeq || q.AdhocFilters != nil {
		t.Fatalf("filters = %+v", q.Filters)
	}
}
