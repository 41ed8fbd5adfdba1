package esdev

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// query_string: a parser for the Lucene classic syntax subset Elasticsearch
// users write in Kibana/Grafana: field:value, "phrases", wildcards, ranges
// ([a TO b], >=x), _exists_, groups, +/-, AND/OR/NOT (&&, ||, !).

type qsOptions struct {
	fields     []string // default fields; nil means every field ("*")
	defaultAND bool
	lenient    bool
}

func parseQueryStringQuery(body any) (query, error) {
	m, ok := body.(map[string]any)
	if !ok {
		return nil, parseErr("[query_string] malformed query, expected an object")
	}
	text, ok := m["query"].(string)
	if !ok {
		return nil, parseErr("[query_string] requires a [query] string")
	}
	opts := qsOptions{}
	for k, v := range m {
		switch k {
		case "query", "boost", "_name", "analyze_wildcard", "allow_leading_wildcard", "escape", "auto_generate_synonyms_phrase_query":
		case "default_field":
			if s := fmt.Sprint(v); s != "*" {
				opts.fields = []string{s}
			}
		case "fields":
			arr, _ := v.([]any)
			for _, f := range arr {
				name := fmt.Sprint(f)
				if i := strings.IndexByte(name, '^'); i >= 0 {
					name = name[:i]
				}
				opts.fields = append(opts.fields, name)
			}
		case "default_operator":
			switch strings.ToUpper(fmt.Sprint(v)) {
			case "AND":
				opts.defaultAND = true
			case "OR":
			default:
				return nil, parseErr("[query_string] default_operator must be AND or OR")
			}
		case "lenient":
			opts.lenient = v == true
		case "analyzer":
			if v != "standard" {
				return nil, unsupported("analyzer [%v]", v)
			}
		case "time_zone":
			return nil, unsupported("[query_string] option [time_zone]")
		default:
			return nil, unsupported("[query_string] option [%s]", k)
		}
	}
	return parseLucene(text, opts)
}

func parseLucene(text string, opts qsOptions) (query, error) {
	toks, err := lexLucene(text)
	if err != nil {
		return nil, err
	}
	p := &qsParser{toks: toks, opts: opts, text: text}
	if len(toks) == 0 {
		return matchNoneQ{}, nil
	}
	q, err := p.parseOr("")
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.fail("unexpected [%s]", p.toks[p.pos].text)
	}
	return q, nil
}

type qsTokKind uint8

const (
	tTerm qsTokKind = iota
	tPhrase
	tRegex
	tLParen
	tRParen
	tAnd
	tOr
	tNot
	tPlus
	tMinus
	tColon
	tRange // raw "[a TO b}" text
	tCompare
	tBoost // ^n or ~n suffix
)

type qsTok struct {
	kind qsTokKind
	text string
	// wild: the term has an unescaped * or ?
	wild bool
}

func lexLucene(s string) ([]qsTok, error) {
	var toks []qsTok
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, qsTok{kind: tLParen, text: "("})
			i++
		case r == ')':
			toks = append(toks, qsTok{kind: tRParen, text: ")"})
			i++
		case r == ':':
			toks = append(toks, qsTok{kind: tColon, text: ":"})
			i++
		case r == '+':
			toks = append(toks, qsTok{kind: tPlus, text: "+"})
			i++
		case r == '-':
			toks = append(toks, qsTok{kind: tMinus, text: "-"})
			i++
		case r == '!':
			toks = append(toks, qsTok{kind: tNot, text: "!"})
			i++
		case r == '&' && i+1 < len(rs) && rs[i+1] == '&':
			toks = append(toks, qsTok{kind: tAnd, text: "&&"})
			i += 2
		case r == '|' && i+1 < len(rs) && rs[i+1] == '|':
			toks = append(toks, qsTok{kind: tOr, text: "||"})
			i += 2
		case r == '^' || r == '~':
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.') {
				j++
			}
			toks = append(toks, qsTok{kind: tBoost, text: string(rs[i:j])})
			i = j
		case r == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, parseErr("Failed to parse query [%s]: unterminated phrase", s)
			}
			toks = append(toks, qsTok{kind: tPhrase, text: b.String()})
			i = j + 1
		case r == '/':
			j := i + 1
			for ; j < len(rs) && rs[j] != '/'; j++ {
				if rs[j] == '\\' {
					j++
				}
			}
			if j >= len(rs) {
				return nil, parseErr("Failed to parse query [%s]: unterminated regular expression", s)
			}
			toks = append(toks, qsTok{kind: tRegex, text: string(rs[i+1 : j])})
			i = j + 1
		case r == '[' || r == '{':
			j := i + 1
			for j < len(rs) && rs[j] != ']' && rs[j] != '}' {
				j++
			}
			if j >= len(rs) {
				return nil, parseErr("Failed to parse query [%s]: unterminated range", s)
			}
			toks = append(toks, qsTok{kind: tRange, text: string(rs[i : j+1])})
			i = j + 1
		case (r == '>' || r == '<') && len(toks) > 0 && toks[len(toks)-1].kind == tColon:
			j := i + 1
			if j < len(rs) && rs[j] == '=' {
				j++
			}
			toks = append(toks, qsTok{kind: tCompare, text: string(rs[i:j])})
			i = j
		default:
			var b strings.Builder
			wild := false
			j := i
			for ; j < len(rs); j++ {
				c := rs[j]
				if c == '\\' && j+1 < len(rs) {
					j++
					if rs[j] == '*' || rs[j] == '?' {
						b.WriteRune('\\')
					}
					b.WriteRune(rs[j])
					continue
				}
				if unicode.IsSpace(c) || strings.ContainsRune(`()":^~[]{}`, c) {
					break
				}
				// "/" and "-" inside a term are literal (CIDR 10.0.0.0/8, dates).
				if c == '*' || c == '?' {
					wild = true
				}
				b.WriteRune(c)
			}
			word := b.String()
			i = j
			switch word {
			case "AND":
				toks = append(toks, qsTok{kind: tAnd, text: word})
			case "OR":
				toks = append(toks, qsTok{kind: tOr, text: word})
			case "NOT":
				toks = append(toks, qsTok{kind: tNot, text: word})
			default:
				toks = append(toks, qsTok{kind: tTerm, text: word, wild: wild})
			}
		}
	}
	return toks, nil
}

type qsParser struct {
	toks []qsTok
	pos  int
	opts qsOptions
	text string
}

func (p *qsParser) fail(format string, args ...any) error {
	return parseErr("Failed to parse query [%s]: %s", p.text, fmt.Sprintf(format, args...))
}

func (p *qsParser) peek() *qsTok {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *qsParser) parseOr(field string) (query, error) {
	var parts []query
	for {
		q, err := p.parseAnd(field)
		if err != nil {
			return nil, err
		}
		parts = append(parts, q)
		if t := p.peek(); t != nil && t.kind == tOr {
			p.pos++
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &boolQ{should: parts}, nil
}

func (p *qsParser) parseAnd(field string) (query, error) {
	var parts []query
	for {
		q, err := p.parseSeq(field)
		if err != nil {
			return nil, err
		}
		parts = append(parts, q)
		if t := p.peek(); t != nil && t.kind == tAnd {
			p.pos++
			continue
		}
		break
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &boolQ{must: parts}, nil
}

// parseSeq parses clauses joined by the implicit (default) operator.
func (p *qsParser) parseSeq(field string) (query, error) {
	b := &boolQ{}
	n := 0
	var only query
	for {
		t := p.peek()
		if t == nil || t.kind == tAnd || t.kind == tOr || t.kind == tRParen {
			break
		}
		occur := "default"
		switch t.kind {
		case tPlus:
			occur = "must"
			p.pos++
		case tMinus, tNot:
			occur = "must_not"
			p.pos++
		}
		q, err := p.parseClause(field)
		if err != nil {
			return nil, err
		}
		n++
		only = q
		switch {
		case occur == "must" || occur == "default" && p.opts.defaultAND:
			b.must = append(b.must, q)
		case occur == "must_not":
			b.mustNot = append(b.mustNot, q)
			only = nil
		default:
			b.should = append(b.should, q)
		}
	}
	if n == 0 {
		return nil, p.fail("expected a clause")
	}
	if n == 1 && only != nil {
		return only, nil
	}
	return b, nil
}

func (p *qsParser) parseClause(field string) (query, error) {
	t := p.peek()
	if t == nil {
		return nil, p.fail("unexpected end of query")
	}
	if t.kind == tNot {
		p.pos++
		q, err := p.parseClause(field)
		if err != nil {
			return nil, err
		}
		return &boolQ{mustNot: []query{q}}, nil
	}
	if t.kind == tLParen {
		p.pos++
		q, err := p.parseOr(field)
		if err != nil {
			return nil, err
		}
		if r := p.peek(); r == nil || r.kind != tRParen {
			return nil, p.fail("missing closing parenthesis")
		}
		p.pos++
		p.skipBoost()
		return q, nil
	}
	// field:...
	if t.kind == tTerm && p.pos+1 < len(p.toks) && p.toks[p.pos+1].kind == tColon {
		name := strings.ReplaceAll(t.text, `\`, "")
		p.pos += 2
		if name == "_exists_" {
			v := p.peek()
			if v == nil || v.kind != tTerm {
				return nil, p.fail("_exists_ requires a field name")
			}
			p.pos++
			return existsQ{field: v.text}, nil
		}
		return p.parseClause(name)
	}
	p.pos++
	var q query
	var err error
	switch t.kind {
	case tTerm:
		q, err = p.termQuery(field, *t)
	case tPhrase:
		q = p.onFields(field, func(f string) query { return fieldQ{kind: fqPhrase, field: f, value: t.text, lenient: true} })
	case tRegex:
		re, rerr := regexp.Compile("^(?:" + t.text + ")$")
		if rerr != nil {
			return nil, p.fail("invalid regular expression: %v", rerr)
		}
		q = p.onFields(field, func(f string) query { return fieldQ{kind: fqRegexp, field: f, value: t.text, re: re} })
	case tRange:
		q, err = p.rangeQuery(field, t.text)
	case tCompare:
		v := p.peek()
		if v == nil || (v.kind != tTerm && v.kind != tPhrase) {
			return nil, p.fail("expected a value after [%s]", t.text)
		}
		p.pos++
		r := rangeQ{field: field}
		switch t.text {
		case ">":
			r.lo = v.text
		case ">=":
			r.lo, r.loIncl = v.text, true
		case "<":
			r.hi = v.text
		case "<=":
			r.hi, r.hiIncl = v.text, true
		}
		q = p.onFields(field, func(f string) query { r.field = f; return r })
	default:
		return nil, p.fail("unexpected [%s]", t.text)
	}
	if err != nil {
		return nil, err
	}
	if b := p.peek(); b != nil && b.kind == tBoost && strings.HasPrefix(b.text, "~") {
		return nil, unsupported("fuzzy and proximity (~) in query_string")
	}
	p.skipBoost()
	return q, nil
}

func (p *qsParser) skipBoost() {
	if b := p.peek(); b != nil && b.kind == tBoost && strings.HasPrefix(b.text, "^") {
		p.pos++
	}
}

// onFields applies a single-field query to field, or to the default fields.
func (p *qsParser) onFields(field string, mk func(string) query) query {
	if field != "" {
		return mk(field)
	}
	if p.opts.fields == nil {
		return allFieldsQ{mk: mk}
	}
	if len(p.opts.fields) == 1 {
		return mk(p.opts.fields[0])
	}
	b := &boolQ{}
	for _, f := range p.opts.fields {
		b.should = append(b.should, mk(f))
	}
	return b
}

func (p *qsParser) termQuery(field string, t qsTok) (query, error) {
	if t.text == "*" {
		if field == "" || field == "*" {
			return matchAllQ{score: 1}, nil
		}
		return existsQ{field: field}, nil
	}
	lenient := field == "" || p.opts.lenient
	if t.wild {
		pattern := t.text
		if strings.HasSuffix(pattern, "*") && !strings.ContainsAny(pattern[:len(pattern)-1], "*?") {
			prefix := strings.ReplaceAll(pattern[:len(pattern)-1], `\`, "")
			return p.onFields(field, func(f string) query {
				return wildcardOrText{fieldQ{kind: fqPrefix, field: f, value: prefix, lenient: lenient}}
			}), nil
		}
		return p.onFields(field, func(f string) query {
			return wildcardOrText{fieldQ{kind: fqWildcard, field: f, value: pattern, lenient: lenient}}
		}), nil
	}
	return p.onFields(field, func(f string) query {
		return fieldQ{kind: fqMatch, field: f, value: t.text, lenient: lenient}
	}), nil
}

func (p *qsParser) rangeQuery(field, raw string) (query, error) {
	inner := raw[1 : len(raw)-1]
	parts := strings.SplitN(inner, " TO ", 2)
	if len(parts) != 2 {
		return nil, p.fail("range [%s] must look like [a TO b]", raw)
	}
	r := rangeQ{loIncl: raw[0] == '[', hiIncl: raw[len(raw)-1] == ']'}
	if lo := strings.Trim(strings.TrimSpace(parts[0]), `"`); lo != "*" {
		r.lo = lo
	}
	if hi := strings.Trim(strings.TrimSpace(parts[1]), `"`); hi != "*" {
		r.hi = hi
	}
	return p.onFields(field, func(f string) query { r.field = f; return r }), nil
}

// wildcardOrText lower-cases wildcard/prefix patterns on text fields, since
// the indexed terms are lower-cased (Elasticsearch normalizes them too), and
// skips field types where wildcards do not apply when the query is lenient.
type wildcardOrText struct{ q fieldQ }

func (w wildcardOrText) eval(c *evalCtx) (*result, error) {
	fields := []string{w.q.field}
	if strings.ContainsAny(w.q.field, "*?") {
		fields = c.ix.expandField(w.q.field)
	}
	out := &result{bits: newBitset(c.n), constScore: 1}
	for _, f := range fields {
		typ, col := c.ix.fieldColumn(f)
		q := w.q
		q.field = f
		switch {
		case typ == "text":
			q.value = strings.ToLower(fmt.Sprint(q.value))
		case col != nil && (col.kind == kindKeyword || col.kind == kindIP):
		default:
			if w.q.lenient || col == nil {
				continue
			}
		}
		r, err := q.evalField(c, f)
		if err != nil {
			return nil, err
		}
		out.bits.or(r.bits)
	}
	return out, nil
}

// allFieldsQ is an unqualified query_string clause: Elasticsearch's default
// "*" expands to every field, leniently skipping fields whose type cannot
// hold the value.
type allFieldsQ struct{ mk func(string) query }

func (a allFieldsQ) eval(c *evalCtx) (*result, error) {
	out := &result{bits: newBitset(c.n), constScore: 1}
	var scores []float32
	for _, f := range sortedKeys(c.ix.leaves) {
		r, err := a.mk(f).eval(c)
		if err != nil {
			continue // lenient: the value does not fit this field's type
		}
		out.bits.or(r.bits)
		if r.scores != nil {
			if scores == nil {
				scores = make([]float32, c.n)
			}
			r.bits.forEach(func(o uint32) { scores[o] += r.scores[o] })
		}
	}
	if scores != nil {
		out.bits.forEach(func(o uint32) {
			if scores[o] == 0 {
				scores[o] = 1
			}
		})
		out.scores = scores
	}
	return out, nil
}
