package esdev

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Version is the Elasticsearch version esdev reports on GET /.
const Version = "8.19.7"

// Config configures a Server.
type Config struct {
	// DataDir holds all indices and metadata; required.
	DataDir string
	// RefreshInterval is how often writes become searchable (Elasticsearch's
	// index.refresh_interval). Zero means the default of 1s; a negative value
	// disables periodic refresh (only ?refresh and _refresh make writes visible).
	RefreshInterval time.Duration
	// Now is the clock used for date math ("now-1h"); defaults to time.Now.
	Now func() time.Time
	// Faults is the initial fault injection setting.
	Faults Faults
	// FaultSeed seeds the fault injection random source, for reproducible tests.
	FaultSeed uint64
	// ClusterName is reported by GET / and _cluster/health; defaults to "esdev".
	ClusterName string
}

// Faults makes esdev misbehave on purpose so clients' retry paths get exercised.
type Faults struct {
	// RejectItemsRatio is the share (0..1) of bulk items answered with an item
	// level 429 es_rejected_execution_exception.
	RejectItemsRatio float64 `json:"reject_items_ratio"`
	// RejectRequestsRatio is the share (0..1) of write requests (_bulk, _doc,
	// _create) answered with a whole-request 429.
	RejectRequestsRatio float64 `json:"reject_requests_ratio"`
	// Delay is added before answering every request except GET / and /_esdev/.
	Delay time.Duration `json:"delay"`
}

func (f Faults) validate() error {
	if f.RejectItemsRatio < 0 || f.RejectItemsRatio > 1 || f.RejectRequestsRatio < 0 || f.RejectRequestsRatio > 1 {
		return errors.New("esdev: fault ratios must be within [0,1]")
	}
	if f.Delay < 0 {
		return errors.New("esdev: fault delay must not be negative")
	}
	return nil
}

// Server is an esdev node. It is safe for concurrent use.
type Server struct {
	cfg     Config
	now     func() time.Time
	cluster string

	mu         sync.RWMutex
	indices    map[string]*index
	templates  map[string]*indexTemplate
	components map[string]*componentTemplate
	policies   map[string]*ilmPolicy
	streams    map[string]*dataStream

	faultMu sync.Mutex
	faults  Faults
	rng     *mrand.Rand

	stop     chan struct{}
	loopDone chan struct{}
	closeMu  sync.Mutex
	closed   bool
	handler  http.Handler

	// bulkBodies recycles _bulk request buffers: allocating (and zeroing)
	// a fresh one per request cost as much as reading it. Nothing keeps a
	// reference to a body after its request: the log, the columns and bleve
	// take copies.
	bulkBodies sync.Pool
}

// New opens (or creates) the store in cfg.DataDir and starts the refresh loop.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("esdev: DataDir is required")
	}
	if err := cfg.Faults.validate(); err != nil {
		return nil, err
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = time.Second
	}
	if cfg.ClusterName == "" {
		cfg.ClusterName = "esdev"
	}
	s := &Server{
		cfg: cfg, now: cfg.Now, cluster: cfg.ClusterName,
		indices: map[string]*index{}, templates: map[string]*indexTemplate{},
		components: map[string]*componentTemplate{}, policies: map[string]*ilmPolicy{},
		streams: map[string]*dataStream{}, faults: cfg.Faults,
		rng:  mrand.New(mrand.NewPCG(cfg.FaultSeed, 0x65736465)),
		stop: make(chan struct{}), loopDone: make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "indices"), 0o755); err != nil {
		return nil, err
	}
	if err := s.loadMeta(); err != nil {
		s.closeIndices()
		return nil, err
	}
	s.handler = acceptGzip(s.routes())
	go s.refreshLoop()
	return s, nil
}

// Handler serves the Elasticsearch REST API.
func (s *Server) Handler() http.Handler { return s.handler }

// SetFaults replaces the fault injection setting.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
	return nil
}

func (s *Server) currentFaults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// roll reports whether an event of probability p happens.
func (s *Server) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.rng.Float64() < p
}

// Refresh makes all writes searchable now, like POST /_refresh.
func (s *Server) Refresh() error {
	var errs []error
	for _, ix := range s.allIndices() {
		ix.mu.Lock()
		errs = append(errs, ix.refresh())
		ix.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Close stops the refresh loop, flushes every index and metadata to disk.
// A later New on the same DataDir sees all data. Close is idempotent.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.stop)
	<-s.loopDone
	err := s.saveMeta()
	return errors.Join(err, s.closeIndices())
}

func (s *Server) closeIndices() error {
	var errs []error
	for _, ix := range s.allIndices() {
		errs = append(errs, ix.close())
	}
	return errors.Join(errs...)
}

func (s *Server) allIndices() []*index {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*index, 0, len(s.indices))
	for _, ix := range s.indices {
		out = append(out, ix)
	}
	return out
}

func (s *Server) refreshLoop() {
	defer close(s.loopDone)
	if s.cfg.RefreshInterval < 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			changed := false
			for _, ix := range s.allIndices() {
				ix.mu.Lock()
				_ = ix.refresh()
				changed = changed || ix.mappingChanged
				ix.mu.Unlock()
			}
			if changed {
				_ = s.saveMeta()
			}
		}
	}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.TrimRight(hex.EncodeToString(b[:]), "=")[:22]
}

// ---- HTTP plumbing ----

func (s *Server) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		path := strings.Trim(r.URL.Path, "/")
		if path != "" && !strings.HasPrefix(path, "_esdev") {
			if d := s.currentFaults().Delay; d > 0 {
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
		}
		status, body, err := s.dispatch(r, path)
		if err != nil {
			var ee *esError
			if !errors.As(err, &ee) {
				ee = &esError{Status: http.StatusInternalServerError, Type: "exception", Reason: err.Error()}
			}
			status, body = ee.Status, ee.body()
		}
		if r.Method == http.MethodHead {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":{"type":"exception","reason":%q},"status":500}`, err.Error())
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	return readBodyInto(r, &buf)
}

// readBodyInto reads the body into buf, sized from Content-Length: growing
// a bulk body by doubling cost more than reading it.
func readBodyInto(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n < 1<<30 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, badRequest("parse_exception", "cannot read request body: %v", err)
	}
	return buf.Bytes(), nil
}

func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("x_content_parse_exception", "failed to parse request body: %v", err)
	}
	return nil
}

func decodeObject(r *http.Request) (map[string]any, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	var m map[string]any
	if err := decodeJSON(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Server) dispatch(r *http.Request, path string) (int, any, error) {
	parts := strings.Split(path, "/")
	if path == "" {
		parts = nil
	}
	m := r.Method
	if len(parts) == 0 {
		if m == http.MethodGet || m == http.MethodHead {
			return 200, s.info(), nil
		}
		return notAllowed(r)
	}
	switch parts[0] {
	case "_esdev":
		return s.handleAdmin(r, parts)
	case "_index_template":
		return s.handleIndexTemplate(r, parts)
	case "_component_template":
		return s.handleComponentTemplate(r, parts)
	case "_ilm":
		return s.handleILM(r, parts)
	case "_data_stream":
		return s.handleDataStream(r, parts)
	case "_cluster":
		if len(parts) >= 2 && parts[1] == "health" && (m == http.MethodGet || m == http.MethodHead) {
			return 200, s.health(), nil
		}
	case "_cat":
		if len(parts) == 2 && parts[1] == "indices" && m == http.MethodGet {
			return s.catIndices(r, "")
		}
		if len(parts) == 3 && parts[1] == "indices" && m == http.MethodGet {
			return s.catIndices(r, parts[2])
		}
	case "_bulk":
		if len(parts) == 1 && (m == http.MethodPost || m == http.MethodPut) {
			return s.handleBulk(r, "")
		}
	case "_search", "_count":
		if len(parts) == 1 && (m == http.MethodPost || m == http.MethodGet) {
			return s.handleSearch(r, "_all", parts[0] == "_count")
		}
	case "_refresh":
		if len(parts) == 1 && (m == http.MethodPost || m == http.MethodGet) {
			return s.handleRefresh("_all")
		}
	case "_pit":
		return 0, nil, unsupported("point in time (_pit)")
	case "_mapping":
		if len(parts) == 1 && m == http.MethodGet {
			return s.handleGetMapping("_all")
		}
	}
	if strings.HasPrefix(parts[0], "_") {
		return 0, nil, unsupported("the endpoint [%s /%s]", m, path)
	}
	return s.dispatchIndex(r, parts)
}

func (s *Server) dispatchIndex(r *http.Request, parts []string) (int, any, error) {
	name, m := parts[0], r.Method
	if len(parts) == 1 {
		switch m {
		case http.MethodPut:
			return s.handleCreateIndex(r, name)
		case http.MethodDelete:
			return s.handleDeleteIndex(name)
		case http.MethodHead, http.MethodGet:
			return s.handleGetIndex(name)
		}
		return notAllowed(r)
	}
	op := parts[1]
	switch {
	case op == "_bulk" && len(parts) == 2 && (m == http.MethodPost || m == http.MethodPut):
		return s.handleBulk(r, name)
	case (op == "_search" || op == "_count") && len(parts) == 2 && (m == http.MethodPost || m == http.MethodGet):
		return s.handleSearch(r, name, op == "_count")
	case op == "_refresh" && len(parts) == 2 && (m == http.MethodPost || m == http.MethodGet):
		return s.handleRefresh(name)
	case op == "_mapping" && len(parts) == 2 && m == http.MethodGet:
		return s.handleGetMapping(name)
	case op == "_mapping" && len(parts) == 2 && (m == http.MethodPut || m == http.MethodPost):
		return s.handlePutMapping(r, name)
	case op == "_doc" || op == "_create":
		return s.handleDoc(r, name, parts[1:])
	}
	return 0, nil, unsupported("the endpoint [%s /%s]", m, strings.Join(parts, "/"))
}

func notAllowed(r *http.Request) (int, any, error) {
	return 0, nil, &esError{Status: http.StatusMethodNotAllowed, Type: "method_not_allowed",
		Reason: fmt.Sprintf("Incorrect HTTP method for uri [%s] and method [%s]", r.URL.Path, r.Method)}
}

func (s *Server) info() map[string]any {
	return map[string]any{
		"name":         "esdev",
		"cluster_name": s.cluster,
		"cluster_uuid": "esdev-" + s.cluster,
		"version": map[string]any{
			"number": Version, "build_flavor": "default", "build_type": "esdev",
			"build_hash": "esdev", "build_date": "2025-01-01T00:00:00.000Z", "build_snapshot": false,
			"lucene_version": "9.12.0", "minimum_wire_compatibility_version": "7.17.0",
			"minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	}
}

func (s *Server) health() map[string]any {
	s.mu.RLock()
	n := len(s.indices)
	s.mu.RUnlock()
	return map[string]any{
		"cluster_name": s.cluster, "status": "green", "timed_out": false,
		"number_of_nodes": 1, "number_of_data_nodes": 1,
		"active_primary_shards": n, "active_shards": n, "relocating_shards": 0,
		"initializing_shards": 0, "unassigned_shards": 0, "unassigned_primary_shards": 0,
		"delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
		"task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": 100.0,
	}
}

func (s *Server) handleAdmin(r *http.Request, parts []string) (int, any, error) {
	if len(parts) != 2 || parts[1] != "faults" {
		return 0, nil, unsupported("the endpoint [/%s]", strings.Join(parts, "/"))
	}
	switch r.Method {
	case http.MethodGet:
		return 200, faultsJSON(s.currentFaults()), nil
	case http.MethodPut, http.MethodPost:
		body, err := readBody(r)
		if err != nil {
			return 0, nil, err
		}
		var in struct {
			RejectItemsRatio    float64 `json:"reject_items_ratio"`
			RejectRequestsRatio float64 `json:"reject_requests_ratio"`
			Delay               string  `json:"delay"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return 0, nil, badRequest("x_content_parse_exception", "faults: %v (fields: reject_items_ratio, reject_requests_ratio, delay)", err)
		}
		f := Faults{RejectItemsRatio: in.RejectItemsRatio, RejectRequestsRatio: in.RejectRequestsRatio}
		if in.Delay != "" {
			d, err := time.ParseDuration(in.Delay)
			if err != nil {
				return 0, nil, badRequest("illegal_argument_exception", "faults: delay: %v", err)
			}
			f.Delay = d
		}
		if err := s.SetFaults(f); err != nil {
			return 0, nil, badRequest("illegal_argument_exception", "%v", err)
		}
		return 200, faultsJSON(f), nil
	}
	return notAllowed(r)
}

func faultsJSON(f Faults) map[string]any {
	return map[string]any{"reject_items_ratio": f.RejectItemsRatio,
		"reject_requests_ratio": f.RejectRequestsRatio, "delay": f.Delay.String()}
}

func (s *Server) catIndices(r *http.Request, pattern string) (int, any, error) {
	if r.URL.Query().Get("format") != "json" {
		return 0, nil, unsupported("_cat output other than ?format=json")
	}
	var ixs []*index
	if pattern == "" {
		ixs = s.allIndices()
	} else {
		var err error
		if ixs, err = s.resolve(pattern, true); err != nil {
			return 0, nil, err
		}
	}
	sort.Slice(ixs, func(i, j int) bool { return ixs[i].name < ixs[j].name })
	rows := []map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		live := ix.liveSet().count()
		deleted := int(ix.visible) - live
		size := ix.logSize
		ix.mu.RUnlock()
		rows = append(rows, map[string]any{
			"health": "green", "status": "open", "index": ix.name, "uuid": ix.uuid,
			"pri": "1", "rep": "0", "docs.count": fmt.Sprint(live), "docs.deleted": fmt.Sprint(deleted),
			"store.size": fmt.Sprintf("%db", size), "pri.store.size": fmt.Sprintf("%db", size),
			"dataset.size": fmt.Sprintf("%db", size),
		})
	}
	return 200, rows, nil
}
