package query_test

import (
	"context"
	"flag"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/querytest"
)

var benchEvents = flag.Int("events", 100_000, "events loaded into esdev for the benchmarks")

var (
	benchOnce   sync.Once
	benchClient *query.Client
	benchURL    string
)

// benchSetup loads the events once per process into an esdev that lives
// until the process ends (benchmarks share it).
func benchSetup(b *testing.B) *query.Client {
	benchOnce.Do(func() {
		tb := &onceTB{TB: b}
		benchURL = querytest.Start(tb)
		querytest.Load(b, benchURL, querytest.Generate(*benchEvents, start, span))
		var err error
		if benchClient, err = query.New(query.Config{Addresses: []string{benchURL}}); err != nil {
			b.Fatal(err)
		}
	})
	if benchClient == nil {
		b.Fatal("benchmark setup failed")
	}
	return benchClient
}

// onceTB keeps esdev running past the first benchmark's cleanup.
type onceTB struct{ testing.TB }

func (onceTB) Cleanup(func()) {}

// latencies runs op b.N times and reports p50/p95 in milliseconds.
func latencies(b *testing.B, op func() error) {
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}

// BenchmarkSearchFirstPage: the first 100 events of 24 h, newest first.
func BenchmarkSearchFirstPage(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	latencies(b, func() error {
		page, err := c.Search(ctx, query.Query{}, window, "")
		if err == nil && len(page.Events) != query.DefaultLimit {
			b.Fatalf("first page holds %d events", len(page.Events))
		}
		return err
	})
}

// BenchmarkSearchFilteredFirstPage adds free text and a filter.
func BenchmarkSearchFilteredFirstPage(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	q := query.Query{Text: "action:bonus.*", Filters: []query.Filter{{Field: "outcome", Op: "neq", Values: []string{"denied"}}}}
	latencies(b, func() error {
		_, err := c.Search(ctx, q, window, "")
		return err
	})
}

// BenchmarkTimeline24h1m: 1440 one-minute buckets over 24 h.
func BenchmarkTimeline24h1m(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	latencies(b, func() error {
		series, err := c.Timeline(ctx, query.Query{Type: query.TypeTimeline}, window, time.Minute)
		if err == nil && len(series[0].Points) < 1440 {
			b.Fatalf("timeline has %d buckets", len(series[0].Points))
		}
		return err
	})
}

// BenchmarkTimelineSplit24h1m splits the minute timeline by category.
func BenchmarkTimelineSplit24h1m(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	latencies(b, func() error {
		_, err := c.Timeline(ctx, query.Query{Type: query.TypeTimeline, SplitBy: "category"}, window, time.Minute)
		return err
	})
}
