// Package query is auditpipe's one audit query layer: it turns an audit query
// (time range, Lucene free text, field filters, sort, page cursor) into
// Elasticsearch DSL, runs it and decodes the hits into semconv.Event. The
// Grafana data source and auditctl both use it, so a query means the same
// thing everywhere.
package query

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Query types (Query.Type).
const (
	TypeSearch   = "search"
	TypeTimeline = "timeline"
	TypeFacets   = "facets"
	TypeStats    = "stats"
)

// Stats (Query.Stat).
const (
	StatCount    = "count"
	StatActors   = "actors"
	StatFailures = "failures"
	StatCritical = "critical"
)

// Filter operators (Filter.Op).
const (
	OpEq  = "eq"
	OpNeq = "neq"
)

// Page size bounds of a search.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
	// DefaultFacetSize is the number of buckets a facets query returns when
	// the query does not say.
	DefaultFacetSize = 10
)

// Sentinel errors: every validation error wraps one, so callers can tell
// a bad query (answer 400) from a failing backend.
var (
	ErrInvalidQuery = errors.New("invalid query")
)

// Filter restricts one field to (Op eq) or away from (Op neq) a set of values.
type Filter struct {
	Field  string   `json:"field"`
	Op     string   `json:"op,omitempty"`
	Values []string `json:"values"`
}

// Query is the audit query model shared with the Grafana frontend (its
// AuditQuery type): the JSON tags are the contract.
type Query struct {
	RefID      string   `json:"refId,omitempty"`
	Type       string   `json:"queryType,omitempty"`
	Text       string   `json:"query,omitempty"`
	Filters    []Filter `json:"filters,omitempty"`
	SplitBy    string   `json:"splitBy,omitempty"`
	Interval   string   `json:"interval,omitempty"`
	FacetField string   `json:"facetField,omitempty"`
	Size       int      `json:"size,omitempty"`
	Stat       string   `json:"stat,omitempty"`
	Sort       string   `json:"sort,omitempty"`
	Limit      int      `json:"limit,omitempty"`
	// Cursor continues a search after a previous page (its nextCursor).
	Cursor string `json:"cursor,omitempty"`
	// AdhocFilters are Grafana's ad hoc filters as the frontend forwards
	// them; Normalize folds them into Filters.
	AdhocFilters []AdhocFilter `json:"adhocFilters,omitempty"`
}

// AdhocFilter is one Grafana ad hoc filter (key, operator, value).
type AdhocFilter struct {
	Key      string `json:"key"`
	Operator string `json:"operator"`
	Value    string `json:"value"`
}

// TimeRange is the closed interval of event times a query covers.
type TimeRange struct {
	From time.Time
	To   time.Time
}

// fieldMap maps the model's filter field names to Elasticsearch document
// fields (docs/semantic-conventions.md). actor matches id or name.
var fieldMap = map[string]string{
	"actor":         "user.id",
	"module":        "audit.module",
	"action":        "event.action",
	"category":      "audit.action.category",
	"severity":      "audit.severity",
	"outcome":       "audit.action.outcome",
	"ip":            "source.ip",
	"target":        "audit.target.id",
	"tags":          "audit.tags",
	"changed_field": "audit.change.fields",
	"tenant":        "audit.tenant",
	"stream":        "audit.chain.stream",
}

// FilterFields lists the filter field names in a stable order.
var FilterFields = []string{"actor", "module", "action", "category", "severity", "outcome", "ip",
	"target", "tags", "changed_field", "tenant", "stream"}

// DocField returns the Elasticsearch field behind a filter field name.
func DocField(name string) (string, error) {
	f, ok := fieldMap[name]
	if !ok {
		return "", fmt.Errorf("%w: unknown field %q (known: %s)", ErrInvalidQuery, name, strings.Join(FilterFields, ", "))
	}
	return f, nil
}

// Normalize fills defaults and rejects what cannot be run, with an error
// naming the offending part.
func (q *Query) Normalize() error {
	if q.Type == "" {
		q.Type = TypeSearch
	}
	switch q.Type {
	case TypeSearch, TypeTimeline, TypeFacets, TypeStats:
	default:
		return fmt.Errorf("%w: unknown queryType %q", ErrInvalidQuery, q.Type)
	}
	switch q.Sort {
	case "":
		q.Sort = "desc"
	case "asc", "desc":
	default:
		return fmt.Errorf("%w: sort must be asc or desc, not %q", ErrInvalidQuery, q.Sort)
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 0 || q.Limit > MaxLimit:
		return fmt.Errorf("%w: limit must be between 1 and %d, not %d", ErrInvalidQuery, MaxLimit, q.Limit)
	}
	for _, a := range q.AdhocFilters {
		op := map[string]string{"=": OpEq, "!=": OpNeq}[a.Operator]
		if op == "" {
			return fmt.Errorf("%w: ad hoc filter on %s: operator must be = or !=, not %q", ErrInvalidQuery, a.Key, a.Operator)
		}
		q.Filters = append(q.Filters, Filter{Field: a.Key, Op: op, Values: []string{a.Value}})
	}
	q.AdhocFilters = nil
	for i := range q.Filters {
		if err := q.Filters[i].normalize(); err != nil {
			return err
		}
	}
	switch q.Type {
	case TypeTimeline:
		if q.SplitBy != "" {
			if _, err := DocField(q.SplitBy); err != nil {
				return fmt.Errorf("splitBy: %w", err)
			}
		}
	case TypeFacets:
		if q.FacetField == "" {
			return fmt.Errorf("%w: facets needs a facetField", ErrInvalidQuery)
		}
		if _, err := DocField(q.FacetField); err != nil {
			return fmt.Errorf("facetField: %w", err)
		}
		if q.Size == 0 {
			q.Size = DefaultFacetSize
		}
		if q.Size < 0 || q.Size > MaxLimit {
			return fmt.Errorf("%w: size must be between 1 and %d, not %d", ErrInvalidQuery, MaxLimit, q.Size)
		}
	case TypeStats:
		switch q.Stat {
		case "":
			q.Stat = StatCount
		case StatCount, StatActors, StatFailures, StatCritical:
		default:
			return fmt.Errorf("%w: unknown stat %q", ErrInvalidQuery, q.Stat)
		}
	}
	return nil
}

func (f *Filter) normalize() error {
	if _, err := DocField(f.Field); err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	switch f.Op {
	case "", "=":
		f.Op = OpEq
	case "!=":
		f.Op = OpNeq
	case OpEq, OpNeq:
	default:
		return fmt.Errorf("%w: filter on %s: op must be eq or neq, not %q", ErrInvalidQuery, f.Field, f.Op)
	}
	if len(f.Values) == 0 {
		return fmt.Errorf("%w: filter on %s has no values", ErrInvalidQuery, f.Field)
	}
	if f.Field == "ip" {
		for _, v := range f.Values {
			if !validIPOrCIDR(v) {
				return fmt.Errorf("%w: filter on ip: %q is neither an IP address nor a CIDR", ErrInvalidQuery, v)
			}
		}
	}
	return nil
}

func validIPOrCIDR(v string) bool {
	if strings.Contains(v, "/") {
		_, err := netip.ParsePrefix(v)
		return err == nil
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}

// ParseFilter reads the command-line form field=value[,value] or
// field!=value[,value].
func ParseFilter(s string) (Filter, error) {
	op, sep := OpEq, "="
	if i := strings.Index(s, "!="); i > 0 && i < strings.Index(s+"=", "=") {
		op, sep = OpNeq, "!="
	}
	field, vals, ok := strings.Cut(s, sep)
	if !ok || field == "" || vals == "" {
		return Filter{}, fmt.Errorf("%w: filter %q must read field=value or field!=value", ErrInvalidQuery, s)
	}
	f := Filter{Field: strings.TrimSpace(field), Op: op, Values: strings.Split(vals, ",")}
	return f, f.normalize()
}
