package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

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
	parsed  any
}

func readChange(attrs pcommon.Map, key string) changeValue {
	v, ok := attrs.Get(key)
	if !ok {
		return changeValue{}
	}
	cv := changeValue{present: true, text: v.AsString()}
	if looksLikeJSON(cv.text) {
		dec := json.NewDecoder(bytes.NewReader([]byte(cv.text)))
		dec.UseNumber()
		if err := dec.Decode(&cv.parsed); err == nil && !dec.More() {
			cv.isJSON = true
		} else {
			cv.parsed = nil
		}
	}
	return cv
}

// looksLikeJSON rejects most plain text without running the decoder.
func looksLikeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '{' || c == '[' || c == '"' || c == '-' || ('0' <= c && c <= '9'):
			return true
		case c == 't' || c == 'f' || c == 'n':
			return s == "true" || s == "false" || s == "null"
		default:
			return false
		}
	}
	return false
}

// value is what the diff compares: the parsed JSON, or the raw text.
func (cv changeValue) value() any {
	if cv.isJSON {
		return cv.parsed
	}
	return cv.text
}

type differ struct {
	maxFields int
	maxBytes  int
}

type change struct {
	path     string
	old, new any
}

// diff returns the changed paths and the compact diff JSON
// {"path":[old,new],...}; ok is false when there is nothing to report.
func (d differ) diff(oldV, newV changeValue) (fields []string, diffJSON string, ok bool) {
	if !oldV.present && !newV.present {
		return nil, "", false
	}
	var changes []change
	// One more than the limit tells whether anything was left out.
	limit := d.maxFields + 1
	emit := func(path string, o, n any) bool {
		if path == "" {
			path = rootPath
		}
		changes = append(changes, change{path, o, n})
		return len(changes) < limit
	}
	o, n := oldV.value(), newV.value()
	// A missing side of an object counts as an empty object, so a create or
	// delete lists the fields it set or removed.
	if !oldV.present {
		if _, isObj := n.(map[string]any); isObj {
			o = map[string]any{}
		} else {
			o = nil
		}
	}
	if !newV.present {
		if _, isObj := o.(map[string]any); isObj {
			n = map[string]any{}
		} else {
			n = nil
		}
	}
	walkDiff("", o, n, true, true, emit)
	if len(changes) == 0 {
		return nil, "", false
	}
	truncated := len(changes) > d.maxFields
	if truncated {
		changes = changes[:d.maxFields]
	}
	fields = make([]string, len(changes))
	for i, c := range changes {
		fields[i] = c.path
	}
	return fields, d.encode(changes, truncated), true
}

// walkDiff reports every difference between a and b under path; it stops
// when emit returns false.
func walkDiff(path string, a, b any, aOK, bOK bool, emit func(string, any, any) bool) bool {
	if aOK && bOK {
		switch av := a.(type) {
		case map[string]any:
			if bv, ok := b.(map[string]any); ok {
				return walkObjects(path, av, bv, emit)
			}
		case []any:
			if bv, ok := b.([]any); ok {
				return walkArrays(path, av, bv, emit)
			}
		}
		if scalarEqual(a, b) {
			return true
		}
	}
	if !aOK {
		a = nil
	}
	if !bOK {
		b = nil
	}
	return emit(path, a, b)
}

func walkObjects(path string, a, b map[string]any, emit func(string, any, any) bool) bool {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		av, aOK := a[k]
		bv, bOK := b[k]
		if !walkDiff(childPath(path, k), av, bv, aOK, bOK, emit) {
			return false
		}
	}
	return true
}

func walkArrays(path string, a, b []any, emit func(string, any, any) bool) bool {
	for i := 0; i < max(len(a), len(b)); i++ {
		var av, bv any
		if i < len(a) {
			av = a[i]
		}
		if i < len(b) {
			bv = b[i]
		}
		if !walkDiff(indexPath(path, i), av, bv, i < len(a), i < len(b), emit) {
			return false
		}
	}
	return true
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// childPath writes a.b for identifier keys and a["x.y"] for the rest, so a
// path reads back unambiguously.
func childPath(parent, key string) string {
	if plainKey.MatchString(key) {
		if parent == "" {
			return key
		}
		return parent + "." + key
	}
	quoted, _ := json.Marshal(key)
	return parent + "[" + string(quoted) + "]"
}

// indexPath is the path of element i of the array at path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// jsonEncoder writes JSON without HTML escaping (<, >, & stay readable).
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// scalarEqual compares JSON scalars; numbers compare by value so that 1 and
// 1.0 are not a change.
func scalarEqual(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		if an == bn {
			return true
		}
		af, errA := an.Float64()
		bf, errB := bn.Float64()
		return errA == nil && errB == nil && af == bf
	}
	switch a.(type) {
	case map[string]any, []any:
		return false
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	return a == b
}

// encode writes {"path":[old,new],...} while it fits maxBytes and adds
// "$truncated":true when changes were left out by either limit.
func (d differ) encode(changes []change, truncated bool) string {
	var buf bytes.Buffer
	buf.WriteByte('{')
	// Keep room for the truncation marker and the closing brace.
	budget := d.maxBytes - len(`,"`+truncatedKey+`":true}`)
	entry := &bytes.Buffer{}
	enc := jsonEncoder(entry)
	written := 0
	for _, c := range changes {
		entry.Reset()
		if written > 0 {
			entry.WriteByte(',')
		}
		_ = enc.Encode(c.path)
		trimNewline(entry)
		entry.WriteString(":[")
		_ = enc.Encode(c.old)
		trimNewline(entry)
		entry.WriteByte(',')
		_ = enc.Encode(c.new)
		trimNewline(entry)
		entry.WriteByte(']')
		if buf.Len()+entry.Len() > budget {
			truncated = true
			break
		}
		buf.Write(entry.Bytes())
		written++
	}
	if truncated {
		if written > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`"` + truncatedKey + `":true`)
	}
	buf.WriteByte('}')
	return buf.String()
}

func trimNewline(b *bytes.Buffer) {
	if n := b.Len(); n > 0 && b.Bytes()[n-1] == '\n' {
		b.Truncate(n - 1)
	}
}

// writeDiff stores the diff of the (already redacted) change values.
func (d differ) writeDiff(attrs pcommon.Map, oldV, newV changeValue) {
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
