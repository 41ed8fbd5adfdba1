package query

import (
	"fmt"
	"strings"
	"time"
)

// TimestampField and IDField are the sort keys: time, then the event id as
// tiebreaker so search_after never skips or repeats an event.
const (
	TimestampField = "@timestamp"
	IDField        = "event.id"
)

// TextFields are searched by free text that names no field.
var TextFields = []string{"message", "audit.comment", "audit.change.old_text", "audit.change.new_text",
	"event.action", "user.name"}

// DSL is an Elasticsearch request body. A map marshals with sorted keys, so
// golden files stay stable.
type DSL = map[string]any

// filterClauses builds the bool query shared by every query type.
func filterClauses(q Query, r TimeRange) DSL {
	filter := []any{DSL{"range": DSL{TimestampField: DSL{
		"gte":    formatTime(r.From),
		"lte":    formatTime(r.To),
		"format": "strict_date_optional_time",
	}}}}
	var mustNot []any
	if text := strings.TrimSpace(q.Text); text != "" && text != "*" {
		filter = append(filter, DSL{"query_string": DSL{
			"query":            RewriteFieldNames(text),
			"fields":           TextFields,
			"default_operator": "AND",
			"lenient":          true,
		}})
	}
	for _, f := range q.Filters {
		clause := filterClause(f)
		if f.Op == OpNeq {
			mustNot = append(mustNot, clause)
		} else {
			filter = append(filter, clause)
		}
	}
	b := DSL{"filter": filter}
	if len(mustNot) > 0 {
		b["must_not"] = mustNot
	}
	return DSL{"bool": b}
}

func filterClause(f Filter) DSL {
	field := fieldMap[f.Field]
	switch f.Field {
	case "actor":
		// An actor is named by id or by login name; either matches.
		return DSL{"bool": DSL{"should": []any{termsClause("user.id", f.Values), termsClause("user.name", f.Values)},
			"minimum_should_match": 1}}
	case "ip":
		// term on an ip field accepts both an address and a CIDR; terms
		// would too, but one term per value keeps esdev and ES agreeing.
		if len(f.Values) == 1 {
			return DSL{"term": DSL{field: f.Values[0]}}
		}
		should := make([]any, 0, len(f.Values))
		for _, v := range f.Values {
			should = append(should, DSL{"term": DSL{field: v}})
		}
		return DSL{"bool": DSL{"should": should, "minimum_should_match": 1}}
	}
	return termsClause(field, f.Values)
}

func termsClause(field string, values []string) DSL {
	if len(values) == 1 {
		return DSL{"term": DSL{field: values[0]}}
	}
	return DSL{"terms": DSL{field: values}}
}

func sortClause(order string) []any {
	return []any{
		DSL{TimestampField: DSL{"order": order}},
		DSL{IDField: DSL{"order": order}},
	}
}

// SearchDSL is the body of one page of a search. It asks for one hit more
// than the page so the caller knows whether a next page exists.
func SearchDSL(q Query, r TimeRange, after []any) DSL {
	body := DSL{
		"query":            filterClauses(q, r),
		"sort":             sortClause(q.Sort),
		"size":             q.Limit + 1,
		"track_total_hits": false,
	}
	if len(after) > 0 {
		body["search_after"] = after
	}
	return body
}

// TimelineDSL counts events per interval, split by a field when SplitBy is
// set. Empty buckets are kept across the whole range (extended_bounds) so a
// series is continuous, which alert rules rely on.
func TimelineDSL(q Query, r TimeRange, interval time.Duration, splitSize int) DSL {
	hist := DSL{"date_histogram": DSL{
		"field":          TimestampField,
		"fixed_interval": FormatInterval(interval),
		"min_doc_count":  0,
		"extended_bounds": DSL{
			"min": r.From.UnixMilli(),
			"max": r.To.UnixMilli(),
		},
	}}
	aggs := DSL{"timeline": hist}
	if q.SplitBy != "" {
		aggs = DSL{"split": DSL{
			"terms": DSL{"field": splitField(q.SplitBy), "size": splitSize},
			"aggs":  aggs,
		}}
	}
	return DSL{"query": filterClauses(q, r), "size": 0, "aggs": aggs, "track_total_hits": false}
}

// splitField is the field a terms aggregation groups by: actors group by id.
func splitField(name string) string { return fieldMap[name] }

// FacetsDSL counts the most frequent values of a field.
func FacetsDSL(q Query, r TimeRange) DSL {
	return DSL{
		"query":            filterClauses(q, r),
		"size":             0,
		"track_total_hits": false,
		"aggs": DSL{"facet": DSL{"terms": DSL{
			"field": splitField(q.FacetField),
			"size":  q.Size,
		}}},
	}
}

// StatsDSL computes a single number: the hit count, or an aggregation.
func StatsDSL(q Query, r TimeRange) DSL {
	body := DSL{"query": filterClauses(q, r), "size": 0, "track_total_hits": true}
	switch q.Stat {
	case StatActors:
		body["aggs"] = DSL{"stat": DSL{"cardinality": DSL{"field": "user.id"}}}
	case StatFailures:
		body["aggs"] = DSL{"stat": DSL{"filter": DSL{"terms": DSL{
			"audit.action.outcome": []string{"failure", "denied"}}}}}
	case StatCritical:
		body["aggs"] = DSL{"stat": DSL{"filter": DSL{"term": DSL{"audit.severity": "critical"}}}}
	}
	return body
}

// formatTime writes a range bound with millisecond precision, the
// precision of the date field.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// FormatInterval writes d in Elasticsearch's fixed_interval units, using the
// largest unit that divides it.
func FormatInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return "1m"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// AutoInterval picks a bucket width giving about maxPoints buckets over r,
// rounded up to a readable width.
func AutoInterval(r TimeRange, maxPoints int) time.Duration {
	if maxPoints <= 0 {
		maxPoints = 1000
	}
	raw := r.To.Sub(r.From) / time.Duration(maxPoints)
	for _, d := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
		time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour,
		6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if raw <= d {
			return d
		}
	}
	return 7 * 24 * time.Hour
}

// ParseInterval reads a timeline interval ("1m", "30s", "auto" or empty);
// auto and empty return 0, meaning "choose".
func ParseInterval(s string) (time.Duration, error) {
	if s == "" || s == "auto" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%w: interval %q must be a duration of at least 1s, or auto", ErrInvalidQuery, s)
	}
	return d, nil
}
