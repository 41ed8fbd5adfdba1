package esdev

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"time"
)

type bulkAction struct {
	op     string // index, create, delete, update
	index  string
	id     string
	source []byte
}

func rejectedError() *esError {
	return &esError{Status: http.StatusTooManyRequests, Type: "es_rejected_execution_exception",
		Reason: "rejected execution of coordinating operation [esdev fault injection]"}
}

func (s *Server) handleBulk(r *http.Request, defaultIndex string) (int, any, error) {
	start := time.Now()
	if s.roll(s.currentFaults().RejectRequestsRatio) {
		return 0, nil, rejectedError()
	}
	if err := checkParams(r, "refresh", "pipeline", "routing", "timeout", "wait_for_active_shards", "require_alias", "require_data_stream", "filter_path", "error_trace", "pretty", "human", "list_executed_pipelines", "include_source_on_error"); err != nil {
		return 0, nil, err
	}
	buf, _ := s.bulkBodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer s.recycleBulkBody(buf)
	body, err := readBodyInto(r, buf)
	if err != nil {
		return 0, nil, err
	}
	actions, err := parseBulk(body, defaultIndex)
	if err != nil {
		return 0, nil, err
	}
	itemRatio := s.currentFaults().RejectItemsRatio
	items := make([]any, len(actions))
	touched := map[*index]bool{}
	hasErrors := false
	for i, a := range actions {
		var res *itemResult
		if s.roll(itemRatio) {
			res = itemError(a, rejectedError())
		} else {
			res = s.execute(a, touched)
		}
		if res.Error != nil {
			hasErrors = true
		}
		items[i] = map[string]*itemResult{a.op: res}
	}
	refresh := r.URL.Query().Get("refresh")
	for ix := range touched {
		ix.mu.Lock()
		err = ix.endWrite(refresh == "true" || refresh == "wait_for" || refresh == "" && r.URL.Query().Has("refresh"))
		ix.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
	}
	return 200, map[string]any{"took": time.Since(start).Milliseconds(), "errors": hasErrors, "items": items}, nil
}

func (s *Server) recycleBulkBody(buf *bytes.Buffer) {
	if buf.Cap() > 64<<20 {
		return // an unusually large request: let it go
	}
	buf.Reset()
	s.bulkBodies.Put(buf)
}

// checkParams rejects query parameters esdev does not know, as Elasticsearch
// rejects unrecognized parameters.
func checkParams(r *http.Request, known ...string) error {
	for k := range r.URL.Query() {
		ok := false
		for _, kn := range known {
			if k == kn {
				ok = true
				break
			}
		}
		if !ok {
			return badRequest("illegal_argument_exception", "request [%s] contains unrecognized parameter: [%s]", r.URL.Path, k)
		}
	}
	return nil
}

func parseBulk(body []byte, defaultIndex string) ([]bulkAction, error) {
	var out []bulkAction
	lines := bytes.Split(body, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		var a bulkAction
		var params []actionParam
		var ok bool
		if a.op, params, ok = scanActionLine(line); !ok {
			var meta map[string]map[string]any
			if err := json.Unmarshal(line, &meta); err != nil || len(meta) != 1 {
				return nil, badRequest("illegal_argument_exception", "Malformed action/metadata line [%d], expected a simple object with one action", i+1)
			}
			for op, ps := range meta {
				a.op = op
				for k, v := range ps {
					params = append(params, actionParam{k, v})
				}
			}
		}
		switch a.op {
		case "index", "create", "delete", "update":
		default:
			return nil, badRequest("illegal_argument_exception", "Malformed action/metadata line [%d], expected one of [create, delete, index, update] but found [%s]", i+1, a.op)
		}
		a.index = defaultIndex
		for _, p := range params {
			k, v := p.key, p.value
			switch k {
			case "_index":
				a.index = paramString(v)
			case "_id":
				a.id = paramString(v)
			case "op_type":
				if v == "create" {
					a.op = "create"
				}
			case "routing", "require_alias", "dynamic_templates", "pipeline":
				if k == "pipeline" || k == "dynamic_templates" {
					return nil, unsupported("bulk action parameter [%s] (line %d)", k, i+1)
				}
			default:
				return nil, unsupported("bulk action parameter [%s] (line %d)", k, i+1)
			}
		}
		if a.index == "" {
			return nil, badRequest("action_request_validation_exception", "Validation Failed: 1: index is missing;")
		}
		if a.op != "delete" {
			i++
			for i < len(lines) && len(bytes.TrimSpace(lines[i])) == 0 {
				i++
			}
			if i >= len(lines) {
				return nil, badRequest("illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
			}
			a.source = bytes.TrimRight(lines[i], "\r")
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, badRequest("action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	return out, nil
}

type actionParam struct {
	key   string
	value any
}

// scanActionLine reads the usual action line, {"OP":{"KEY":"STRING",...}},
// without reflection: decoding it with encoding/json cost as much as
// validating the document that follows. ok is false for any other shape
// (numbers, nesting, duplicate actions, malformed JSON), which the caller
// decodes with encoding/json.
func scanActionLine(line []byte) (op string, params []actionParam, ok bool) {
	js := jsonParser{b: line}
	expect := func(c byte) bool {
		js.ws()
		if js.i < len(js.b) && js.b[js.i] == c {
			js.i++
			return true
		}
		return false
	}
	if !expect('{') {
		return "", nil, false
	}
	js.ws()
	op, err := js.str()
	if err != nil || !expect(':') || !expect('{') {
		return "", nil, false
	}
	if !expect('}') {
		for {
			js.ws()
			k, err := js.str()
			if err != nil || !expect(':') {
				return "", nil, false
			}
			js.ws()
			v, err := js.str()
			if err != nil {
				return "", nil, false
			}
			for _, p := range params {
				if p.key == k {
					return "", nil, false
				}
			}
			params = append(params, actionParam{k, v})
			if expect('}') {
				break
			}
			if !expect(',') {
				return "", nil, false
			}
		}
	}
	if !expect('}') {
		return "", nil, false
	}
	js.ws()
	return op, params, js.i == len(js.b)
}

func paramString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// itemResult is one bulk item (or single-document write) result, fields in
// Elasticsearch's order.
type itemResult struct {
	Index       string         `json:"_index"`
	ID          string         `json:"_id,omitempty"`
	Version     int64          `json:"_version,omitempty"`
	Result      string         `json:"result,omitempty"`
	Shards      *shardStats    `json:"_shards,omitempty"`
	SeqNo       *int64         `json:"_seq_no,omitempty"`
	PrimaryTerm int64          `json:"_primary_term,omitempty"`
	Status      int            `json:"status"`
	Error       map[string]any `json:"error,omitempty"`
}

type shardStats struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

var shardsOK = &shardStats{Total: 1, Successful: 1}

func itemError(a bulkAction, e *esError) *itemResult {
	return &itemResult{Index: a.index, ID: a.id, Status: e.Status, Error: e.itemBody()}
}

// execute performs one write. touched collects the indices whose text batch
// must be flushed at the end of the request.
func (s *Server) execute(a bulkAction, touched map[*index]bool) *itemResult {
	if a.op == "update" {
		return itemError(a, unsupported("bulk [update] actions"))
	}
	if a.op == "delete" {
		ix, err := s.writeTarget(a.index, false)
		if err != nil {
			return itemError(a, asESError(err))
		}
		ix.mu.Lock()
		defer ix.mu.Unlock()
		touched[ix] = true
		ref, ok := ix.deleteDoc(a.id, true)
		ix.writeRecord(logDeleteOp, a.id, nil)
		res := &itemResult{Index: ix.name, ID: a.id, Version: ref.version, Result: "deleted", Shards: shardsOK,
			SeqNo: &ref.seqNo, PrimaryTerm: 1, Status: http.StatusOK}
		if !ok {
			res.Result, res.Status = "not_found", http.StatusNotFound
		}
		return res
	}
	ix, err := s.writeTarget(a.index, a.op == "create")
	if err != nil {
		return itemError(a, asESError(err))
	}
	if a.id == "" {
		a.id = autoID()
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	touched[ix] = true
	res, _ := ix.write(a)
	return res
}

// write indexes one document. Caller holds ix.mu.
func (ix *index) write(a bulkAction) (*itemResult, int) {
	a.index = ix.name
	if old, exists := ix.idMap[a.id]; exists && a.op == "create" {
		return itemError(a, &esError{Status: http.StatusConflict, Type: "version_conflict_engine_exception",
			Reason: fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", a.id, old.version),
			Index:  ix.name}), http.StatusConflict
	}
	doc, err := ix.parseSource(a.id, a.source)
	if err == nil && ix.dataStream != "" && !hasValue(doc, "@timestamp") {
		err = docParsingError("data stream timestamp field [@timestamp] is missing")
	}
	if err != nil {
		e := asESError(err)
		e.Index = ix.name
		return itemError(a, e), e.Status
	}
	srcStart := ix.writeRecord(logIndexOp, a.id, a.source)
	ref := ix.apply(a.id, doc, srcStart, uint32(len(a.source)), true)
	result, status := "created", http.StatusCreated
	if ref.version > 1 {
		result, status = "updated", http.StatusOK
	}
	return &itemResult{Index: ix.name, ID: a.id, Version: ref.version, Result: result, Shards: shardsOK,
		SeqNo: &ref.seqNo, PrimaryTerm: 1, Status: status}, status
}

func hasValue(doc *parsedDoc, path string) bool {
	for _, v := range doc.values {
		if v.path == path {
			return true
		}
	}
	return false
}

// autoID returns a 20-character id in the alphabet Elasticsearch uses.
func autoID() string {
	var b [15]byte
	for i := range b {
		b[i] = byte(mrand.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// handleDoc serves INDEX/_doc[/ID] and INDEX/_create/ID.
func (s *Server) handleDoc(r *http.Request, name string, parts []string) (int, any, error) {
	kind := parts[0]
	id := ""
	if len(parts) == 2 {
		id = parts[1]
	} else if len(parts) > 2 {
		return 0, nil, unsupported("the endpoint [%s]", r.URL.Path)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if kind != "_doc" || id == "" {
			return notAllowed(r)
		}
		return s.getDoc(name, id)
	case http.MethodDelete:
		if id == "" {
			return notAllowed(r)
		}
		if s.roll(s.currentFaults().RejectRequestsRatio) {
			return 0, nil, rejectedError()
		}
		touched := map[*index]bool{}
		res := s.execute(bulkAction{op: "delete", index: name, id: id}, touched)
		for ix := range touched {
			ix.mu.Lock()
			err := ix.endWrite(false)
			ix.mu.Unlock()
			if err != nil {
				return 0, nil, err
			}
		}
		return s.singleWriteResult(r, res)
	case http.MethodPut, http.MethodPost:
		if s.roll(s.currentFaults().RejectRequestsRatio) {
			return 0, nil, rejectedError()
		}
		if err := checkParams(r, "refresh", "op_type", "routing", "timeout", "pipeline", "require_alias", "wait_for_active_shards", "filter_path", "pretty", "error_trace"); err != nil {
			return 0, nil, err
		}
		if r.URL.Query().Has("pipeline") {
			return 0, nil, unsupported("ingest pipelines")
		}
		body, err := readBody(r)
		if err != nil {
			return 0, nil, err
		}
		op := "index"
		if kind == "_create" || r.URL.Query().Get("op_type") == "create" {
			op = "create"
		}
		if id == "" && r.Method == http.MethodPut {
			return notAllowed(r)
		}
		a := bulkAction{op: op, index: name, id: id, source: bytes.TrimSpace(body)}
		touched := map[*index]bool{}
		res := s.execute(a, touched)
		for ix := range touched {
			ix.mu.Lock()
			err = ix.endWrite(false)
			ix.mu.Unlock()
			if err != nil {
				return 0, nil, err
			}
		}
		return s.singleWriteResult(r, res)
	}
	return notAllowed(r)
}

func (s *Server) singleWriteResult(r *http.Request, res *itemResult) (int, any, error) {
	status := res.Status
	if e := res.Error; e != nil {
		return 0, nil, &esError{Status: status, Type: fmt.Sprint(e["type"]), Reason: fmt.Sprint(e["reason"]), Index: res.Index}
	}
	if rf := r.URL.Query().Get("refresh"); rf == "true" || rf == "wait_for" || (rf == "" && r.URL.Query().Has("refresh")) {
		if ixs, err := s.resolve(res.Index, true); err == nil {
			for _, ix := range ixs {
				ix.mu.Lock()
				_ = ix.refresh()
				ix.mu.Unlock()
			}
		}
	}
	// The single-document API carries the status in the HTTP status only.
	return status, struct {
		*itemResult
		Status int `json:"status,omitempty"`
	}{itemResult: res}, nil
}

// getDoc is realtime, as in Elasticsearch: it sees writes not yet refreshed.
func (s *Server) getDoc(name, id string) (int, any, error) {
	ixs, err := s.resolve(name, false)
	if err != nil {
		return 0, nil, err
	}
	for _, ix := range ixs {
		ix.mu.Lock()
		ref, ok := ix.idMap[id]
		var src []byte
		if ok {
			if err = ix.flushLog(); err == nil {
				src, err = ix.source(ref.ord)
			}
		}
		ix.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
		if ok {
			return 200, map[string]any{"_index": ix.name, "_id": id, "_version": ref.version, "_seq_no": ref.seqNo,
				"_primary_term": 1, "found": true, "_source": json.RawMessage(src)}, nil
		}
	}
	idx := name
	if len(ixs) == 1 {
		idx = ixs[0].name
	}
	return 404, map[string]any{"_index": idx, "_id": id, "found": false}, nil
}
