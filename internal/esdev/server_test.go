package esdev_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/esdev"
)

// node is an esdev server under test, spoken to over real HTTP.
type node struct {
	t   *testing.T
	srv *esdev.Server
	hs  *httptest.Server
	dir string
}

func startNode(t *testing.T, dir string, cfg esdev.Config) *node {
	t.Helper()
	cfg.DataDir = dir
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = -1
	}
	srv, err := esdev.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, srv: srv, hs: httptest.NewServer(srv.Handler()), dir: dir}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.hs == nil {
		return
	}
	n.hs.Close()
	n.hs = nil
	if err := n.srv.Close(); err != nil {
		n.t.Error(err)
	}
}

// do sends a request and returns the status and decoded JSON body.
func (n *node) do(method, path, body string) (int, map[string]any) {
	n.t.Helper()
	status, raw := n.raw(method, path, body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			n.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return status, out
}

func (n *node) raw(method, path, body string) (int, []byte) {
	n.t.Helper()
	req, _ := http.NewRequest(method, n.hs.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		n.t.Errorf("%s %s: missing X-Elastic-Product header", method, path)
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (n *node) must(method, path, body string) map[string]any {
	n.t.Helper()
	status, out := n.do(method, path, body)
	if status >= 300 {
		n.t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

func hitIDs(res map[string]any) []string {
	var out []string
	for _, h := range res["hits"].(map[string]any)["hits"].([]any) {
		out = append(out, h.(map[string]any)["_id"].(string))
	}
	return out
}

func total(res map[string]any) int {
	return int(res["hits"].(map[string]any)["total"].(map[string]any)["value"].(float64))
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, esdev.Config{})
	n.must("PUT", "/_index_template/audit", `{"index_patterns":["audit-*"],"data_stream":{},"template":{"mappings":{"properties":{"source":{"properties":{"ip":{"type":"ip"}}},"message":{"type":"text"}}}}}`)
	n.must("PUT", "/_ilm/policy/keep", `{"policy":{"phases":{"hot":{"actions":{}}}}}`)
	n.must("POST", "/audit-x/_bulk?refresh=true", `{"create":{"_id":"a"}}
{"@timestamp":"2026-01-01T00:00:00.000000001Z","source":{"ip":"10.0.0.1"},"message":"first event","n":1}
{"create":{"_id":"b"}}
{"@timestamp":"2026-01-02T00:00:00Z","source":{"ip":"10.0.0.2"},"message":"second event","n":2}
`)
	n.must("PUT", "/plain/_doc/1?refresh=true", `{"k":"v"}`)
	n.must("PUT", "/plain/_doc/1?refresh=true", `{"k":"w"}`) // version 2
	if status, _ := n.do("DELETE", "/plain/_doc/missing", ``); status != 404 {
		t.Errorf("delete of a missing doc: %d, want 404", status)
	}
	n.stop()

	// A second server on the same directory sees the same state.
	m := startNode(t, dir, esdev.Config{})
	res := m.must("POST", "/audit-x/_search", `{"query":{"match":{"message":"second"}}}`)
	if ids := hitIDs(res); len(ids) != 1 || ids[0] != "b" {
		t.Fatalf("text search after restart: %v", ids)
	}
	res = m.must("POST", "/audit-x/_search", `{"query":{"term":{"source.ip":"10.0.0.0/24"}},"sort":["n"]}`)
	src := res["hits"].(map[string]any)["hits"].([]any)[0].(map[string]any)["_source"].(map[string]any)
	if src["@timestamp"] != "2026-01-01T00:00:00.000000001Z" || total(res) != 2 {
		t.Fatalf("ip search after restart: %v", res)
	}
	doc := m.must("GET", "/plain/_doc/1", "")
	if doc["_version"].(float64) != 2 || doc["_source"].(map[string]any)["k"] != "w" {
		t.Errorf("doc after restart: %v", doc)
	}
	if _, out := m.do("GET", "/_ilm/policy/keep", ""); out["keep"] == nil {
		t.Errorf("ILM policy lost: %v", out)
	}
	if _, out := m.do("GET", "/_data_stream/audit-x", ""); len(out["data_streams"].([]any)) != 1 {
		t.Errorf("data stream lost: %v", out)
	}
	mapping := m.must("GET", "/audit-x/_mapping", "")
	for _, v := range mapping {
		props := v.(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
		if props["n"].(map[string]any)["type"] != "long" {
			t.Errorf("dynamic mapping lost: %v", props)
		}
	}
	// The _seq_no sequence continues where it stopped.
	out := m.must("PUT", "/plain/_doc/2", `{"k":"x"}`)
	if out["_seq_no"].(float64) != 3 {
		t.Errorf("_seq_no after restart = %v, want 3", out["_seq_no"])
	}
}

func TestUncleanStopRebuildsTextIndex(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, esdev.Config{})
	n.must("POST", "/logs/_bulk?refresh=true", `{"index":{"_id":"1"}}
{"message":"the quick brown fox"}
`)
	n.stop()
	// Simulate a crash: no clean marker, text index gone.
	markers, _ := filepath.Glob(filepath.Join(dir, "indices", "*", "clean"))
	if len(markers) != 1 {
		t.Fatalf("clean markers: %v", markers)
	}
	os.Remove(markers[0])
	os.RemoveAll(filepath.Join(filepath.Dir(markers[0]), "text.bleve"))
	m := startNode(t, dir, esdev.Config{})
	res := m.must("POST", "/logs/_search", `{"query":{"match_phrase":{"message":"brown fox"}}}`)
	if total(res) != 1 {
		t.Fatalf("phrase search after rebuild: %v", res)
	}
}

func TestRefreshVisibility(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{})
	n.must("POST", "/logs/_bulk", `{"index":{"_id":"1"}}
{"k":"a"}
`)
	if c := n.must("POST", "/logs/_count", "")["count"].(float64); c != 0 {
		t.Errorf("count before refresh = %v, want 0", c)
	}
	if doc := n.must("GET", "/logs/_doc/1", ""); doc["found"] != true {
		t.Errorf("realtime get before refresh: %v", doc)
	}
	n.must("POST", "/logs/_refresh", "")
	if c := n.must("POST", "/logs/_count", "")["count"].(float64); c != 1 {
		t.Errorf("count after refresh = %v, want 1", c)
	}
	// An overwrite replaces the old version at the next refresh.
	n.must("PUT", "/logs/_doc/1?refresh=true", `{"k":"b"}`)
	res := n.must("POST", "/logs/_search", `{"query":{"term":{"k.keyword":"a"}}}`)
	if total(res) != 0 {
		t.Errorf("old version still visible: %v", res)
	}
}

func TestFaultInjection(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{FaultSeed: 3})
	bulk := strings.Repeat(`{"index":{"_index":"f"}}`+"\n"+`{"k":1}`+"\n", 200)

	if err := n.srv.SetFaults(esdev.Faults{RejectItemsRatio: 0.5}); err != nil {
		t.Fatal(err)
	}
	out := n.must("POST", "/_bulk", bulk)
	rejected := 0
	for _, it := range out["items"].([]any) {
		item := it.(map[string]any)["index"].(map[string]any)
		if item["status"].(float64) == 429 {
			rejected++
			if item["error"].(map[string]any)["type"] != "es_rejected_execution_exception" {
				t.Fatalf("429 item error: %v", item)
			}
		}
	}
	if out["errors"] != true || rejected < 50 || rejected > 150 {
		t.Errorf("rejected %d of 200 items at ratio 0.5", rejected)
	}

	// The admin endpoint drives the same setting, for tests of the binary.
	n.must("PUT", "/_esdev/faults", `{"reject_requests_ratio":1,"delay":"30ms"}`)
	if got := n.must("GET", "/_esdev/faults", ""); got["reject_requests_ratio"] != 1.0 || got["delay"] != "30ms" {
		t.Errorf("GET faults = %v", got)
	}
	start := time.Now()
	status, body := n.do("POST", "/_bulk", bulk)
	if status != 429 || body["error"].(map[string]any)["type"] != "es_rejected_execution_exception" {
		t.Errorf("whole-request rejection: %d %v", status, body)
	}
	if waited := time.Since(start); waited < 30*time.Millisecond {
		t.Errorf("delay not applied: %s", waited)
	}
	if status, _ := n.do("PUT", "/_esdev/faults", `{"reject_items_ratio":2}`); status != 400 {
		t.Errorf("invalid ratio accepted: %d", status)
	}
	if status, _ := n.do("PUT", "/_esdev/faults", `{"bogus":1}`); status != 400 {
		t.Errorf("unknown fault field accepted: %d", status)
	}
	n.must("PUT", "/_esdev/faults", `{}`)
	if out := n.must("POST", "/_bulk", bulk); out["errors"] != false {
		t.Errorf("faults cleared but bulk failed")
	}
	if err := n.srv.SetFaults(esdev.Faults{Delay: -time.Second}); err == nil {
		t.Error("negative delay accepted")
	}
}

func TestDynamicMappingModes(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{})
	n.must("PUT", "/strict", `{"mappings":{"dynamic":"strict","properties":{"a":{"type":"keyword"}}}}`)
	status, out := n.do("PUT", "/strict/_doc/1", `{"a":"x","b":"y"}`)
	if status != 400 || out["error"].(map[string]any)["type"] != "strict_dynamic_mapping_exception" {
		t.Errorf("strict: %d %v", status, out)
	}
	n.must("PUT", "/loose", `{"mappings":{"dynamic":false,"properties":{"a":{"type":"keyword"}}}}`)
	n.must("PUT", "/loose/_doc/1?refresh=true", `{"a":"x","b":"y"}`)
	if res := n.must("POST", "/loose/_search", `{"query":{"term":{"b":"y"}}}`); total(res) != 0 {
		t.Errorf("dynamic:false indexed an unmapped field")
	}
	if res := n.must("POST", "/loose/_search", `{"query":{"term":{"a":"x"}}}`); total(res) != 1 ||
		!strings.Contains(mustJSON(res), `"b":"y"`) {
		t.Errorf("dynamic:false lost the document or its _source: %v", res)
	}
	n.must("PUT", "/dyn/_doc/1?refresh=true", `{"s":"Hello World","i":3,"f":1.5,"b":true,"d":"2026-01-01T00:00:00Z","o":{"x":"y"}}`)
	props := n.must("GET", "/dyn/_mapping", "")["dyn"].(map[string]any)["mappings"].(map[string]any)["properties"].(map[string]any)
	types := map[string]string{}
	for k, v := range props {
		if typ, ok := v.(map[string]any)["type"].(string); ok {
			types[k] = typ
		}
	}
	want := map[string]string{"s": "text", "i": "long", "f": "float", "b": "boolean", "d": "date"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("dynamic types = %v, want %v", types, want)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestErrorsNameTheUnsupportedPart(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{})
	n.must("PUT", "/i/_doc/1?refresh=true", `{"k":"v"}`)
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", "/i/_search", `{"query":{"geo_shape":{}}}`, "query type [geo_shape]"},
		{"POST", "/i/_search", `{"highlight":{"fields":{"k":{}}}}`, "[highlight]"},
		{"POST", "/i/_search?nonsense=1", ``, "unrecognized parameter: [nonsense]"},
		{"POST", "/i/_pit?keep_alive=1m", ``, "_pit"},
		{"POST", "/_pit", ``, "point in time"},
		{"POST", "/i/_update/1", `{}`, "_update"},
		{"PUT", "/j", `{"mappings":{"properties":{"n":{"type":"nested"}}}}`, "[nested]"},
		{"POST", "/i/_search", `{"sort":[{"k":"asc"}]}`, "Text fields are not optimised"},
		{"POST", "/i/_search", `{"aggs":{"a":{"terms":{"field":"k","order":{"x.value":"asc"}}}}}`, "order by [x.value]"},
	} {
		status, out := n.do(c.method, c.path, c.body)
		if status != 400 || !strings.Contains(mustJSON(out), c.want) {
			t.Errorf("%s %s %s: %d %v (want 400 naming %q)", c.method, c.path, c.body, status, out, c.want)
		}
	}
}

func TestCatIndicesAndDataStreams(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{Now: func() time.Time { return time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC) }})
	n.must("PUT", "/_index_template/t", `{"index_patterns":["ds-*"],"data_stream":{}}`)
	out := n.must("POST", "/_bulk?refresh=true", `{"create":{"_index":"ds-a"}}
{"@timestamp":"2026-03-04T00:00:00Z"}
{"create":{"_index":"ds-a"}}
{"message":"no timestamp"}
`)
	items := out["items"].([]any)
	first := items[0].(map[string]any)["create"].(map[string]any)
	if first["_index"] != ".ds-ds-a-2026.03.04-000001" {
		t.Errorf("backing index = %v", first["_index"])
	}
	second := items[1].(map[string]any)["create"].(map[string]any)
	if second["status"].(float64) != 400 || !strings.Contains(mustJSON(second), "@timestamp") {
		t.Errorf("missing @timestamp item = %v", second)
	}
	status, raw := n.raw("GET", "/_cat/indices?format=json", "")
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil || status != 200 || len(rows) != 1 ||
		rows[0]["index"] != ".ds-ds-a-2026.03.04-000001" || rows[0]["docs.count"] != "1" {
		t.Errorf("_cat/indices = %d %s", status, raw)
	}
	if status, _ := n.do("DELETE", "/.ds-ds-a-2026.03.04-000001", ""); status != 400 {
		t.Errorf("deleting a data stream's write index: %d", status)
	}
	n.must("DELETE", "/_data_stream/ds-a", "")
	if status, _ := n.do("GET", "/ds-a/_search", ""); status != 404 {
		t.Errorf("search after data stream delete: %d", status)
	}
}

// TestGoldenElasticsearchExamples replays examples from the Elasticsearch
// reference and compares the answers field for field (minus the fields each
// file lists as ignored, such as "took").
func TestGoldenElasticsearchExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var g struct {
				Source string `json:"source"`
				Setup  []struct {
					Method, Path string
					Body         json.RawMessage
					NDJSON       []json.RawMessage `json:"ndjson"`
				} `json:"setup"`
				Request struct {
					Method, Path string
					Body         json.RawMessage
					NDJSON       []json.RawMessage `json:"ndjson"`
				} `json:"request"`
				Ignore   []string        `json:"ignore"`
				Response json.RawMessage `json:"response"`
			}
			b, _ := os.ReadFile(f)
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			n := startNode(t, t.TempDir(), esdev.Config{})
			body := func(raw json.RawMessage, nd []json.RawMessage) string {
				if nd != nil {
					var sb bytes.Buffer
					for _, l := range nd {
						sb.Write(l)
						sb.WriteByte('\n')
					}
					return sb.String()
				}
				return string(raw)
			}
			for _, s := range g.Setup {
				n.must(s.Method, s.Path, body(s.Body, s.NDJSON))
			}
			_, raw := n.raw(g.Request.Method, g.Request.Path, body(g.Request.Body, g.Request.NDJSON))
			var got, want any
			_ = json.Unmarshal(raw, &got)
			_ = json.Unmarshal(g.Response, &want)
			for _, p := range g.Ignore {
				dropPath(got, strings.Split(p, "."))
				dropPath(want, strings.Split(p, "."))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("answer differs from %s\n got %s\nwant %s", g.Source, mustJSON(got), mustJSON(want))
			}
		})
	}
}

// dropPath deletes a dotted path; "*" walks every array element.
func dropPath(v any, path []string) {
	switch x := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			delete(x, path[0])
			return
		}
		dropPath(x[path[0]], path[1:])
	case []any:
		if path[0] == "*" {
			for _, e := range x {
				dropPath(e, path[1:])
			}
		}
	}
}

// TestConcurrentWritesAndSearches is mostly for the race detector.
func TestConcurrentWritesAndSearches(t *testing.T) {
	n := startNode(t, t.TempDir(), esdev.Config{RefreshInterval: time.Millisecond})
	n.must("PUT", "/c/_doc/seed?refresh=true", `{"k":"v","message":"hello world","@timestamp":"2026-01-01T00:00:00Z"}`)
	done := make(chan struct{})
	errs := make(chan string, 16)
	for w := 0; w < 2; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 30; i++ {
				body := strings.Repeat(`{"index":{}}`+"\n"+`{"k":"v","message":"hello again","@timestamp":"2026-01-01T00:00:01Z"}`+"\n", 20)
				if status, _ := n.raw("POST", "/c/_bulk", body); status != 200 {
					errs <- "bulk failed"
				}
			}
		}(w)
	}
	for s := 0; s < 2; s++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 30; i++ {
				status, _ := n.raw("POST", "/c/_search", `{"query":{"match":{"message":"hello"}},"aggs":{"k":{"terms":{"field":"k.keyword"}}}}`)
				if status != 200 {
					errs <- "search failed"
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	n.must("POST", "/c/_refresh", "")
	if c := n.must("POST", "/c/_count", "")["count"].(float64); c != 1201 {
		t.Errorf("count = %v, want 1201", c)
	}
}

// TestKillKeepsAcknowledgedWrites copies the data directory while esdev runs,
// which is what a SIGKILL leaves on disk: every file as the OS has it, no
// clean marker. Writes answered before the copy must all be in it.
func TestKillKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, esdev.Config{}) // no refresh: nothing flushed by the loop
	n.must("POST", "/logs/_bulk", `{"create":{"_id":"1"}}
{"k":"a"}
{"create":{"_id":"2"}}
{"k":"b"}
`)
	n.must("PUT", "/logs/_doc/3", `{"k":"c"}`)
	n.must("PUT", "/logs/_doc/4", `{"k":"d"}`)
	n.must("DELETE", "/logs/_doc/4", "")

	crashed := t.TempDir()
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.Contains(path, "text.bleve") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		to := filepath.Join(crashed, strings.TrimPrefix(path, dir))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	m := startNode(t, crashed, esdev.Config{})
	m.must("POST", "/logs/_refresh", "")
	if c := m.must("POST", "/logs/_count", "")["count"].(float64); c != 3 {
		t.Fatalf("count after a kill = %v, want the 3 acknowledged documents", c)
	}
	if status, _ := m.do("GET", "/logs/_doc/4", ""); status != 404 {
		t.Errorf("an acknowledged delete was lost by the kill: GET = %d", status)
	}
}
