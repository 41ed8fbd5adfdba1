package plugin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/semconv"
)

// Dashboards forward ad hoc filters with every query; each query type must
// honour them, or a panel would show data outside the filter.
func TestAdhocFiltersApplyToEveryQueryType(t *testing.T) {
	f := newFixture(t, 1500, nil, Options{})
	bonuses, criticalBonuses := 0, 0
	for _, e := range f.events {
		if e.Module == semconv.ModuleBonuses {
			bonuses++
			if e.Severity == semconv.SeverityCritical {
				criticalBonuses++
			}
		}
	}
	if bonuses == 0 || bonuses == len(f.events) || criticalBonuses == 0 {
		t.Fatalf("fixture has %d bonuses events (%d critical) of %d: cannot tell a filter apart", bonuses, criticalBonuses, len(f.events))
	}
	adhoc := []map[string]string{{"key": "module", "operator": "=", "value": semconv.ModuleBonuses}}
	with := func(q map[string]any) map[string]any { q["adhocFilters"] = adhoc; return q }
	res, err := f.ds.QueryData(context.Background(), &backend.QueryDataRequest{
		PluginContext: pluginContext("Editor"),
		Queries: []backend.DataQuery{
			dataQuery("search", with(map[string]any{"queryType": "search", "limit": query.MaxLimit})),
			dataQuery("timeline", with(map[string]any{"queryType": "timeline", "interval": "1h"})),
			dataQuery("facets", with(map[string]any{"queryType": "facets", "facetField": "module"})),
			dataQuery("stats", with(map[string]any{"queryType": "stats", "stat": "count"})),
			dataQuery("annotations", with(map[string]any{"queryType": "annotations"})),
			dataQuery("excluded", map[string]any{"queryType": "stats", "stat": "count",
				"adhocFilters": []map[string]string{{"key": "module", "operator": "!=", "value": semconv.ModuleBonuses}}}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(ref string) int {
		r := res.Responses[ref]
		if r.Error != nil || len(r.Frames) == 0 {
			t.Fatalf("%s: %v, %d frames", ref, r.Error, len(r.Frames))
		}
		return r.Frames[0].Rows()
	}

	search := res.Responses["search"].Frames[0]
	if frame("search") != min(bonuses, query.MaxLimit) {
		t.Fatalf("search: %d rows, want %d", search.Rows(), min(bonuses, query.MaxLimit))
	}
	for i := 0; i < search.Rows(); i++ {
		if m := search.Fields[7].At(i).(string); m != semconv.ModuleBonuses {
			t.Fatalf("search row %d is from module %s", i, m)
		}
	}
	frame("timeline")
	var total float64
	for _, fr := range res.Responses["timeline"].Frames {
		for i := 0; i < fr.Rows(); i++ {
			total += fr.Fields[1].At(i).(float64)
		}
	}
	if int(total) != bonuses {
		t.Fatalf("timeline sums to %v, want %d", total, bonuses)
	}
	if facets := res.Responses["facets"].Frames[0]; frame("facets") != 1 || facets.Fields[0].At(0) != semconv.ModuleBonuses {
		t.Fatalf("facets of module under a module filter: %d buckets", facets.Rows())
	}
	if got := res.Responses["stats"].Frames[0].Fields[0].At(0).(float64); frame("stats") != 1 || int(got) != bonuses {
		t.Fatalf("stats count = %v, want %d", got, bonuses)
	}
	if got := frame("annotations"); got != min(criticalBonuses, query.MaxLimit) {
		t.Fatalf("annotations: %d, want the %d critical bonuses events", got, criticalBonuses)
	}
	if got := res.Responses["excluded"].Frames[0].Fields[0].At(0).(float64); frame("excluded") != 1 || int(got) != len(f.events)-bonuses {
		t.Fatalf("stats count with module != bonuses = %v, want %d", got, len(f.events)-bonuses)
	}
}

// The roles of export, clear values and annotations are settings, not
// constants.
func TestConfiguredRoles(t *testing.T) {
	f := newFixture(t, 300, map[string]any{"exportRole": "Admin", "unmaskRole": "Viewer", "annotateRole": "Admin"}, Options{})
	body := map[string]any{"query": map[string]any{}, "from": start.UnixMilli(), "to": start.Add(span).UnixMilli()}
	if res := call(t, f.ds, "Editor", "POST", "export?format=csv", body); res.status != http.StatusForbidden ||
		!strings.Contains(res.body.String(), "Admin") {
		t.Fatalf("editor export with exportRole Admin: %d %s", res.status, res.body.String())
	}
	if res := call(t, f.ds, "Admin", "POST", "export?format=csv", body); res.status != http.StatusOK {
		t.Fatalf("admin export: %d %s", res.status, res.body.String())
	}
	var withOld semconv.Event
	for _, e := range f.events {
		if e.OldValue != "" {
			withOld = e
			break
		}
	}
	if res := call(t, f.ds, "Editor", "POST", "events/"+withOld.ID+"/annotations", map[string]any{"comment": "x"}); res.status != http.StatusForbidden {
		t.Fatalf("editor annotate with annotateRole Admin: %d", res.status)
	}
	res := call(t, f.ds, "Viewer", "GET", "events/"+withOld.ID, nil)
	if res.status != http.StatusOK || !strings.Contains(res.body.String(), `"masked":false`) || strings.Contains(res.body.String(), Masked) {
		t.Fatalf("viewer with unmaskRole Viewer sees a masked event: %d %s", res.status, res.body.String())
	}
	qres, _ := f.ds.QueryData(context.Background(), &backend.QueryDataRequest{PluginContext: pluginContext("Viewer"),
		Queries: []backend.DataQuery{dataQuery("A", map[string]any{"queryType": "search", "query": "id:" + withOld.ID})}})
	if fr := qres.Responses["A"].Frames[0]; fr.Rows() != 1 || fr.Fields[9].At(0) != withOld.OldValue {
		t.Fatalf("viewer with unmaskRole Viewer: %d rows, old %v", fr.Rows(), fr.Fields[9].At(0))
	}
}

func TestHealthReportsRejectedCredentials(t *testing.T) {
	es := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"type":"security_exception","reason":"unable to authenticate user [bob]"},"status":401}`))
	}))
	defer es.Close()
	ds, err := New(backend.DataSourceInstanceSettings{
		JSONData:                []byte(`{"urls":["` + es.URL + `"],"authType":"basic","username":"bob"}`),
		DecryptedSecureJSONData: map[string]string{"password": "wrong"},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if res.Status != backend.HealthStatusError || !strings.HasPrefix(res.Message, "Authentication failed") ||
		!strings.Contains(res.Message, "unable to authenticate") {
		t.Fatalf("health with rejected credentials = %v %q", res.Status, res.Message)
	}
}

// Grafana alerting evaluates rules server-side through QueryData and reads
// time series (wide frames: a time field and number fields with labels) or
// single numbers; timeline and stats answer in those shapes.
func TestAlertingFrameShapes(t *testing.T) {
	f := newFixture(t, 500, nil, Options{})
	res, _ := f.ds.QueryData(context.Background(), &backend.QueryDataRequest{
		PluginContext: pluginContext("Viewer"),
		Queries: []backend.DataQuery{
			dataQuery("failures", map[string]any{"queryType": "timeline", "interval": "5m", "splitBy": "outcome"}),
			dataQuery("critical", map[string]any{"queryType": "stats", "stat": "critical"}),
		},
	})
	seen := map[string]bool{}
	for _, fr := range res.Responses["failures"].Frames {
		if typ := fr.TimeSeriesSchema().Type; typ != data.TimeSeriesTypeWide {
			t.Fatalf("timeline frame is %v, want a wide time series", typ)
		}
		if fr.Fields[1].Type() != data.FieldTypeFloat64 || fr.Rows() < 24*12 {
			t.Fatalf("timeline values: %v, %d rows (want one per 5 minutes of 24 h)", fr.Fields[1].Type(), fr.Rows())
		}
		seen[fr.Fields[1].Labels.String()] = true
	}
	if len(seen) < 2 {
		t.Fatalf("split timeline series labels: %v, want one series per outcome", seen)
	}
	stat := res.Responses["critical"].Frames[0]
	if len(stat.Fields) != 1 || stat.Rows() != 1 || stat.Fields[0].Type() != data.FieldTypeFloat64 {
		t.Fatalf("stats frame: %d fields, %d rows", len(stat.Fields), stat.Rows())
	}
}
