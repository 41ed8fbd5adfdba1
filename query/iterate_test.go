package query_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/querytest"
	"github.com/auditpipe/auditpipe/semconv"
)

// pitServer adds Elasticsearch's point-in-time API in front of esdev (which
// has none): it opens PITs, runs PIT searches against the index the PIT was
// opened on, answers a new PIT id with every page as Elasticsearch may, and
// records what the client sent.
type pitServer struct {
	mu       sync.Mutex
	index    string
	opened   int
	searched []string // pit id of each PIT search
	closed   []string
	next     int
}

func (p *pitServer) handler(esdev *url.URL) http.Handler {
	proxy := httputil.NewSingleHostReverseProxy(esdev)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_pit"):
			p.index = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/_pit")
			p.opened++
			_, _ = io.WriteString(w, `{"id":"pit-0"}`)
		case r.Method == http.MethodDelete && r.URL.Path == "/_pit":
			var body struct{ ID string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			p.closed = append(p.closed, body.ID)
			_, _ = io.WriteString(w, `{"succeeded":true}`)
		case r.URL.Path == "/_search":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			pit, _ := body["pit"].(map[string]any)
			if pit == nil {
				http.Error(w, `{"error":"a search without index needs a pit"}`, http.StatusBadRequest)
				return
			}
			p.searched = append(p.searched, pit["id"].(string))
			delete(body, "pit")
			raw, _ := json.Marshal(body)
			res, err := http.Post(esdev.String()+"/"+p.index+"/_search", "application/json", bytes.NewReader(raw))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer res.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(res.Body).Decode(&out)
			p.next++
			out["pit_id"] = "pit-" + strconv.Itoa(p.next)
			_ = json.NewEncoder(w).Encode(out)
		default:
			proxy.ServeHTTP(w, r)
		}
	})
}

func TestIterateReadsThroughAPointInTime(t *testing.T) {
	es := querytest.Start(t)
	events := querytest.Generate(2500, start, span)
	querytest.Load(t, es, events)
	esURL, _ := url.Parse(es)
	pits := &pitServer{}
	srv := httptest.NewServer(pits.handler(esURL))
	defer srv.Close()
	c, err := query.New(query.Config{Addresses: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	err = c.Iterate(t.Context(), query.Query{}, window, 0, func(e semconv.Event) error {
		if seen[e.ID] {
			t.Fatalf("event %s read twice", e.ID)
		}
		seen[e.ID] = true
		return nil
	})
	if err != nil || len(seen) != len(events) {
		t.Fatalf("Iterate read %d of %d events, %v", len(seen), len(events), err)
	}
	pits.mu.Lock()
	defer pits.mu.Unlock()
	// 2500 events are three pages; each page must carry the id the
	// previous answer returned, and the last id is closed.
	if pits.opened != 1 || strings.Join(pits.searched, ",") != "pit-0,pit-1,pit-2" {
		t.Fatalf("opened %d PITs, searched with %v", pits.opened, pits.searched)
	}
	if len(pits.closed) != 1 || pits.closed[0] != "pit-3" {
		t.Fatalf("closed %v, want the last id pit-3", pits.closed)
	}
}
