package esdev

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fieldValue is one indexed value of one field of a document.
type fieldValue struct {
	path  string
	ftype string
	s     string
	i     int64
	f     float64
}

// parsedDoc is a document validated against the mapping, not yet applied.
type parsedDoc struct {
	values    []fieldValue
	newFields map[string]*fieldMapping // dynamic mapping additions
	newObjs   map[string]*fieldMapping
}

type docParser struct {
	ix  *index
	id  string
	doc *parsedDoc
	js  jsonParser
}

func docParsingError(format string, args ...any) *esError {
	return badRequest("document_parsing_exception", format, args...)
}

func preview(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, k+"="+preview(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// parseSource validates src against the index mapping (applying dynamic
// mapping rules) and extracts the values to index. It walks the JSON text
// directly: building a map per object dominated bulk indexing.
func (ix *index) parseSource(id string, src []byte) (*parsedDoc, error) {
	p := &docParser{ix: ix, id: id, doc: &parsedDoc{values: make([]fieldValue, 0, 48)}, js: jsonParser{b: src}}
	dyn := ix.mapping.Dynamic
	if dyn == "" {
		dyn = "true"
	}
	p.js.ws()
	if p.js.i >= len(src) || src[p.js.i] != '{' {
		return nil, p.malformed()
	}
	if err := p.streamObject("", dyn, 0); err != nil {
		return nil, err
	}
	p.js.ws()
	if p.js.i != len(src) {
		return nil, p.malformed()
	}
	return p.doc, nil
}

func (p *docParser) malformed() error {
	return docParsingError("failed to parse: document with id '%s' is not a valid JSON object", p.id)
}

// streamObject walks the object starting at the parser position.
func (p *docParser) streamObject(prefix, dyn string, depth int) error {
	js := &p.js
	if depth > maxJSONDepth {
		return p.malformed()
	}
	js.i++ // '{'
	js.ws()
	if js.i < len(js.b) && js.b[js.i] == '}' {
		js.i++
		return nil
	}
	for {
		js.ws()
		path, err := p.fieldPath(prefix)
		if err != nil {
			return err
		}
		js.ws()
		if js.i >= len(js.b) || js.b[js.i] != ':' {
			return p.malformed()
		}
		js.i++
		if err := p.streamValue(path, dyn, depth+1); err != nil {
			return err
		}
		js.ws()
		if js.i >= len(js.b) {
			return p.malformed()
		}
		switch js.b[js.i] {
		case ',':
			js.i++
		case '}':
			js.i++
			return nil
		default:
			return p.malformed()
		}
	}
}

// fieldPath reads an object key and returns prefix+key. Keys repeat from
// document to document, so the path usually comes from the index's cache
// without allocating.
func (p *docParser) fieldPath(prefix string) (string, error) {
	js := &p.js
	start := js.i
	raw, escaped, err := js.rawStr()
	if err != nil {
		return "", p.malformed()
	}
	if len(raw) == 0 {
		return "", docParsingError("field name cannot be an empty string (document with id '%s')", p.id)
	}
	if !escaped {
		if path, ok := p.ix.cachedPath(prefix, raw); ok {
			return path, nil
		}
		if !utf8.Valid(raw) {
			return "", p.malformed()
		}
		return p.ix.joinPath(prefix, string(raw)), nil
	}
	k, err := unescape(js.b[start:js.i])
	if err != nil {
		return "", p.malformed()
	}
	if k == "" {
		return "", docParsingError("field name cannot be an empty string (document with id '%s')", p.id)
	}
	return p.ix.joinPath(prefix, k), nil
}

func (p *docParser) streamValue(path, dyn string, depth int) error {
	js := &p.js
	js.ws()
	if js.i >= len(js.b) {
		return p.malformed()
	}
	switch js.b[js.i] {
	case '[':
		js.i++
		js.ws()
		if js.i < len(js.b) && js.b[js.i] == ']' {
			js.i++
			return nil
		}
		for {
			if err := p.streamValue(path, dyn, depth+1); err != nil {
				return err
			}
			js.ws()
			if js.i >= len(js.b) {
				return p.malformed()
			}
			switch js.b[js.i] {
			case ',':
				js.i++
			case ']':
				js.i++
				return nil
			default:
				return p.malformed()
			}
		}
	case '{':
		if p.leaf(path) == nil {
			if o := p.obj(path); o != nil && (o.Enabled == nil || *o.Enabled) {
				if o.Dynamic != "" {
					dyn = o.Dynamic
				}
				return p.streamObject(path+".", dyn, depth)
			}
			if p.obj(path) == nil && dyn == "true" {
				if p.doc.newFields == nil {
					p.doc.newFields = map[string]*fieldMapping{}
					p.doc.newObjs = map[string]*fieldMapping{}
				}
				p.doc.newObjs[path] = &fieldMapping{Type: "object", Properties: map[string]*fieldMapping{}}
				return p.streamObject(path+".", dyn, depth)
			}
		}
	}
	// Scalars, and objects that are not walked field by field (flattened,
	// a mapping error, a disabled or ignored object), are decoded whole.
	v, err := js.value(depth)
	if err != nil {
		return p.malformed()
	}
	return p.value(path, v, dyn)
}

func (p *docParser) leaf(path string) *fieldMapping {
	if f := p.ix.leaves[path]; f != nil {
		return f
	}
	return p.doc.newFields[path]
}

func (p *docParser) obj(path string) *fieldMapping {
	if f := p.ix.objects[path]; f != nil {
		return f
	}
	return p.doc.newObjs[path]
}

func (p *docParser) object(obj map[string]any, prefix, dyn string) error {
	for k, v := range obj {
		if k == "" {
			return docParsingError("field name cannot be an empty string (document with id '%s')", p.id)
		}
		if err := p.value(p.ix.joinPath(prefix, k), v, dyn); err != nil {
			return err
		}
	}
	return nil
}

func (p *docParser) value(path string, v any, dyn string) error {
	if v == nil {
		return nil
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if err := p.value(path, e, dyn); err != nil {
				return err
			}
		}
		return nil
	}
	if f := p.leaf(path); f != nil {
		return p.convert(path, f, v)
	}
	if o := p.obj(path); o != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return docParsingError("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, path)
		}
		if o.Enabled != nil && !*o.Enabled {
			return nil
		}
		if o.Dynamic != "" {
			dyn = o.Dynamic
		}
		return p.object(m, path+".", dyn)
	}
	// A dotted key ("a.b") under a mapped object is handled by the full-path
	// lookups above; what is left is genuinely unmapped.
	switch dyn {
	case "false":
		return nil
	case "strict":
		parent, name := "_doc", path
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			parent, name = path[:i], path[i+1:]
		}
		return badRequest("strict_dynamic_mapping_exception",
			"[1:1] mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", name, parent)
	}
	detect := p.ix.mapping.DateDetection == nil || *p.ix.mapping.DateDetection
	f := dynamicFieldFor(v, detect)
	if f == nil {
		return nil
	}
	if p.doc.newFields == nil {
		p.doc.newFields = map[string]*fieldMapping{}
		p.doc.newObjs = map[string]*fieldMapping{}
	}
	if f.Type == "object" {
		p.doc.newObjs[path] = f
		return p.object(v.(map[string]any), path+".", dyn)
	}
	p.doc.newFields[path] = f
	for sub, sf := range f.Fields {
		p.doc.newFields[path+"."+sub] = sf
	}
	return p.convert(path, f, v)
}

func (p *docParser) fail(path, ftype string, v any) error {
	return docParsingError("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		path, ftype, p.id, preview(v))
}

func (p *docParser) add(fv fieldValue) { p.doc.values = append(p.doc.values, fv) }

func (p *docParser) convert(path string, f *fieldMapping, v any) error {
	if _, isObj := v.(map[string]any); isObj && f.Type != "flattened" {
		return p.fail(path, f.Type, v)
	}
	if f.params["index"] == false && f.params["doc_values"] == false {
		return nil // kept in _source only, as Elasticsearch does
	}
	switch f.Type {
	case "keyword", "wildcard", "constant_keyword":
		s := scalarString(v)
		if f.IgnoreAbove > 0 && utf8.RuneCountInString(s) > f.IgnoreAbove {
			return nil
		}
		p.add(fieldValue{path: path, ftype: f.Type, s: s})
	case "text", "match_only_text":
		p.add(fieldValue{path: path, ftype: "text", s: scalarString(v)})
	case "ip":
		s, ok := v.(string)
		if !ok {
			return p.fail(path, f.Type, v)
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p.fail(path, f.Type, v)
		}
		p.add(fieldValue{path: path, ftype: "ip", s: a.Unmap().String()})
	case "date", "date_nanos":
		ns, ok := p.dateValue(f, v)
		if !ok {
			return p.fail(path, f.Type, v)
		}
		p.add(fieldValue{path: path, ftype: f.Type, i: ns})
	case "long", "integer", "short", "byte":
		n, ok := integerValue(v, f.Type)
		if !ok {
			return p.fail(path, f.Type, v)
		}
		p.add(fieldValue{path: path, ftype: f.Type, i: n})
	case "double", "float", "half_float":
		x, ok := floatValue(v)
		if !ok {
			return p.fail(path, f.Type, v)
		}
		p.add(fieldValue{path: path, ftype: f.Type, f: x})
	case "boolean":
		b, ok := boolValue(v)
		if !ok {
			return p.fail(path, f.Type, v)
		}
		p.add(fieldValue{path: path, ftype: "boolean", i: b})
	case "flattened":
		p.flatten(path, path, v, f.IgnoreAbove)
		return nil
	}
	for sub, sf := range f.Fields {
		if err := p.convert(path+"."+sub, sf, v); err != nil {
			return err
		}
	}
	return nil
}

// flatten indexes every leaf of a flattened object twice, as Elasticsearch
// does: under the root field (any-leaf search) and under root.key.path.
func (p *docParser) flatten(root, path string, v any, ignoreAbove int) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			p.flatten(root, path+"."+k, e, ignoreAbove)
		}
	case []any:
		for _, e := range x {
			p.flatten(root, path, e, ignoreAbove)
		}
	default:
		s := scalarString(x)
		if ignoreAbove > 0 && utf8.RuneCountInString(s) > ignoreAbove {
			return
		}
		p.add(fieldValue{path: root, ftype: "flattened", s: s})
		if path != root {
			p.add(fieldValue{path: path, ftype: "flattened", s: s})
		}
	}
}

func (p *docParser) dateValue(f *fieldMapping, v any) (int64, bool) {
	var ns int64
	switch x := v.(type) {
	case string:
		t, err := parseDateFormat(x, f.Format, nil)
		if err != nil {
			return 0, false
		}
		ns = t.UnixNano()
	case json.Number:
		ms, err := x.Float64()
		if err != nil {
			return 0, false
		}
		ns = int64(ms * 1e6)
	default:
		return 0, false
	}
	if f.Type == "date" {
		// The date type has millisecond resolution in Elasticsearch; keeping
		// nanoseconds would make range bounds behave differently.
		ns = millisOf(ns) * 1e6
	}
	return ns, true
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

var intRanges = map[string][2]int64{
	"long": {math.MinInt64, math.MaxInt64}, "integer": {math.MinInt32, math.MaxInt32},
	"short": {math.MinInt16, math.MaxInt16}, "byte": {math.MinInt8, math.MaxInt8},
}

func integerValue(v any, typ string) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x // Elasticsearch coerces numeric strings by default
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsInf(f, 0) || math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
			return 0, false
		}
		n = int64(f)
	}
	r := intRanges[typ]
	return n, n >= r[0] && n <= r[1]
}

func floatValue(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

func boolValue(v any) (int64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		switch x {
		case "true":
			return 1, true
		case "false", "":
			return 0, true
		}
	}
	return 0, false
}
