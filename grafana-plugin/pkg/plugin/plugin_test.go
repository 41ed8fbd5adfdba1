package plugin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/xuri/excelize/v2"

	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/export"
	"github.com/auditpipe/auditpipe/query/querytest"
	"github.com/auditpipe/auditpipe/semconv"
)

var (
	start = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	span  = 24 * time.Hour
	tr    = backend.TimeRange{From: start, To: start.Add(span)}
)

// recordingAuditor keeps the self-audit events.
type recordingAuditor struct {
	mu     sync.Mutex
	events []semconv.Event
	err    error
}

func (r *recordingAuditor) Emit(_ context.Context, e semconv.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.events = append(r.events, e)
	return nil
}

type fixture struct {
	ds     *Datasource
	url    string
	events []semconv.Event
	audit  *recordingAuditor
}

func newFixture(t *testing.T, n int, jsonData map[string]any, opts Options) *fixture {
	t.Helper()
	url := querytest.Start(t)
	events := querytest.Generate(n, start, span)
	querytest.Load(t, url, events)
	settings := map[string]any{"urls": []string{url}}
	for k, v := range jsonData {
		settings[k] = v
	}
	raw, _ := json.Marshal(settings)
	audit := &recordingAuditor{}
	if opts.SelfAudit == nil {
		opts.SelfAudit = audit
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return start.Add(span) }
	}
	ds, err := New(backend.DataSourceInstanceSettings{JSONData: raw}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ds: ds, url: url, events: events, audit: audit}
}

func pluginContext(role string) backend.PluginContext {
	return backend.PluginContext{User: &backend.User{Login: "u-" + strings.ToLower(role), Name: role + " user", Role: role}}
}

func dataQuery(refID string, q map[string]any) backend.DataQuery {
	raw, _ := json.Marshal(q)
	return backend.DataQuery{RefID: refID, JSON: raw, TimeRange: tr, MaxDataPoints: 2000, Interval: time.Minute}
}

func TestQueryDataAnswersEachQueryAlone(t *testing.T) {
	f := newFixture(t, 1500, nil, Options{})
	res, err := f.ds.QueryData(context.Background(), &backend.QueryDataRequest{
		PluginContext: pluginContext("Viewer"),
		Queries: []backend.DataQuery{
			dataQuery("search", map[string]any{"queryType": "search", "limit": 10}),
			dataQuery("bad", map[string]any{"queryType": "search", "filters": []map[string]any{{"field": "ip", "values": []string{"not-an-ip"}}}}),
			dataQuery("timeline", map[string]any{"queryType": "timeline", "interval": "1m"}),
			dataQuery("split", map[string]any{"queryType": "timeline", "splitBy": "severity", "interval": "1h"}),
			dataQuery("facets", map[string]any{"queryType": "facets", "facetField": "module", "size": 4}),
			dataQuery("stat", map[string]any{"queryType": "stats", "stat": "count"}),
			dataQuery("annotations", map[string]any{"queryType": "annotations"}),
			dataQuery("lucene", map[string]any{"queryType": "search", "query": "action:(broken"}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses["bad"]; r.Error == nil || r.Status != backend.StatusBadRequest || !strings.Contains(r.Error.Error(), "not-an-ip") {
		t.Fatalf("bad query: %+v", r)
	}
	if r := res.Responses["lucene"]; r.Error == nil || r.Status != backend.StatusBadRequest {
		t.Fatalf("unparsable Lucene: status %v, %v", r.Status, r.Error)
	}
	for _, ref := range []string{"search", "timeline", "split", "facets", "stat", "annotations"} {
		if r := res.Responses[ref]; r.Error != nil || len(r.Frames) == 0 {
			t.Fatalf("%s: %v, %d frames", ref, r.Error, len(r.Frames))
		}
	}

	search := res.Responses["search"].Frames[0]
	var names []string
	for _, fld := range search.Fields {
		names = append(names, fld.Name)
	}
	if got := strings.Join(names, ","); got != "timestamp,body,severity,id,labels,actor,action,module,ip,old,new,changed_fields,comment,tags" {
		t.Fatalf("search fields = %s", got)
	}
	if search.Meta.Type != data.FrameTypeLogLines || search.Meta.PreferredVisualization != data.VisTypeLogs {
		t.Fatalf("search meta = %+v", search.Meta)
	}
	if search.Rows() != 10 || search.Meta.Custom.(map[string]any)["nextCursor"] == "" {
		t.Fatalf("search rows %d, custom %v", search.Rows(), search.Meta.Custom)
	}
	// Viewers see values masked.
	for i := 0; i < search.Rows(); i++ {
		if v := search.Fields[9].At(i).(string); v != "" && v != Masked {
			t.Fatalf("viewer sees old value %q", v)
		}
	}

	timeline := res.Responses["timeline"].Frames[0]
	if timeline.Rows() < 1440 {
		t.Fatalf("timeline has %d buckets, want a minute grid over 24h", timeline.Rows())
	}
	var total float64
	for i := 0; i < timeline.Rows(); i++ {
		total += timeline.Fields[1].At(i).(float64)
	}
	if int(total) != len(f.events) {
		t.Fatalf("timeline sums to %v, want %d", total, len(f.events))
	}
	for _, fr := range res.Responses["split"].Frames {
		if fr.Fields[1].Labels["severity"] == "" {
			t.Fatalf("split series without label: %v", fr.Fields[1].Labels)
		}
	}
	if fr := res.Responses["facets"].Frames[0]; fr.Rows() != 4 || fr.Fields[0].Name != "value" || fr.Fields[1].Name != "count" {
		t.Fatalf("facets frame: %d rows, fields %s/%s", fr.Rows(), fr.Fields[0].Name, fr.Fields[1].Name)
	}
	if fr := res.Responses["stat"].Frames[0]; fr.Fields[0].Name != "count" || int(fr.Fields[0].At(0).(float64)) != len(f.events) {
		t.Fatalf("stat frame: %s = %v", fr.Fields[0].Name, fr.Fields[0].At(0))
	}
	critical := 0
	for _, e := range f.events {
		if e.Severity == semconv.SeverityCritical {
			critical++
		}
	}
	if got := res.Responses["annotations"].Frames[0].Rows(); got != min(critical, query.MaxLimit) {
		t.Fatalf("annotations: %d, want %d critical events", got, critical)
	}
}

func TestSearchCursorPagesAndEditorSeesValues(t *testing.T) {
	f := newFixture(t, 300, nil, Options{})
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		q := map[string]any{"queryType": "search", "limit": 100, "cursor": cursor}
		res, _ := f.ds.QueryData(context.Background(), &backend.QueryDataRequest{
			PluginContext: pluginContext("Editor"), Queries: []backend.DataQuery{dataQuery("A", q)}})
		r := res.Responses["A"]
		if r.Error != nil {
			t.Fatal(r.Error)
		}
		fr := r.Frames[0]
		for i := 0; i < fr.Rows(); i++ {
			seen[fr.Fields[3].At(i).(string)] = true
			if v, _ := fr.Fields[9].At(i).(string); v == Masked {
				t.Fatal("editor sees a masked value")
			}
		}
		custom, _ := fr.Meta.Custom.(map[string]any)
		next, _ := custom["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != len(f.events) {
		t.Fatalf("paged %d distinct events, want %d", len(seen), len(f.events))
	}
}

// resourceResponse collects a CallResource answer.
type resourceResponse struct {
	status  int
	headers http.Header
	body    bytes.Buffer
}

func (r *resourceResponse) Send(res *backend.CallResourceResponse) error {
	if res.Status != 0 {
		r.status, r.headers = res.Status, res.Headers
	}
	r.body.Write(res.Body)
	return nil
}

func call(t *testing.T, ds *Datasource, role, method, path string, body any) *resourceResponse {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	pathOnly, _, _ := strings.Cut(path, "?")
	res := &resourceResponse{}
	err := ds.CallResource(context.Background(), &backend.CallResourceRequest{
		PluginContext: pluginContext(role), Path: pathOnly, URL: path, Method: method, Body: raw}, res)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEventResourceAnnotationsAndRoles(t *testing.T) {
	f := newFixture(t, 200, nil, Options{})
	var target semconv.Event
	for _, e := range f.events {
		if e.OldValue != "" && e.ChainSeq > 1 {
			target = e
			break
		}
	}
	var got struct {
		Event       semconv.Event      `json:"event"`
		Annotations []query.Annotation `json:"annotations"`
		Chain       ChainStatus        `json:"chain"`
		Masked      bool               `json:"masked"`
	}
	res := call(t, f.ds, "Viewer", "GET", "events/"+target.ID, nil)
	if res.status != 200 || json.Unmarshal(res.body.Bytes(), &got) != nil {
		t.Fatalf("GET event: %d %s", res.status, res.body.String())
	}
	if !got.Masked || got.Event.OldValue != Masked || got.Chain.Status != "verified" {
		t.Fatalf("viewer view: masked=%v old=%q chain=%+v", got.Masked, got.Event.OldValue, got.Chain)
	}
	if res := call(t, f.ds, "Viewer", "POST", "events/"+target.ID+"/annotations", map[string]any{"comment": "x"}); res.status != 403 {
		t.Fatalf("viewer annotate: %d", res.status)
	}
	res = call(t, f.ds, "Editor", "POST", "events/"+target.ID+"/annotations", map[string]any{"comment": "looked at it", "tags": []string{"reviewed"}})
	if res.status != 201 {
		t.Fatalf("editor annotate: %d %s", res.status, res.body.String())
	}
	res = call(t, f.ds, "Editor", "GET", "events/"+target.ID, nil)
	got.Annotations = nil
	if err := json.Unmarshal(res.body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Masked || got.Event.OldValue != target.OldValue || len(got.Annotations) != 1 ||
		got.Annotations[0].Comment != "looked at it" || got.Annotations[0].User != "u-editor" {
		t.Fatalf("editor view: masked=%v old=%q annotations=%+v", got.Masked, got.Event.OldValue, got.Annotations)
	}
	// The comment lives in the annotations index: the stored event is
	// unchanged, so its chain hash still verifies.
	if got.Event.Comment != target.Comment || strings.Join(got.Event.Tags, ",") != strings.Join(target.Tags, ",") ||
		got.Chain.Status != "verified" {
		t.Fatalf("annotating changed the event: comment %q tags %v chain %+v", got.Event.Comment, got.Event.Tags, got.Chain)
	}
	if len(f.audit.events) != 1 || f.audit.events[0].Action != "audit_event.annotate" || f.audit.events[0].TargetID != target.ID {
		t.Fatalf("self-audit events = %+v", f.audit.events)
	}
	if res := call(t, f.ds, "Viewer", "GET", "events/does-not-exist", nil); res.status != 404 {
		t.Fatalf("missing event: %d", res.status)
	}
	res = call(t, f.ds, "Viewer", "GET", "fields/actor/values?prefix=emp&from="+fmt.Sprint(start.UnixMilli())+"&to="+fmt.Sprint(start.Add(span).UnixMilli()), nil)
	var values struct {
		Values []query.Bucket `json:"values"`
	}
	if res.status != 200 || json.Unmarshal(res.body.Bytes(), &values) != nil || len(values.Values) == 0 {
		t.Fatalf("field values: %d %s", res.status, res.body.String())
	}
	if res := call(t, f.ds, "Viewer", "GET", "fields/password/values", nil); res.status != 400 {
		t.Fatalf("unknown field: %d", res.status)
	}
}

func TestExportFormatsRolesAndSelfAudit(t *testing.T) {
	f := newFixture(t, 2500, map[string]any{"exportMaxRows": 2200}, Options{})
	body := map[string]any{"query": map[string]any{"sort": "asc"}, "from": start.UnixMilli(), "to": start.Add(span).UnixMilli()}
	if res := call(t, f.ds, "Viewer", "POST", "export?format=csv", body); res.status != 403 {
		t.Fatalf("viewer export: %d", res.status)
	}
	for _, format := range export.Formats {
		res := call(t, f.ds, "Editor", "POST", "export?format="+format, body)
		if res.status != 200 || !strings.Contains(res.headers.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %v", format, res.status, res.headers)
		}
		rows := countRows(t, format, res.body.Bytes())
		if rows != 2200 {
			t.Fatalf("%s export holds %d rows, want the 2200 row limit", format, rows)
		}
	}
	if len(f.audit.events) != len(export.Formats) || f.audit.events[0].Action != "report.export" || f.audit.events[0].ActorID != "u-editor" {
		t.Fatalf("self-audit: %+v", f.audit.events)
	}
	if res := call(t, f.ds, "Editor", "POST", "export?format=pdf", body); res.status != 400 {
		t.Fatalf("unknown format: %d", res.status)
	}
	f.audit.err = fmt.Errorf("collector down")
	if res := call(t, f.ds, "Editor", "POST", "export?format=csv", body); res.status != 503 {
		t.Fatalf("export with failing self-audit: %d, want 503", res.status)
	}
}

func countRows(t *testing.T, format string, raw []byte) int {
	t.Helper()
	switch format {
	case "csv":
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil || strings.Join(recs[0], ",") != strings.Join(export.Header, ",") {
			t.Fatalf("csv: %v header %v", err, recs[0])
		}
		return len(recs) - 1
	case "xlsx":
		xf, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer xf.Close()
		rows, err := xf.GetRows(export.SheetName)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) - 1
	case "json":
		var events []semconv.Event
		if err := json.Unmarshal(raw, &events); err != nil {
			t.Fatal(err)
		}
		return len(events)
	case "ndjson":
		return bytes.Count(raw, []byte("\n"))
	}
	t.Fatalf("unknown format %s", format)
	return 0
}

func TestVerifyResource(t *testing.T) {
	f := newFixture(t, 500, nil, Options{})
	res := call(t, f.ds, "Viewer", "POST", "verify", map[string]any{"from": start.UnixMilli(), "to": start.Add(span).UnixMilli()})
	var report struct {
		Events   int   `json:"events"`
		Verified int   `json:"verified"`
		Findings []any `json:"findings"`
	}
	if res.status != 200 || json.Unmarshal(res.body.Bytes(), &report) != nil {
		t.Fatalf("verify: %d %s", res.status, res.body.String())
	}
	if report.Events != len(f.events) || report.Verified != len(f.events) || len(report.Findings) != 0 {
		t.Fatalf("report = %+v", report)
	}
}

func TestHealthMessages(t *testing.T) {
	f := newFixture(t, 10, nil, Options{})
	res, _ := f.ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if res.Status != backend.HealthStatusOk {
		t.Fatalf("health = %v %s", res.Status, res.Message)
	}
	empty, _ := New(backend.DataSourceInstanceSettings{JSONData: []byte(`{"urls":["` + querytest.Start(t) + `"]}`)}, Options{})
	res, _ = empty.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "no audit data stream") {
		t.Fatalf("empty health = %v %s", res.Status, res.Message)
	}
	down, _ := New(backend.DataSourceInstanceSettings{JSONData: []byte(`{"urls":["http://127.0.0.1:1"]}`)}, Options{})
	res, _ = down.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "Cannot reach") {
		t.Fatalf("down health = %v %s", res.Status, res.Message)
	}
	if _, err := New(backend.DataSourceInstanceSettings{JSONData: []byte(`{"urls":["http://x"],"authType":"kerberos"}`)}, Options{}); err == nil {
		t.Fatal("unknown authType accepted")
	}
}

// manualTicker is driven by the test.
type manualTicker struct{ c chan time.Time }

func (m manualTicker) C() <-chan time.Time { return m.c }
func (m manualTicker) Stop()               {}

// frameSink collects stream frames.
type frameSink struct{ frames chan []byte }

func (s frameSink) Send(p *backend.StreamPacket) error {
	s.frames <- p.Data
	return nil
}

func TestRunStreamPushesOnlyNewEvents(t *testing.T) {
	var mu sync.Mutex
	now := start.Add(span)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ticker := manualTicker{c: make(chan time.Time)}
	f := newFixture(t, 50, nil, Options{Now: clock, NewTicker: func(time.Duration) Ticker { return ticker }})

	for path, want := range map[string]backend.SubscribeStreamStatus{
		"tail/Viewer/A": backend.SubscribeStreamStatusOK,
		"tail/Viewer":   backend.SubscribeStreamStatusOK,
		// A Viewer must not join a channel whose RunStream unmasks values.
		"tail/Editor/A": backend.SubscribeStreamStatusPermissionDenied,
		"tail/Chief/A":  backend.SubscribeStreamStatusNotFound,
		"tail":          backend.SubscribeStreamStatusNotFound,
		"other":         backend.SubscribeStreamStatusNotFound,
	} {
		sub, _ := f.ds.SubscribeStream(context.Background(), &backend.SubscribeStreamRequest{Path: path, PluginContext: pluginContext("Viewer")})
		if sub.Status != want {
			t.Fatalf("viewer subscribes to %s: %v, want %v", path, sub.Status, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := frameSink{frames: make(chan []byte, 10)}
	done := make(chan error, 1)
	go func() {
		// Grafana passes the first subscriber's context: the path's role decides masking.
		done <- f.ds.RunStream(ctx, &backend.RunStreamRequest{Path: "tail/Viewer/A", PluginContext: pluginContext("Admin"),
			Data: json.RawMessage(`{"filters":[{"field":"module","values":["bonuses"]}]}`)},
			backend.NewStreamSender(sink))
	}()
	ticker.c <- now // nothing new yet
	fresh := querytest.Generate(40, now.Add(time.Second), 10*time.Second)
	for i := range fresh {
		fresh[i].ID = fmt.Sprintf("live-%02d", i)
		fresh[i].Module = []string{"bonuses", "finance"}[i%2]
	}
	querytest.Load(t, f.url, fresh)
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	ticker.c <- now
	ticker.c <- now // a second poll must not resend
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(sink.frames)
	ids := map[string]int{}
	masked := 0
	for raw := range sink.frames {
		var fr data.Frame
		if err := json.Unmarshal(raw, &fr); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < fr.Rows(); i++ {
			ids[fr.Fields[3].At(i).(string)]++
			if m := fr.Fields[7].At(i).(string); m != "bonuses" {
				t.Fatalf("tail sent module %s", m)
			}
			if old := fr.Fields[9].At(i).(string); old != "" && old != Masked {
				t.Fatalf("a Viewer tail sent old value %q in clear", old)
			}
			masked += strings.Count(fr.Fields[9].At(i).(string), Masked)
		}
	}
	if masked == 0 {
		t.Fatal("no tailed event had an old value to mask")
	}
	if len(ids) != 20 {
		t.Fatalf("tail sent %d distinct events, want the 20 new bonuses events", len(ids))
	}
	for id, n := range ids {
		if n != 1 || !strings.HasPrefix(id, "live-") {
			t.Fatalf("event %s sent %d times", id, n)
		}
	}
}
