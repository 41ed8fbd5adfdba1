package esdev_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/esdev"
)

// Benchmarks on generated audit documents. The corpus size is opt-in:
//
//	go test -run '^$' -bench . ./internal/esdev/ -esdev.bench.docs=1000000
var benchDocs = flag.Int("esdev.bench.docs", 100000, "documents indexed for the search benchmarks")

const benchBatch = 1000

// auditDocGen writes ECS-shaped audit documents like the exporter's, spread
// over 24 hours in time order.
type auditDocGen struct {
	rng   *rand.Rand
	start time.Time
	step  time.Duration
	seq   int
}

var (
	benchActions = []string{"login", "logout", "login", "login", "player.update", "player.balance.adjust",
		"bonus.grant", "bonus.revoke", "payment.refund", "payment.approve", "withdrawal.approve",
		"kyc.document.view", "kyc.approve", "role.assign", "role.revoke", "config.change", "report.export",
		"user.create", "user.disable", "limit.change", "game.config.change", "password.reset"}
	benchModules  = []string{"backoffice", "players", "payments", "bonuses", "kyc", "iam", "reports"}
	benchSeverity = []string{"info", "low", "low", "medium", "high", "critical"}
	benchTenants  = []string{"brand-eu", "brand-uk", "brand-latam"}
	benchWords    = []string{"changed", "balance", "player", "approved", "refund", "order", "bonus", "limit",
		"document", "reviewed", "manual", "adjustment", "ticket", "requested", "customer", "support", "escalated"}
)

func newAuditDocGen(n int) *auditDocGen {
	return &auditDocGen{rng: rand.New(rand.NewPCG(42, 7)), start: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		step: 24 * time.Hour / time.Duration(n)}
}

func (g *auditDocGen) next() (string, []byte) {
	g.seq++
	r := g.rng
	at := g.start.Add(time.Duration(g.seq)*g.step + time.Duration(r.IntN(1000)))
	action := benchActions[r.IntN(len(benchActions))]
	user := r.IntN(200)
	outcome := "success"
	if r.IntN(10) == 0 {
		outcome = "failure"
	}
	words := make([]string, 6)
	for i := range words {
		words[i] = benchWords[r.IntN(len(benchWords))]
	}
	doc := map[string]any{
		"@timestamp": at.Format(time.RFC3339Nano),
		"event": map[string]any{"id": fmt.Sprintf("evt-%012d", g.seq), "action": action,
			"category": []string{"iam"}, "outcome": outcome},
		"user":    map[string]any{"id": fmt.Sprintf("emp-%04d", user), "name": fmt.Sprintf("employee.%d", user), "roles": []string{"support"}},
		"source":  map[string]any{"ip": fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(256), 1+r.IntN(254))},
		"related": map[string]any{"user": []string{fmt.Sprintf("emp-%04d", user)}},
		"message": fmt.Sprintf("employee.%d %s: %s", user, action, strings.Join(words, " ")),
		"audit": map[string]any{
			"module": benchModules[r.IntN(len(benchModules))], "severity": benchSeverity[r.IntN(len(benchSeverity))],
			"tenant": benchTenants[r.IntN(len(benchTenants))],
			"action": map[string]any{"category": "change"},
			"actor":  map[string]any{"type": "employee"},
			"target": map[string]any{"type": "player", "id": fmt.Sprintf("p-%d", 100000+r.IntN(900000))},
			"change": map[string]any{"old": map[string]any{"balance": r.IntN(10000)}, "new": map[string]any{"balance": r.IntN(10000)}, "fields": []string{"balance"}},
			"chain":  map[string]any{"seq": g.seq, "hash": fmt.Sprintf("%064x", r.Uint64())},
		},
	}
	b, _ := json.Marshal(doc)
	return fmt.Sprintf("evt-%012d", g.seq), b
}

func (g *auditDocGen) bulkBody(n int) []byte {
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		id, doc := g.next()
		fmt.Fprintf(&buf, `{"create":{"_id":%q}}`+"\n", id)
		buf.Write(doc)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func benchServer(b *testing.B, dir string) (*esdev.Server, http.Handler) {
	srv, err := esdev.New(esdev.Config{DataDir: dir, RefreshInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	tpl, _ := os.ReadFile("testdata/audit_template.json")
	tpl = bytes.ReplaceAll(tpl, []byte("__PATTERN__"), []byte("logs-audit*"))
	mustDo(b, h, "PUT", "/_index_template/audit", tpl)
	return srv, h
}

func mustDo(b testing.TB, h http.Handler, method, path string, body []byte) []byte {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s %s: %d %.500s", method, path, rec.Code, rec.Body.String())
	}
	if bytes.Contains(rec.Body.Bytes()[:min(rec.Body.Len(), 40)], []byte(`"errors":true`)) {
		b.Fatalf("%s %s: item errors %.500s", method, path, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// BenchmarkBulkIndex measures _bulk throughput (1000 documents per request).
func BenchmarkBulkIndex(b *testing.B) {
	srv, h := benchServer(b, b.TempDir())
	defer srv.Close()
	gen := newAuditDocGen(b.N * benchBatch)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = gen.bulkBody(benchBatch)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		mustDo(b, h, "POST", "/logs-audit/_bulk", bodies[i])
	}
	mustDo(b, h, "POST", "/logs-audit/_refresh", nil)
	b.StopTimer()
	docs := float64(b.N * benchBatch)
	b.ReportMetric(docs/b.Elapsed().Seconds(), "docs/s")
	// The CI box is shared: docs per CPU-second is the one-core figure.
	b.ReportMetric(docs/(processCPU()-cpu0).Seconds(), "docs/cpu-s")
}

// processCPU is the user+system CPU time of this process, background bleve
// merging included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	searchOnce    sync.Once
	searchHandler http.Handler
	searchDocs    int
)

func searchCorpus(b *testing.B) http.Handler {
	searchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esdev-bench")
		if err != nil {
			b.Fatal(err)
		}
		_, h := benchServer(b, dir)
		gen := newAuditDocGen(*benchDocs)
		start, cpu0 := time.Now(), processCPU()
		for n := 0; n < *benchDocs; n += benchBatch {
			mustDo(b, h, "POST", "/logs-audit/_bulk", gen.bulkBody(min(benchBatch, *benchDocs-n)))
		}
		mustDo(b, h, "POST", "/logs-audit/_refresh", nil)
		elapsed, cpu := time.Since(start), processCPU()-cpu0
		b.Logf("indexed %d documents in %s (%.0f docs/s, %.0f docs/cpu-s)", *benchDocs, elapsed,
			float64(*benchDocs)/elapsed.Seconds(), float64(*benchDocs)/cpu.Seconds())
		searchHandler, searchDocs = h, *benchDocs
	})
	return searchHandler
}

func benchSearch(b *testing.B, body string) {
	h := searchCorpus(b)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		mustDo(b, h, "POST", "/logs-audit/_search", []byte(body))
	}
	b.ReportMetric(float64(searchDocs), "corpus_docs")
	// On a shared box wall time includes waiting for a core.
	b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkSearchDateHistogramTerms is the dashboard query: a day of events
// per 5-minute bucket, split by action.
func BenchmarkSearchDateHistogramTerms(b *testing.B) {
	benchSearch(b, `{"size":0,"track_total_hits":true,
		"query":{"bool":{"filter":[{"range":{"@timestamp":{"gte":"2026-11-22T12:00:00Z","lte":"2026-11-23T12:00:00Z"}}}]}},
		"aggs":{"timeline":{"date_histogram":{"field":"@timestamp","fixed_interval":"5m","min_doc_count":0},
			"aggs":{"actions":{"terms":{"field":"event.action","size":10}}}}}}`)
}

// BenchmarkSearchFilteredSorted is the event list: filters, newest first.
func BenchmarkSearchFilteredSorted(b *testing.B) {
	benchSearch(b, `{"size":50,"sort":[{"@timestamp":"desc"},{"event.id":"asc"}],
		"query":{"bool":{"filter":[{"term":{"audit.tenant":"brand-eu"}},{"term":{"source.ip":"10.0.0.0/8"}}],
			"must_not":[{"terms":{"audit.severity":["info","low"]}}]}}}`)
}

// BenchmarkSearchQueryString is a free-text search through bleve.
func BenchmarkSearchQueryString(b *testing.B) {
	benchSearch(b, `{"size":20,"query":{"query_string":{"query":"message:refund AND event.action:payment.* AND NOT audit.severity:info"}}}`)
}
