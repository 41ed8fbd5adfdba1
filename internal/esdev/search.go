package esdev

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

type searchRequest struct {
	query         query
	postFilter    query
	size, from    int
	sort          []sortSpec
	searchAfter   []any
	trackTotal    int // -1: exact; 0: do not report
	source        sourceFilter
	aggs          []*aggSpec
	trackScores   bool
	version       bool
	seqNoPrimTerm bool
}

type sortSpec struct {
	field        string // "_score", "_doc" or a field
	desc         bool
	missingFirst bool
	unmappedType string
}

type sourceFilter struct {
	disabled           bool
	includes, excludes []string
}

var searchParams = []string{"typed_keys", "size", "from", "q", "track_total_hits", "rest_total_hits_as_int",
	"ignore_unavailable", "allow_no_indices", "expand_wildcards", "pretty", "error_trace", "human", "search_type",
	"request_cache", "preference", "routing", "timeout", "batched_reduce_size", "ccs_minimize_roundtrips",
	"allow_partial_search_results", "max_concurrent_shard_requests", "pre_filter_shard_size", "_source",
	"_source_includes", "_source_excludes", "seq_no_primary_term", "version", "default_operator", "df",
	"lenient", "track_scores", "terminate_after", "sort", "filter_path"}

func (s *Server) handleSearch(r *http.Request, expr string, count bool) (int, any, error) {
	start := time.Now()
	if err := checkParams(r, searchParams...); err != nil {
		return 0, nil, err
	}
	qp := r.URL.Query()
	for _, p := range []string{"filter_path", "terminate_after", "sort"} {
		if qp.Has(p) {
			return 0, nil, unsupported("the search parameter [%s]", p)
		}
	}
	body, err := decodeObject(r)
	if err != nil {
		return 0, nil, err
	}
	req, err := parseSearch(body, qp, count)
	if err != nil {
		return 0, nil, err
	}
	ixs, err := s.resolve(expr, qp.Get("ignore_unavailable") == "true")
	if err != nil {
		return 0, nil, err
	}
	for _, ix := range ixs {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
	}
	now := s.now()
	shards := make([]*shardResult, len(ixs))
	total := 0
	for i, ix := range ixs {
		c := &evalCtx{ix: ix, n: ix.visible, now: now}
		res, err := req.query.eval(c)
		if err != nil {
			return 0, nil, err
		}
		res.bits.and(ix.liveSet())
		shards[i] = &shardResult{ix: ix, ctx: c, res: res}
		total += res.bits.count()
	}
	shardInfo := map[string]any{"total": len(ixs), "successful": len(ixs), "skipped": 0, "failed": 0}
	if count {
		return 200, map[string]any{"count": total, "_shards": shardInfo}, nil
	}
	out := map[string]any{"timed_out": false, "_shards": shardInfo}
	if len(req.aggs) > 0 {
		aggs, err := computeAggs(req.aggs, shards, qp.Get("typed_keys") == "true", now)
		if err != nil {
			return 0, nil, err
		}
		out["aggregations"] = aggs
	}
	if req.postFilter != nil {
		for _, sh := range shards {
			pf, err := req.postFilter.eval(sh.ctx)
			if err != nil {
				return 0, nil, err
			}
			sh.res.bits.and(pf.bits)
		}
		total = 0
		for _, sh := range shards {
			total += sh.res.bits.count()
		}
	}
	hits, maxScore, err := topHits(req, shards)
	if err != nil {
		return 0, nil, err
	}
	hitsObj := map[string]any{"max_score": maxScore, "hits": hits}
	switch {
	case qp.Get("rest_total_hits_as_int") == "true":
		hitsObj["total"] = total
	case req.trackTotal < 0 || total <= req.trackTotal:
		hitsObj["total"] = map[string]any{"value": total, "relation": "eq"}
	case req.trackTotal > 0:
		hitsObj["total"] = map[string]any{"value": req.trackTotal, "relation": "gte"}
	}
	out["hits"] = hitsObj
	out["took"] = time.Since(start).Milliseconds()
	return 200, out, nil
}

type shardResult struct {
	ix  *index
	ctx *evalCtx
	res *result
}

func parseSearch(body map[string]any, qp map[string][]string, count bool) (*searchRequest, error) {
	req := &searchRequest{size: 10, trackTotal: 10000, query: matchAllQ{score: 1}}
	get := func(k string) string {
		if v := qp[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for k, v := range body {
		var err error
		switch k {
		case "query":
			req.query, err = parseQuery(v)
		case "size", "from":
			n := int(numberOr(v, -1))
			if n < 0 {
				return nil, parseErr("[%s] must be a non-negative integer", k)
			}
			if k == "size" {
				req.size = n
			} else {
				req.from = n
			}
		case "sort":
			req.sort, err = parseSort(v)
		case "search_after":
			arr, ok := v.([]any)
			if !ok {
				return nil, parseErr("[search_after] must be an array")
			}
			req.searchAfter = arr
		case "track_total_hits":
			switch x := v.(type) {
			case bool:
				if x {
					req.trackTotal = -1
				} else {
					req.trackTotal = 0
				}
			default:
				req.trackTotal = int(numberOr(v, 10000))
			}
		case "_source":
			req.source, err = parseSourceFilter(v)
		case "aggs", "aggregations":
			req.aggs, err = parseAggs(v)
		case "post_filter":
			req.postFilter, err = parseQuery(v)
		case "track_scores":
			req.trackScores = v == true
		case "version":
			req.version = v == true
		case "seq_no_primary_term":
			req.seqNoPrimTerm = v == true
		case "timeout", "profile", "explain":
			if (k == "profile" || k == "explain") && v == true {
				return nil, unsupported("[%s]", k)
			}
		case "stored_fields":
			if v != "_none_" {
				return nil, unsupported("[stored_fields]")
			}
			req.source.disabled = true
		default:
			return nil, unsupported("the search request section [%s]", k)
		}
		if err != nil {
			return nil, err
		}
		if count && k != "query" {
			return nil, parseErr("request does not support [%s]", k)
		}
	}
	if q := get("q"); q != "" {
		opts := qsOptions{defaultAND: strings.EqualFold(get("default_operator"), "AND"), lenient: get("lenient") == "true"}
		if df := get("df"); df != "" {
			opts.fields = []string{df}
		}
		lq, err := parseLucene(q, opts)
		if err != nil {
			return nil, err
		}
		req.query = lq
	}
	if s := get("size"); s != "" {
		req.size, _ = strconv.Atoi(s)
	}
	if s := get("from"); s != "" {
		req.from, _ = strconv.Atoi(s)
	}
	if s := get("track_total_hits"); s != "" {
		switch s {
		case "true":
			req.trackTotal = -1
		case "false":
			req.trackTotal = 0
		default:
			req.trackTotal, _ = strconv.Atoi(s)
		}
	}
	if s := get("_source"); s == "false" {
		req.source.disabled = true
	} else if s != "" && s != "true" {
		req.source.includes = strings.Split(s, ",")
	}
	if s := get("_source_includes"); s != "" {
		req.source.includes = strings.Split(s, ",")
	}
	if s := get("_source_excludes"); s != "" {
		req.source.excludes = strings.Split(s, ",")
	}
	if req.from+req.size > 10000 {
		return nil, badRequest("illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000] but was [%d].", req.from+req.size)
	}
	if req.searchAfter != nil {
		if len(req.sort) == 0 {
			return nil, parseErr("[search_after] requires a [sort]")
		}
		if len(req.searchAfter) != len(req.sort) {
			return nil, badRequest("illegal_argument_exception", "search_after has %d value(s) but sort has %d.", len(req.searchAfter), len(req.sort))
		}
		if req.from > 0 {
			return nil, badRequest("illegal_argument_exception", "[from] parameter must be set to 0 when [search_after] is used")
		}
	}
	return req, nil
}

func parseSort(v any) ([]sortSpec, error) {
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var out []sortSpec
	for _, it := range items {
		switch x := it.(type) {
		case string:
			name, order, _ := strings.Cut(x, ":")
			sp := sortSpec{field: name, desc: name == "_score"}
			if order != "" {
				sp.desc = order == "desc"
			}
			out = append(out, sp)
		case map[string]any:
			for field, o := range x {
				sp := sortSpec{field: field, desc: field == "_score"}
				switch ov := o.(type) {
				case string:
					sp.desc = ov == "desc"
				case map[string]any:
					for k, val := range ov {
						switch k {
						case "order":
							sp.desc = val == "desc"
						case "missing":
							switch val {
							case "_first":
								sp.missingFirst = true
							case "_last":
							default:
								return nil, unsupported("[sort] missing value other than _first/_last")
							}
						case "unmapped_type":
							sp.unmappedType = fmt.Sprint(val)
						case "mode":
							if (val == "min" && !sp.desc) || (val == "max" && sp.desc) {
								continue
							}
							return nil, unsupported("[sort] mode [%v]; esdev sorts on min (asc) / max (desc)", val)
						case "format", "numeric_type":
							if k == "numeric_type" {
								return nil, unsupported("[sort] option [%s]", k)
							}
						default:
							return nil, unsupported("[sort] option [%s]", k)
						}
					}
				default:
					return nil, parseErr("[sort] malformed")
				}
				out = append(out, sp)
			}
		default:
			return nil, parseErr("[sort] malformed")
		}
	}
	return out, nil
}

func parseSourceFilter(v any) (sourceFilter, error) {
	switch x := v.(type) {
	case bool:
		return sourceFilter{disabled: !x}, nil
	case string:
		return sourceFilter{includes: []string{x}}, nil
	case []any:
		f := sourceFilter{}
		for _, e := range x {
			f.includes = append(f.includes, fmt.Sprint(e))
		}
		return f, nil
	case map[string]any:
		f := sourceFilter{}
		for k, val := range x {
			var list []string
			switch l := val.(type) {
			case string:
				list = []string{l}
			case []any:
				for _, e := range l {
					list = append(list, fmt.Sprint(e))
				}
			}
			switch k {
			case "includes", "include":
				f.includes = list
			case "excludes", "exclude":
				f.excludes = list
			default:
				return f, parseErr("[_source] does not support [%s]", k)
			}
		}
		return f, nil
	}
	return sourceFilter{}, parseErr("[_source] malformed")
}

// ---- sorting ----

// sortVal is one sort key; kind 0 is a missing value.
type sortVal struct {
	kind uint8 // 0 missing, 1 int, 2 float, 3 string
	i    int64
	f    float64
	s    string
}

func cmpSortVal(a, b sortVal) int {
	switch {
	case a.kind == 0 && b.kind == 0:
		return 0
	case a.kind == 0:
		return 1
	case b.kind == 0:
		return -1
	}
	switch {
	case a.kind == 3 || b.kind == 3:
		return strings.Compare(a.s, b.s)
	case a.kind == 1 && b.kind == 1:
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	af, bf := a.asFloat(), b.asFloat()
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

func (v sortVal) asFloat() float64 {
	if v.kind == 1 {
		return float64(v.i)
	}
	return v.f
}

type hitCand struct {
	shard int
	ord   uint32
	score float32
	keys  []sortVal
}

type sorter struct {
	specs []sortSpec
	cols  [][]*column // [shard][spec]
	types [][]string
}

// compare orders candidates as the response will list them: by the sort
// specs, then by shard and document.
func (st *sorter) compare(a, b *hitCand) int {
	if c := st.compareSpecs(a, b); c != 0 {
		return c
	}
	return cmpDoc(a, b)
}

// compareSpecs orders two candidates by the sort specs alone.
func (st *sorter) compareSpecs(a, b *hitCand) int {
	for i, sp := range st.specs {
		var c int
		switch sp.field {
		case "_score":
			c = cmpFloat32(a.score, b.score)
		case "_doc":
			c = cmpDoc(a, b)
		default:
			ka, kb := a.keys[i], b.keys[i]
			if ka.kind == 0 || kb.kind == 0 {
				c = cmpSortVal(ka, kb)
				if sp.missingFirst {
					c = -c
				}
				if c != 0 {
					return c // missing placement ignores the order
				}
				continue
			}
			c = cmpSortVal(ka, kb)
		}
		if sp.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpFloat32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpDoc(a, b *hitCand) int {
	if a.shard != b.shard {
		return a.shard - b.shard
	}
	switch {
	case a.ord < b.ord:
		return -1
	case a.ord > b.ord:
		return 1
	}
	return 0
}

func (st *sorter) keysFor(shard int, ord uint32, dst []sortVal) []sortVal {
	dst = dst[:0]
	for i := range st.specs {
		dst = append(dst, st.keyAt(shard, ord, i))
	}
	return dst
}

// keyAt is the sort key of spec i: the smallest value for ascending sorts,
// the largest for descending ones, as Elasticsearch's default sort mode.
func (st *sorter) keyAt(shard int, ord uint32, i int) sortVal {
	sp := st.specs[i]
	col := st.cols[shard][i]
	if col == nil {
		return sortVal{}
	}
	lo, hi := col.bounds(ord)
	var best sortVal
	for j := lo; j < hi; j++ {
		var v sortVal
		switch col.kind {
		case kindInt:
			v = sortVal{kind: 1, i: col.ints[j]}
			if col.ftype == "date" {
				v.i /= 1e6
			}
		case kindFloat:
			v = sortVal{kind: 2, f: col.floats[j]}
		case kindKeyword:
			v = sortVal{kind: 3, s: col.dict[col.ids[j]]}
		case kindIP:
			v = sortVal{kind: 3, s: string(col.addrs[col.ids[j]].AsSlice())}
		}
		if j == lo || (cmpSortVal(v, best) < 0) != sp.desc {
			best = v
		}
	}
	return best
}

// worseOnFirstKey reports whether a document is already beaten by the worst
// kept hit on the first sort field alone, which spares computing the others.
func (st *sorter) worseOnFirstKey(shard int, ord uint32, worst *hitCand) bool {
	sp := st.specs[0]
	if sp.field == "_score" || sp.field == "_doc" {
		return false
	}
	k := st.keyAt(shard, ord, 0)
	w := worst.keys[0]
	if k.kind == 0 || w.kind == 0 {
		return false
	}
	c := cmpSortVal(k, w)
	if sp.desc {
		c = -c
	}
	return c > 0
}

type candHeap struct {
	st    *sorter
	items []*hitCand
}

func (h *candHeap) Len() int           { return len(h.items) }
func (h *candHeap) Less(i, j int) bool { return h.st.compare(h.items[i], h.items[j]) > 0 } // worst on top
func (h *candHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *candHeap) Push(x any)         { h.items = append(h.items, x.(*hitCand)) }
func (h *candHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

func topHits(req *searchRequest, shards []*shardResult) ([]any, any, error) {
	specs := req.sort
	if len(specs) == 0 {
		specs = []sortSpec{{field: "_score", desc: true}}
	}
	st := &sorter{specs: specs}
	needScores := req.trackScores
	for _, sp := range specs {
		if sp.field == "_score" {
			needScores = true
		}
	}
	for _, sh := range shards {
		var cols []*column
		var types []string
		for _, sp := range specs {
			if sp.field == "_score" || sp.field == "_doc" {
				cols, types = append(cols, nil), append(types, sp.field)
				continue
			}
			typ, col := sh.ix.fieldColumn(sp.field)
			if typ == "text" {
				return nil, nil, badRequest("illegal_argument_exception",
					"Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", sp.field)
			}
			if typ == "" {
				typ = sp.unmappedType
			}
			cols, types = append(cols, col), append(types, typ)
		}
		st.cols = append(st.cols, cols)
		st.types = append(st.types, types)
	}
	for i, sp := range specs {
		if sp.field == "_score" || sp.field == "_doc" || sp.unmappedType != "" {
			continue
		}
		mapped := false
		for s := range shards {
			mapped = mapped || st.types[s][i] != ""
		}
		if !mapped && len(shards) > 0 {
			return nil, nil, badRequest("query_shard_exception", "No mapping found for [%s] in order to sort on", sp.field)
		}
	}
	var after *hitCand
	if req.searchAfter != nil {
		after = &hitCand{shard: math.MaxInt32, ord: math.MaxUint32}
		for i, v := range req.searchAfter {
			sv, score, err := parseAfterValue(specs[i], v)
			if err != nil {
				return nil, nil, err
			}
			if specs[i].field == "_score" {
				after.score = score
			}
			if specs[i].field == "_doc" {
				after.shard, after.ord = int(sv.i>>32), uint32(sv.i)
			}
			after.keys = append(after.keys, sv)
		}
	}
	k := req.from + req.size
	h := &candHeap{st: st}
	var scratch hitCand
	if k > 0 {
		for si, sh := range shards {
			sh.res.bits.forEach(func(ord uint32) {
				if after == nil && h.Len() == k && st.worseOnFirstKey(si, ord, h.items[0]) {
					return
				}
				scratch.shard, scratch.ord, scratch.score = si, ord, sh.res.score(ord)
				scratch.keys = st.keysFor(si, ord, scratch.keys)
				if after != nil && st.compareAfter(&scratch, after) <= 0 {
					return
				}
				if h.Len() < k {
					c := scratch
					c.keys = append([]sortVal(nil), scratch.keys...)
					heap.Push(h, &c)
					return
				}
				if st.compare(&scratch, h.items[0]) < 0 {
					c := h.items[0]
					c.shard, c.ord, c.score = scratch.shard, scratch.ord, scratch.score
					c.keys = append(c.keys[:0], scratch.keys...)
					heap.Fix(h, 0)
				}
			})
		}
	}
	ordered := make([]*hitCand, h.Len())
	for i := len(ordered) - 1; i >= 0; i-- {
		ordered[i] = heap.Pop(h).(*hitCand)
	}
	if req.from < len(ordered) {
		ordered = ordered[req.from:]
	} else {
		ordered = nil
	}
	var maxScore any
	hits := make([]any, 0, len(ordered))
	for _, c := range ordered {
		sh := shards[c.shard]
		ix := sh.ix
		src, err := ix.sourceForHit(c.ord)
		if err != nil {
			return nil, nil, err
		}
		hit := map[string]any{"_index": ix.name, "_id": ix.ids[c.ord]}
		if needScores {
			hit["_score"] = c.score
			if maxScore == nil || c.score > maxScore.(float32) {
				maxScore = c.score
			}
		} else {
			hit["_score"] = nil
		}
		if !req.source.disabled {
			filtered, err := filterSource(src, req.source)
			if err != nil {
				return nil, nil, err
			}
			hit["_source"] = filtered
		}
		if len(req.sort) > 0 {
			hit["sort"] = st.sortValues(c)
		}
		if req.version || req.seqNoPrimTerm {
			ref := ix.idMap[ix.ids[c.ord]]
			if req.version {
				hit["_version"] = ref.version
			}
			if req.seqNoPrimTerm {
				hit["_seq_no"], hit["_primary_term"] = ref.seqNo, 1
			}
		}
		hits = append(hits, hit)
	}
	return hits, maxScore, nil
}

// compareAfter compares a candidate with a search_after position, which has
// no shard/ord tiebreak unless _doc is part of the sort.
func (st *sorter) compareAfter(a, after *hitCand) int {
	return st.compareSpecs(a, after)
}

func parseAfterValue(sp sortSpec, v any) (sortVal, float32, error) {
	switch x := v.(type) {
	case nil:
		return sortVal{}, 0, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			if sp.field == "_score" {
				return sortVal{kind: 2, f: float64(i)}, float32(i), nil
			}
			// Elasticsearch writes missing values as Long.MAX/MIN_VALUE.
			if i == math.MaxInt64 || i == math.MinInt64 {
				return sortVal{}, 0, nil
			}
			return sortVal{kind: 1, i: i}, 0, nil
		}
		f, err := x.Float64()
		if err != nil {
			return sortVal{}, 0, parseErr("[search_after] bad value [%s]", x)
		}
		return sortVal{kind: 2, f: f}, float32(f), nil
	case string:
		return sortVal{kind: 3, s: x}, 0, nil
	case bool:
		if x {
			return sortVal{kind: 1, i: 1}, 0, nil
		}
		return sortVal{kind: 1}, 0, nil
	}
	return sortVal{}, 0, parseErr("[search_after] unsupported value [%v]", v)
}

func (st *sorter) sortValues(c *hitCand) []any {
	out := make([]any, len(st.specs))
	for i, sp := range st.specs {
		switch sp.field {
		case "_score":
			out[i] = c.score
			continue
		case "_doc":
			out[i] = int64(c.shard)<<32 | int64(c.ord)
			continue
		}
		k := c.keys[i]
		col := st.cols[c.shard][i]
		switch k.kind {
		case 0:
			if col != nil && (col.kind == kindKeyword || col.kind == kindIP) || st.types[c.shard][i] == "keyword" {
				out[i] = nil
			} else if sp.desc != sp.missingFirst {
				out[i] = int64(math.MinInt64)
			} else {
				out[i] = int64(math.MaxInt64)
			}
		case 1:
			out[i] = k.i
		case 2:
			out[i] = k.f
		case 3:
			if col != nil && col.kind == kindIP {
				a, _ := netipFromSlice([]byte(k.s))
				out[i] = a
			} else {
				out[i] = k.s
			}
		}
	}
	return out
}

func (ix *index) sourceForHit(ord uint32) (json.RawMessage, error) {
	if ix.srcOff[ord]+int64(ix.srcLen[ord]) > ix.flushedTo {
		// Searches hold the read lock; the log is flushed at every refresh,
		// so visible documents are always on disk.
		return nil, fmt.Errorf("esdev: document %d of %s is not flushed", ord, ix.name)
	}
	b, err := ix.source(ord)
	return json.RawMessage(b), err
}

// filterSource applies _source includes/excludes. Unfiltered sources are
// returned byte for byte.
func filterSource(src json.RawMessage, f sourceFilter) (any, error) {
	if len(f.includes) == 0 && len(f.excludes) == 0 {
		return src, nil
	}
	var obj map[string]any
	if err := decodeJSON(src, &obj); err != nil {
		return nil, err
	}
	return filterObject(obj, "", f), nil
}

func filterObject(obj map[string]any, prefix string, f sourceFilter) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		full := prefix + k
		if pathMatches(f.excludes, full, false) {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if len(f.includes) == 0 || pathMatches(f.includes, full, false) {
				out[k] = filterObject(sub, full+".", sourceFilter{excludes: f.excludes})
				continue
			}
			if inner := filterObject(sub, full+".", f); len(inner) > 0 {
				out[k] = inner
			}
			continue
		}
		if len(f.includes) == 0 || pathMatches(f.includes, full, false) {
			out[k] = v
		}
	}
	return out
}

func pathMatches(patterns []string, full string, _ bool) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, full); ok || strings.HasPrefix(full, p+".") {
			return true
		}
	}
	return false
}
