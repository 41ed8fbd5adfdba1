package pluginhost_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/plugin"
	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/pluginhost"
	"github.com/auditpipe/auditpipe/query/querytest"
	"github.com/auditpipe/auditpipe/semconv"
)

// binary is the plugin executable built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gpx")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gpx_auditpipe")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build plugin:", err)
		os.Exit(1)
	}
	code := m.Run()
	pluginhost.CleanupClients()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	start = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	span  = 24 * time.Hour
)

type env struct {
	host   *pluginhost.Host
	api    string
	es     string
	events []semconv.Event
	ds     pluginhost.DataSource
}

func setup(t *testing.T) *env {
	t.Helper()
	es := querytest.Start(t)
	events := querytest.Generate(1200, start, span)
	querytest.Load(t, es, events)
	host, err := pluginhost.Start(binary, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Close)
	ds := pluginhost.DataSource{ID: 1, UID: "audit", Name: "audit", JSONData: json.RawMessage(`{"urls":["` + es + `"]}`)}
	api := httptest.NewServer(pluginhost.NewGrafana(host, plugin.PluginID, "Viewer", nil, ds))
	t.Cleanup(api.Close)
	return &env{host: host, api: api.URL, es: es, events: events, ds: ds}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func request(t *testing.T, method, url, role string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set(pluginhost.HeaderRole, role)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, raw
}

func TestPluginOverGRPCDirect(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	pc := backend.PluginContext{Namespace: "default", PluginID: plugin.PluginID, User: &backend.User{Login: "v", Role: "Viewer"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{ID: 1, UID: "audit", JSONData: e.ds.JSONData, Updated: time.Now()}}
	health, err := e.host.CheckHealth(ctx, pc)
	if err != nil || health.Status != backend.HealthStatusOk {
		t.Fatalf("CheckHealth = %+v, %v", health, err)
	}
	res, err := e.host.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pc, Queries: []backend.DataQuery{
		{RefID: "A", JSON: []byte(`{"queryType":"stats","stat":"count"}`), TimeRange: backend.TimeRange{From: start, To: start.Add(span)}},
	}})
	if err != nil || res.Responses["A"].Error != nil {
		t.Fatalf("QueryData = %v, %v", err, res.Responses["A"].Error)
	}
	if got := res.Responses["A"].Frames[0].Fields[0].At(0).(float64); int(got) != len(e.events) {
		t.Fatalf("count over gRPC = %v, want %d", got, len(e.events))
	}
	var chunks int
	var body bytes.Buffer
	err = e.host.CallResource(ctx, &backend.CallResourceRequest{PluginContext: pc, Method: "GET",
		Path: "events/" + e.events[3].ID, URL: "events/" + e.events[3].ID}, func(r *backend.CallResourceResponse) error {
		chunks++
		if chunks == 1 && r.Status != 200 {
			return fmt.Errorf("status %d", r.Status)
		}
		body.Write(r.Body)
		return nil
	})
	if err != nil || !strings.Contains(body.String(), e.events[3].ID) {
		t.Fatalf("CallResource = %v, %s", err, body.String())
	}
}

func TestGrafanaShapedAPIThroughRealPlugin(t *testing.T) {
	e := setup(t)
	from, to := fmt.Sprint(start.UnixMilli()), fmt.Sprint(start.Add(span).UnixMilli())
	ds := map[string]string{"uid": "audit", "type": plugin.PluginID}
	status, _, raw := request(t, "POST", e.api+"/api/ds/query", "Viewer", map[string]any{
		"from": from, "to": to,
		"queries": []map[string]any{
			{"refId": "A", "datasource": ds, "queryType": "search", "limit": 5},
			{"refId": "B", "datasource": ds, "queryType": "timeline", "interval": "1m"},
			{"refId": "C", "datasource": ds, "queryType": "facets", "facetField": "nope"},
		},
	})
	if status != http.StatusBadRequest { // one failing query makes Grafana answer 400 with all results
		t.Fatalf("/api/ds/query status %d: %s", status, raw)
	}
	var res backend.QueryDataResponse
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if a := res.Responses["A"]; a.Error != nil || a.Frames[0].Rows() != 5 || a.Frames[0].Meta.Type != "log-lines" {
		t.Fatalf("A = %+v", a)
	}
	if b := res.Responses["B"]; b.Error != nil || b.Frames[0].Rows() < 1440 {
		t.Fatalf("B = %v", b.Error)
	}
	if c := res.Responses["C"]; c.Error == nil || !strings.Contains(c.Error.Error(), "unknown field") {
		t.Fatalf("C = %+v", c)
	}

	status, _, raw = request(t, "GET", e.api+"/api/datasources/uid/audit/health", "", nil)
	if status != 200 || !bytes.Contains(raw, []byte(`"status":"OK"`)) {
		t.Fatalf("health: %d %s", status, raw)
	}

	exportBody := map[string]any{"query": map[string]any{"filters": []map[string]any{{"field": "severity", "op": "neq", "values": []string{"info"}}}},
		"from": start.UnixMilli(), "to": start.Add(span).UnixMilli()}
	if status, _, raw := request(t, "POST", e.api+"/api/datasources/uid/audit/resources/export?format=csv", "Viewer", exportBody); status != 403 {
		t.Fatalf("viewer export: %d %s", status, raw)
	}
	status, hdr, raw := request(t, "POST", e.api+"/api/datasources/uid/audit/resources/export?format=csv", "Editor", exportBody)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("editor export: %d %v", status, hdr)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, ev := range e.events {
		if ev.Severity != semconv.SeverityInfo {
			want++
		}
	}
	if len(recs)-1 != want {
		t.Fatalf("export has %d rows, want %d", len(recs)-1, want)
	}

	// Saving settings reaches the plugin: pointing it at a dead address
	// turns health into a clear error.
	status, _, raw = request(t, "PUT", e.api+"/api/datasources/1", "", map[string]any{
		"name": "audit", "jsonData": map[string]any{"urls": []string{"http://127.0.0.1:1"}}, "secureJsonData": map[string]string{"password": "s3cret"}})
	if status != 200 || bytes.Contains(raw, []byte("s3cret")) {
		t.Fatalf("PUT datasource: %d %s", status, raw)
	}
	status, _, raw = request(t, "GET", e.api+"/api/datasources/uid/audit/health", "", nil)
	if status != 400 || !bytes.Contains(raw, []byte("Cannot reach")) {
		t.Fatalf("health after PUT: %d %s", status, raw)
	}
	status, _, raw = request(t, "GET", e.api+"/api/datasources/1", "", nil)
	if status != 200 || !bytes.Contains(raw, []byte(`"password":true`)) {
		t.Fatalf("GET datasource: %d %s", status, raw)
	}
}

// TestRealGrafana runs the query checks through a real Grafana when
// GRAFANA_URL points at one with this plugin installed and a data source
// (uid GRAFANA_DS_UID, default "auditpipe") over audit data.
// TestRealGrafana runs QueryData, CheckHealth and CallResource checks
// through a real Grafana's HTTP API, with the plugin installed there and a
// data source (uid GRAFANA_DS_UID, default auditpipe) holding audit data.
func TestRealGrafana(t *testing.T) {
	url := os.Getenv("GRAFANA_URL")
	if url == "" {
		t.Skip("GRAFANA_URL is not set; the checks ran against pluginhost's Grafana stand-in only")
	}
	uid := os.Getenv("GRAFANA_DS_UID")
	if uid == "" {
		uid = "auditpipe"
	}
	grafana := func(method, path string, body any) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, strings.TrimSuffix(url, "/")+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if user := os.Getenv("GRAFANA_USER"); user != "" {
			req.SetBasicAuth(user, os.Getenv("GRAFANA_PASSWORD"))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("Grafana %s %s: %d %s", method, path, res.StatusCode, raw)
		}
		return raw
	}

	raw := grafana("POST", "/api/ds/query", map[string]any{"from": "now-7d", "to": "now", "queries": []map[string]any{
		{"refId": "A", "datasource": map[string]string{"uid": uid}, "queryType": "search", "limit": 5},
		{"refId": "B", "datasource": map[string]string{"uid": uid}, "queryType": "stats", "stat": "count"},
	}})
	var qdr backend.QueryDataResponse
	if err := json.Unmarshal(raw, &qdr); err != nil {
		t.Fatalf("Grafana /api/ds/query: %v %s", err, raw)
	}
	if a := qdr.Responses["A"]; a.Error != nil || len(a.Frames) != 1 || a.Frames[0].Fields[0].Name != "timestamp" {
		t.Fatalf("search through Grafana: %+v", a)
	}
	if b := qdr.Responses["B"]; b.Error != nil || b.Frames[0].Fields[0].Name != "count" {
		t.Fatalf("stats through Grafana: %+v", b)
	}

	var health struct{ Status, Message string }
	if err := json.Unmarshal(grafana("GET", "/api/datasources/uid/"+uid+"/health", nil), &health); err != nil || health.Status != "OK" {
		t.Fatalf("health through Grafana: %+v %v", health, err)
	}
	var values struct {
		Values []struct{ Value string } `json:"values"`
	}
	if err := json.Unmarshal(grafana("GET", "/api/datasources/uid/"+uid+"/resources/fields/module/values?from=0", nil), &values); err != nil || len(values.Values) == 0 {
		t.Fatalf("field values resource through Grafana: %+v %v", values, err)
	}
}
