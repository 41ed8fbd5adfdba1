package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
)

// jsonValue is a parsed audit.change.old or .new. Decoding these with
// encoding/json into map[string]any was the processor's largest cost; this
// tree costs one allocation per object or array. fastjson was considered: it
// accepts numbers such as 1-2 and NaN, and writes strings with Go escapes,
// neither of which is JSON.
//
// Object members are sorted by key and a repeated key keeps its last value,
// as encoding/json's maps did, so the diff merges two objects in one pass and
// a redacted value is written back with sorted keys.
type jsonValue struct {
	kind jsonKind
	// text is a number's literal as written, or a string's unescaped value.
	text string
	// members of an object, or elements of an array (with empty keys).
	members []jsonMember
}

type jsonMember struct {
	key   string
	value jsonValue
}

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonFalse
	jsonTrue
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (v *jsonValue) isContainer() bool { return v.kind == jsonArray || v.kind == jsonObject }

// maxJSONDepth bounds the nesting a change value may have and still be
// treated as JSON (deeper ones stay text), so parsing cannot exhaust the stack.
const maxJSONDepth = 512

// jsonParser parses change values. It keeps its memory from record to
// record, so a parser reused by one goroutine parses without allocating.
type jsonParser struct {
	s     string
	i     int
	depth int
	// stack holds the members of the open objects and arrays.
	stack []jsonMember
	// arena holds the members of the closed ones, for the values parsed
	// since the last reset.
	arena []jsonMember
}

// reset lets the parser reuse the memory of the values it parsed before,
// which must no longer be used.
func (p *jsonParser) reset() {
	clear(p.arena) // they point into the previous record's strings
	p.arena = p.arena[:0]
}

// parse parses s as exactly one JSON value (RFC 8259), surrounding
// whitespace allowed. Strings without escapes share s's memory.
func (p *jsonParser) parse(s string) (jsonValue, bool) {
	p.s, p.i, p.depth = s, 0, 0
	p.skipSpace()
	v, ok := p.value()
	p.skipSpace()
	ok = ok && p.i == len(s)
	// A failed parse leaves members behind; they must not keep s alive.
	clear(p.stack)
	p.stack = p.stack[:0]
	p.s = ""
	if !ok {
		return jsonValue{}, false
	}
	return v, true
}

func (p *jsonParser) value() (jsonValue, bool) {
	if p.i >= len(p.s) {
		return jsonValue{}, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.container('}', jsonObject)
	case c == '[':
		return p.container(']', jsonArray)
	case c == '"':
		s, ok := p.str()
		return jsonValue{kind: jsonString, text: s}, ok
	case c == '-' || isDigit(c):
		return p.number()
	case p.literal("null"):
		return jsonValue{kind: jsonNull}, true
	case p.literal("true"):
		return jsonValue{kind: jsonTrue}, true
	case p.literal("false"):
		return jsonValue{kind: jsonFalse}, true
	}
	return jsonValue{}, false
}

func (p *jsonParser) literal(lit string) bool {
	if strings.HasPrefix(p.s[p.i:], lit) {
		p.i += len(lit)
		return true
	}
	return false
}

// container parses an object or an array, whose opening byte is at p.i.
func (p *jsonParser) container(closing byte, kind jsonKind) (jsonValue, bool) {
	if p.depth++; p.depth > maxJSONDepth {
		return jsonValue{}, false
	}
	p.i++
	base := len(p.stack)
	p.skipSpace()
	if !p.consume(closing) {
		for {
			// The member is filled in place: the stack may grow while its
			// value is parsed, so it is addressed by index.
			at := len(p.stack)
			p.stack = append(p.stack, jsonMember{})
			if kind == jsonObject {
				key, ok := p.key()
				if !ok {
					return jsonValue{}, false
				}
				p.stack[at].key = key
			}
			v, ok := p.value()
			if !ok {
				return jsonValue{}, false
			}
			p.stack[at].value = v
			p.skipSpace()
			if p.consume(closing) {
				break
			}
			if !p.consume(',') {
				return jsonValue{}, false
			}
			p.skipSpace()
		}
	}
	p.depth--
	v := jsonValue{kind: kind}
	if n := len(p.stack) - base; n > 0 {
		start := len(p.arena)
		p.arena = append(p.arena, p.stack[base:]...)
		// Capped, so that nothing appended later can write over it. When
		// arena grows, values closed before keep the old array.
		v.members = p.arena[start : start+n : start+n]
		clear(p.stack[base:])
		p.stack = p.stack[:base]
	}
	if kind == jsonObject {
		v.members = sortMembers(v.members)
	}
	return v, true
}

// key parses `"key":` in an object.
func (p *jsonParser) key() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	key, ok := p.str()
	p.skipSpace()
	if !ok || !p.consume(':') {
		return "", false
	}
	p.skipSpace()
	return key, true
}

// sortMembers orders an object's members by key and keeps the last of each
// repeated key.
func sortMembers(ms []jsonMember) []jsonMember {
	if len(ms) <= 12 {
		// Insertion sort: most objects are small, and this is several
		// times cheaper than the generic stable sort for them.
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && ms[j].key < ms[j-1].key; j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	} else {
		slices.SortStableFunc(ms, func(a, b jsonMember) int { return cmp.Compare(a.key, b.key) })
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].key == ms[i-1].key {
			return lastOfEachKey(ms)
		}
	}
	return ms
}

// lastOfEachKey drops all but the last of adjacent members with one key.
// Only objects with a repeated key get here: rewriting every member costs
// a write barrier per pointer while the GC marks.
func lastOfEachKey(ms []jsonMember) []jsonMember {
	out := ms[:0]
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		out = append(out, m)
	}
	return out
}

// str parses a string whose opening quote is at p.i.
func (p *jsonParser) str() (string, bool) {
	p.i++
	start := p.i
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], true
		case c == '\\' || c >= utf8.RuneSelf:
			return p.escapedStr(start)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// escapedStr finishes a string that holds escapes or non-ASCII bytes; the
// rare case, left to encoding/json for its exact rules (surrogate pairs,
// invalid UTF-8 read as U+FFFD).
func (p *jsonParser) escapedStr(start int) (string, bool) {
	escaped := false
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '\\':
			escaped = true
			p.i++
		case c == '"':
			p.i++
			raw := p.s[start : p.i-1]
			if !escaped && utf8.ValidString(raw) {
				return raw, true
			}
			var out string
			err := json.Unmarshal([]byte(p.s[start-1:p.i]), &out)
			return out, err == nil
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// number parses -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (jsonValue, bool) {
	start := p.i
	p.consume('-')
	if !p.consume('0') && p.digits() == 0 {
		return jsonValue{}, false
	}
	if p.consume('.') && p.digits() == 0 {
		return jsonValue{}, false
	}
	if p.consume('e') || p.consume('E') {
		if !p.consume('+') {
			p.consume('-')
		}
		if p.digits() == 0 {
			return jsonValue{}, false
		}
	}
	return jsonValue{kind: jsonNumber, text: p.s[start:p.i]}, true
}

func (p *jsonParser) digits() int {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	return p.i - start
}

func (p *jsonParser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// sameJSON reports whether a and b are the same JSON value, numbers
// compared by value as the diff compares them.
func sameJSON(a, b *jsonValue) bool {
	if !a.isContainer() || !b.isContainer() {
		return scalarEqual(a, b)
	}
	if a.kind != b.kind || len(a.members) != len(b.members) {
		return false
	}
	for i := range a.members {
		if a.members[i].key != b.members[i].key || !sameJSON(&a.members[i].value, &b.members[i].value) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// appendJSON writes v as compact JSON.
func appendJSON(b []byte, v *jsonValue) []byte {
	switch v.kind {
	case jsonFalse:
		return append(b, "false"...)
	case jsonTrue:
		return append(b, "true"...)
	case jsonNumber:
		return append(b, v.text...)
	case jsonString:
		return jsonstr.Append(b, v.text)
	case jsonArray, jsonObject:
		open, closing := byte('['), byte(']')
		if v.kind == jsonObject {
			open, closing = '{', '}'
		}
		b = append(b, open)
		for i := range v.members {
			if i > 0 {
				b = append(b, ',')
			}
			if v.kind == jsonObject {
				b = jsonstr.Append(b, v.members[i].key)
				b = append(b, ':')
			}
			b = appendJSON(b, &v.members[i].value)
		}
		return append(b, closing)
	}
	return append(b, "null"...)
}
