package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpipe/auditpipe/query/export"
	"github.com/auditpipe/auditpipe/query/querytest"
	"github.com/auditpipe/auditpipe/semconv"
)

var (
	start = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	span  = 24 * time.Hour
)

func setup(t *testing.T, n int) (string, []semconv.Event) {
	t.Helper()
	url := querytest.Start(t)
	events := querytest.Generate(n, start, span)
	querytest.Load(t, url, events)
	return url, events
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func window(url string) []string {
	return []string{"-es", url, "-from", start.Format(time.RFC3339), "-to", start.Add(span).Format(time.RFC3339)}
}

func TestSearchFiltersAndLimit(t *testing.T) {
	url, events := setup(t, 600)
	actor := events[10].ActorID
	code, out, errOut := runCmd(t, append([]string{"search"}, append(window(url), "-filter", "actor="+actor, "-limit", "1000")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := 0
	for _, e := range events {
		if e.ActorID == actor {
			want++
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != want {
		t.Fatalf("printed %d lines, want %d", len(lines), want)
	}
	for _, l := range lines {
		if !strings.Contains(l, actor) {
			t.Fatalf("line without actor %s: %s", actor, l)
		}
	}
	code, out, _ = runCmd(t, append([]string{"search"}, append(window(url), "-limit", "7")...)...)
	if code != 0 || strings.Count(out, "\n") != 7 {
		t.Fatalf("-limit 7 printed %d lines", strings.Count(out, "\n"))
	}
	if code, _, errOut := runCmd(t, "search", "-filter", "colour=red"); code != 2 || !strings.Contains(errOut, "unknown field") {
		t.Fatalf("bad filter: exit %d, %s", code, errOut)
	}
}

func TestExportEachFormat(t *testing.T) {
	url, events := setup(t, 1500)
	dir := t.TempDir()
	for _, format := range export.Formats {
		path := filepath.Join(dir, "out."+format)
		code, _, errOut := runCmd(t, append([]string{"export"}, append(window(url), "-format", format, "-o", path)...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		if !strings.Contains(errOut, "exported 1500 events") {
			t.Fatalf("%s: %s", format, errOut)
		}
	}
	xf, err := excelize.OpenFile(filepath.Join(dir, "out.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := xf.GetRows(export.SheetName)
	xf.Close()
	if len(rows) != len(events)+1 || rows[1][1] != events[0].ID {
		t.Fatalf("xlsx: %d rows, first id %v", len(rows), rows[1][1])
	}
	var out bytes.Buffer
	code := run(context.Background(), append([]string{"export"}, append(window(url), "-format", "csv", "-max-rows", "10")...), &out, &bytes.Buffer{})
	recs, err := csv.NewReader(&out).ReadAll()
	if code != 0 || err != nil || len(recs) != 11 {
		t.Fatalf("csv to stdout: exit %d, %v, %d records", code, err, len(recs))
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	url, events := setup(t, 400)
	code, out, errOut := runCmd(t, append([]string{"verify"}, window(url)...)...)
	if code != 0 || !strings.Contains(errOut, "chain intact") {
		t.Fatalf("intact chain: exit %d: %s %s", code, out, errOut)
	}
	// Rewrite one stored event's comment without re-hashing it.
	tampered := events[200]
	tampered.Comment = "nothing to see here"
	url2 := querytest.Start(t)
	copied := append([]semconv.Event(nil), events...)
	copied[200] = tampered
	querytest.Load(t, url2, copied)
	code, out, _ = runCmd(t, append([]string{"verify"}, window(url2)...)...)
	var report struct {
		Findings []struct {
			Kind    string `json:"kind"`
			EventID string `json:"event_id"`
		} `json:"findings"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &report) != nil || len(report.Findings) == 0 ||
		report.Findings[0].Kind != "modified" || report.Findings[0].EventID != tampered.ID {
		t.Fatalf("tampered chain: exit %d, %s", code, out)
	}
}

func TestSummary(t *testing.T) {
	url, events := setup(t, 800)
	code, out, errOut := runCmd(t, append([]string{"summary"}, window(url)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"800 audit events", "by category:", "by severity:", "latest critical events:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("summary lacks %q:\n%s", want, out)
		}
	}
	var latest semconv.Event
	for _, e := range events {
		if e.Severity == semconv.SeverityCritical && e.Timestamp.After(latest.Timestamp) {
			latest = e
		}
	}
	if latest.ID != "" && !strings.Contains(out, latest.Timestamp.Format("2006-01-02 15:04:05")+"  "+latest.ActorID) {
		t.Fatalf("summary does not list the latest critical event %s by %s:\n%s", latest.Timestamp, latest.ActorID, out)
	}
}

func TestTimeFlags(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now": now, "24h": now.Add(-24 * time.Hour), "7d": now.Add(-7 * 24 * time.Hour),
		"2026-11-01T00:00:00Z": time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := parseTime(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseTime("yesterday", now); err == nil {
		t.Error("parseTime(yesterday) succeeded")
	}
}

func TestTailPrintsOnlyNewEvents(t *testing.T) {
	url, _ := setup(t, 100)
	now := start.Add(span)
	var mu sync.Mutex
	opts, err := parseFlags("tail", []string{"-es", url, "-filter", "outcome=success"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tick := make(chan time.Time)
	opts.out, opts.tick = &out, tick
	opts.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tail(ctx, opts) }()
	fresh := querytest.Generate(30, now.Add(time.Second), 5*time.Second)
	for i := range fresh {
		fresh[i].ID = "new-" + fresh[i].ID
		fresh[i].Outcome = []string{semconv.OutcomeSuccess, semconv.OutcomeFailure}[i%2]
	}
	tick <- now // first poll is done: nothing new yet
	querytest.Load(t, url, fresh)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	tick <- now
	tick <- now // the second poll must print nothing again
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 15 {
		t.Fatalf("tail printed %d lines, want the 15 new successes:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "new-") || !strings.Contains(l, "success") {
			t.Fatalf("unexpected line %s", l)
		}
	}
}
