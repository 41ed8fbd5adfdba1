package auditelasticsearchexporter

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/semconv"
)

// bulkFilterPath trims bulk responses to what classification reads.
var bulkFilterPath = []string{"errors", "items.*.status", "items.*.error"}

// batch is the bulk body of one export and where each record's lines are
// in it. Batches are pooled: the body of a large export is reused.
type batch struct {
	body  []byte
	items []item
	resp  bytes.Buffer
}

// item is one log record of the export.
type item struct {
	rl, sl, lr int // position in the plog.Logs, to rebuild the retry set
	id         string
	// start, docStart and end delimit the action line and the document
	// (end is past the document's '\n').
	start, docStart, end int
	// errType and reason explain a refusal, for the dead-letter document.
	errType, reason string
}

func (b *batch) reset() {
	b.body = b.body[:0]
	clear(b.items) // drop references to the last export's strings
	b.items = b.items[:0]
	b.resp.Reset()
}

// encode appends a create action and document per log record.
func (b *batch) encode(ld plog.Logs, route func(pcommon.Resource, plog.LogRecord) string) {
	rls := ld.ResourceLogs()
	for ri := 0; ri < rls.Len(); ri++ {
		res := rls.At(ri).Resource()
		sls := rls.At(ri).ScopeLogs()
		for si := 0; si < sls.Len(); si++ {
			lrs := sls.At(si).LogRecords()
			for li := 0; li < lrs.Len(); li++ {
				lr := lrs.At(li)
				ev := semconv.EventFromLogRecord(res, lr)
				b.add(item{rl: ri, sl: si, lr: li}, route(res, lr), &ev)
			}
		}
	}
}

func (b *batch) add(it item, index string, ev *semconv.Event) {
	it.start = len(b.body)
	it.id = ev.ID
	if it.id == "" {
		// An event without an id (possible only when validation tags instead
		// of rejecting) gets one derived from its content, so that a retry of
		// the same record is still recognized as a duplicate.
		doc := esdoc.AppendDocument(nil, ev)
		sum := sha256.Sum256(doc)
		it.id = "sha256-" + hex.EncodeToString(sum[:16])
	}
	b.body = appendAction(b.body, "create", index, it.id)
	it.docStart = len(b.body)
	b.body = esdoc.AppendDocument(b.body, ev)
	b.body = append(b.body, '\n')
	it.end = len(b.body)
	b.items = append(b.items, it)
}

// appendAction appends a bulk action line: {"<op>":{"_index":..,"_id":..}}.
func appendAction(dst []byte, op, index, id string) []byte {
	dst = append(dst, `{"`...)
	dst = append(dst, op...)
	dst = append(dst, `":{"_index":"`...)
	dst = append(dst, index...) // index names are sanitized, nothing to escape
	dst = append(dst, `","_id":`...)
	dst = appendJSONString(dst, id)
	return append(dst, "}}\n"...)
}

func appendJSONString(dst []byte, s string) []byte {
	// Event ids are validated to be short and without white space; the
	// general escaping of esdoc covers any other value through a
	// one-field document.
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// chunk is a range of items sent in one bulk request.
type chunk struct{ first, end int }

// chunks splits the items into requests of at most maxBytes; a single
// larger item gets a request of its own.
func (b *batch) chunks(maxBytes int) []chunk {
	var out []chunk
	first := 0
	for i, it := range b.items {
		if i > first && it.end-b.items[first].start > maxBytes {
			out = append(out, chunk{first, i})
			first = i
		}
	}
	if first < len(b.items) {
		out = append(out, chunk{first, len(b.items)})
	}
	return out
}

// subset copies the records of the given items, with their resource and
// scope, into a new plog.Logs: the part of ld still to be retried.
func (b *batch) subset(ld plog.Logs, items []int) plog.Logs {
	slices.Sort(items)
	out := plog.NewLogs()
	lastRL, lastSL := -1, -1
	var rl plog.ResourceLogs
	var sl plog.ScopeLogs
	for _, i := range items {
		it := b.items[i]
		src := ld.ResourceLogs().At(it.rl)
		if it.rl != lastRL {
			rl = out.ResourceLogs().AppendEmpty()
			src.Resource().CopyTo(rl.Resource())
			rl.SetSchemaUrl(src.SchemaUrl())
			lastRL, lastSL = it.rl, -1
		}
		srcSL := src.ScopeLogs().At(it.sl)
		if it.sl != lastSL {
			sl = rl.ScopeLogs().AppendEmpty()
			srcSL.Scope().CopyTo(sl.Scope())
			sl.SetSchemaUrl(srcSL.SchemaUrl())
			lastSL = it.sl
		}
		srcSL.LogRecords().At(it.lr).CopyTo(sl.LogRecords().AppendEmpty())
	}
	return out
}

// bulkItemResult is one item of a bulk response.
type bulkItemResult struct {
	Status int        `json:"status"`
	Error  *bulkError `json:"error"`
}

type bulkError struct {
	Type     string `json:"type"`
	Reason   string `json:"reason"`
	CausedBy *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"caused_by"`
}

func (r bulkItemResult) errorType() string {
	if r.Error != nil && r.Error.Type != "" {
		return r.Error.Type
	}
	return fmt.Sprintf("status_%d", r.Status)
}

// describe is the error reason with its cause: Elasticsearch's reason for
// a mapping failure names the field, its cause names the bad value.
func (r bulkItemResult) describe() string {
	if r.Error == nil {
		return ""
	}
	s := r.Error.Reason
	if c := r.Error.CausedBy; c != nil && c.Reason != "" {
		s += " (caused by " + c.Type + ": " + c.Reason + ")"
	}
	return s
}

var responsePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// parseBulkResponse reads the items of a bulk response. It returns nil
// items, without decoding, when Elasticsearch reports no errors: every item
// was created, the common case.
func parseBulkResponse(r io.Reader) ([]bulkItemResult, error) {
	buf := responsePool.Get().(*bytes.Buffer)
	defer responsePool.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("reading bulk response: %w", err)
	}
	body := buf.Bytes()
	if head := body[:min(len(body), 64)]; bytes.Contains(head, []byte(`"errors":false`)) {
		return nil, nil
	}
	var resp struct {
		Items []struct {
			Create *bulkItemResult `json:"create"`
			Index  *bulkItemResult `json:"index"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decoding bulk response: %w", err)
	}
	out := make([]bulkItemResult, len(resp.Items))
	for i, it := range resp.Items {
		switch {
		case it.Create != nil:
			out[i] = *it.Create
		case it.Index != nil:
			out[i] = *it.Index
		default:
			return nil, fmt.Errorf("bulk response item %d has no create or index result", i)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bulk response reports errors but has no items")
	}
	return out, nil
}

// router names the data stream of each record.
type router struct {
	dataset         string
	tenantAttribute string
	defaultIndex    string
	cache           sync.Map // tenant value -> index name
	cached          int
	cacheMu         sync.Mutex
}

func newRouter(cfg *Config) *router {
	return &router{
		dataset:         cfg.DataStream.Dataset,
		tenantAttribute: cfg.Routing.TenantAttribute,
		defaultIndex:    "logs-" + cfg.DataStream.Dataset + "-" + cfg.DataStream.Namespace,
	}
}

// maxCachedTenants bounds the memory a flood of bogus tenant values can take.
const maxCachedTenants = 10_000

func (r *router) route(res pcommon.Resource, lr plog.LogRecord) string {
	if r.tenantAttribute == "" {
		return r.defaultIndex
	}
	v, ok := lr.Attributes().Get(r.tenantAttribute)
	if !ok {
		v, ok = res.Attributes().Get(r.tenantAttribute)
	}
	if !ok {
		return r.defaultIndex
	}
	tenant := v.AsString()
	if idx, ok := r.cache.Load(tenant); ok {
		return idx.(string)
	}
	idx := r.defaultIndex
	if ns := sanitizeNamespace(tenant); ns != "" {
		idx = "logs-" + r.dataset + "-" + ns
	}
	r.cacheMu.Lock()
	if r.cached < maxCachedTenants {
		r.cached++
		r.cache.Store(tenant, idx)
	}
	r.cacheMu.Unlock()
	return idx
}

// sanitizeNamespace makes a tenant value a valid data stream namespace:
// lower case letters, digits and '_' (every other character becomes '_',
// '-' included since it separates the parts of the name), at most 100 bytes.
func sanitizeNamespace(tenant string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(tenant) {
		if b.Len() == 100 {
			break
		}
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	if strings.Trim(b.String(), "_") == "" {
		return ""
	}
	return b.String()
}
