package auditelasticsearchexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/internal/esdev"
	"github.com/auditpipe/auditpipe/semconv"
)

// cluster is the Elasticsearch the tests write to: real Elasticsearch at
// ELASTICSEARCH_URL when set, otherwise an in-process esdev on a free port
// that can be stopped and started again on the same port and data.
type cluster struct {
	url string
	dev *devServer // nil against real Elasticsearch
}

var loggedTarget atomic.Bool

func newCluster(t *testing.T) *cluster {
	t.Helper()
	if url := os.Getenv("ELASTICSEARCH_URL"); url != "" {
		if !loggedTarget.Swap(true) {
			t.Logf("integration tests run against ELASTICSEARCH_URL=%s", url)
		}
		return &cluster{url: strings.TrimRight(url, "/")}
	}
	if !loggedTarget.Swap(true) {
		t.Log("ELASTICSEARCH_URL is not set: integration tests run against esdev only")
	}
	dev := startDevServer(t, t.TempDir(), "127.0.0.1:0")
	t.Cleanup(dev.stop)
	return &cluster{url: "http://" + dev.addr, dev: dev}
}

// requireDev skips tests that need fault injection or restarts, which only
// esdev offers.
func (c *cluster) requireDev(t *testing.T) {
	t.Helper()
	if c.dev == nil {
		t.Skip("needs esdev fault injection/restart; skipped against ELASTICSEARCH_URL")
	}
}

type devServer struct {
	t       *testing.T
	dir     string
	addr    string
	srv     *esdev.Server
	http    *http.Server
	stopped bool
	// bulkBudget is how many more _bulk requests the node serves before it
	// answers them all with 429; negative: no limit.
	bulkBudget *atomic.Int64
}

// limitBulks serves the next n _bulk requests and answers every later one
// with 429 until called again; n < 0 lifts the limit. Unlike esdev's random
// fault injection it makes "part of the load indexed, the rest waiting"
// certain.
func (d *devServer) limitBulks(n int64) { d.bulkBudget.Store(n) }

func (d *devServer) budgetBulks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_bulk") && d.bulkBudget.Load() >= 0 && d.bulkBudget.Add(-1) < 0 {
			d.bulkBudget.Store(0)
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"type":"es_rejected_execution_exception","reason":"bulk budget of the test used up"},"status":429}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func startDevServer(t *testing.T, dir, addr string) *devServer {
	t.Helper()
	srv, err := esdev.New(esdev.Config{DataDir: dir, RefreshInterval: 500 * time.Millisecond})
	require.NoError(t, err)
	var ln net.Listener
	// The port of a stopped server may take a moment to be free again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err = net.Listen("tcp", addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, err)
	d := &devServer{t: t, dir: dir, addr: ln.Addr().String(), srv: srv, bulkBudget: new(atomic.Int64)}
	d.bulkBudget.Store(-1)
	d.http = &http.Server{Handler: d.budgetBulks(srv.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.http.Serve(ln) }()
	return d
}

// stop closes connections and flushes the store, like a node going down.
func (d *devServer) stop() {
	if d.stopped {
		return
	}
	d.stopped = true
	_ = d.http.Close()
	require.NoError(d.t, d.srv.Close())
}

// restart starts a new node on the same port and data directory.
func (d *devServer) restart() {
	d.stop()
	*d = *startDevServer(d.t, d.dir, d.addr)
}

// gunzip decodes gzip request bodies for the scripted Elasticsearch of the
// unit tests, as Elasticsearch (and esdev) do.
func gunzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body, err := io.ReadAll(zr)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Del("Content-Encoding")
		}
		next.ServeHTTP(w, r)
	})
}

// request sends a JSON request and decodes the JSON answer.
func (c *cluster) request(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// refresh makes every write to index searchable.
func (c *cluster) refresh(t *testing.T, index string) {
	t.Helper()
	c.request(t, http.MethodPost, "/"+index+"/_refresh", nil)
}

// count counts the documents matching query that are searchable. Polls do
// not refresh (the periodic refresh suffices and is much cheaper); exact
// checks refresh first.
func (c *cluster) count(t *testing.T, index string, query map[string]any) int {
	t.Helper()
	body := map[string]any{}
	if query != nil {
		body["query"] = query
	}
	status, res := c.request(t, http.MethodPost, "/"+index+"/_count", body)
	if status == http.StatusNotFound {
		return 0
	}
	require.Equal(t, http.StatusOK, status, "count: %v", res)
	return int(res["count"].(float64))
}

// searchHits returns up to size hits of query.
func (c *cluster) searchHits(t *testing.T, index string, query map[string]any, size int) []map[string]any {
	t.Helper()
	c.request(t, http.MethodPost, "/"+index+"/_refresh", nil)
	status, res := c.request(t, http.MethodPost, "/"+index+"/_search", map[string]any{"query": query, "size": size})
	require.Equal(t, http.StatusOK, status, "search: %v", res)
	var out []map[string]any
	for _, h := range res["hits"].(map[string]any)["hits"].([]any) {
		out = append(out, h.(map[string]any))
	}
	return out
}

// waitCount polls until index holds want documents or the deadline passes.
func (c *cluster) waitCount(t *testing.T, index string, want int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got := c.count(t, index, nil); got >= want {
			return got
		}
		time.Sleep(250 * time.Millisecond)
	}
	c.refresh(t, index)
	return c.count(t, index, nil)
}

// testConfig is a config for c with a unique dataset, so that tests against
// a shared real cluster do not see each other's documents, and fast retries.
func testConfig(c *cluster, t *testing.T) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{c.url}
	cfg.DataStream.Dataset = "audittest" + strings.ToLower(strings.NewReplacer("/", "", "_", "").Replace(t.Name()))
	if len(cfg.DataStream.Dataset) > 60 {
		cfg.DataStream.Dataset = cfg.DataStream.Dataset[:60]
	}
	cfg.ClientConfig.Timeout = 5 * time.Second
	cfg.BackOffConfig.InitialInterval = 20 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 500 * time.Millisecond
	q := cfg.QueueBatchConfig.Get()
	q.Batch.Get().FlushTimeout = 100 * time.Millisecond
	q.Batch.Get().MinSize = 500
	q.Batch.Get().MaxSize = 1000
	return cfg
}

func (cfg *Config) index() string {
	return "logs-" + cfg.DataStream.Dataset + "-" + cfg.DataStream.Namespace
}

// startExporter creates and starts an exporter; it is shut down at cleanup.
func startExporter(t *testing.T, cfg *Config, tel *componenttest.Telemetry) exporter.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := exportertest.NewNopSettings(metadata.Type)
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
	}
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// events returns n generated audit events of seed; ids are unique.
func events(seed int64, n int) []semconv.Event {
	g := auditgen.New(auditgen.Options{Seed: seed, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	out := make([]semconv.Event, n)
	for i := range out {
		it := g.Next()
		out[i] = it.Event
		out[i].SourceService = it.Service
	}
	return out
}

// toLogs puts events into one plog.Logs, one resource per service.
func toLogs(evs []semconv.Event) plog.Logs {
	ld := plog.NewLogs()
	scopes := map[string]plog.ScopeLogs{}
	for i := range evs {
		sl, ok := scopes[evs[i].SourceService]
		if !ok {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr(semconv.AttrServiceName, evs[i].SourceService)
			sl = rl.ScopeLogs().AppendEmpty()
			scopes[evs[i].SourceService] = sl
		}
		evs[i].CopyToLogRecord(sl.LogRecords().AppendEmpty())
	}
	return ld
}

// sendAll feeds events in batches of size, retrying a batch the exporter
// refuses (a full queue) as a client of the collector would.
func sendAll(t *testing.T, exp exporter.Logs, evs []semconv.Event, size int) {
	t.Helper()
	for i := 0; i < len(evs); i += size {
		ld := toLogs(evs[i:min(i+size, len(evs))])
		deadline := time.Now().Add(2 * time.Minute)
		for {
			err := exp.ConsumeLogs(context.Background(), ld)
			if err == nil {
				break
			}
			require.True(t, time.Now().Before(deadline), "batch %d never accepted: %v", i/size, err)
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// documentCount sums the auditpipe.elasticsearch.documents counter for outcome.
func documentCount(t *testing.T, tel *componenttest.Telemetry, outcome string) int64 {
	t.Helper()
	m, err := tel.GetMetric("auditpipe.elasticsearch.documents")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, ok := dp.Attributes.Value("outcome"); ok && v.AsString() == outcome {
			n += dp.Value
		}
	}
	return n
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requireExactly asserts that index holds exactly the events evs: as many
// documents as events and every event id present (so none is missing and
// none is stored twice).
func (c *cluster) requireExactly(t *testing.T, index string, evs []semconv.Event) {
	t.Helper()
	c.refresh(t, index)
	require.Equal(t, len(evs), c.count(t, index, nil), "documents in %s", index)
	const page = 1000
	for i := 0; i < len(evs); i += page {
		var batch []string
		for _, e := range evs[i:min(i+page, len(evs))] {
			batch = append(batch, e.ID)
		}
		got := c.count(t, index, map[string]any{"terms": map[string]any{"event.id": batch}})
		require.Equal(t, len(batch), got, "events %d..%d present", i, i+len(batch))
	}
}
