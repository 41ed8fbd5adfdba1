package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"slices"
	"strconv"

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
}

// change is one difference; a side where the path is absent is null.
type change struct {
	path     string
	old, new jsonValue
}

// writeDiff stores the changed paths of the (already redacted) change values
// as audit.change.fields and the compact diff {"path":[old,new],...} as
// audit.change.diff; it writes neither when there is nothing to report.
// secrets are the redacted values that changed: reported by path, with
// [REDACTED] for their values, since redaction left nothing to compare.
func (d *differ) writeDiff(attrs pcommon.Map, oldV, newV changeValue, secrets []secretChange, s *scratch) {
	w := &s.walk
	defer w.reset()
	d.walk(w, oldV, newV)
	w.addSecrets(secrets)
	if len(w.changes) == 0 {
		return
	}
	truncated := len(w.changes) > d.maxFields
	changes := w.changes[:min(len(w.changes), d.maxFields)]
	fields := attrs.PutEmptySlice(semconv.AttrChangeFields)
	fields.EnsureCapacity(len(changes))
	for _, c := range changes {
		fields.AppendEmpty().SetStr(c.path)
	}
	s.buf = d.encode(s.buf[:0], changes, truncated)
	attrs.PutStr(semconv.AttrChangeDiff, string(s.buf))
}

// walk collects into w the differences between the two values, up to one
// more than maxFields (which tells whether anything was left out).
func (d *differ) walk(w *diffWalk, oldV, newV changeValue) {
	w.limit = d.maxFields + 1
	if !oldV.present && !newV.present {
		return
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
	w.walk("", &o, &n)
}

func missingKind(other *jsonValue) jsonKind {
	if other.kind == jsonObject {
		return jsonObject
	}
	return jsonNull
}

// diffWalk collects the differences between two values, up to limit. Its
// change list is reused from record to record.
type diffWalk struct {
	changes []change
	limit   int
}

// addSecrets adds the changed secrets the walk did not see (a dropped
// member is on neither side), up to the limit.
func (w *diffWalk) addSecrets(secrets []secretChange) {
	redacted := jsonValue{kind: jsonString, text: redactedText}
	for _, sc := range secrets {
		if len(w.changes) >= w.limit {
			return
		}
		if slices.ContainsFunc(w.changes, func(c change) bool { return c.path == sc.path }) {
			continue
		}
		c := change{path: sc.path}
		if sc.inOld {
			c.old = redacted
		}
		if sc.inNew {
			c.new = redacted
		}
		w.changes = append(w.changes, c)
	}
}

func (w *diffWalk) reset() {
	clear(w.changes) // they point into this record's values
	w.changes = w.changes[:0]
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

// encode appends {"path":[old,new],...} to buf while it fits maxBytes, and
// "$truncated":true when changes were left out by either limit.
func (d *differ) encode(buf []byte, changes []change, truncated bool) []byte {
	// Keep room for the truncation marker and the closing brace.
	budget := d.maxBytes - len(`,"`+truncatedKey+`":true}`)
	buf = append(buf, '{')
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
	return append(buf, '}')
}
