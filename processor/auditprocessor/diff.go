package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
	"github.com/auditpipe/auditpipe/semconv"
)

// rootPath names a change of the whole value: two scalars, two non-JSON
// strings, or values of different JSON types.
const rootPath = "$"

// truncatedKey is added to audit.change.diff with the number of changes left
// out by the size limits. Object keys that are not plain identifiers are
// written as ["key"], so no change path can collide with it.
const truncatedKey = "$truncated"

// changeValue is audit.change.old or audit.change.new, parsed once and shared
// by redaction (which edits parsed) and the diff.
type changeValue struct {
	present bool
	text    string
	isJSON  bool
	// parsed is the JSON value, or the text as a string when it is not JSON.
	parsed jsonValue
}

func readChange(attrs pcommon.Map, key string, parser *jsonParser) changeValue {
	v, ok := attrs.Get(key)
	if !ok {
		return changeValue{}
	}
	cv := changeValue{present: true, text: v.AsString()}
	if looksLikeJSON(cv.text) {
		cv.parsed, cv.isJSON = parser.parse(cv.text)
	}
	if !cv.isJSON {
		cv.parsed = jsonValue{kind: jsonString, text: cv.text}
	}
	return cv
}

// looksLikeJSON rejects most plain text without running the decoder.
func looksLikeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '{' || c == '[' || c == '"' || c == '-' || isDigit(c):
			return true
		case c == 't' || c == 'f' || c == 'n':
			return s == "true" || s == "false" || s == "null"
		default:
			return false
		}
	}
	return false
}

type differ struct {
	maxFields int
	maxBytes  int
	// walks are *diffWalk, kept so their change lists are reused.
	walks sync.Pool
}

// change is one difference; a side where the path is absent is null.
type change struct {
	path     string
	old, new jsonValue
}

// diff returns the changed paths and the compact diff JSON
// {"path":[old,new],...}; ok is false when there is nothing to report.
func (d *differ) diff(oldV, newV changeValue) (fields []string, diffJSON string, ok bool) {
	if !oldV.present && !newV.present {
		return nil, "", false
	}
	// A missing side of an object counts as an empty object, so a create or
	// delete lists the fields it set or removed; otherwise it is null.
	o, n := oldV.parsed, newV.parsed
	if !oldV.present {
		o = jsonValue{kind: missingKind(&n)}
	}
	if !newV.present {
		n = jsonValue{kind: missingKind(&o)}
	}
	w, _ := d.walks.Get().(*diffWalk)
	if w == nil {
		w = &diffWalk{}
	}
	defer func() {
		clear(w.changes) // they point into this event's values
		w.changes = w.changes[:0]
		d.walks.Put(w)
	}()
	// One more than the limit tells whether anything was left out.
	w.limit = d.maxFields + 1
	w.walk("", &o, &n)
	if len(w.changes) == 0 {
		return nil, "", false
	}
	truncated := len(w.changes) > d.maxFields
	changes := w.changes[:min(len(w.changes), d.maxFields)]
	fields = make([]string, len(changes))
	for i, c := range changes {
		fields[i] = c.path
	}
	return fields, d.encode(changes, truncated), true
}

func missingKind(other *jsonValue) jsonKind {
	if other.kind == jsonObject {
		return jsonObject
	}
	return jsonNull
}

// diffWalk collects the differences between two values, up to limit.
type diffWalk struct {
	changes []change
	limit   int
}

// walk reports every difference between a and b under path (nil: absent);
// it returns false once the limit is reached.
func (w *diffWalk) walk(path string, a, b *jsonValue) bool {
	if a != nil && b != nil {
		switch {
		case a.kind == jsonObject && b.kind == jsonObject:
			return w.objects(path, a.members, b.members)
		case a.kind == jsonArray && b.kind == jsonArray:
			return w.arrays(path, a.members, b.members)
		case scalarEqual(a, b):
			return true
		}
	}
	if path == "" {
		path = rootPath
	}
	c := change{path: path}
	if a != nil {
		c.old = *a
	}
	if b != nil {
		c.new = *b
	}
	w.changes = append(w.changes, c)
	return len(w.changes) < w.limit
}

// objects merges two key-sorted member lists.
func (w *diffWalk) objects(path string, a, b []jsonMember) bool {
	for i, j := 0, 0; i < len(a) || j < len(b); {
		var av, bv *jsonValue
		var key string
		switch {
		case j == len(b) || (i < len(a) && a[i].key < b[j].key):
			key, av = a[i].key, &a[i].value
			i++
		case i == len(a) || b[j].key < a[i].key:
			key, bv = b[j].key, &b[j].value
			j++
		default:
			key, av, bv = a[i].key, &a[i].value, &b[j].value
			i++
			j++
		}
		if !w.walk(childPath(path, key), av, bv) {
			return false
		}
	}
	return true
}

func (w *diffWalk) arrays(path string, a, b []jsonMember) bool {
	for i := 0; i < max(len(a), len(b)); i++ {
		var av, bv *jsonValue
		if i < len(a) {
			av = &a[i].value
		}
		if i < len(b) {
			bv = &b[i].value
		}
		if !w.walk(indexPath(path, i), av, bv) {
			return false
		}
	}
	return true
}

// childPath writes a.b for identifier keys and a["x.y"] for the rest, so a
// path reads back unambiguously.
func childPath(parent, key string) string {
	if isPlainKey(key) {
		if parent == "" {
			return key
		}
		return parent + "." + key
	}
	return parent + "[" + string(jsonstr.Append(nil, key)) + "]"
}

// isPlainKey matches ^[A-Za-z_][A-Za-z0-9_-]*$.
func isPlainKey(key string) bool {
	if key == "" || isDigit(key[0]) || key[0] == '-' {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !isWordByte(c) && c != '-' {
			return false
		}
	}
	return true
}

// indexPath is the path of element i of the array at path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// scalarEqual compares JSON scalars; numbers compare by value so that 1 and
// 1.0 are not a change.
func scalarEqual(a, b *jsonValue) bool {
	if a.isContainer() || b.isContainer() || a.kind != b.kind {
		return false
	}
	if a.text == b.text {
		return true
	}
	if a.kind != jsonNumber {
		return false
	}
	af, errA := strconv.ParseFloat(a.text, 64)
	bf, errB := strconv.ParseFloat(b.text, 64)
	return errA == nil && errB == nil && af == bf
}

// encode writes {"path":[old,new],...} while it fits maxBytes and adds
// "$truncated":true when changes were left out by either limit.
func (d *differ) encode(changes []change, truncated bool) string {
	// Keep room for the truncation marker and the closing brace.
	budget := d.maxBytes - len(`,"`+truncatedKey+`":true}`)
	buf := make([]byte, 1, 256)
	buf[0] = '{'
	written := 0
	for _, c := range changes {
		entryStart := len(buf)
		if written > 0 {
			buf = append(buf, ',')
		}
		buf = jsonstr.Append(buf, c.path)
		buf = append(buf, ':', '[')
		buf = appendJSON(buf, &c.old)
		buf = append(buf, ',')
		buf = appendJSON(buf, &c.new)
		buf = append(buf, ']')
		if len(buf) > budget {
			buf = buf[:entryStart]
			truncated = true
			break
		}
		written++
	}
	if truncated {
		if written > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `"`+truncatedKey+`":true`...)
	}
	buf = append(buf, '}')
	return string(buf)
}

// writeDiff stores the diff of the (already redacted) change values.
func (d *differ) writeDiff(attrs pcommon.Map, oldV, newV changeValue) {
	fields, diffJSON, ok := d.diff(oldV, newV)
	if !ok {
		return
	}
	s := attrs.PutEmptySlice(semconv.AttrChangeFields)
	s.EnsureCapacity(len(fields))
	for _, f := range fields {
		s.AppendEmpty().SetStr(f)
	}
	attrs.PutStr(semconv.AttrChangeDiff, diffJSON)
}
