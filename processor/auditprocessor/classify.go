package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/semconv"
)

type logParser = ottl.Parser[*ottllog.TransformContext]

func newLogParser(set component.TelemetrySettings) (logParser, error) {
	return ottllog.NewParser(ottlfuncs.StandardConverters[*ottllog.TransformContext](), set)
}

// The classification fields, as bits, so a rule knows which still-open fields
// it could decide and is skipped when it can decide none.
const (
	fieldCategory = 1 << iota
	fieldSeverity
	fieldActorType
	fieldModule
	allFields = fieldCategory | fieldSeverity | fieldActorType | fieldModule
)

type compiledRule struct {
	name   string
	set    Classification
	fields int
	// Exactly one of cond and fast is set. fast replaces OTTL for conditions
	// that only test the event name, which is most of the default rule set:
	// a map lookup or one regex instead of an OTTL evaluation per rule.
	cond *ottl.Condition[*ottllog.TransformContext]
	fast *nameMatcher
	// guard, when set, is the first operand of a top-level `and` in cond:
	// when it is false, so is cond, and OTTL is not run.
	guard func(plog.LogRecord) bool
}

// classifier applies the classification rules and module normalisation.
type classifier struct {
	rules   []compiledRule
	aliases map[string]string
	logger  *zap.Logger
}

func newClassifier(cfg *Config, set component.TelemetrySettings) (*classifier, error) {
	parser, err := newLogParser(set)
	if err != nil {
		return nil, err
	}
	rules := cfg.Rules
	if cfg.DefaultRules {
		rules = slices.Concat(rules, defaultClassificationRules)
	}
	c := &classifier{aliases: maps.Clone(defaultModuleAliases), logger: set.Logger}
	for alias, module := range cfg.ModuleAliases {
		c.aliases[normaliseModuleName(alias)] = module
	}
	for i, r := range rules {
		cr := compiledRule{name: r.Name, set: r.Set, fields: r.Set.fields()}
		if cr.fast = parseNameMatcher(r.Condition); cr.fast == nil {
			if cr.cond, err = parser.ParseCondition(r.Condition); err != nil {
				return nil, fmt.Errorf("rule %d (%s): %w", i, r.Name, err)
			}
			cr.guard = parseGuard(r.Condition)
		}
		c.rules = append(c.rules, cr)
	}
	return c, nil
}

func (s Classification) fields() int {
	f := 0
	if s.Category != "" {
		f |= fieldCategory
	}
	if s.Severity != "" {
		f |= fieldSeverity
	}
	if s.ActorType != "" {
		f |= fieldActorType
	}
	if s.Module != "" {
		f |= fieldModule
	}
	return f
}

// classify writes the classification attributes of lr and reports whether
// any rule matched.
func (c *classifier) classify(ctx context.Context, rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) bool {
	var (
		decided int
		tCtx    *ottllog.TransformContext
		matched bool
	)
	defer func() {
		if tCtx != nil {
			tCtx.Close()
		}
	}()
	attrs := lr.Attributes()
	for i := range c.rules {
		r := &c.rules[i]
		open := r.fields &^ decided
		if open == 0 {
			continue
		}
		var ok bool
		switch {
		case r.fast != nil:
			ok = r.fast.match(lr.EventName())
		case r.guard != nil && !r.guard(lr):
			ok = false
		default:
			if tCtx == nil {
				tCtx = ottllog.NewTransformContext(rl, sl, lr)
			}
			var err error
			if ok, err = r.cond.Eval(ctx, tCtx); err != nil {
				c.logger.Debug("classification rule failed; treated as no match",
					zap.String("rule", r.name), zap.Error(err))
				continue
			}
		}
		if !ok {
			continue
		}
		matched = true
		decided |= open
		for _, f := range []struct {
			bit      int
			key, val string
		}{
			{fieldCategory, semconv.AttrActionCategory, r.set.Category},
			{fieldSeverity, semconv.AttrSeverity, r.set.Severity},
			{fieldActorType, semconv.AttrActorType, r.set.ActorType},
			{fieldModule, semconv.AttrModule, r.set.Module},
		} {
			if open&f.bit != 0 {
				attrs.PutStr(f.key, f.val)
			}
		}
		if decided == allFields {
			break
		}
	}
	c.normaliseModule(lr)
	return matched
}

// normaliseModule maps module spellings to one canonical name and, when the
// emitter sent none, derives it from the action's object (bonus.x -> bonuses).
func (c *classifier) normaliseModule(lr plog.LogRecord) {
	attrs := lr.Attributes()
	raw := ""
	if v, ok := attrs.Get(semconv.AttrModule); ok {
		raw = v.AsString()
	}
	if raw == "" {
		raw, _, _ = strings.Cut(lr.EventName(), ".")
		if raw == "" {
			return
		}
	}
	m := normaliseModuleName(raw)
	if alias, ok := c.aliases[m]; ok {
		m = alias
	}
	if m != raw {
		attrs.PutStr(semconv.AttrModule, m)
	}
}

func normaliseModuleName(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b == ' ' || b == '-' || b == '.' || ('A' <= b && b <= 'Z') {
			return strings.Map(func(r rune) rune {
				if r == ' ' || r == '-' || r == '.' {
					return '_'
				}
				return r
			}, strings.ToLower(strings.TrimSpace(s)))
		}
	}
	return s
}

// nameMatcher is the fast path for conditions made only of
// `event_name == "x"` and `IsMatch(event_name, "re")` joined by `or`, and for
// the literal `true`. Its result is identical to OTTL's.
type nameMatcher struct {
	always  bool
	names   map[string]struct{}
	regexes []*regexp.Regexp
}

var (
	nameTerm = `(?:event_name\s*==\s*("(?:[^"\\]|\\.)*")|IsMatch\(\s*event_name\s*,\s*("(?:[^"\\]|\\.)*")\s*\))`
	nameCond = regexp.MustCompile(`^\s*` + nameTerm + `(?:\s+or\s+` + nameTerm + `)*\s*$`)
	nameEach = regexp.MustCompile(nameTerm)
)

func parseNameMatcher(cond string) *nameMatcher {
	if strings.TrimSpace(cond) == "true" {
		return &nameMatcher{always: true}
	}
	if !nameCond.MatchString(cond) {
		return nil
	}
	m := &nameMatcher{names: map[string]struct{}{}}
	for _, sub := range nameEach.FindAllStringSubmatch(cond, -1) {
		if sub[1] != "" {
			name, err := strconv.Unquote(sub[1])
			if err != nil {
				return nil
			}
			m.names[name] = struct{}{}
			continue
		}
		pattern, err := strconv.Unquote(sub[2])
		if err != nil {
			return nil
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil // let OTTL report it
		}
		m.regexes = append(m.regexes, re)
	}
	return m
}

func (m *nameMatcher) match(name string) bool {
	if m.always {
		return true
	}
	if _, ok := m.names[name]; ok {
		return true
	}
	for _, re := range m.regexes {
		if re.MatchString(name) {
			return true
		}
	}
	return false
}

// absentAttr is the guard `attributes["key"] == nil`.
var absentAttr = regexp.MustCompile(`^attributes\[("(?:[^"\\]|\\.)*")\]\s*==\s*nil$`)

// parseGuard returns a cheap test equivalent to the first operand of a
// condition of the form `A and B [and ...]` (no top-level `or`), when A is
// an event-name test or `attributes["key"] == nil`; nil otherwise.
func parseGuard(cond string) func(plog.LogRecord) bool {
	first, ok := firstConjunct(cond)
	if !ok {
		return nil
	}
	if m := parseNameMatcher(first); m != nil {
		return func(lr plog.LogRecord) bool { return m.match(lr.EventName()) }
	}
	if sub := absentAttr.FindStringSubmatch(first); sub != nil {
		key, err := strconv.Unquote(sub[1])
		if err != nil {
			return nil
		}
		return func(lr plog.LogRecord) bool {
			v, present := lr.Attributes().Get(key)
			return !present || v.Type() == pcommon.ValueTypeEmpty
		}
	}
	return nil
}

// firstConjunct splits cond at its first top-level `and`, outside string
// literals and parentheses, and strips one pair of enclosing parentheses.
// It fails when cond has a top-level `or` (which binds looser than `and`)
// or no top-level `and`.
func firstConjunct(cond string) (string, bool) {
	depth, inString, firstAnd := 0, false, -1
	for i := 0; i < len(cond); i++ {
		c := cond[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && isWordAt(cond, i, "or"):
			return "", false
		case depth == 0 && firstAnd < 0 && isWordAt(cond, i, "and"):
			firstAnd = i
		}
	}
	if firstAnd < 0 {
		return "", false
	}
	first := strings.TrimSpace(cond[:firstAnd])
	if strings.HasPrefix(first, "(") && strings.HasSuffix(first, ")") && enclosed(first) {
		first = strings.TrimSpace(first[1 : len(first)-1])
	}
	return first, true
}

// isWordAt reports whether word stands alone at s[i:], between spaces.
func isWordAt(s string, i int, word string) bool {
	return i > 0 && s[i-1] == ' ' && strings.HasPrefix(s[i:], word+" ")
}

// enclosed reports whether the parenthesis opening s closes at its end.
func enclosed(s string) bool {
	depth, inString := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}
