package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"regexp"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// This file compiles the shapes classification conditions are written in to
// a form evaluated without OTTL, with OTTL's results:
//
//	expr   := term ('or' term)*
//	term   := factor ('and' factor)*
//	factor := '(' expr ')' | 'true' | 'false'
//	        | event_name ('=='|'!=') "str" | IsMatch(event_name, "re")
//	        | attributes["k"] ('=='|'!=') ("str" | nil)
//	        | IsMatch(attributes["k"], "re") | ContainsValue(attributes["k"], "str")
//
// OTTL evaluates a condition through getters that box every value, in a
// transform context made per record; for the default rules that cost more
// than the rest of classification. Event-name tests are the bulk of the
// rules, and event names repeat, so their results are computed once per
// distinct name and a record only reads bits.

// verdict is a fast condition's result on one record. It is undecided where
// the record holds a value whose OTTL semantics the fast form does not model
// (OTTL converts it, or fails on it); the rule's OTTL condition decides then.
type verdict uint8

const (
	verdictFalse verdict = iota
	verdictTrue
	verdictUndecided
)

func verdictOf(b bool) verdict {
	if b {
		return verdictTrue
	}
	return verdictFalse
}

type fastCondition interface {
	eval(names nameResults, attrs pcommon.Map) verdict
}

// constCondition is `true` or `false`.
type constCondition bool

func (c constCondition) eval(nameResults, pcommon.Map) verdict { return verdictOf(bool(c)) }

// anyOf is `a or b ...` and allOf `a and b ...`. Both run left to right and
// stop where OTTL stops. An undecided operand leaves the whole undecided: OTTL
// may fail there, which makes the whole condition fail.
type (
	anyOf []fastCondition
	allOf []fastCondition
)

func (a anyOf) eval(names nameResults, attrs pcommon.Map) verdict {
	for _, c := range a {
		if v := c.eval(names, attrs); v != verdictFalse {
			return v
		}
	}
	return verdictFalse
}

func (a allOf) eval(names nameResults, attrs pcommon.Map) verdict {
	for _, c := range a {
		if v := c.eval(names, attrs); v != verdictTrue {
			return v
		}
	}
	return verdictTrue
}

// nameCondition reads the result of one event-name test; notEqual turns
// `event_name == "x"` into `!=`.
type nameCondition struct {
	test     int
	notEqual bool
}

func (c *nameCondition) eval(names nameResults, _ pcommon.Map) verdict {
	return verdictOf(names.has(c.test) != c.notEqual)
}

// attrEquals is `attributes[key] == "value"` (or `!=`). OTTL compares a
// string only with a string: any other type, or no value, is not equal (and
// not an error), so `!=` is always the negation.
type attrEquals struct {
	key, value string
	notEqual   bool
}

func (c attrEquals) eval(_ nameResults, attrs pcommon.Map) verdict {
	v, ok := attrs.Get(c.key)
	equal := ok && v.Type() == pcommon.ValueTypeStr && v.Str() == c.value
	return verdictOf(equal != c.notEqual)
}

// attrIsNil is `attributes[key] == nil` (or `!=`). A missing attribute and an
// Empty value read as nil. A Bytes value is left undecided: OTTL compares its
// raw copy, which is nil when empty.
type attrIsNil struct {
	key      string
	notEqual bool
}

func (c attrIsNil) eval(_ nameResults, attrs pcommon.Map) verdict {
	v, ok := attrs.Get(c.key)
	if ok && v.Type() == pcommon.ValueTypeBytes {
		return verdictUndecided
	}
	isNil := !ok || v.Type() == pcommon.ValueTypeEmpty
	return verdictOf(isNil != c.notEqual)
}

// attrMatches is `IsMatch(attributes[key], "re")`: false without a value,
// undecided for non-string values, which OTTL converts to text (JSON for
// maps and slices, hex for bytes) before matching.
type attrMatches struct {
	key string
	re  *regexp.Regexp
}

func (c attrMatches) eval(_ nameResults, attrs pcommon.Map) verdict {
	v, ok := attrs.Get(c.key)
	switch {
	case !ok || v.Type() == pcommon.ValueTypeEmpty:
		return verdictFalse
	case v.Type() == pcommon.ValueTypeStr:
		return verdictOf(c.re.MatchString(v.Str()))
	default:
		return verdictUndecided
	}
}

// attrContains is `ContainsValue(attributes[key], "item")`: whether a slice
// holds the string item. OTTL fails on anything but a slice, so those are
// undecided and the OTTL condition reports the error.
type attrContains struct {
	key, item string
}

func (c attrContains) eval(_ nameResults, attrs pcommon.Map) verdict {
	v, ok := attrs.Get(c.key)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return verdictUndecided
	}
	for _, e := range v.Slice().All() {
		if e.Type() == pcommon.ValueTypeStr && e.Str() == c.item {
			return verdictTrue
		}
	}
	return verdictFalse
}

// nameResults holds, for one event name, the result of every event-name test
// of eventNameTests, one bit per test.
type nameResults []uint64

func (r nameResults) has(test int) bool { return r[test/64]&(1<<(test%64)) != 0 }

// nameTest is `event_name == literal`, `IsMatch(event_name, re)`, or an
// and/or of earlier tests (see combine).
type nameTest struct {
	literal  string
	re       *regexp.Regexp
	combined fastCondition
}

// match tests name; earlier holds the results of the tests numbered before
// this one, all a combined test reads (it reads no attribute, hence the
// empty map).
func (t nameTest) match(name string, earlier nameResults) bool {
	switch {
	case t.combined != nil:
		return t.combined.eval(earlier, pcommon.Map{}) == verdictTrue
	case t.re != nil:
		return t.re.MatchString(name)
	}
	return name == t.literal
}

// eventNameTests numbers the event-name tests of all rules, identical ones
// once, so that one pass over an event name answers them all (the
// classifier remembers the answers per name).
type eventNameTests struct {
	index map[string]int // literal and regex tests by kind and text
	tests []nameTest
}

func newEventNameTests() *eventNameTests {
	return &eventNameTests{index: map[string]int{}}
}

// add returns the number of a literal or regex test, shared with an
// identical earlier one.
func (n *eventNameTests) add(t nameTest) int {
	key := "==" + t.literal
	if t.re != nil {
		key = "~" + t.re.String()
	}
	if i, ok := n.index[key]; ok {
		return i
	}
	n.index[key] = len(n.tests)
	n.tests = append(n.tests, t)
	return len(n.tests) - 1
}

// results returns the results of all tests for name. It is safe for
// concurrent use once all tests are added.
func (n *eventNameTests) results(name string) nameResults {
	r := make(nameResults, (len(n.tests)+63)/64)
	for i, t := range n.tests {
		if t.match(name, r) {
			r[i/64] |= 1 << (i % 64)
		}
	}
	return r
}

// compileCondition returns the fast form of an OTTL condition (already
// parsed by OTTL, so known to be valid), or nil when it is outside the
// subset above. Its event-name tests are added to names.
func compileCondition(cond string, names *eventNameTests) fastCondition {
	tokens, ok := tokenize(cond)
	if !ok {
		return nil
	}
	p := conditionParser{tokens: tokens}
	c, ok := p.expr()
	if !ok || p.pos != len(p.tokens) {
		return nil
	}
	for _, pending := range p.nameTests {
		pending.cond.test = names.add(pending.test)
	}
	return names.combine(c)
}

// combine replaces each largest and/or in c made of event-name tests only by
// one test: the name part of a rule (`(event_name == "a" or IsMatch(...))
// and ...`) then costs one bit per record. Such a part is never undecided,
// so evaluating it ahead changes no result.
func (n *eventNameTests) combine(c fastCondition) fastCondition {
	ops, ok := operands(c)
	if !ok {
		return c
	}
	if testsNameOnly(c) {
		n.tests = append(n.tests, nameTest{combined: c})
		return &nameCondition{test: len(n.tests) - 1}
	}
	for i, o := range ops {
		ops[i] = n.combine(o)
	}
	return c
}

func testsNameOnly(c fastCondition) bool {
	if _, ok := c.(*nameCondition); ok {
		return true
	}
	ops, ok := operands(c)
	if !ok {
		return false
	}
	for _, o := range ops {
		if !testsNameOnly(o) {
			return false
		}
	}
	return true
}

// operands returns the operands of an and/or.
func operands(c fastCondition) ([]fastCondition, bool) {
	switch c := c.(type) {
	case anyOf:
		return c, true
	case allOf:
		return c, true
	}
	return nil, false
}

// nameGate returns the event-name test that c evaluates first and that
// makes c false when it fails, or -1. A rule whose gate fails for a record
// is false without evaluating anything else, in OTTL too (so no error is
// missed), and classification skips it at the cost of one bit test.
func nameGate(c fastCondition) int {
	switch c := c.(type) {
	case *nameCondition:
		if !c.notEqual {
			return c.test
		}
	case allOf:
		return nameGate(c[0])
	}
	return -1
}

type tokenKind uint8

const (
	tokenWord   tokenKind = iota // identifier or keyword
	tokenString                  // text holds the unquoted value
	tokenPunct                   // ( ) [ ] , == !=
)

type token struct {
	kind tokenKind
	text string
}

// tokenize splits cond as OTTL's lexer does for the tokens of the subset and
// fails on any other character.
func tokenize(cond string) ([]token, bool) {
	var tokens []token
	for i := 0; i < len(cond); {
		c := cond[i]
		switch {
		case strings.IndexByte(" \t\n\f\r", c) >= 0:
			i++
		case c == '"':
			end := stringEnd(cond, i)
			if end < 0 {
				return nil, false
			}
			s, err := strconv.Unquote(cond[i:end])
			if err != nil {
				return nil, false
			}
			tokens = append(tokens, token{tokenString, s})
			i = end
		case isWordByte(c) && !isDigit(c): // numbers are outside the subset
			end := i + 1
			for end < len(cond) && isWordByte(cond[end]) {
				end++
			}
			tokens = append(tokens, token{tokenWord, cond[i:end]})
			i = end
		case strings.HasPrefix(cond[i:], "==") || strings.HasPrefix(cond[i:], "!="):
			tokens = append(tokens, token{tokenPunct, cond[i : i+2]})
			i += 2
		case strings.IndexByte("()[],", c) >= 0:
			tokens = append(tokens, token{tokenPunct, cond[i : i+1]})
			i++
		default:
			return nil, false
		}
	}
	return tokens, true
}

func isWordByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || isDigit(c)
}

// stringEnd returns the index after the quote closing the string literal
// opened at s[start], or -1.
func stringEnd(s string, start int) int {
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// conditionParser is a recursive descent parser of the subset. Its methods
// report false when the input leaves the subset.
type conditionParser struct {
	tokens []token
	pos    int
	// nameTests are numbered only once the whole condition compiles, so a
	// condition left to OTTL adds no test.
	nameTests []pendingNameTest
}

type pendingNameTest struct {
	cond *nameCondition
	test nameTest
}

func (p *conditionParser) accept(kind tokenKind, text string) bool {
	if p.pos < len(p.tokens) && p.tokens[p.pos] == (token{kind, text}) {
		p.pos++
		return true
	}
	return false
}

func (p *conditionParser) acceptWord(word string) bool { return p.accept(tokenWord, word) }

func (p *conditionParser) acceptPunct(punct string) bool { return p.accept(tokenPunct, punct) }

func (p *conditionParser) string() (string, bool) {
	if p.pos < len(p.tokens) && p.tokens[p.pos].kind == tokenString {
		p.pos++
		return p.tokens[p.pos-1].text, true
	}
	return "", false
}

func (p *conditionParser) expr() (fastCondition, bool) {
	return p.joined("or", p.term, true, func(cs []fastCondition) fastCondition { return anyOf(cs) })
}

func (p *conditionParser) term() (fastCondition, bool) {
	return p.joined("and", p.factor, false, func(cs []fastCondition) fastCondition { return allOf(cs) })
}

// joined parses operands separated by op. Like OTTL, it folds constants at
// parse time: the constant that decides op (true for or, false for and)
// replaces the whole, so OTTL never evaluates (nor fails on) the rest; the
// other constant is left out.
func (p *conditionParser) joined(op string, operand func() (fastCondition, bool),
	decisive bool, join func([]fastCondition) fastCondition,
) (fastCondition, bool) {
	var operands []fastCondition
	folded := false
	for {
		c, ok := operand()
		if !ok {
			return nil, false
		}
		if k, isConst := c.(constCondition); !isConst {
			operands = append(operands, c)
		} else if bool(k) == decisive {
			folded = true
		}
		if !p.acceptWord(op) {
			break
		}
	}
	switch {
	case folded:
		return constCondition(decisive), true
	case len(operands) == 0:
		return constCondition(!decisive), true
	case len(operands) == 1:
		return operands[0], true
	}
	return join(operands), true
}

func (p *conditionParser) factor() (fastCondition, bool) {
	switch {
	case p.acceptPunct("("):
		c, ok := p.expr()
		return c, ok && p.acceptPunct(")")
	case p.acceptWord("true"):
		return constCondition(true), true
	case p.acceptWord("false"):
		return constCondition(false), true
	case p.acceptWord("event_name"):
		return p.eventNameComparison()
	case p.acceptWord("attributes"):
		return p.attributeComparison()
	case p.acceptWord("IsMatch"):
		return p.isMatch()
	case p.acceptWord("ContainsValue"):
		return p.containsValue()
	}
	return nil, false
}

// equalityOp parses == or != and reports whether it was !=.
func (p *conditionParser) equalityOp() (notEqual, ok bool) {
	if p.acceptPunct("==") {
		return false, true
	}
	return true, p.acceptPunct("!=")
}

func (p *conditionParser) eventNameComparison() (fastCondition, bool) {
	notEqual, ok := p.equalityOp()
	if !ok {
		return nil, false
	}
	literal, ok := p.string()
	if !ok {
		return nil, false
	}
	return p.nameTest(nameTest{literal: literal}, notEqual), true
}

func (p *conditionParser) nameTest(t nameTest, notEqual bool) fastCondition {
	c := &nameCondition{notEqual: notEqual}
	p.nameTests = append(p.nameTests, pendingNameTest{c, t})
	return c
}

// attributeKey parses `["key"]` after `attributes`.
func (p *conditionParser) attributeKey() (string, bool) {
	if !p.acceptPunct("[") {
		return "", false
	}
	key, ok := p.string()
	return key, ok && p.acceptPunct("]")
}

func (p *conditionParser) attributeComparison() (fastCondition, bool) {
	key, ok := p.attributeKey()
	if !ok {
		return nil, false
	}
	notEqual, ok := p.equalityOp()
	if !ok {
		return nil, false
	}
	if p.acceptWord("nil") {
		return attrIsNil{key: key, notEqual: notEqual}, true
	}
	value, ok := p.string()
	return attrEquals{key: key, value: value, notEqual: notEqual}, ok
}

// isMatch parses `(event_name, "re")` or `(attributes["k"], "re")`.
func (p *conditionParser) isMatch() (fastCondition, bool) {
	if !p.acceptPunct("(") {
		return nil, false
	}
	onName := p.acceptWord("event_name")
	var key string
	if !onName {
		var ok bool
		if key, ok = p.attributeTarget(); !ok {
			return nil, false
		}
	}
	pattern, ok := p.lastStringArgument()
	if !ok {
		return nil, false
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, false
	}
	if onName {
		return p.nameTest(nameTest{re: re}, false), true
	}
	return attrMatches{key: key, re: re}, true
}

// containsValue parses `(attributes["k"], "item")`.
func (p *conditionParser) containsValue() (fastCondition, bool) {
	if !p.acceptPunct("(") {
		return nil, false
	}
	key, ok := p.attributeTarget()
	if !ok {
		return nil, false
	}
	item, ok := p.lastStringArgument()
	return attrContains{key: key, item: item}, ok
}

func (p *conditionParser) attributeTarget() (string, bool) {
	if !p.acceptWord("attributes") {
		return "", false
	}
	return p.attributeKey()
}

// lastStringArgument parses `, "str")`.
func (p *conditionParser) lastStringArgument() (string, bool) {
	if !p.acceptPunct(",") {
		return "", false
	}
	s, ok := p.string()
	return s, ok && p.acceptPunct(")")
}
