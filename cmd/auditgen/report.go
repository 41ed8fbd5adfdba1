package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
)

// printTable writes the human summary: totals, then counts by category,
// action and defect, each sorted by name.
func printTable(w io.Writer, r *Report) {
	rate := 0.0
	if r.ElapsedSeconds > 0 {
		rate = float64(r.Sent.Total) / r.ElapsedSeconds
	}
	fmt.Fprintf(w, "sent %d records (%d valid, %d malformed) to %s over %s in %.1fs (%.0f/s)\n",
		r.Sent.Total, r.Sent.Valid, r.Sent.Malformed, r.Endpoint, r.Protocol, r.ElapsedSeconds, rate)
	fmt.Fprintf(w, "requests %d, retries %d, rejected by server %d, failed %d, secrets embedded %d\n",
		r.Requests, r.Retries, r.Rejected, r.Failed, r.Secrets)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, section := range []struct {
		title  string
		counts map[string]int
	}{
		{"category (valid)", r.Sent.ByCategory},
		{"action (valid)", r.Sent.ByAction},
		{"malformed attribute", r.Sent.ByDefect},
	} {
		if len(section.counts) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n%s\tcount\t\n", section.title)
		for _, k := range slices.Sorted(maps.Keys(section.counts)) {
			fmt.Fprintf(tw, "%s\t%d\t\n", k, section.counts[k])
		}
	}
	tw.Flush()
}
