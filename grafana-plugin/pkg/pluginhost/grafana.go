package pluginhost

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Headers a test or browser sets to act as a given Grafana user.
const (
	HeaderRole  = "X-Devserver-Role"
	HeaderLogin = "X-Devserver-User"
)

// DataSource is a data source instance as Grafana stores it. Secure values
// are kept decrypted and never returned, as in Grafana.
type DataSource struct {
	ID             int64             `json:"id"`
	UID            string            `json:"uid"`
	OrgID          int64             `json:"orgId"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	URL            string            `json:"url"`
	JSONData       json.RawMessage   `json:"jsonData"`
	SecureJSONData map[string]string `json:"secureJsonData,omitempty"`
	Updated        time.Time         `json:"-"`
}

// Grafana is an HTTP stand-in for the parts of Grafana's API a data source
// uses: /api/ds/query, resources, health and data source settings. Every
// call goes to the real plugin process over the plugin protocol.
type Grafana struct {
	host        *Host
	pluginID    string
	defaultRole string
	static      http.Handler

	mu  sync.Mutex
	dss map[int64]*DataSource
}

// NewGrafana serves host's plugin for the given data sources. defaultRole
// is the role of requests without HeaderRole; static (optional) serves
// every other path.
func NewGrafana(host *Host, pluginID, defaultRole string, static http.Handler, dss ...DataSource) *Grafana {
	g := &Grafana{host: host, pluginID: pluginID, defaultRole: defaultRole, static: static, dss: map[int64]*DataSource{}}
	for i := range dss {
		ds := dss[i]
		if ds.Type == "" {
			ds.Type = pluginID
		}
		if ds.OrgID == 0 {
			ds.OrgID = 1
		}
		ds.Updated = time.Now()
		g.dss[ds.ID] = &ds
	}
	return g
}

func (g *Grafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/api/ds/query" && r.Method == http.MethodPost:
		g.query(w, r)
	case len(parts) >= 5 && parts[0] == "api" && parts[1] == "datasources" && parts[2] == "uid" && parts[4] == "resources":
		g.resource(w, r, parts[3], strings.Join(parts[5:], "/"))
	case len(parts) == 5 && parts[0] == "api" && parts[1] == "datasources" && parts[2] == "uid" && parts[4] == "health":
		g.health(w, r, parts[3])
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "datasources" && parts[2] == "uid" && r.Method == http.MethodGet:
		g.getDataSource(w, g.byUID(parts[3]))
	case len(parts) == 3 && parts[0] == "api" && parts[1] == "datasources":
		g.dataSourceByID(w, r, parts[2])
	case len(parts) == 2 && parts[0] == "api" && parts[1] == "datasources" && r.Method == http.MethodGet:
		g.listDataSources(w)
	case g.static != nil:
		g.static.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeMessage(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"message": fmt.Sprintf(format, args...)})
}

// byUID finds a data source; an empty uid means the only one, as a
// query without a datasource reference uses the default data source.
func (g *Grafana) byUID(uid string) *DataSource {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ds := range g.dss {
		if ds.UID == uid || uid == "" && len(g.dss) == 1 {
			c := *ds
			return &c
		}
	}
	return nil
}

// pluginContext is what Grafana passes with every call.
func (g *Grafana) pluginContext(r *http.Request, ds *DataSource) backend.PluginContext {
	role := r.Header.Get(HeaderRole)
	if role == "" {
		role = g.defaultRole
	}
	login := r.Header.Get(HeaderLogin)
	if login == "" {
		login = "admin"
	}
	return backend.PluginContext{
		Namespace: orgNamespace(ds.OrgID),
		PluginID:  g.pluginID,
		User:      &backend.User{Login: login, Name: login, Email: login + "@example.org", Role: role},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: ds.ID, UID: ds.UID, Type: ds.Type, Name: ds.Name, URL: ds.URL,
			JSONData: ds.JSONData, DecryptedSecureJSONData: ds.SecureJSONData, Updated: ds.Updated,
		},
	}
}

type dsQueryRequest struct {
	Queries []json.RawMessage `json:"queries"`
	From    string            `json:"from"`
	To      string            `json:"to"`
}

type dsQuery struct {
	RefID      string `json:"refId"`
	QueryType  string `json:"queryType"`
	Datasource struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	IntervalMS    int64 `json:"intervalMs"`
	MaxDataPoints int64 `json:"maxDataPoints"`
}

func (g *Grafana) query(w http.ResponseWriter, r *http.Request) {
	var body dsQueryRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeMessage(w, http.StatusBadRequest, "bad request data: %v", err)
		return
	}
	now := time.Now()
	from, err1 := ParseGrafanaTime(body.From, now, now.Add(-6*time.Hour))
	to, err2 := ParseGrafanaTime(body.To, now, now)
	if err1 != nil || err2 != nil {
		writeMessage(w, http.StatusBadRequest, "invalid time range %q..%q", body.From, body.To)
		return
	}
	// Grafana sends one plugin request per data source.
	byDS := map[string]*backend.QueryDataRequest{}
	var order []string
	for _, raw := range body.Queries {
		var q dsQuery
		if err := json.Unmarshal(raw, &q); err != nil {
			writeMessage(w, http.StatusBadRequest, "bad query: %v", err)
			return
		}
		ds := g.byUID(q.Datasource.UID)
		if ds == nil {
			writeMessage(w, http.StatusNotFound, "data source %q not found", q.Datasource.UID)
			return
		}
		if q.RefID == "" {
			q.RefID = "A"
		}
		if q.MaxDataPoints == 0 {
			q.MaxDataPoints = 1000
		}
		if q.IntervalMS == 0 {
			q.IntervalMS = 1000
		}
		req, ok := byDS[ds.UID]
		if !ok {
			req = &backend.QueryDataRequest{PluginContext: g.pluginContext(r, ds)}
			byDS[ds.UID] = req
			order = append(order, ds.UID)
		}
		req.Queries = append(req.Queries, backend.DataQuery{
			RefID: q.RefID, QueryType: q.QueryType, MaxDataPoints: q.MaxDataPoints,
			Interval:  time.Duration(q.IntervalMS) * time.Millisecond,
			TimeRange: backend.TimeRange{From: from, To: to}, JSON: raw,
		})
	}
	merged := backend.NewQueryDataResponse()
	status := http.StatusOK
	for _, uid := range order {
		res, err := g.host.QueryData(r.Context(), byDS[uid])
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "plugin QueryData failed: %v", err)
			return
		}
		for refID, dr := range res.Responses {
			merged.Responses[refID] = dr
			if dr.Error != nil {
				// Grafana answers 400 when any query failed, with every
				// result in the body.
				status = http.StatusBadRequest
			}
		}
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "encode frames: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// ParseGrafanaTime reads a time as Grafana's API accepts it: epoch
// milliseconds, "now" or "now-<duration>" (e.g. now-6h); "" is def.
func ParseGrafanaTime(s string, now, def time.Time) (time.Time, error) {
	switch {
	case s == "":
		return def, nil
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := parseGrafanaDuration(s[len("now-"):])
		return now.Add(-d), err
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t, terr := time.Parse(time.RFC3339Nano, s)
		return t, terr
	}
	return time.UnixMilli(ms), nil
}

func parseGrafanaDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		return time.Duration(days) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

func (g *Grafana) resource(w http.ResponseWriter, r *http.Request, uid, path string) {
	ds := g.byUID(uid)
	if ds == nil {
		writeMessage(w, http.StatusNotFound, "data source %q not found", uid)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	url := path
	if r.URL.RawQuery != "" {
		url += "?" + r.URL.RawQuery
	}
	req := &backend.CallResourceRequest{PluginContext: g.pluginContext(r, ds), Path: path, Method: r.Method,
		URL: url, Headers: r.Header.Clone(), Body: body}
	started := false
	flusher, _ := w.(http.Flusher)
	err = g.host.CallResource(r.Context(), req, func(chunk *backend.CallResourceResponse) error {
		if !started {
			started = true
			for k, vs := range chunk.Headers {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			status := chunk.Status
			if status == 0 {
				status = http.StatusOK
			}
			w.WriteHeader(status)
		}
		if _, err := w.Write(chunk.Body); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil && !started {
		writeMessage(w, http.StatusInternalServerError, "plugin CallResource failed: %v", err)
	}
}

func (g *Grafana) health(w http.ResponseWriter, r *http.Request, uid string) {
	ds := g.byUID(uid)
	if ds == nil {
		writeMessage(w, http.StatusNotFound, "data source %q not found", uid)
		return
	}
	res, err := g.host.CheckHealth(r.Context(), g.pluginContext(r, ds))
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, "plugin CheckHealth failed: %v", err)
		return
	}
	out := map[string]any{"status": res.Status.String(), "message": res.Message}
	if len(res.JSONDetails) > 0 {
		out["details"] = json.RawMessage(res.JSONDetails)
	}
	status := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, out)
}

// view is a data source as Grafana's API shows it: secure values only as
// "is set" flags.
func view(ds *DataSource) map[string]any {
	fields := map[string]bool{}
	for k := range ds.SecureJSONData {
		fields[k] = true
	}
	jsonData := ds.JSONData
	if len(jsonData) == 0 {
		jsonData = json.RawMessage("{}")
	}
	return map[string]any{"id": ds.ID, "uid": ds.UID, "orgId": ds.OrgID, "name": ds.Name, "type": ds.Type,
		"access": "proxy", "url": ds.URL, "jsonData": jsonData, "secureJsonFields": fields, "readOnly": false}
}

func (g *Grafana) getDataSource(w http.ResponseWriter, ds *DataSource) {
	if ds == nil {
		writeMessage(w, http.StatusNotFound, "Data source not found")
		return
	}
	writeJSON(w, http.StatusOK, view(ds))
}

func (g *Grafana) listDataSources(w http.ResponseWriter) {
	g.mu.Lock()
	out := make([]map[string]any, 0, len(g.dss))
	for _, ds := range g.dss {
		out = append(out, view(ds))
	}
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (g *Grafana) dataSourceByID(w http.ResponseWriter, r *http.Request, idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "id is invalid")
		return
	}
	g.mu.Lock()
	ds, ok := g.dss[id]
	var current DataSource
	if ok {
		current = *ds
	}
	g.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, "Data source not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		g.getDataSource(w, &current)
	case http.MethodPut:
		var upd struct {
			Name           string            `json:"name"`
			URL            string            `json:"url"`
			JSONData       json.RawMessage   `json:"jsonData"`
			SecureJSONData map[string]string `json:"secureJsonData"`
		}
		if err := json.NewDecoder(r.Body).Decode(&upd); err != nil {
			writeMessage(w, http.StatusBadRequest, "bad request data: %v", err)
			return
		}
		g.mu.Lock()
		if upd.Name != "" {
			ds.Name = upd.Name
		}
		ds.URL = upd.URL
		if len(upd.JSONData) > 0 {
			ds.JSONData = upd.JSONData
		}
		// As in Grafana: secure values not sent are kept.
		if ds.SecureJSONData == nil {
			ds.SecureJSONData = map[string]string{}
		}
		for k, v := range upd.SecureJSONData {
			ds.SecureJSONData[k] = v
		}
		// A new Updated time makes the plugin rebuild its instance.
		ds.Updated = time.Now()
		saved := *ds
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"id": saved.ID, "name": saved.Name,
			"message": "Datasource updated", "datasource": view(&saved)})
	default:
		writeMessage(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// orgNamespace is the namespace Grafana puts in a plugin's context for an
// organisation (its OrgID field is deprecated in favour of it).
func orgNamespace(orgID int64) string {
	if orgID == 1 {
		return "default"
	}
	return "org-" + strconv.FormatInt(orgID, 10)
}
