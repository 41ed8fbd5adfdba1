package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/semconv"
)

var (
	errRuleSetsNothing   = errors.New("rule sets none of category, severity, actor_type, module")
	errEmptyCondition    = errors.New("condition is empty")
	errInvalidAction     = errors.New("action must be drop, mask or hash")
	errMissingHashKey    = errors.New("action hash needs redaction.hash_key")
	errRuleMatchesNone   = errors.New("redaction rule needs keys or a pattern")
	errUnknownBuiltin    = errors.New("not a built-in redaction rule")
	errEmptyStreamKey    = errors.New("chain.stream_key must not be empty")
	errNegativeRecentIDs = errors.New("chain.recent_ids must not be negative")
	errDiffLimits        = errors.New("diff.max_fields must be > 0 and diff.max_bytes >= 64")
	errEmptyRuleName     = errors.New("redaction rule needs a name")
	errDuplicateRuleKey  = errors.New("redaction rule name used twice")
)

// Config is the audit processor's configuration.
type Config struct {
	// DefaultRules appends the built-in classification rules after Rules, so
	// user rules take precedence field by field and the taxonomy fills the rest.
	DefaultRules bool `mapstructure:"default_rules"`
	// Rules classify events; see Classification for the per-field semantics.
	Rules []ClassificationRule `mapstructure:"rules"`
	// ModuleAliases are merged over the built-in aliases (e.g. bonus -> bonuses).
	ModuleAliases map[string]string `mapstructure:"module_aliases"`

	Diff      DiffConfig      `mapstructure:"diff"`
	Redaction RedactionConfig `mapstructure:"redaction"`
	Chain     ChainConfig     `mapstructure:"chain"`
	Drop      DropConfig      `mapstructure:"drop"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ClassificationRule sets classification fields on events matching Condition.
// Rules are evaluated in order; each field takes its value from the first
// matching rule that sets it, and a rule may set any subset of the fields.
type ClassificationRule struct {
	Name string `mapstructure:"name"`
	// Condition is an OTTL boolean expression in the log context, e.g.
	// `event_name == "bonus.manual_grant"`.
	Condition string         `mapstructure:"condition"`
	Set       Classification `mapstructure:"set"`
}

// Classification is what a rule writes; empty fields are left to later rules.
type Classification struct {
	Category  string `mapstructure:"category"`
	Severity  string `mapstructure:"severity"`
	ActorType string `mapstructure:"actor_type"`
	Module    string `mapstructure:"module"`
}

func (c Classification) empty() bool { return c == Classification{} }

// DiffConfig bounds the change diff of audit.change.old / audit.change.new.
type DiffConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// MaxFields caps the number of paths in audit.change.fields.
	MaxFields int `mapstructure:"max_fields"`
	// MaxBytes caps the size of audit.change.diff; entries past it are left out.
	MaxBytes int `mapstructure:"max_bytes"`
}

// Action is what a redaction rule does to a sensitive value.
type Action string

const (
	// ActionDrop removes the attribute or JSON member; a match inside text is
	// replaced by [REDACTED].
	ActionDrop Action = "drop"
	// ActionMask replaces all but the last 4 characters with '*' (all of them
	// for values shorter than 8, where 4 would reveal too much).
	ActionMask Action = "mask"
	// ActionHash replaces the value by hmac:<16 hex of HMAC-SHA256>, so that
	// equal values stay searchable without being readable.
	ActionHash Action = "hash"
)

func (a Action) valid() bool { return a == ActionDrop || a == ActionMask || a == ActionHash }

// RedactionConfig configures what is removed before the event is chained.
type RedactionConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// DefaultRules enables the built-in key and value rules (see README).
	DefaultRules bool `mapstructure:"default_rules"`
	// HashKey is the HMAC key of the hash action.
	HashKey configopaque.String `mapstructure:"hash_key"`
	// Actions overrides the action of built-in rules by rule name.
	Actions map[string]Action `mapstructure:"actions"`
	// Rules are additional rules, applied after the built-in ones.
	Rules []RedactionRule `mapstructure:"rules"`
}

// RedactionRule redacts values under matching keys and/or matching a regex.
type RedactionRule struct {
	Name string `mapstructure:"name"`
	// Keys are key names (case and separator insensitive: api_key matches
	// apiKey, X-Api-Key and client_api_key).
	Keys []string `mapstructure:"keys"`
	// Pattern is a Go regular expression matched inside string values.
	Pattern string `mapstructure:"pattern"`
	Action  Action `mapstructure:"action"`
}

// ChainConfig configures the tamper-evidence chain.
type ChainConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// StreamKey is the attribute whose value names the chain stream; an
	// absent or empty value chains into the stream "default".
	StreamKey string `mapstructure:"stream_key"`
	// Storage is a storage extension (e.g. file_storage) that keeps the last
	// sequence number and hash per stream across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// RecentIDs is how many ids of accepted events are remembered at least
	// (up to twice as many are): an event that comes again (a client retrying
	// after a timeout, though the first attempt went through) is dropped
	// instead of being chained twice, which would leave a gap where the
	// duplicate's number was. 0 turns it off.
	RecentIDs int `mapstructure:"recent_ids"`
}

// DropConfig drops noise before anything else happens to it.
type DropConfig struct {
	// Conditions are OTTL boolean expressions; an event matching any is dropped.
	Conditions []string `mapstructure:"conditions"`
}

var _ component.Config = (*Config)(nil)

// Validate compiles every OTTL expression and regex once so that a bad rule
// fails at configuration time with its index.
func (cfg *Config) Validate() error {
	var errs []error
	parser, err := newLogParser(component.TelemetrySettings{Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	for i, r := range cfg.Rules {
		if err := validateClassificationRule(parser, r); err != nil {
			errs = append(errs, fmt.Errorf("rules[%d]: %w", i, err))
		}
	}
	for i, c := range cfg.Drop.Conditions {
		if _, err := parser.ParseCondition(c); err != nil {
			errs = append(errs, fmt.Errorf("drop.conditions[%d]: %w", i, err))
		}
	}
	for alias, module := range cfg.ModuleAliases {
		if !semconv.IsModule(module) {
			errs = append(errs, fmt.Errorf("module_aliases[%s]: %q is not a lower-case identifier", alias, module))
		}
	}
	if cfg.Diff.Enabled && (cfg.Diff.MaxFields <= 0 || cfg.Diff.MaxBytes < 64) {
		errs = append(errs, errDiffLimits)
	}
	if cfg.Redaction.Enabled {
		if _, err := newRedactor(cfg.Redaction); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.Chain.RecentIDs < 0 {
		errs = append(errs, errNegativeRecentIDs)
	}
	if cfg.Chain.Enabled && cfg.Chain.StreamKey == "" {
		errs = append(errs, errEmptyStreamKey)
	}
	return errors.Join(errs...)
}

func validateClassificationRule(parser logParser, r ClassificationRule) error {
	if strings.TrimSpace(r.Condition) == "" {
		return errEmptyCondition
	}
	if r.Set.empty() {
		return errRuleSetsNothing
	}
	for _, f := range []struct {
		name, value string
		allowed     []string
	}{
		{"category", r.Set.Category, semconv.Categories},
		{"severity", r.Set.Severity, semconv.Severities},
		{"actor_type", r.Set.ActorType, semconv.ActorTypes},
	} {
		if f.value != "" && !slices.Contains(f.allowed, f.value) {
			return fmt.Errorf("set.%s %q is not one of %s", f.name, f.value, strings.Join(f.allowed, ", "))
		}
	}
	if r.Set.Module != "" && !semconv.IsModule(r.Set.Module) {
		return fmt.Errorf("set.module %q is not a lower-case identifier", r.Set.Module)
	}
	if _, err := parser.ParseCondition(r.Condition); err != nil {
		return fmt.Errorf("condition `%s`: %w", r.Condition, err)
	}
	return nil
}
