package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/export"
	"github.com/auditpipe/auditpipe/semconv"
)

// line is the one-line form of an event in search and tail output.
func line(e semconv.Event) string {
	target := strings.TrimSpace(e.TargetType + " " + e.TargetID)
	actor := e.ActorID
	if e.ActorName != "" {
		actor += " (" + e.ActorName + ")"
	}
	return strings.Join([]string{semconv.FormatTime(e.Timestamp), orDash(e.Severity), orDash(e.Outcome),
		actor, e.Action, orDash(target), orDash(e.ClientAddress), e.ID}, "  ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func search(ctx context.Context, o *options) error {
	o.query.Limit = min(max(o.limit, 1), query.MaxLimit)
	printed := 0
	cursor := ""
	for printed < o.limit {
		page, err := o.client.Search(ctx, o.query, o.window, cursor)
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			if printed == o.limit {
				break
			}
			fmt.Fprintln(o.out, line(e))
			printed++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	return nil
}

func exportCmd(ctx context.Context, o *options) error {
	w, err := export.New(o.format, o.out)
	if err != nil {
		return err
	}
	n := 0
	err = o.client.Iterate(ctx, o.query, o.window, o.maxRows, func(e semconv.Event) error {
		n++
		return w.Write(e)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Fprintf(o.stderr, "exported %d events as %s\n", n, o.format)
	return nil
}

func verify(ctx context.Context, o *options) error {
	var events []semconv.Event
	if err := o.client.Iterate(ctx, o.query, o.window, 0, func(e semconv.Event) error {
		events = append(events, e)
		return nil
	}); err != nil {
		return err
	}
	report := chain.Verify(events)
	if report.Findings == nil {
		report.Findings = []chain.Finding{}
	}
	enc := json.NewEncoder(o.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return err
	}
	if !report.OK() {
		fmt.Fprintf(o.stderr, "chain broken: %d findings in %d events\n", len(report.Findings), report.Events)
		return errFindings
	}
	fmt.Fprintf(o.stderr, "chain intact: %d events verified in %d streams\n", report.Verified, report.Streams)
	return nil
}

// tail prints events that arrive after it starts, polling every o.poll.
func tail(ctx context.Context, o *options) error {
	o.query.Sort, o.query.Limit = "asc", query.MaxLimit
	from := o.now().UTC()
	cursor := ""
	tick := o.tick
	if tick == nil {
		ticker := time.NewTicker(o.poll)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		for {
			page, err := o.client.Search(ctx, o.query, query.TimeRange{From: from, To: o.now().UTC()}, cursor)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, e := range page.Events {
				fmt.Fprintln(o.out, line(e))
			}
			if len(page.Events) > 0 {
				last := page.Events[len(page.Events)-1]
				cursor = query.EncodeCursor([]any{last.Timestamp.UnixMilli(), last.ID})
			}
			if page.NextCursor == "" {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}

// summary prints what an operator wants first: volumes by category and
// severity, and the latest critical events.
func summary(ctx context.Context, o *options) error {
	total, err := o.client.Stat(ctx, query.Query{Type: query.TypeStats, Text: o.query.Text, Filters: o.query.Filters}, o.window)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "%d audit events from %s to %s\n", int64(total), semconv.FormatTime(o.window.From), semconv.FormatTime(o.window.To))
	for _, field := range []string{"category", "severity"} {
		buckets, err := o.client.Facets(ctx, query.Query{Type: query.TypeFacets, FacetField: field, Size: 20,
			Text: o.query.Text, Filters: o.query.Filters}, o.window)
		if err != nil {
			return err
		}
		if field == "severity" {
			slices.SortStableFunc(buckets, func(a, b query.Bucket) int {
				return semconv.SeverityRank(b.Value) - semconv.SeverityRank(a.Value)
			})
		}
		fmt.Fprintf(o.out, "\nby %s:\n", field)
		tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
		for _, b := range buckets {
			fmt.Fprintf(tw, "  %s\t%d\n", b.Value, b.Count)
		}
		tw.Flush()
	}
	critical := query.Query{Text: o.query.Text, Limit: 10,
		Filters: append(slices.Clone(o.query.Filters), query.Filter{Field: "severity", Values: []string{semconv.SeverityCritical}})}
	page, err := o.client.Search(ctx, critical, o.window, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "\nlatest critical events:\n")
	tw := tabwriter.NewWriter(o.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TIME\tACTOR\tACTION\tTARGET\tIP")
	for _, e := range page.Events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.Timestamp.UTC().Format("2006-01-02 15:04:05"), orDash(e.ActorID),
			e.Action, orDash(strings.TrimSpace(e.TargetType+" "+e.TargetID)), orDash(e.ClientAddress))
	}
	return tw.Flush()
}
