package esdev_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/refresh"

	"github.com/auditpipe/auditpipe/internal/esdev"
)

// The contract suite runs the same requests through the official typed
// client against esdev and, when ELASTICSEARCH_URL is set, against a real
// Elasticsearch, asserting the decoded answers.

func TestMain(m *testing.M) {
	if u := os.Getenv("ELASTICSEARCH_URL"); u != "" {
		fmt.Printf("esdev contract suite: running against esdev AND Elasticsearch at %s\n", u)
	} else {
		fmt.Println("esdev contract suite: ELASTICSEARCH_URL is not set; ran against esdev only")
	}
	os.Exit(m.Run())
}

type target struct {
	name   string
	url    string
	es     *elasticsearch.TypedClient
	srv    *esdev.Server
	prefix string
}

// targets returns esdev (always) and real Elasticsearch (when configured).
func targets(t *testing.T) []*target {
	t.Helper()
	srv, err := esdev.New(esdev.Config{DataDir: t.TempDir(), RefreshInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	out := []*target{newTarget(t, "esdev", hs.URL, srv)}
	if u := os.Getenv("ELASTICSEARCH_URL"); u != "" {
		out = append(out, newTarget(t, "elasticsearch", u, nil))
	}
	return out
}

func newTarget(t *testing.T, name, url string, srv *esdev.Server) *target {
	es, err := elasticsearch.NewTypedClient(elasticsearch.Config{Addresses: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("esdev-contract-%d", time.Now().UnixNano())
	tg := &target{name: name, url: url, es: es, srv: srv, prefix: prefix}
	if srv == nil {
		t.Cleanup(func() {
			ctx := context.Background()
			_, _ = es.Indices.DeleteDataStream(prefix + "-*").Do(ctx)
			_, _ = es.Indices.Delete(prefix + "-*").Do(ctx)
			_, _ = es.Indices.DeleteIndexTemplate(prefix).Do(ctx)
		})
	}
	return tg
}

func forEachTarget(t *testing.T, fn func(t *testing.T, tg *target)) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) { fn(t, tg) })
	}
}

// loadAudit creates the audit template and data stream and writes the six
// fixture documents with ids e1..e6.
func (tg *target) loadAudit(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	stream := tg.prefix + "-audit"
	tpl, err := os.ReadFile("testdata/audit_template.json")
	if err != nil {
		t.Fatal(err)
	}
	tpl = bytes.ReplaceAll(tpl, []byte("__PATTERN__"), []byte(tg.prefix+"-audit*"))
	if _, err := tg.es.Indices.PutIndexTemplate(tg.prefix).Raw(bytes.NewReader(tpl)).Do(ctx); err != nil {
		t.Fatalf("put template: %v", err)
	}
	docs := fixtureDocs(t)
	bulk := tg.es.Bulk().Index(stream).Refresh(refresh.True)
	for i, d := range docs {
		id := fmt.Sprintf("e%d", i+1)
		if err := bulk.CreateOp(types.CreateOperation{Id_: &id}, d); err != nil {
			t.Fatal(err)
		}
	}
	res, err := bulk.Do(ctx)
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if res.Errors {
		t.Fatalf("bulk reported errors: %+v", res.Items)
	}
	return stream
}

func fixtureDocs(t *testing.T) []json.RawMessage {
	b, err := os.ReadFile("testdata/audit_docs.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		out = append(out, json.RawMessage(l))
	}
	return out
}

func (tg *target) search(t *testing.T, index, body string) *search.Response {
	t.Helper()
	res, err := tg.es.Search().Index(index).Raw(strings.NewReader(body)).Do(context.Background())
	if err != nil {
		t.Fatalf("search %s: %v", body, err)
	}
	return res
}

func ids(res *search.Response) []string {
	out := []string{}
	for _, h := range res.Hits.Hits {
		out = append(out, *h.Id_)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

func TestContractInfoAndHealth(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		ctx := context.Background()
		info, err := tg.es.Info().Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(info.Version.Int, "8.") {
			t.Errorf("version = %s, want 8.x", info.Version.Int)
		}
		h, err := tg.es.Cluster.Health().Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h.Status.Name == "red" {
			t.Errorf("health = %s", h.Status)
		}
	})
}

func TestContractQueries(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		cases := []struct {
			name, body string
			want       []string
		}{
			{"term", `{"query":{"term":{"event.action":"login"}}}`, []string{"e1", "e2", "e5"}},
			{"terms", `{"query":{"terms":{"user.name":["bob","carol"]}}}`, []string{"e2", "e4", "e5"}},
			{"term ip", `{"query":{"term":{"source.ip":"10.1.2.3"}}}`, []string{"e1", "e6"}},
			{"term cidr", `{"query":{"term":{"source.ip":"10.0.0.0/8"}}}`, []string{"e1", "e3", "e5", "e6"}},
			{"query_string cidr", `{"query":{"query_string":{"query":"source.ip:10.0.0.0/8 AND NOT user.name:bob"}}}`, []string{"e1", "e3", "e6"}},
			{"query_string or", `{"query":{"query_string":{"query":"event.action:(logout OR payment.refund)"}}}`, []string{"e4", "e6"}},
			{"query_string wildcard", `{"query":{"query_string":{"query":"event.action:pay* OR user.name:c?rol"}}}`, []string{"e4"}},
			{"query_string text", `{"query":{"query_string":{"query":"message:logged"}}}`, []string{"e1", "e5", "e6"}},
			{"query_string phrase", `{"query":{"query_string":{"query":"message:\"logged in\""}}}`, []string{"e1", "e5"}},
			{"query_string default field", `{"query":{"query_string":{"query":"refunded"}}}`, []string{"e4"}},
			{"query_string range", `{"query":{"query_string":{"query":"audit.chain.seq:[2 TO 4} AND audit.severity:medium"}}}`, []string{"e2", "e3"}},
			{"flattened path", `{"query":{"term":{"audit.change.new.balance":"100"}}}`, []string{"e1", "e3"}},
			{"flattened any leaf", `{"query":{"term":{"audit.change.new":"active"}}}`, []string{"e1"}},
			{"match and", `{"query":{"match":{"message":{"query":"alice office","operator":"and"}}}}`, []string{"e1"}},
			{"match or", `{"query":{"match":{"message":"office refunded"}}}`, []string{"e1", "e4"}},
			{"match_phrase", `{"query":{"match_phrase":{"message":"changed the balance"}}}`, []string{"e3"}},
			{"exists", `{"query":{"exists":{"field":"audit.tags"}}}`, []string{"e1", "e4"}},
			{"prefix", `{"query":{"prefix":{"event.action":"user."}}}`, []string{"e3"}},
			{"wildcard", `{"query":{"wildcard":{"user.name":{"value":"*o*"}}}}`, []string{"e2", "e4", "e5"}},
			{"ids", `{"query":{"ids":{"values":["e2","e4","nope"]}}}`, []string{"e2", "e4"}},
			{"range nanos truncated to millis", `{"query":{"range":{"@timestamp":{"gte":"2026-01-10T10:00:00.123Z","lte":"2026-01-10T11:15:00Z"}}}}`, []string{"e1", "e2", "e3"}},
			{"range gt millis", `{"query":{"range":{"@timestamp":{"gt":"2026-01-10T10:00:00.123Z","lt":"2026-01-10T11:15:00Z"}}}}`, []string{"e2"}},
			{"range format", `{"query":{"range":{"@timestamp":{"gte":"2026-01-11","format":"yyyy-MM-dd"}}}}`, []string{"e5", "e6"}},
			{"range date math", `{"query":{"range":{"@timestamp":{"gte":"2026-01-10T10:00:00Z||+1d/d"}}}}`, []string{"e5", "e6"}},
			{"range now", `{"query":{"range":{"@timestamp":{"gte":"now-36500d","lte":"now"}}}}`, []string{"e1", "e2", "e3", "e4", "e5", "e6"}},
			{"bool", `{"query":{"bool":{"must":[{"term":{"user.name":"alice"}}],"filter":[{"range":{"audit.chain.seq":{"gte":2}}}],"must_not":[{"term":{"event.action":"logout"}}]}}}`, []string{"e3"}},
			{"bool should msm", `{"query":{"bool":{"should":[{"term":{"user.name":"alice"}},{"term":{"audit.severity":"low"}},{"term":{"event.action":"login"}}],"minimum_should_match":2}}}`, []string{"e1", "e5", "e6"}},
			{"match_all", `{"query":{"match_all":{}}}`, []string{"e1", "e2", "e3", "e4", "e5", "e6"}},
		}
		for _, c := range cases {
			res := tg.search(t, stream, c.body)
			if got := ids(res); !sameSet(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
			if res.Hits.Total == nil || res.Hits.Total.Value != int64(len(c.want)) {
				t.Errorf("%s: total = %+v, want %d", c.name, res.Hits.Total, len(c.want))
			}
		}
		cnt, err := tg.es.Count().Index(stream).Raw(strings.NewReader(`{"query":{"term":{"user.name":"alice"}}}`)).Do(context.Background())
		if err != nil || cnt.Count != 3 {
			t.Errorf("count = %v, %v; want 3", cnt, err)
		}
	})
}

func TestContractSourceIsByteExact(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		docs := fixtureDocs(t)
		res := tg.search(t, stream, `{"query":{"ids":{"values":["e1"]}}}`)
		if len(res.Hits.Hits) != 1 || !bytes.Equal(res.Hits.Hits[0].Source_, docs[0]) {
			t.Fatalf("_source differs:\n got %s\nwant %s", res.Hits.Hits[0].Source_, docs[0])
		}
		got, err := tg.es.Get(stream, "e3").Do(context.Background())
		if err == nil && len(got.Source_) == 0 {
			err = errors.New("no source")
		}
		if err != nil {
			// A data stream GET needs the backing index in Elasticsearch.
			got, err = tg.es.Get(res.Hits.Hits[0].Index_, "e3").Do(context.Background())
		}
		if err != nil || !got.Found || !bytes.Equal(got.Source_, docs[2]) {
			t.Fatalf("get e3: %v %s", err, got.Source_)
		}
		filtered := tg.search(t, stream, `{"query":{"ids":{"values":["e1"]}},"_source":{"includes":["user.*","event.action"],"excludes":["user.roles"]}}`)
		var src map[string]any
		_ = json.Unmarshal(filtered.Hits.Hits[0].Source_, &src)
		want := `{"event":{"action":"login"},"user":{"id":"u1","name":"alice"}}`
		if b, _ := json.Marshal(src); string(b) != want {
			t.Errorf("filtered _source = %s, want %s", b, want)
		}
	})
}

func TestContractSortAndSearchAfter(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		res := tg.search(t, stream, `{"size":2,"sort":[{"@timestamp":"desc"}]}`)
		if got := ids(res); strings.Join(got, ",") != "e6,e5" {
			t.Fatalf("page 1 = %v", got)
		}
		last := res.Hits.Hits[1].Sort
		wantMs := time.Date(2026, 1, 11, 9, 0, 0, 0, time.UTC).UnixMilli()
		if b, _ := json.Marshal(last); string(b) != fmt.Sprintf("[%d]", wantMs) {
			t.Fatalf("sort values = %v, want [%d]", last, wantMs)
		}
		after, _ := json.Marshal(last)
		res = tg.search(t, stream, `{"size":2,"sort":[{"@timestamp":"desc"}],"search_after":`+string(after)+`}`)
		if got := ids(res); strings.Join(got, ",") != "e4,e3" {
			t.Fatalf("page 2 = %v", got)
		}
		res = tg.search(t, stream, `{"sort":[{"user.name":"asc"},{"audit.chain.seq":{"order":"desc"}}],"from":1,"size":3}`)
		if got := ids(res); strings.Join(got, ",") != "e3,e1,e5" {
			t.Fatalf("multi-field sort = %v", got)
		}
		if b, _ := json.Marshal(res.Hits.Hits[0].Sort); string(b) != `["alice",3]` {
			t.Errorf("sort values = %s", b)
		}
		res = tg.search(t, stream, `{"size":10,"sort":[{"audit.tags":{"order":"asc"}},{"audit.chain.seq":"asc"}]}`)
		if got := ids(res); strings.Join(got, ",") != "e4,e1,e2,e3,e5,e6" {
			t.Errorf("sort with missing last = %v", got)
		}
		res = tg.search(t, stream, `{"track_total_hits":3,"size":0}`)
		if res.Hits.Total.Value != 3 || res.Hits.Total.Relation.Name != "gte" {
			t.Errorf("track_total_hits=3: %+v", res.Hits.Total)
		}
	})
}

func TestContractAggregations(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		res := tg.search(t, stream, `{"size":0,"aggs":{
			"per_day":{"date_histogram":{"field":"@timestamp","calendar_interval":"day"},
				"aggs":{"actions":{"terms":{"field":"event.action"},"aggs":{"users":{"cardinality":{"field":"user.id"}}}}}},
			"hourly":{"date_histogram":{"field":"@timestamp","fixed_interval":"6h","min_doc_count":0,"time_zone":"+01:00",
				"extended_bounds":{"min":"2026-01-10T00:00:00Z","max":"2026-01-12T00:00:00Z"}}},
			"outcomes":{"filters":{"filters":{"failed":{"term":{"event.outcome":"failure"}},"admins":{"term":{"user.roles":"admin"}}}}},
			"first":{"min":{"field":"@timestamp"}},"last":{"max":{"field":"audit.chain.seq"}},
			"tags":{"terms":{"field":"audit.tags","missing":"none","order":{"_key":"asc"}}},
			"top_user":{"terms":{"field":"user.name","size":1}}}}`)

		days := res.Aggregations["per_day"].(*types.DateHistogramAggregate).Buckets.([]types.DateHistogramBucket)
		if len(days) != 2 || days[0].DocCount != 4 || days[1].DocCount != 2 ||
			days[0].Key != time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC).UnixMilli() ||
			*days[0].KeyAsString != "2026-01-10T00:00:00.000Z" {
			t.Fatalf("per_day = %+v", days)
		}
		actions := days[0].Aggregations["actions"].(*types.StringTermsAggregate).Buckets.([]types.StringTermsBucket)
		var got []string
		for _, b := range actions {
			users := b.Aggregations["users"].(*types.CardinalityAggregate).Value
			got = append(got, fmt.Sprintf("%v:%d:%d", b.Key, b.DocCount, users))
		}
		if strings.Join(got, " ") != "login:2:2 payment.refund:1:1 user.update:1:1" {
			t.Errorf("day 1 actions = %v", got)
		}

		hourly := res.Aggregations["hourly"].(*types.DateHistogramAggregate).Buckets.([]types.DateHistogramBucket)
		// Buckets are aligned on +01:00 midnight: 2026-01-09T23:00Z .. 2026-01-11T23:00Z.
		if len(hourly) != 9 || *hourly[0].KeyAsString != "2026-01-10T00:00:00.000+01:00" {
			t.Fatalf("hourly: %d buckets, first %v", len(hourly), hourly[0].KeyAsString)
		}
		var counts []int64
		for _, b := range hourly {
			counts = append(counts, b.DocCount)
		}
		if fmt.Sprint(counts) != "[0 2 2 0 0 1 0 0 1]" {
			t.Errorf("hourly counts = %v", counts)
		}

		outcomes := res.Aggregations["outcomes"].(*types.FiltersAggregate).Buckets.(map[string]types.FiltersBucket)
		if outcomes["failed"].DocCount != 1 || outcomes["admins"].DocCount != 3 {
			t.Errorf("filters = %+v", outcomes)
		}
		first := res.Aggregations["first"].(*types.MinAggregate)
		if first.ValueAsString == nil || *first.ValueAsString != "2026-01-10T10:00:00.123Z" {
			t.Errorf("min @timestamp = %+v", first)
		}
		if last := res.Aggregations["last"].(*types.MaxAggregate); last.Value == nil || *last.Value != 6 {
			t.Errorf("max seq = %+v", last)
		}
		tags := res.Aggregations["tags"].(*types.StringTermsAggregate).Buckets.([]types.StringTermsBucket)
		got = nil
		for _, b := range tags {
			got = append(got, fmt.Sprintf("%v:%d", b.Key, b.DocCount))
		}
		if strings.Join(got, " ") != "finance:1 none:4 vip:1" {
			t.Errorf("tags = %v", got)
		}
		top := res.Aggregations["top_user"].(*types.StringTermsAggregate)
		tb := top.Buckets.([]types.StringTermsBucket)
		if len(tb) != 1 || tb[0].Key != "alice" || *top.SumOtherDocCount != 3 {
			t.Errorf("top_user = %+v other=%v", tb, *top.SumOtherDocCount)
		}
	})
}

func TestContractBulkItemErrors(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		ctx := context.Background()
		bulk := tg.es.Bulk().Index(stream).Refresh(refresh.True)
		e1, e7, e8, e9, e10 := "e1", "e7", "e8", "e9", "e10"
		_ = bulk.CreateOp(types.CreateOperation{Id_: &e1}, json.RawMessage(`{"@timestamp":"2026-01-12T00:00:00Z"}`))
		_ = bulk.CreateOp(types.CreateOperation{Id_: &e7}, json.RawMessage(`{"@timestamp":"2026-01-12T00:00:00Z","source":{"ip":"not-an-ip"}}`))
		_ = bulk.CreateOp(types.CreateOperation{Id_: &e8}, json.RawMessage(`{"@timestamp":"2026-01-12T00:00:00Z","user":{"name":{"first":"x"}}}`))
		_ = bulk.CreateOp(types.CreateOperation{Id_: &e9}, json.RawMessage(`{"@timestamp":"2026-01-12T00:00:00Z","event":{"action":"login"}}`))
		_ = bulk.IndexOp(types.IndexOperation{Id_: &e10}, json.RawMessage(`{"@timestamp":"2026-01-12T00:00:00Z"}`))
		res, err := bulk.Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Errors || len(res.Items) != 5 {
			t.Fatalf("errors=%v items=%d", res.Errors, len(res.Items))
		}
		type want struct {
			status int
			typ    string
			reason string
		}
		wants := []want{
			{409, "version_conflict_engine_exception", "document already exists"},
			{400, "document_parsing_exception", "[source.ip]"},
			{400, "document_parsing_exception", "[user.name]"},
			{201, "", ""},
			{400, "illegal_argument_exception", "op_type of create"},
		}
		for i, w := range wants {
			for _, item := range res.Items[i] {
				if item.Status != w.status {
					t.Errorf("item %d status = %d, want %d", i, item.Status, w.status)
				}
				if w.typ == "" {
					if item.Error != nil {
						t.Errorf("item %d unexpected error %+v", i, item.Error)
					}
					continue
				}
				if item.Error == nil || item.Error.Type != w.typ || item.Error.Reason == nil || !strings.Contains(*item.Error.Reason, w.reason) {
					t.Errorf("item %d error = %+v, want %s containing %q", i, item.Error, w.typ, w.reason)
				}
			}
		}
		cnt, err := tg.es.Count().Index(stream).Do(ctx)
		if err != nil || cnt.Count != 7 {
			t.Errorf("count after partial bulk = %v %v, want 7", cnt, err)
		}
	})
}

func TestContractIndexLifecycle(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		ctx := context.Background()
		name := tg.prefix + "-plain"
		_, err := tg.es.Indices.Create(name).Raw(strings.NewReader(`{"mappings":{"properties":{"n":{"type":"long"},"k":{"type":"keyword"}}}}`)).Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tg.es.Index(name).Id("1").Raw(strings.NewReader(`{"n":5,"k":"a","extra":"Some Text"}`)).Refresh(refresh.True).Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := tg.es.Indices.GetMapping().Index(name).Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		props := m[name].Mappings.Properties
		if _, ok := props["extra"].(*types.TextProperty); !ok {
			t.Errorf("dynamic mapping of extra = %T, want text", props["extra"])
		}
		if _, ok := props["n"].(*types.LongNumberProperty); !ok {
			t.Errorf("n = %T", props["n"])
		}
		res := tg.search(t, name, `{"query":{"term":{"extra.keyword":"Some Text"}}}`)
		if len(res.Hits.Hits) != 1 {
			t.Errorf("extra.keyword term: %d hits", len(res.Hits.Hits))
		}
		_, err = tg.es.Index(name).Id("2").Raw(strings.NewReader(`{"n":"not a number"}`)).Do(ctx)
		var ee *types.ElasticsearchError
		if !errors.As(err, &ee) || ee.Status != 400 || ee.ErrorCause.Type != "document_parsing_exception" {
			t.Errorf("bad long: %v", err)
		}
		if _, err := tg.es.Indices.Delete(name).Do(ctx); err != nil {
			t.Fatal(err)
		}
		ok, err := tg.es.Indices.Exists(name).Do(ctx)
		if err != nil || ok {
			t.Errorf("exists after delete = %v %v", ok, err)
		}
		_, err = tg.es.Search().Index(name).Do(ctx)
		if !errors.As(err, &ee) || ee.Status != 404 || ee.ErrorCause.Type != "index_not_found_exception" {
			t.Errorf("search on deleted index: %v", err)
		}
	})
}

func TestContractUnsupportedIsA400(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		if tg.srv == nil {
			t.Skip("esdev-specific: Elasticsearch supports these features")
		}
		stream := tg.loadAudit(t)
		for _, body := range []string{
			`{"query":{"fuzzy":{"user.name":"alise"}}}`,
			`{"aggs":{"x":{"percentiles":{"field":"audit.chain.seq"}}}}`,
			`{"query":{"match":{"message":{"query":"x","fuzziness":"AUTO"}}}}`,
			`{"collapse":{"field":"user.name"}}`,
		} {
			_, err := tg.es.Search().Index(stream).Raw(strings.NewReader(body)).Do(context.Background())
			var ee *types.ElasticsearchError
			if !errors.As(err, &ee) || ee.Status != http.StatusBadRequest || ee.ErrorCause.Reason == nil ||
				!strings.Contains(*ee.ErrorCause.Reason, "esdev does not support") {
				t.Errorf("%s: %v", body, err)
			}
		}
	})
}

func TestContractMalformedDocuments(t *testing.T) {
	forEachTarget(t, func(t *testing.T, tg *target) {
		stream := tg.loadAudit(t)
		body := `{"create":{"_id":"m1"}}
{"@timestamp":"2026-01-12T00:00:00Z","event":{"action":"x"},}
{"create":{"_id":"m2"}}
{"@timestamp":"2026-01-12T00:00:00Z","audit":{"chain":{"seq":"twelve"}}}
{"create":{"_id":"m3"}}
{"@timestamp":"2026-01-12T00:00:00Z","audit":{"change":{"new":{"deep":{"er":[1,"two",true]}}}}}
`
		res, err := tg.es.Bulk().Index(stream).Raw(strings.NewReader(body)).Refresh(refresh.True).Do(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		statuses := []int{}
		for _, it := range res.Items {
			for _, item := range it {
				statuses = append(statuses, item.Status)
				if item.Status == 400 && item.Error.Type != "document_parsing_exception" {
					t.Errorf("item error type = %s", item.Error.Type)
				}
			}
		}
		if fmt.Sprint(statuses) != "[400 400 201]" {
			t.Errorf("statuses = %v", statuses)
		}
		found := tg.search(t, stream, `{"query":{"bool":{"filter":[{"term":{"audit.change.new.deep.er":"two"}},{"term":{"audit.change.new":"true"}}]}}}`)
		if got := ids(found); len(got) != 1 || got[0] != "m3" {
			t.Errorf("flattened nested array leaf: %v", got)
		}
	})
}
