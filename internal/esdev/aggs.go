package esdev

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// aggSpec is one parsed aggregation with its sub-aggregations.
type aggSpec struct {
	name, typ string
	field     string
	meta      any
	subs      []*aggSpec

	// terms
	size        int
	orderByKey  bool
	orderDesc   bool
	missing     any
	minDocCount int

	// date_histogram
	fixed    int64 // milliseconds
	calendar byte  // roundDate unit
	loc      *time.Location
	format   string
	extMin   any
	extMax   any

	// filters / filter
	filters     []namedQuery
	keyed       bool
	otherBucket bool
	otherKey    string
	filter      query
}

type namedQuery struct {
	name string
	q    query
}

// docSet is the documents of an aggregation bucket: ordinals per shard.
type docSet [][]uint32

func (d docSet) count() int {
	n := 0
	for _, s := range d {
		n += len(s)
	}
	return n
}

func parseAggs(v any) ([]*aggSpec, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, parseErr("[aggs] must be an object")
	}
	var out []*aggSpec
	for _, name := range sortedKeys(m) {
		body, ok := m[name].(map[string]any)
		if !ok {
			return nil, parseErr("Expected [START_OBJECT] under aggregation [%s]", name)
		}
		a := &aggSpec{name: name}
		for k, val := range body {
			switch k {
			case "aggs", "aggregations":
				subs, err := parseAggs(val)
				if err != nil {
					return nil, err
				}
				a.subs = subs
			case "meta":
				a.meta = val
			default:
				if a.typ != "" {
					return nil, parseErr("Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.typ, k)
				}
				a.typ = k
				if err := a.parseBody(val); err != nil {
					return nil, err
				}
			}
		}
		if a.typ == "" {
			return nil, parseErr("Missing definition for aggregation [%s]", name)
		}
		out = append(out, a)
	}
	return out, nil
}

func (a *aggSpec) parseBody(v any) error {
	if a.typ == "filter" {
		q, err := parseQuery(v)
		a.filter = q
		return err
	}
	body, ok := v.(map[string]any)
	if !ok {
		return parseErr("[%s] aggregation [%s] must be an object", a.typ, a.name)
	}
	allowed := map[string]bool{"field": true}
	switch a.typ {
	case "terms":
		a.size, a.orderDesc, a.minDocCount = 10, true, 1
		for _, k := range []string{"size", "order", "missing", "min_doc_count", "shard_size", "show_term_doc_count_error", "execution_hint", "collect_mode"} {
			allowed[k] = true
		}
	case "date_histogram":
		for _, k := range []string{"fixed_interval", "calendar_interval", "min_doc_count", "extended_bounds", "hard_bounds", "time_zone", "format", "keyed", "order", "offset", "interval"} {
			allowed[k] = true
		}
	case "cardinality":
		allowed["precision_threshold"] = true
	case "min", "max", "avg", "sum", "value_count":
		allowed["format"] = true
	case "filters":
		allowed = map[string]bool{"filters": true, "other_bucket": true, "other_bucket_key": true}
	default:
		return unsupported("aggregation type [%s] (aggregation [%s])", a.typ, a.name)
	}
	for k := range body {
		if !allowed[k] {
			return unsupported("[%s] aggregation parameter [%s] (aggregation [%s])", a.typ, k, a.name)
		}
	}
	a.field, _ = body["field"].(string)
	if a.typ != "filters" && a.field == "" {
		return parseErr("Required [field] for aggregation [%s]", a.name)
	}
	switch a.typ {
	case "terms":
		return a.parseTerms(body)
	case "date_histogram":
		return a.parseDateHistogram(body)
	case "filters":
		return a.parseFilters(body)
	}
	return nil
}

func (a *aggSpec) parseTerms(body map[string]any) error {
	if v, ok := body["size"]; ok {
		a.size = int(numberOr(v, 10))
	}
	if v, ok := body["min_doc_count"]; ok {
		a.minDocCount = int(numberOr(v, 1))
	}
	a.missing = body["missing"]
	if o, ok := body["order"]; ok {
		om, ok := o.(map[string]any)
		if arr, isArr := o.([]any); isArr && len(arr) == 1 {
			om, ok = arr[0].(map[string]any)
		}
		if !ok || len(om) != 1 {
			return unsupported("[terms] order other than a single {\"_count\"|\"_key\": \"asc\"|\"desc\"}")
		}
		for k, dir := range om {
			switch k {
			case "_count":
			case "_key", "_term":
				a.orderByKey = true
			default:
				return unsupported("[terms] order by [%s]; only _count and _key", k)
			}
			a.orderDesc = dir == "desc"
		}
	}
	return nil
}

var calendarUnits = map[string]byte{
	"minute": 'm', "1m": 'm', "hour": 'h', "1h": 'h', "day": 'd', "1d": 'd', "week": 'w', "1w": 'w',
	"month": 'M', "1M": 'M', "quarter": 'q', "1q": 'q', "year": 'y', "1y": 'y',
}

func (a *aggSpec) parseDateHistogram(body map[string]any) error {
	if body["interval"] != nil {
		return unsupported("[date_histogram] [interval]; use fixed_interval or calendar_interval")
	}
	if body["offset"] != nil || body["order"] != nil || body["keyed"] == true || body["hard_bounds"] != nil {
		return unsupported("[date_histogram] offset/order/keyed/hard_bounds")
	}
	fixed, hasFixed := body["fixed_interval"].(string)
	cal, hasCal := body["calendar_interval"].(string)
	switch {
	case hasFixed == hasCal:
		return badRequest("illegal_argument_exception", "Required one of fields [fixed_interval, calendar_interval], but none were specified.")
	case hasFixed:
		ms, err := parseFixedInterval(fixed)
		if err != nil {
			return err
		}
		a.fixed = ms
	default:
		u, ok := calendarUnits[cal]
		if !ok {
			return badRequest("illegal_argument_exception", "The supplied interval [%s] could not be parsed as a calendar interval.", cal)
		}
		a.calendar = u
	}
	a.minDocCount = int(numberOr(body["min_doc_count"], 0))
	loc, err := parseTimeZone(fmt.Sprint(orDefault(body["time_zone"], "")))
	if err != nil {
		return err
	}
	a.loc = loc
	if f, ok := body["format"].(string); ok {
		if _, err := formatKey(0, time.UTC, f); err != nil {
			return err
		}
		a.format = f
	}
	if eb, ok := body["extended_bounds"].(map[string]any); ok {
		a.extMin, a.extMax = eb["min"], eb["max"]
	}
	return nil
}

func orDefault(v any, d any) any {
	if v == nil {
		return d
	}
	return v
}

func parseFixedInterval(s string) (int64, error) {
	units := map[string]int64{"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}
	for _, u := range []string{"ms", "s", "m", "h", "d"} {
		if strings.HasSuffix(s, u) {
			n, err := strconv.ParseInt(strings.TrimSuffix(s, u), 10, 64)
			if err == nil && n > 0 {
				if u == "m" && strings.HasSuffix(s, "ms") {
					continue
				}
				return n * units[u], nil
			}
		}
	}
	return 0, badRequest("illegal_argument_exception", "failed to parse setting [date_histogram.fixedInterval] with value [%s] as a time value", s)
}

func (a *aggSpec) parseFilters(body map[string]any) error {
	switch f := body["filters"].(type) {
	case map[string]any:
		a.keyed = true
		for _, name := range sortedKeys(f) {
			q, err := parseQuery(f[name])
			if err != nil {
				return err
			}
			a.filters = append(a.filters, namedQuery{name: name, q: q})
		}
	case []any:
		for _, e := range f {
			q, err := parseQuery(e)
			if err != nil {
				return err
			}
			a.filters = append(a.filters, namedQuery{q: q})
		}
	default:
		return parseErr("[filters] aggregation [%s] requires [filters]", a.name)
	}
	a.otherBucket = body["other_bucket"] == true
	a.otherKey = "_other_"
	if k, ok := body["other_bucket_key"].(string); ok {
		a.otherKey, a.otherBucket = k, true
	}
	return nil
}

// ---- computation ----

type aggCtx struct {
	shards []*shardResult
	typed  bool
	now    time.Time
}

func computeAggs(specs []*aggSpec, shards []*shardResult, typed bool, now time.Time) (map[string]any, error) {
	docs := make(docSet, len(shards))
	for i, sh := range shards {
		docs[i] = sh.res.bits.toSlice()
	}
	return (&aggCtx{shards: shards, typed: typed, now: now}).run(specs, docs)
}

func (c *aggCtx) run(specs []*aggSpec, docs docSet) (map[string]any, error) {
	out := make(map[string]any, len(specs))
	for _, a := range specs {
		res, typ, err := c.compute(a, docs)
		if err != nil {
			return nil, err
		}
		if a.meta != nil {
			res["meta"] = a.meta
		}
		key := a.name
		if c.typed {
			key = typ + "#" + a.name
		}
		out[key] = res
	}
	return out, nil
}

func (c *aggCtx) bucket(a *aggSpec, docs docSet, b map[string]any) (map[string]any, error) {
	b["doc_count"] = docs.count()
	if len(a.subs) == 0 {
		return b, nil
	}
	sub, err := c.run(a.subs, docs)
	if err != nil {
		return nil, err
	}
	for k, v := range sub {
		b[k] = v
	}
	return b, nil
}

// columns resolves the aggregated field on every shard; typ is the mapping
// type of the first shard that maps it.
func (c *aggCtx) columns(a *aggSpec) ([]*column, string, error) {
	cols := make([]*column, len(c.shards))
	typ := ""
	for i, sh := range c.shards {
		t, col := sh.ix.fieldColumn(a.field)
		if t == "text" {
			return nil, "", badRequest("illegal_argument_exception",
				"Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", a.field)
		}
		if typ == "" {
			typ = t
		}
		cols[i] = col
	}
	return cols, typ, nil
}

func (c *aggCtx) compute(a *aggSpec, docs docSet) (map[string]any, string, error) {
	switch a.typ {
	case "terms":
		return c.terms(a, docs)
	case "date_histogram":
		r, err := c.dateHistogram(a, docs)
		return r, "date_histogram", err
	case "filters":
		r, err := c.filtersAgg(a, docs)
		return r, "filters", err
	case "filter":
		sub, err := c.filterDocs(a.filter, docs)
		if err != nil {
			return nil, "", err
		}
		r, err := c.bucket(a, sub, map[string]any{})
		return r, "filter", err
	case "cardinality":
		r, err := c.cardinality(a, docs)
		return r, "cardinality", err
	default:
		r, err := c.metric(a, docs)
		return r, a.typ, err
	}
}

type termBucket struct {
	key   any // string, int64 or float64
	count int
	docs  docSet
}

func (c *aggCtx) terms(a *aggSpec, docs docSet) (map[string]any, string, error) {
	cols, typ, err := c.columns(a)
	if err != nil {
		return nil, "", err
	}
	aggType := "sterms"
	switch typ {
	case "long", "integer", "short", "byte", "date", "date_nanos", "boolean":
		aggType = "lterms"
	case "double", "float", "half_float":
		aggType = "dterms"
	}
	buckets := map[any]*termBucket{}
	withDocs := len(a.subs) > 0
	add := func(key any, shard int, ord uint32) {
		b := buckets[key]
		if b == nil {
			b = &termBucket{key: key}
			if withDocs {
				b.docs = make(docSet, len(c.shards))
			}
			buckets[key] = b
		}
		b.count++
		if withDocs {
			b.docs[shard] = append(b.docs[shard], ord)
		}
	}
	var missingKey any
	if a.missing != nil {
		missingKey = termKey(typ, a.missing)
	}
	for si, ords := range docs {
		col := cols[si]
		if col == nil {
			if missingKey != nil {
				for _, o := range ords {
					add(missingKey, si, o)
				}
			}
			continue
		}
		if col.kind == kindKeyword || col.kind == kindIP {
			// Count by dictionary id first: no per-document map lookups.
			counts := make([]int32, len(col.dict))
			var perID [][]uint32
			if withDocs {
				perID = make([][]uint32, len(col.dict))
			}
			for _, o := range ords {
				lo, hi := col.bounds(o)
				if lo == hi && missingKey != nil {
					add(missingKey, si, o)
				}
				for j := lo; j < hi; j++ {
					id := col.ids[j]
					if j > lo && dupID(col.ids[lo:j], id) {
						continue
					}
					counts[id]++
					if withDocs {
						perID[id] = append(perID[id], o)
					}
				}
			}
			for id, n := range counts {
				if n == 0 {
					continue
				}
				key := any(col.dict[id])
				b := buckets[key]
				if b == nil {
					b = &termBucket{key: key}
					if withDocs {
						b.docs = make(docSet, len(c.shards))
					}
					buckets[key] = b
				}
				b.count += int(n)
				if withDocs {
					b.docs[si] = append(b.docs[si], perID[id]...)
				}
			}
			continue
		}
		for _, o := range ords {
			lo, hi := col.bounds(o)
			if lo == hi && missingKey != nil {
				add(missingKey, si, o)
			}
			seen := map[any]bool{}
			for j := lo; j < hi; j++ {
				var key any
				if col.kind == kindInt {
					v := col.ints[j]
					if col.ftype == "date" || col.ftype == "date_nanos" {
						v = millisOf(v)
					}
					key = v
				} else {
					key = col.floats[j]
				}
				if hi-lo > 1 {
					if seen[key] {
						continue
					}
					seen[key] = true
				}
				add(key, si, o)
			}
		}
	}
	list := make([]*termBucket, 0, len(buckets))
	for _, b := range buckets {
		if b.count >= a.minDocCount {
			list = append(list, b)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		x, y := list[i], list[j]
		if !a.orderByKey && x.count != y.count {
			return (x.count > y.count) == a.orderDesc
		}
		c := compareKeys(x.key, y.key)
		if a.orderByKey && a.orderDesc {
			return c > 0
		}
		return c < 0
	})
	other := 0
	if len(list) > a.size {
		for _, b := range list[a.size:] {
			other += b.count
		}
		list = list[:a.size]
	}
	out := make([]any, 0, len(list))
	for _, b := range list {
		entry := map[string]any{"key": b.key}
		switch typ {
		case "boolean":
			entry["key_as_string"] = strconv.FormatBool(b.key.(int64) == 1)
		case "date", "date_nanos":
			entry["key_as_string"] = formatDate(b.key.(int64)*1e6, time.UTC)
		}
		res, err := c.bucket(a, b.docs, entry)
		if err != nil {
			return nil, "", err
		}
		res["doc_count"] = b.count
		out = append(out, res)
	}
	return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": out}, aggType, nil
}

func dupID(prev []uint32, id uint32) bool {
	for _, p := range prev {
		if p == id {
			return true
		}
	}
	return false
}

func termKey(typ string, v any) any {
	switch typ {
	case "long", "integer", "short", "byte", "boolean":
		if typ == "boolean" {
			b, _ := boolValue(v)
			return b
		}
		f, _ := floatValue(v)
		return int64(f)
	case "double", "float", "half_float":
		f, _ := floatValue(v)
		return f
	}
	return scalarString(v)
}

func compareKeys(x, y any) int {
	switch a := x.(type) {
	case string:
		b, _ := y.(string)
		return strings.Compare(a, b)
	case int64:
		b, _ := y.(int64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	case float64:
		b, _ := y.(float64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}

// histBucket is one date_histogram bucket, keyed by its start in ms.
type histBucket struct {
	key   int64
	count int
	docs  docSet
}

// dateRounder maps a time to its bucket start and the next bucket start.
type dateRounder struct {
	fixed    int64
	calendar byte
	loc      *time.Location
	// cache of the last bucket: audit data arrives in time order, so most
	// consecutive documents fall into the same bucket.
	lo, hi int64
}

func (r *dateRounder) round(ms int64) int64 {
	if r.hi > r.lo && ms >= r.lo && ms < r.hi {
		return r.lo
	}
	if r.fixed > 0 {
		_, off := time.UnixMilli(ms).In(r.loc).Zone()
		offMs := int64(off) * 1000
		k := floorDiv(ms+offMs, r.fixed)*r.fixed - offMs
		r.lo, r.hi = k, k+r.fixed
		return k
	}
	t := time.UnixMilli(ms).In(r.loc)
	start := calendarStart(t, r.calendar)
	r.lo, r.hi = start.UnixMilli(), r.next(start.UnixMilli())
	return r.lo
}

func (r *dateRounder) next(key int64) int64 {
	if r.fixed > 0 {
		return key + r.fixed
	}
	t := time.UnixMilli(key).In(r.loc)
	switch r.calendar {
	case 'm':
		return t.Add(time.Minute).UnixMilli()
	case 'h':
		return t.Add(time.Hour).UnixMilli()
	case 'd':
		return t.AddDate(0, 0, 1).UnixMilli()
	case 'w':
		return t.AddDate(0, 0, 7).UnixMilli()
	case 'M':
		return t.AddDate(0, 1, 0).UnixMilli()
	case 'q':
		return t.AddDate(0, 3, 0).UnixMilli()
	}
	return t.AddDate(1, 0, 0).UnixMilli()
}

func calendarStart(t time.Time, unit byte) time.Time {
	if unit == 'q' {
		y, m, _ := t.Date()
		return time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, t.Location())
	}
	return roundDate(t, unit, false)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (c *aggCtx) dateHistogram(a *aggSpec, docs docSet) (map[string]any, error) {
	cols, typ, err := c.columns(a)
	if err != nil {
		return nil, err
	}
	if typ != "" && typ != "date" && typ != "date_nanos" {
		return nil, unsupported("[date_histogram] on field [%s] of type [%s]; only date fields", a.field, typ)
	}
	r := &dateRounder{fixed: a.fixed, calendar: a.calendar, loc: a.loc}
	buckets := map[int64]*histBucket{}
	withDocs := len(a.subs) > 0
	var last *histBucket
	for si, ords := range docs {
		col := cols[si]
		if col == nil {
			continue
		}
		for _, o := range ords {
			lo, hi := col.bounds(o)
			prevKey := int64(math.MinInt64)
			for j := lo; j < hi; j++ {
				key := r.round(millisOf(col.ints[j]))
				if key == prevKey {
					continue
				}
				prevKey = key
				b := last
				if b == nil || b.key != key {
					b = buckets[key]
					if b == nil {
						b = &histBucket{key: key}
						if withDocs {
							b.docs = make(docSet, len(c.shards))
						}
						buckets[key] = b
					}
					last = b
				}
				b.count++
				if withDocs {
					b.docs[si] = append(b.docs[si], o)
				}
			}
		}
	}
	keys := make([]int64, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	if a.minDocCount == 0 {
		lo, hi, ok := int64(0), int64(0), false
		if len(keys) > 0 {
			lo, hi, ok = keys[0], keys[len(keys)-1], true
		}
		for _, b := range []struct {
			v    any
			isLo bool
		}{{a.extMin, true}, {a.extMax, false}} {
			if b.v == nil {
				continue
			}
			t, err := dateFromJSON(b.v, "", a.loc, c.now, false)
			if err != nil {
				return nil, err
			}
			k := r.round(t.UnixMilli())
			switch {
			case !ok:
				lo, hi, ok = k, k, true
			case b.isLo && k < lo:
				lo = k
			case !b.isLo && k > hi:
				hi = k
			}
		}
		if ok {
			keys = keys[:0]
			for k := lo; k <= hi; k = r.next(k) {
				keys = append(keys, k)
				if len(keys) > 65535 {
					return nil, badRequest("too_many_buckets_exception", "Trying to create too many buckets. Must be less than or equal to: [65536].")
				}
			}
		}
	}
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		b := buckets[k]
		if b == nil {
			b = &histBucket{key: k, docs: make(docSet, len(c.shards))}
		}
		if b.count < a.minDocCount {
			continue
		}
		ks, err := formatKey(k, a.loc, a.format)
		if err != nil {
			return nil, err
		}
		entry := map[string]any{"key_as_string": ks, "key": k}
		res, err := c.bucket(a, b.docs, entry)
		if err != nil {
			return nil, err
		}
		res["doc_count"] = b.count
		out = append(out, res)
	}
	return map[string]any{"buckets": out}, nil
}

// formatKey renders a bucket key (ms) in one of the date formats esdev knows.
func formatKey(ms int64, loc *time.Location, format string) (string, error) {
	t := time.UnixMilli(ms).In(loc)
	switch format {
	case "", "strict_date_optional_time", "date_optional_time", "strict_date_time", "date_time":
		return t.Format(esDateLayout), nil
	case "epoch_millis":
		return strconv.FormatInt(ms, 10), nil
	case "epoch_second":
		return strconv.FormatInt(ms/1000, 10), nil
	case "yyyy-MM-dd":
		return t.Format("2006-01-02"), nil
	case "yyyy-MM-dd HH:mm:ss":
		return t.Format("2006-01-02 15:04:05"), nil
	case "yyyy-MM-dd'T'HH:mm:ss":
		return t.Format("2006-01-02T15:04:05"), nil
	case "HH:mm":
		return t.Format("15:04"), nil
	}
	return "", unsupported("date format [%s] for bucket keys", format)
}

func (c *aggCtx) filterDocs(q query, docs docSet) (docSet, error) {
	out := make(docSet, len(docs))
	for si, ords := range docs {
		r, err := q.eval(c.shards[si].ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range ords {
			if r.bits.has(o) {
				out[si] = append(out[si], o)
			}
		}
	}
	return out, nil
}

func (c *aggCtx) filtersAgg(a *aggSpec, docs docSet) (map[string]any, error) {
	keyed := map[string]any{}
	var list []any
	var matched []*bitset
	if a.otherBucket {
		matched = make([]*bitset, len(docs))
		for si := range docs {
			matched[si] = newBitset(c.shards[si].ctx.n)
		}
	}
	for _, f := range a.filters {
		sub, err := c.filterDocs(f.q, docs)
		if err != nil {
			return nil, err
		}
		if matched != nil {
			for si, ords := range sub {
				for _, o := range ords {
					matched[si].set(o)
				}
			}
		}
		b, err := c.bucket(a, sub, map[string]any{})
		if err != nil {
			return nil, err
		}
		if a.keyed {
			keyed[f.name] = b
		} else {
			list = append(list, b)
		}
	}
	if a.otherBucket {
		rest := make(docSet, len(docs))
		for si, ords := range docs {
			for _, o := range ords {
				if !matched[si].has(o) {
					rest[si] = append(rest[si], o)
				}
			}
		}
		b, err := c.bucket(a, rest, map[string]any{})
		if err != nil {
			return nil, err
		}
		if a.keyed {
			keyed[a.otherKey] = b
		} else {
			list = append(list, b)
		}
	}
	if a.keyed {
		return map[string]any{"buckets": keyed}, nil
	}
	if list == nil {
		list = []any{}
	}
	return map[string]any{"buckets": list}, nil
}

// cardinality is exact (Elasticsearch's HyperLogLog is exact below its
// precision threshold, 3000 by default).
func (c *aggCtx) cardinality(a *aggSpec, docs docSet) (map[string]any, error) {
	cols, _, err := c.columns(a)
	if err != nil {
		return nil, err
	}
	seen := map[any]struct{}{}
	for si, ords := range docs {
		col := cols[si]
		if col == nil {
			continue
		}
		if col.kind == kindKeyword || col.kind == kindIP {
			ids := newBitset(uint32(len(col.dict)))
			for _, o := range ords {
				lo, hi := col.bounds(o)
				for j := lo; j < hi; j++ {
					ids.set(col.ids[j])
				}
			}
			ids.forEach(func(id uint32) { seen[col.dict[id]] = struct{}{} })
			continue
		}
		for _, o := range ords {
			lo, hi := col.bounds(o)
			for j := lo; j < hi; j++ {
				if col.kind == kindInt {
					seen[col.ints[j]] = struct{}{}
				} else {
					seen[col.floats[j]] = struct{}{}
				}
			}
		}
	}
	return map[string]any{"value": len(seen)}, nil
}

func (c *aggCtx) metric(a *aggSpec, docs docSet) (map[string]any, error) {
	cols, typ, err := c.columns(a)
	if err != nil {
		return nil, err
	}
	if a.typ != "value_count" && typ != "" {
		if col := firstCol(cols); col != nil && (col.kind == kindKeyword || col.kind == kindIP) {
			return nil, badRequest("illegal_argument_exception", "Field [%s] of type [%s] is not supported for aggregation [%s]", a.field, typ, a.typ)
		}
	}
	isDate := typ == "date" || typ == "date_nanos"
	minV, maxV, sum, n := math.Inf(1), math.Inf(-1), 0.0, 0
	for si, ords := range docs {
		col := cols[si]
		if col == nil {
			continue
		}
		for _, o := range ords {
			if col.kind == kindKeyword || col.kind == kindIP {
				lo, hi := col.bounds(o)
				n += int(hi - lo)
				continue
			}
			col.numeric(o, func(v float64) {
				if isDate {
					v = math.Floor(v / 1e6)
				}
				minV, maxV, sum = math.Min(minV, v), math.Max(maxV, v), sum+v
				n++
			})
		}
	}
	var value any
	switch a.typ {
	case "min":
		if n > 0 {
			value = minV
		}
	case "max":
		if n > 0 {
			value = maxV
		}
	case "avg":
		if n > 0 {
			value = sum / float64(n)
		}
	case "sum":
		value = sum
	case "value_count":
		return map[string]any{"value": n}, nil
	}
	out := map[string]any{"value": value}
	if isDate && value != nil && (a.typ == "min" || a.typ == "max") {
		out["value_as_string"] = formatDate(int64(value.(float64))*1e6, time.UTC)
	}
	return out, nil
}

func firstCol(cols []*column) *column {
	for _, c := range cols {
		if c != nil {
			return c
		}
	}
	return nil
}
