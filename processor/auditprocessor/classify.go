package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/component"
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
	// fast, when the condition is in the subset compileCondition knows (all
	// default rules are), decides most records without OTTL; cond decides
	// the records fast leaves undecided, and all records when fast is nil.
	fast fastCondition
	cond *ottl.Condition[*ottllog.TransformContext]
	// gate is fast's nameGate (-1 for none): most rules fail on the event
	// name alone, and are not among that name's rules (nameRules).
	gate int
}

// classifier applies the classification rules and module normalisation.
type classifier struct {
	rules      []compiledRule
	eventNames *eventNameTests
	byName     *memo[nameRules]
	aliases    map[string]string
	logger     *zap.Logger
}

// nameRules is what classifying an event of one name starts from: the
// results of all rules' event-name tests, and the rules whose gate passes.
// Most rules fail on the event name alone, so an event looks at a few rules
// instead of stepping over all of them.
type nameRules struct {
	names nameResults
	rules []*compiledRule
}

// maxNameCache bounds the names remembered against senders inventing event
// names; names past it are tested on every event.
const maxNameCache = 8192

func newClassifier(cfg *Config, set component.TelemetrySettings) (*classifier, error) {
	parser, err := newLogParser(set)
	if err != nil {
		return nil, err
	}
	rules := cfg.Rules
	if cfg.DefaultRules {
		rules = slices.Concat(rules, defaultClassificationRules)
	}
	c := &classifier{eventNames: newEventNameTests(), byName: newMemo[nameRules](maxNameCache),
		aliases: maps.Clone(defaultModuleAliases), logger: set.Logger}
	for alias, module := range cfg.ModuleAliases {
		c.aliases[normaliseModuleName(alias)] = module
	}
	for i, r := range rules {
		cr := compiledRule{name: r.Name, set: r.Set, fields: r.Set.fields()}
		if cr.cond, err = parser.ParseCondition(r.Condition); err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i, r.Name, err)
		}
		cr.fast = compileCondition(r.Condition, c.eventNames)
		cr.gate = nameGate(cr.fast)
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
	byName := c.byName.get(lr.EventName(), c.rulesFor)
	for _, r := range byName.rules {
		open := r.fields &^ decided
		if open == 0 {
			continue
		}
		v := verdictUndecided
		if r.fast != nil {
			v = r.fast.eval(byName.names, attrs)
		}
		if v == verdictUndecided {
			if tCtx == nil {
				tCtx = ottllog.NewTransformContext(rl, sl, lr)
			}
			ok, err := r.cond.Eval(ctx, tCtx)
			if err != nil {
				c.logger.Debug("classification rule failed; treated as no match",
					zap.String("rule", r.name), zap.Error(err))
				continue
			}
			v = verdictOf(ok)
		}
		if v != verdictTrue {
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

func (c *classifier) rulesFor(name string) nameRules {
	nr := nameRules{names: c.eventNames.results(name)}
	for i := range c.rules {
		if r := &c.rules[i]; r.gate < 0 || nr.names.has(r.gate) {
			nr.rules = append(nr.rules, r)
		}
	}
	return nr
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
