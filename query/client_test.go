package query_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/querytest"
	"github.com/auditpipe/auditpipe/semconv"
)

var (
	start  = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	span   = 24 * time.Hour
	window = query.TimeRange{From: start, To: start.Add(span)}
)

func setup(t *testing.T, n int) (*query.Client, []semconv.Event) {
	t.Helper()
	url := querytest.Start(t)
	events := querytest.Generate(n, start, span)
	querytest.Load(t, url, events)
	c, err := query.New(query.Config{Addresses: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	return c, events
}

func count(events []semconv.Event, keep func(semconv.Event) bool) int {
	n := 0
	for _, e := range events {
		if keep(e) {
			n++
		}
	}
	return n
}

func TestSearchPagesThroughEverythingInOrder(t *testing.T) {
	c, events := setup(t, 2500)
	ctx := context.Background()
	var got []semconv.Event
	cursor := ""
	for {
		page, err := c.Search(ctx, query.Query{Limit: 1000}, window, cursor)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Events...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(got) != len(events) {
		t.Fatalf("paged %d events, stored %d", len(got), len(events))
	}
	seen := map[string]bool{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("event %s returned twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Timestamp.After(got[i-1].Timestamp) {
			t.Fatalf("event %d is newer than its predecessor in a desc search", i)
		}
	}
	// Decoding round-trips the stored event (hash included).
	byID := map[string]semconv.Event{}
	for _, e := range events {
		byID[e.ID] = e
	}
	for _, e := range got[:50] {
		want := byID[e.ID]
		h := chain.Canonical(e)
		w := chain.Canonical(want)
		if string(h) != string(w) {
			t.Fatalf("decoded event differs from stored one:\n got %s\nwant %s", h, w)
		}
	}
}

func TestFiltersAndText(t *testing.T) {
	c, events := setup(t, 2000)
	ctx := context.Background()
	first := events[len(events)/2]
	ip := netip.MustParseAddr(first.ClientAddress)
	prefix, _ := ip.Prefix(16)
	cases := []struct {
		name string
		q    query.Query
		keep func(semconv.Event) bool
	}{
		{"actor by id", query.Query{Filters: []query.Filter{{Field: "actor", Values: []string{first.ActorID}}}},
			func(e semconv.Event) bool { return e.ActorID == first.ActorID }},
		{"module neq", query.Query{Filters: []query.Filter{{Field: "module", Op: "neq", Values: []string{first.Module}}}},
			func(e semconv.Event) bool { return e.Module != first.Module }},
		{"cidr", query.Query{Filters: []query.Filter{{Field: "ip", Values: []string{prefix.String()}}}},
			func(e semconv.Event) bool {
				a, err := netip.ParseAddr(e.ClientAddress)
				return err == nil && prefix.Contains(a)
			}},
		{"lucene alias", query.Query{Text: "outcome:failure OR outcome:denied"},
			func(e semconv.Event) bool { return e.Outcome != semconv.OutcomeSuccess }},
		{"action wildcard", query.Query{Text: "action:" + first.Action[:3] + "*"},
			func(e semconv.Event) bool { return e.Action[:3] == first.Action[:3] }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := count(events, tc.keep)
			if want == 0 || want == len(events) {
				t.Fatalf("test data does not discriminate (%d of %d match)", want, len(events))
			}
			got := 0
			err := c.Iterate(ctx, tc.q, window, 0, func(e semconv.Event) error {
				if !tc.keep(e) {
					t.Errorf("event %s should not match", e.ID)
				}
				got++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("matched %d, want %d", got, want)
			}
			n, err := c.Stat(ctx, query.Query{Type: query.TypeStats, Text: tc.q.Text, Filters: tc.q.Filters}, window)
			if err != nil || int(n) != want {
				t.Fatalf("count stat = %v, %v; want %d", n, err, want)
			}
		})
	}
}

func TestTimelineFacetsStats(t *testing.T) {
	c, events := setup(t, 3000)
	ctx := context.Background()
	series, err := c.Timeline(ctx, query.Query{Type: query.TypeTimeline}, window, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Points) < 1440 {
		t.Fatalf("timeline: %d series, %d buckets; want 1 series of >=1440 minute buckets", len(series), len(series[0].Points))
	}
	var total int64
	for _, p := range series[0].Points {
		total += p.Count
	}
	if total != int64(len(events)) {
		t.Fatalf("timeline sums to %d, want %d", total, len(events))
	}
	split, err := c.Timeline(ctx, query.Query{Type: query.TypeTimeline, SplitBy: "severity"}, window, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range split {
		var n int64
		for _, p := range s.Points {
			n += p.Count
		}
		if want := count(events, func(e semconv.Event) bool { return e.Severity == s.Split }); n != int64(want) {
			t.Errorf("severity %q: timeline %d, want %d", s.Split, n, want)
		}
	}
	facets, err := c.Facets(ctx, query.Query{Type: query.TypeFacets, FacetField: "module", Size: 3}, window)
	if err != nil {
		t.Fatal(err)
	}
	if len(facets) != 3 || facets[0].Count < facets[1].Count {
		t.Fatalf("facets = %+v", facets)
	}
	if want := count(events, func(e semconv.Event) bool { return e.Module == facets[0].Value }); int64(want) != facets[0].Count {
		t.Fatalf("facet %s = %d, want %d", facets[0].Value, facets[0].Count, want)
	}
	for stat, keep := range map[string]func(semconv.Event) bool{
		query.StatFailures: func(e semconv.Event) bool { return e.Outcome != semconv.OutcomeSuccess },
		query.StatCritical: func(e semconv.Event) bool { return e.Severity == semconv.SeverityCritical },
	} {
		got, err := c.Stat(ctx, query.Query{Type: query.TypeStats, Stat: stat}, window)
		if err != nil || int(got) != count(events, keep) {
			t.Errorf("stat %s = %v, %v; want %d", stat, got, err, count(events, keep))
		}
	}
	actors := map[string]bool{}
	for _, e := range events {
		actors[e.ActorID] = true
	}
	if got, err := c.Stat(ctx, query.Query{Type: query.TypeStats, Stat: query.StatActors}, window); err != nil || int(got) != len(actors) {
		t.Errorf("actors = %v, %v; want %d", got, err, len(actors))
	}
	values, err := c.FieldValues(ctx, "actor", "emp", window, 5)
	if err != nil || len(values) == 0 || len(values) > 5 {
		t.Fatalf("FieldValues = %+v, %v", values, err)
	}
}

func TestIterateStopsAtMaxRowsAndAsc(t *testing.T) {
	c, events := setup(t, 2300)
	var got []semconv.Event
	err := c.Iterate(context.Background(), query.Query{Sort: "asc"}, window, 2100, func(e semconv.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil || len(got) != 2100 {
		t.Fatalf("Iterate = %d events, %v", len(got), err)
	}
	if !slices.IsSortedFunc(got, func(a, b semconv.Event) int { return a.Timestamp.Compare(b.Timestamp) }) {
		t.Fatal("asc iteration is not in time order")
	}
	if report := chain.Verify(got); !report.OK() {
		t.Fatalf("chain of stored events does not verify: %+v", report.Findings[:1])
	}
	_ = events
}

func TestEventAnnotationsAndErrors(t *testing.T) {
	c, events := setup(t, 100)
	ctx := context.Background()
	e, err := c.Event(ctx, events[7].ID)
	if err != nil || e.ID != events[7].ID {
		t.Fatalf("Event = %+v, %v", e.ID, err)
	}
	if _, err := c.Event(ctx, "nope"); !errors.Is(err, query.ErrNotFound) {
		t.Fatalf("Event(nope) = %v, want ErrNotFound", err)
	}
	a := query.Annotation{ID: "a1", EventID: e.ID, Time: start, User: "auditor", Comment: "checked", Tags: []string{"ok"}}
	if err := c.AddAnnotation(ctx, query.DefaultAnnotationsIndex, a); err != nil {
		t.Fatal(err)
	}
	got, err := c.Annotations(ctx, query.DefaultAnnotationsIndex, e.ID)
	if err != nil || len(got) != 1 || got[0].Comment != "checked" {
		t.Fatalf("Annotations = %+v, %v", got, err)
	}
	if _, err := c.Search(ctx, query.Query{Text: "action:(unbalanced"}, window, ""); !errors.Is(err, query.ErrInvalidQuery) {
		t.Fatalf("bad Lucene = %v, want ErrInvalidQuery", err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health = %v", err)
	}
	empty, _ := query.New(query.Config{Addresses: []string{querytest.Start(t)}})
	if err := empty.Health(ctx); !errors.Is(err, query.ErrNoData) {
		t.Fatalf("Health(empty) = %v, want ErrNoData", err)
	}
	down, _ := query.New(query.Config{Addresses: []string{"http://127.0.0.1:1"}})
	if err := down.Health(ctx); !errors.Is(err, query.ErrUnreachable) {
		t.Fatalf("Health(down) = %v, want ErrUnreachable", err)
	}
}

func TestHealthReportsRejectedCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"type":"security_exception","reason":"unable to authenticate user [bob]"},"status":401}`))
	}))
	defer srv.Close()
	c, _ := query.New(query.Config{Addresses: []string{srv.URL}, Username: "bob", Password: "wrong"})
	err := c.Health(context.Background())
	if !errors.Is(err, query.ErrUnauthorized) || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("Health = %v, want ErrUnauthorized with the reason", err)
	}
}
