// Package querytest starts esdev in-process and fills it with realistic,
// chained audit events, for the tests and benchmarks of the query layer,
// auditctl and the Grafana data source.
package querytest

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/internal/esdev"
	"github.com/auditpipe/auditpipe/semconv"
)

// Stream is the data stream test events are written to.
const Stream = "logs-audit-default"

//go:embed audit_template.json
var template []byte

// Start runs esdev on a free port for the test's lifetime and returns its URL.
func Start(tb testing.TB) string {
	tb.Helper()
	srv, err := esdev.New(esdev.Config{DataDir: tb.TempDir(), RefreshInterval: -1})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			tb.Error(err)
		}
	})
	return hs.URL
}

// Generate returns n realistic events spread over [start, start+span),
// classified as the processor would and hash-chained per tenant, oldest
// first. The same arguments give the same events.
func Generate(n int, start time.Time, span time.Duration) []semconv.Event {
	g := auditgen.New(auditgen.Options{Seed: 1, Start: start, Span: span})
	events := make([]semconv.Event, 0, n)
	for len(events) < n {
		it := g.Next()
		if it.Malformed {
			continue
		}
		e := it.Event
		e.Category, e.Severity = it.Expected.Category, it.Expected.Severity
		e.SourceService = it.Service
		events = append(events, e)
	}
	slices.SortStableFunc(events, func(a, b semconv.Event) int { return a.Timestamp.Compare(b.Timestamp) })
	Chain(events)
	return events
}

// Chain gives events (in order) sequence numbers and hashes per tenant
// stream, as the processor does.
func Chain(events []semconv.Event) {
	seq := map[string]int64{}
	prev := map[string]string{}
	for i := range events {
		e := &events[i]
		e.ChainStream = e.Tenant
		seq[e.ChainStream]++
		e.ChainSeq = seq[e.ChainStream]
		e.ChainHash = chain.Hash(prev[e.ChainStream], *e)
		prev[e.ChainStream] = e.ChainHash
	}
}

// Load installs the audit index template and writes events into Stream
// with _bulk, then refreshes.
func Load(tb testing.TB, url string, events []semconv.Event) {
	tb.Helper()
	if err := LoadErr(url, events); err != nil {
		tb.Fatal(err)
	}
}

// LoadErr is Load for callers without a testing.TB (benchmark setup, tools).
func LoadErr(url string, events []semconv.Event) error {
	if err := do(http.MethodPut, url+"/_index_template/auditpipe-audit", template); err != nil {
		return fmt.Errorf("install template: %w", err)
	}
	const batch = 5000
	for i := 0; i < len(events); i += batch {
		end := min(i+batch, len(events))
		var body []byte
		for j := i; j < end; j++ {
			body = fmt.Appendf(body, `{"create":{"_id":%q}}`+"\n", events[j].ID)
			body = esdoc.AppendDocument(body, &events[j])
			body = append(body, '\n')
		}
		if err := do(http.MethodPost, url+"/"+Stream+"/_bulk", body); err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	return do(http.MethodPost, url+"/_refresh", nil)
}

func do(method, url string, body []byte) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bytes.HasPrefix(body, []byte(`{"create"`)) {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %.500s", method, url, res.Status, raw)
	}
	if bytes.Contains(raw[:min(len(raw), 64)], []byte(`"errors":true`)) {
		return fmt.Errorf("%s %s: item errors: %.1000s", method, url, raw)
	}
	return nil
}
