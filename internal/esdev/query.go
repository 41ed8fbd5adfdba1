package esdev

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
)

// evalCtx is one query evaluation over one index. The caller holds ix.mu
// for reading.
type evalCtx struct {
	ix  *index
	n   uint32
	now time.Time
}

// result is a set of matching documents and their scores: scores[ord] when
// scores is set, constScore for every match otherwise.
type result struct {
	bits       *bitset
	scores     []float32
	constScore float32
}

func (r *result) score(ord uint32) float32 {
	if r.scores != nil {
		return r.scores[ord]
	}
	return r.constScore
}

type query interface {
	eval(c *evalCtx) (*result, error)
}

// ---- DSL parsing ----

func parseQuery(v any) (query, error) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, parseErr("[query] malformed query, expected an object with exactly one query type")
	}
	for typ, body := range obj {
		switch typ {
		case "match_all":
			return matchAllQ{score: 1}, nil
		case "match_none":
			return matchNoneQ{}, nil
		case "bool":
			return parseBool(body)
		case "constant_score":
			m, ok := body.(map[string]any)
			if !ok || m["filter"] == nil {
				return nil, parseErr("[constant_score] requires a 'filter' element")
			}
			for k := range m {
				if k != "filter" && k != "boost" && k != "_name" {
					return nil, parseErr("[constant_score] query does not support [%s]", k)
				}
			}
			f, err := parseQuery(m["filter"])
			if err != nil {
				return nil, err
			}
			return constQ{inner: f, score: float32(numberOr(m["boost"], 1))}, nil
		case "term", "prefix", "wildcard", "regexp", "match", "match_phrase", "match_phrase_prefix":
			return parseFieldQuery(typ, body)
		case "terms":
			return parseTerms(body)
		case "range":
			return parseRange(body)
		case "exists":
			m, ok := body.(map[string]any)
			f, _ := m["field"].(string)
			if !ok || f == "" {
				return nil, parseErr("[exists] must be provided with a [field]")
			}
			return existsQ{field: f}, nil
		case "ids":
			m, ok := body.(map[string]any)
			vals, _ := m["values"].([]any)
			if !ok {
				return nil, parseErr("[ids] requires [values]")
			}
			q := idsQ{}
			for _, v := range vals {
				q.ids = append(q.ids, fmt.Sprint(v))
			}
			return q, nil
		case "query_string":
			return parseQueryStringQuery(body)
		}
		return nil, unsupported("query type [%s]", typ)
	}
	return nil, nil
}

func numberOr(v any, def float64) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err == nil {
			return f
		}
	case float64:
		return x
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f
		}
	}
	return def
}

func parseBool(body any) (query, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return nil, parseErr("[bool] query malformed, expected an object")
	}
	q := &boolQ{msm: -1}
	for k, v := range m {
		var dst *[]query
		switch k {
		case "must":
			dst = &q.must
		case "filter":
			dst = &q.filter
		case "should":
			dst = &q.should
		case "must_not":
			dst = &q.mustNot
		case "minimum_should_match":
			n, err := parseMSM(v)
			if err != nil {
				return nil, err
			}
			q.msmSpec = n
			continue
		case "boost", "_name":
			continue
		default:
			return nil, parseErr("[bool] query does not support [%s]", k)
		}
		clauses, isArr := v.([]any)
		if !isArr {
			clauses = []any{v}
		}
		for _, c := range clauses {
			sub, err := parseQuery(c)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, sub)
		}
	}
	return q, nil
}

// msmSpec is minimum_should_match: an absolute count or a percentage.
type msmSpec struct {
	set     bool
	n       int
	percent float64
}

func parseMSM(v any) (msmSpec, error) {
	s := fmt.Sprint(v)
	if strings.HasSuffix(s, "%") {
		p, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil {
			return msmSpec{}, parseErr("[minimum_should_match] invalid value [%s]", s)
		}
		return msmSpec{set: true, percent: p}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return msmSpec{}, unsupported("[minimum_should_match] value [%s]; use an integer or a percentage", s)
	}
	return msmSpec{set: true, n: n}, nil
}

func (m msmSpec) resolve(clauses int) int {
	if m.percent != 0 {
		n := int(float64(clauses) * math.Abs(m.percent) / 100)
		if m.percent < 0 {
			n = clauses - n
		}
		return n
	}
	if m.n < 0 {
		return clauses + m.n
	}
	return m.n
}

// fieldParams splits the {field: value} / {field: {value/query: ..., opts}} shapes.
func fieldParams(typ string, body any) (string, map[string]any, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return "", nil, parseErr("[%s] query malformed, expected an object", typ)
	}
	var field string
	var val any
	for k, v := range m {
		if k == "boost" || k == "_name" {
			continue
		}
		if field != "" {
			return "", nil, parseErr("[%s] query doesn't support multiple fields, found [%s] and [%s]", typ, field, k)
		}
		field, val = k, v
	}
	if field == "" {
		return "", nil, parseErr("[%s] query requires a field", typ)
	}
	if opts, ok := val.(map[string]any); ok {
		return field, opts, nil
	}
	key := "value"
	if strings.HasPrefix(typ, "match") {
		key = "query"
	}
	return field, map[string]any{key: val}, nil
}

func parseFieldQuery(typ string, body any) (query, error) {
	field, opts, err := fieldParams(typ, body)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{"boost": true, "_name": true}
	switch typ {
	case "term":
		known["value"], known["case_insensitive"] = true, true
	case "prefix", "wildcard", "regexp":
		known["value"], known["case_insensitive"], known["rewrite"] = true, true, true
		if typ == "wildcard" {
			known["wildcard"] = true
		}
		if typ == "regexp" {
			known["flags"], known["max_determinized_states"] = true, true
		}
	case "match":
		known["query"], known["operator"], known["lenient"], known["zero_terms_query"], known["analyzer"] = true, true, true, true, true
	case "match_phrase", "match_phrase_prefix":
		known["query"], known["slop"], known["analyzer"] = true, true, true
	}
	for k, v := range opts {
		if !known[k] {
			return nil, unsupported("[%s] option [%s]", typ, k)
		}
		if k == "analyzer" && v != "standard" {
			return nil, unsupported("analyzer [%v]", v)
		}
		if k == "slop" && numberOr(v, 0) != 0 {
			return nil, unsupported("[%s] with slop", typ)
		}
		if k == "zero_terms_query" && v != "none" {
			return nil, unsupported("[zero_terms_query: %v]", v)
		}
	}
	ci := opts["case_insensitive"] == true
	switch typ {
	case "term":
		if opts["value"] == nil {
			return nil, parseErr("[term] query requires a value")
		}
		return fieldQ{kind: fqTerm, field: field, value: opts["value"], ci: ci}, nil
	case "prefix":
		return fieldQ{kind: fqPrefix, field: field, value: fmt.Sprint(opts["value"]), ci: ci}, nil
	case "wildcard":
		v := opts["value"]
		if v == nil {
			v = opts["wildcard"]
		}
		return fieldQ{kind: fqWildcard, field: field, value: fmt.Sprint(v), ci: ci}, nil
	case "regexp":
		re, err := regexp.Compile("^(?:" + fmt.Sprint(opts["value"]) + ")$")
		if err != nil {
			return nil, parseErr("[regexp] invalid expression: %v", err)
		}
		return fieldQ{kind: fqRegexp, field: field, value: fmt.Sprint(opts["value"]), re: re, ci: ci}, nil
	case "match":
		op := strings.ToLower(fmt.Sprint(opts["operator"]))
		return fieldQ{kind: fqMatch, field: field, value: opts["query"], and: op == "and", lenient: opts["lenient"] == true}, nil
	case "match_phrase":
		return fieldQ{kind: fqPhrase, field: field, value: opts["query"]}, nil
	}
	return nil, unsupported("query type [%s]", typ)
}

func parseTerms(body any) (query, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return nil, parseErr("[terms] query malformed")
	}
	var q *boolQ
	for k, v := range m {
		if k == "boost" || k == "_name" {
			continue
		}
		if q != nil {
			return nil, parseErr("[terms] query does not support multiple fields")
		}
		vals, ok := v.([]any)
		if !ok {
			return nil, unsupported("[terms] lookup; give an array of values")
		}
		q = &boolQ{msm: -1, filterOnly: true}
		for _, e := range vals {
			q.should = append(q.should, fieldQ{kind: fqTerm, field: k, value: e})
		}
	}
	if q == nil {
		return nil, parseErr("[terms] query requires a field")
	}
	return constQ{inner: q, score: 1}, nil
}

func parseRange(body any) (query, error) {
	field, opts, err := fieldParams("range", body)
	if err != nil {
		return nil, err
	}
	q := rangeQ{field: field}
	for k, v := range opts {
		switch k {
		case "gte", "gt", "lte", "lt", "from", "to":
		case "format":
			q.format = fmt.Sprint(v)
		case "time_zone":
			q.tz = fmt.Sprint(v)
		case "include_lower", "include_upper", "boost", "_name":
		case "relation":
			if v != "intersects" && v != "INTERSECTS" {
				return nil, unsupported("[range] relation [%v]", v)
			}
		default:
			return nil, parseErr("[range] query does not support [%s]", k)
		}
	}
	q.lo, q.loIncl = opts["gte"], true
	if v, ok := opts["gt"]; ok {
		q.lo, q.loIncl = v, false
	}
	q.hi, q.hiIncl = opts["lte"], true
	if v, ok := opts["lt"]; ok {
		q.hi, q.hiIncl = v, false
	}
	if v, ok := opts["from"]; ok && q.lo == nil {
		q.lo, q.loIncl = v, opts["include_lower"] != false
	}
	if v, ok := opts["to"]; ok && q.hi == nil {
		q.hi, q.hiIncl = v, opts["include_upper"] != false
	}
	return q, nil
}

// ---- evaluation ----

type matchAllQ struct{ score float32 }

func (q matchAllQ) eval(c *evalCtx) (*result, error) {
	return &result{bits: c.ix.liveSet().clone(), constScore: q.score}, nil
}

type matchNoneQ struct{}

func (matchNoneQ) eval(c *evalCtx) (*result, error) { return &result{bits: newBitset(c.n)}, nil }

type constQ struct {
	inner query
	score float32
}

func (q constQ) eval(c *evalCtx) (*result, error) {
	r, err := q.inner.eval(c)
	if err != nil {
		return nil, err
	}
	return &result{bits: r.bits, constScore: q.score}, nil
}

type boolQ struct {
	must, filter, should, mustNot []query
	msm                           int
	msmSpec                       msmSpec
	filterOnly                    bool
}

func (q *boolQ) eval(c *evalCtx) (*result, error) {
	var bits *bitset
	var scores []float32
	scoring := !q.filterOnly && (len(q.must) > 0 || len(q.should) > 0)
	if scoring {
		scores = make([]float32, c.n)
	}
	addScores := func(r *result) {
		if scores == nil {
			return
		}
		r.bits.forEach(func(o uint32) { scores[o] += r.score(o) })
	}
	for _, sub := range q.must {
		r, err := sub.eval(c)
		if err != nil {
			return nil, err
		}
		addScores(r)
		if bits == nil {
			bits = r.bits
		} else {
			bits.and(r.bits)
		}
	}
	for _, sub := range q.filter {
		r, err := sub.eval(c)
		if err != nil {
			return nil, err
		}
		if bits == nil {
			bits = r.bits
		} else {
			bits.and(r.bits)
		}
	}
	if len(q.should) > 0 {
		msm := 0
		if len(q.must) == 0 && len(q.filter) == 0 {
			msm = 1
		}
		if q.msmSpec.set {
			msm = q.msmSpec.resolve(len(q.should))
		}
		var any *bitset
		var counts []uint16
		if msm > 1 {
			counts = make([]uint16, c.n)
		}
		for _, sub := range q.should {
			r, err := sub.eval(c)
			if err != nil {
				return nil, err
			}
			addScores(r)
			if counts != nil {
				r.bits.forEach(func(o uint32) { counts[o]++ })
			}
			if any == nil {
				any = r.bits
			} else {
				any.or(r.bits)
			}
		}
		switch {
		case msm > 1:
			req := newBitset(c.n)
			for o, k := range counts {
				if int(k) >= msm {
					req.set(uint32(o))
				}
			}
			bits = andOr(bits, req)
		case msm == 1:
			bits = andOr(bits, any)
		}
	}
	if bits == nil {
		bits = c.ix.liveSet().clone()
	}
	for _, sub := range q.mustNot {
		r, err := sub.eval(c)
		if err != nil {
			return nil, err
		}
		bits.andNot(r.bits)
	}
	return &result{bits: bits, scores: scores}, nil
}

func andOr(bits, other *bitset) *bitset {
	if bits == nil {
		return other
	}
	bits.and(other)
	return bits
}

type existsQ struct{ field string }

func (q existsQ) eval(c *evalCtx) (*result, error) {
	out := newBitset(c.n)
	for _, f := range c.ix.expandField(q.field) {
		if col := c.ix.cols[f]; col != nil {
			out.or(col.present(c.n))
		}
	}
	return &result{bits: out, constScore: 1}, nil
}

// expandField resolves a field name, wildcard pattern or object path to
// concrete column names.
func (ix *index) expandField(name string) []string {
	if !strings.ContainsAny(name, "*?") {
		if typ, _ := ix.fieldColumn(name); typ != "" {
			return []string{name}
		}
		if ix.objects[name] == nil {
			return nil
		}
		name += ".*"
	}
	var out []string
	for _, f := range sortedKeys(ix.leaves) {
		if ok, _ := path.Match(name, f); ok || (strings.HasSuffix(name, ".*") && strings.HasPrefix(f, strings.TrimSuffix(name, "*"))) {
			out = append(out, f)
		}
	}
	return out
}

type idsQ struct{ ids []string }

func (q idsQ) eval(c *evalCtx) (*result, error) {
	out := newBitset(c.n)
	for _, id := range q.ids {
		if ref, ok := c.ix.idMap[id]; ok && ref.ord < c.n {
			out.set(ref.ord)
		}
	}
	return &result{bits: out, constScore: 1}, nil
}

type fqKind uint8

const (
	fqTerm fqKind = iota
	fqMatch
	fqPhrase
	fqPrefix
	fqWildcard
	fqRegexp
)

// fieldQ is a single-field leaf query; its meaning depends on the field type,
// as in Elasticsearch (a match on a keyword field is a term query, a term on
// an ip field accepts CIDR notation, ...).
type fieldQ struct {
	kind    fqKind
	field   string
	value   any
	re      *regexp.Regexp
	ci      bool
	and     bool
	lenient bool
}

func (q fieldQ) eval(c *evalCtx) (*result, error) {
	fields := []string{q.field}
	if strings.ContainsAny(q.field, "*?") {
		fields = c.ix.expandField(q.field)
	}
	var out *result
	for _, f := range fields {
		r, err := q.evalField(c, f)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = r
			continue
		}
		out.bits.or(r.bits)
	}
	if out == nil {
		out = &result{bits: newBitset(c.n)}
	}
	if out.scores == nil && out.constScore == 0 {
		out.constScore = 1
	}
	return out, nil
}

func (q fieldQ) evalField(c *evalCtx, field string) (*result, error) {
	typ, col := c.ix.fieldColumn(field)
	none := &result{bits: newBitset(c.n), constScore: 1}
	if typ == "" {
		return none, nil
	}
	if typ == "text" {
		return q.evalText(c, field)
	}
	if col == nil {
		return none, nil
	}
	s := scalarString(q.value)
	switch q.kind {
	case fqPrefix, fqWildcard, fqRegexp:
		if col.kind != kindKeyword && col.kind != kindIP {
			return nil, badRequest("query_shard_exception", "Can only use %s queries on keyword and text fields - not on [%s] which is of type [%s]", kindName(q.kind), field, typ)
		}
		match := stringMatcher(q.kind, s, q.re, q.ci)
		return &result{bits: col.matchDict(c.n, func(id uint32) bool { return match(col.dict[id]) }), constScore: 1}, nil
	}
	// term, match and match_phrase on non-text fields are exact-value queries.
	bits, err := exactMatch(c, field, typ, col, q.value, q.ci)
	if err != nil {
		if q.lenient {
			return none, nil
		}
		return nil, err
	}
	return &result{bits: bits, constScore: 1}, nil
}

func kindName(k fqKind) string {
	switch k {
	case fqPrefix:
		return "prefix"
	case fqWildcard:
		return "wildcard"
	}
	return "regexp"
}

func stringMatcher(kind fqKind, pattern string, re *regexp.Regexp, ci bool) func(string) bool {
	if ci {
		pattern = strings.ToLower(pattern)
	}
	norm := func(s string) string {
		if ci {
			return strings.ToLower(s)
		}
		return s
	}
	switch kind {
	case fqPrefix:
		return func(s string) bool { return strings.HasPrefix(norm(s), pattern) }
	case fqWildcard:
		w := compileWildcard(pattern)
		return func(s string) bool { return w.MatchString(norm(s)) }
	}
	if ci {
		re = regexp.MustCompile("(?i)" + re.String())
	}
	return re.MatchString
}

func compileWildcard(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s:")
	esc := false
	for _, r := range p {
		switch {
		case esc:
			b.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '*':
			b.WriteString(".*")
		case r == '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(")$")
	return regexp.MustCompile(b.String())
}

func termFailure(field, typ string, v any) *esError {
	return badRequest("query_shard_exception", "failed to create query: field [%s] of type [%s] cannot match value [%s]", field, typ, scalarString(v))
}

// exactMatch evaluates an exact-value query on a non-text field.
func exactMatch(c *evalCtx, field, typ string, col *column, v any, ci bool) (*bitset, error) {
	s := scalarString(v)
	switch col.kind {
	case kindKeyword:
		if ci {
			return col.matchDict(c.n, func(id uint32) bool { return strings.EqualFold(col.dict[id], s) }), nil
		}
		id, ok := col.dictIx.get(col.dict, s)
		if !ok {
			return newBitset(c.n), nil
		}
		return col.matchDict(c.n, func(x uint32) bool { return x == id }), nil
	case kindIP:
		if strings.Contains(s, "/") {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, termFailure(field, typ, v)
			}
			pfx = pfx.Masked()
			return col.matchDict(c.n, func(id uint32) bool {
				a := col.addrs[id]
				if pfx.Addr().Is4() && a.Is4In6() {
					a = a.Unmap()
				}
				return pfx.Contains(a)
			}), nil
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, termFailure(field, typ, v)
		}
		a = a.Unmap()
		return col.matchDict(c.n, func(id uint32) bool { return col.addrs[id] == a }), nil
	case kindInt:
		var want int64
		switch typ {
		case "date", "date_nanos":
			t, err := dateFromJSON(v, "", nil, c.now, false)
			if err != nil {
				return nil, termFailure(field, typ, v)
			}
			want = t.UnixNano()
			if typ == "date" {
				want = millisOf(want) * 1e6
			}
		case "boolean":
			b, ok := boolValue(v)
			if !ok {
				return nil, termFailure(field, typ, v)
			}
			want = b
		default:
			f, ok := floatValue(v)
			if !ok {
				return nil, termFailure(field, typ, v)
			}
			if f != math.Trunc(f) {
				return newBitset(c.n), nil
			}
			want = int64(f)
		}
		return col.matchInts(c.n, func(x int64) bool { return x == want }), nil
	case kindFloat:
		f, ok := floatValue(v)
		if !ok {
			return nil, termFailure(field, typ, v)
		}
		return col.matchFloats(c.n, func(x float64) bool { return x == f }), nil
	}
	return newBitset(c.n), nil
}

// evalText runs an analyzed query on a text field through bleve.
func (q fieldQ) evalText(c *evalCtx, field string) (*result, error) {
	s := scalarString(q.value)
	var bqry bq.Query
	switch q.kind {
	case fqTerm:
		t := bleve.NewTermQuery(s)
		t.SetField(field)
		bqry = t
	case fqMatch:
		m := bleve.NewMatchQuery(s)
		m.SetField(field)
		m.Analyzer = textAnalyzer
		if q.and {
			m.SetOperator(bq.MatchQueryOperatorAnd)
		}
		bqry = m
	case fqPhrase:
		m := bleve.NewMatchPhraseQuery(s)
		m.SetField(field)
		m.Analyzer = textAnalyzer
		bqry = m
	case fqPrefix:
		p := bleve.NewPrefixQuery(s)
		p.SetField(field)
		bqry = p
	case fqWildcard:
		p := bleve.NewWildcardQuery(s)
		p.SetField(field)
		bqry = p
	case fqRegexp:
		p := bleve.NewRegexpQuery(q.re.String()[4 : len(q.re.String())-2])
		p.SetField(field)
		bqry = p
	}
	return c.ix.searchText(c, bqry)
}

// searchText runs a bleve query and maps its hits to ordinals. It iterates
// bleve's searcher directly: the top-N collector with N = every document
// sorts and materializes hits it does not need.
func (ix *index) searchText(c *evalCtx, q bq.Query) (*result, error) {
	out := &result{bits: newBitset(c.n), scores: make([]float32, c.n)}
	fail := func(err error) (*result, error) {
		return nil, badRequest("search_phase_execution_exception", "text search failed: %v", err)
	}
	adv, err := ix.text.Advanced()
	if err != nil {
		return fail(err)
	}
	reader, err := adv.Reader()
	if err != nil {
		return fail(err)
	}
	defer reader.Close()
	ctx := context.Background()
	searcher, err := q.Searcher(ctx, reader, ix.text.Mapping(), search.SearcherOptions{})
	if err != nil {
		return fail(err)
	}
	defer searcher.Close()
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(searcher.DocumentMatchPoolSize(), 0), IndexReader: reader}
	for {
		dm, err := searcher.Next(sctx)
		if err != nil {
			return fail(err)
		}
		if dm == nil {
			break
		}
		id, err := reader.ExternalID(dm.IndexInternalID)
		if err != nil {
			return fail(err)
		}
		if ord, err := strconv.ParseUint(id, 36, 32); err == nil && uint32(ord) < c.n {
			out.bits.set(uint32(ord))
			out.scores[ord] = float32(dm.Score)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	out.bits.and(ix.liveSet())
	return out, nil
}

type rangeQ struct {
	field          string
	lo, hi         any
	loIncl, hiIncl bool
	format, tz     string
}

func (q rangeQ) eval(c *evalCtx) (*result, error) {
	out := &result{bits: newBitset(c.n), constScore: 1}
	for _, f := range c.ix.expandField(q.field) {
		bits, err := q.evalField(c, f)
		if err != nil {
			return nil, err
		}
		out.bits.or(bits)
	}
	return out, nil
}

func (q rangeQ) evalField(c *evalCtx, field string) (*bitset, error) {
	typ, col := c.ix.fieldColumn(field)
	if col == nil {
		return newBitset(c.n), nil
	}
	switch col.kind {
	case kindInt:
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		conv := func(v any, up bool) (int64, error) {
			switch typ {
			case "date", "date_nanos":
				loc, err := parseTimeZone(q.tz)
				if err != nil {
					return 0, err
				}
				t, err := dateFromJSON(v, q.format, loc, c.now, up)
				if err != nil {
					return 0, err
				}
				ns := t.UnixNano()
				if typ == "date" {
					ns = millisOf(ns) * 1e6
				}
				return ns, nil
			case "boolean":
				b, ok := boolValue(v)
				if !ok {
					return 0, termFailure(field, typ, v)
				}
				return b, nil
			}
			f, ok := floatValue(v)
			if !ok {
				return 0, termFailure(field, typ, v)
			}
			if up {
				return int64(math.Floor(f)), nil
			}
			return int64(math.Ceil(f)), nil
		}
		var err error
		if q.lo != nil {
			if lo, err = conv(q.lo, !q.loIncl); err != nil {
				return nil, err
			}
			if !q.loIncl {
				lo++
			}
		}
		if q.hi != nil {
			if hi, err = conv(q.hi, q.hiIncl); err != nil {
				return nil, err
			}
			if !q.hiIncl {
				hi--
			}
		}
		return col.matchInts(c.n, func(x int64) bool { return x >= lo && x <= hi }), nil
	case kindFloat:
		lo, hi := math.Inf(-1), math.Inf(1)
		if q.lo != nil {
			f, ok := floatValue(q.lo)
			if !ok {
				return nil, termFailure(field, typ, q.lo)
			}
			lo = f
		}
		if q.hi != nil {
			f, ok := floatValue(q.hi)
			if !ok {
				return nil, termFailure(field, typ, q.hi)
			}
			hi = f
		}
		return col.matchFloats(c.n, func(x float64) bool {
			return (x > lo || q.loIncl && x == lo) && (x < hi || q.hiIncl && x == hi)
		}), nil
	case kindKeyword:
		lo, hi := "", ""
		if q.lo != nil {
			lo = scalarString(q.lo)
		}
		if q.hi != nil {
			hi = scalarString(q.hi)
		}
		return col.matchDict(c.n, func(id uint32) bool {
			v := col.dict[id]
			okLo := q.lo == nil || v > lo || q.loIncl && v == lo
			okHi := q.hi == nil || v < hi || q.hiIncl && v == hi
			return okLo && okHi
		}), nil
	case kindIP:
		var lo, hi netip.Addr
		var err error
		if q.lo != nil {
			if lo, err = netip.ParseAddr(scalarString(q.lo)); err != nil {
				return nil, termFailure(field, typ, q.lo)
			}
		}
		if q.hi != nil {
			if hi, err = netip.ParseAddr(scalarString(q.hi)); err != nil {
				return nil, termFailure(field, typ, q.hi)
			}
		}
		return col.matchDict(c.n, func(id uint32) bool {
			a := col.addrs[id]
			okLo := q.lo == nil || a.Compare(lo) > 0 || q.loIncl && a == lo
			okHi := q.hi == nil || a.Compare(hi) < 0 || q.hiIncl && a == hi
			return okLo && okHi
		}), nil
	}
	return nil, badRequest("query_shard_exception", "field [%s] of type [%s] does not support range queries", field, typ)
}
