package esdev

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// jsonParser is a reflection-free JSON reader. Document parsing dominates
// bulk indexing, and walking the text directly (see parseSource) is several
// times faster than decoding into maps with encoding/json. value decodes into
// the same shapes as encoding/json with UseNumber.
var errJSON = errors.New("malformed JSON")

const maxJSONDepth = 200

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errJSON
	}
	p.ws()
	if p.i >= len(p.b) {
		return nil, errJSON
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		m := make(map[string]any, 4)
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return m, nil
		}
		for {
			p.ws()
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			p.ws()
			if p.i >= len(p.b) {
				return nil, errJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == '}' {
				p.i++
				return m, nil
			}
			return nil, errJSON
		}
	case c == '[':
		p.i++
		arr := []any{}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.ws()
			if p.i >= len(p.b) {
				return nil, errJSON
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, errJSON
		}
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	default:
		return p.num()
	}
}

func (p *jsonParser) lit(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return errJSON
	}
	p.i += len(s)
	return nil
}

func (p *jsonParser) str() (string, error) {
	start := p.i
	raw, escaped, err := p.rawStr()
	if err != nil {
		return "", err
	}
	if escaped {
		return unescape(p.b[start:p.i])
	}
	if !utf8.Valid(raw) {
		return "", errJSON
	}
	return string(raw), nil
}

// rawStr reads a string literal and returns its bytes between the quotes,
// still escaped when escaped is true, and not yet checked to be UTF-8.
func (p *jsonParser) rawStr() (raw []byte, escaped bool, err error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false, errJSON
	}
	start := p.i
	p.i++
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start+1 : p.i-1], escaped, nil
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, false, errJSON
		default:
			p.i++
		}
	}
	return nil, false, errJSON
}

// unescape decodes a string literal (quotes included) that has escapes.
func unescape(lit []byte) (string, error) {
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", errJSON
	}
	return s, nil
}

func (p *jsonParser) num() (json.Number, error) {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if n := digits(); n == 0 || (n > 1 && p.b[intStart] == '0') {
		return "", errJSON
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", errJSON
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", errJSON
		}
	}
	return json.Number(p.b[start:p.i]), nil
}
