// Package rule compiles audit alert rules and evaluates them over the audit
// stream: every matching event, a threshold of events in a window, a change of
// rate between two windows, or the absence of events. It keeps one state
// machine per rule and group (Inactive, Pending, Firing, Resolved) and returns
// the notifications due; delivering them is the notifier package's job.
package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"errors"
	"fmt"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// Kind is how a rule turns matching events into an alert condition.
type Kind string

const (
	// KindEvery alerts on each matching event (per group when group_by is set,
	// otherwise per event).
	KindEvery Kind = "every"
	// KindThreshold alerts when at least Threshold events match within Window.
	KindThreshold Kind = "threshold"
	// KindRate alerts when the matches in the last Window are at least
	// RateFactor times those in the Window before it.
	KindRate Kind = "rate"
	// KindAbsence alerts when a group that was seen before has had no
	// matching event for Window.
	KindAbsence Kind = "absence"
)

// DefaultMaxGroups bounds the groups one rule tracks when max_groups is 0.
const DefaultMaxGroups = 10000

// defaultEveryWindow is how long an `every` alert stays active after its last
// matching event when the rule sets no window.
const defaultEveryWindow = 5 * time.Minute

var (
	errNoName          = errors.New("name is required")
	errDuplicateName   = errors.New("duplicate rule name")
	errNoMatch         = errors.New("match is required")
	errUnknownKind     = errors.New(`kind must be one of "every", "threshold", "rate", "absence"`)
	errNoWindow        = errors.New("window must be positive for this kind")
	errThreshold       = errors.New("threshold must be at least 1")
	errRateFactor      = errors.New("rate_factor must be greater than 1")
	errNegative        = errors.New("for, repeat_interval, resolve_after, window and max_groups must not be negative")
	errUnknownSeverity = errors.New("severity must be one of info, low, medium, high, critical")
	errAbsenceGroupBy  = errors.New("absence needs group_by (e.g. service.name) to know which groups went silent")
)

// Config is one alert rule as written in YAML.
type Config struct {
	// Name identifies the rule in alerts, state and logs; unique.
	Name string `mapstructure:"name"`
	// Match is an OTTL condition over the log record (ottllog context), e.g.
	// `event_name == "role.assign"`.
	Match string `mapstructure:"match"`
	// Kind is every (default), threshold, rate or absence.
	Kind Kind `mapstructure:"kind"`
	// Threshold is the number of matches within Window that fires a
	// threshold rule, and the minimum count in the current window for a rate rule.
	Threshold int `mapstructure:"threshold"`
	// Window is the sliding window of threshold and rate rules, the silence
	// that fires an absence rule, and how long an every alert stays active.
	Window time.Duration `mapstructure:"window"`
	// RateFactor is the ratio current/previous window that fires a rate rule.
	RateFactor float64 `mapstructure:"rate_factor"`
	// GroupBy lists attributes (record attributes first, then resource
	// attributes) whose values split the rule into independent alerts.
	GroupBy []string `mapstructure:"group_by"`
	// MaxGroups bounds the groups (alerts and windows) the rule tracks, so
	// a flood of distinct addresses cannot exhaust memory; events of new
	// groups beyond it are ignored and counted. Default 10000.
	MaxGroups int `mapstructure:"max_groups"`
	// For is how long the condition must hold before the alert fires.
	For time.Duration `mapstructure:"for"`
	// RepeatInterval re-sends a still-firing alert this often; 0 never repeats.
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	// ResolveAfter is how long the condition must stay false before a
	// firing alert resolves.
	ResolveAfter time.Duration `mapstructure:"resolve_after"`
	// SendResolved sends a notification when a notified alert resolves.
	// Default: true, except for every rules without group_by.
	SendResolved *bool `mapstructure:"send_resolved"`
	// Severity of the alert; default: the matching event's audit.severity.
	Severity string `mapstructure:"severity"`
	// Labels are added to every alert of the rule.
	Labels map[string]string `mapstructure:"labels"`
	// Summary and Message are Go text/templates over TemplateData.
	Summary string `mapstructure:"summary"`
	Message string `mapstructure:"message"`
	// Receivers names the receivers notified; empty means the default receiver.
	Receivers []string `mapstructure:"receivers"`
	// Muted keeps evaluating the rule but sends nothing.
	Muted bool `mapstructure:"muted"`
	// Mute lists quiet hours during which nothing is sent.
	Mute []MuteConfig `mapstructure:"mute"`
}

// MuteConfig is a recurring quiet period: on Days (mon..sun; empty = every
// day) from Start to End ("HH:MM", End may be before Start to span midnight)
// in Timezone (IANA name; default UTC).
type MuteConfig struct {
	Days     []string `mapstructure:"days"`
	Start    string   `mapstructure:"start"`
	End      string   `mapstructure:"end"`
	Timezone string   `mapstructure:"timezone"`
}

// Validate checks what can be checked without compiling OTTL or templates.
func (c *Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errNoName)
	}
	if c.Match == "" {
		errs = append(errs, errNoMatch)
	}
	if c.For < 0 || c.RepeatInterval < 0 || c.ResolveAfter < 0 || c.Window < 0 || c.MaxGroups < 0 {
		errs = append(errs, errNegative)
	}
	switch c.kind() {
	case KindEvery:
	case KindThreshold:
		if c.Window <= 0 {
			errs = append(errs, errNoWindow)
		}
		if c.Threshold < 1 {
			errs = append(errs, errThreshold)
		}
	case KindRate:
		if c.Window <= 0 {
			errs = append(errs, errNoWindow)
		}
		if c.RateFactor <= 1 {
			errs = append(errs, errRateFactor)
		}
	case KindAbsence:
		if c.Window <= 0 {
			errs = append(errs, errNoWindow)
		}
		if len(c.GroupBy) == 0 {
			errs = append(errs, errAbsenceGroupBy)
		}
	default:
		errs = append(errs, fmt.Errorf("%w, got %q", errUnknownKind, c.Kind))
	}
	if c.Severity != "" && semconv.SeverityRank(c.Severity) < 0 {
		errs = append(errs, fmt.Errorf("%w, got %q", errUnknownSeverity, c.Severity))
	}
	for i, m := range c.Mute {
		if _, err := compileMute(m); err != nil {
			errs = append(errs, fmt.Errorf("mute[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// ValidateAll validates each rule and the uniqueness of names, prefixing each
// error with the rule's index and name so a long rules file is easy to fix.
func ValidateAll(cfgs []Config) error {
	var errs []error
	seen := map[string]int{}
	for i := range cfgs {
		if err := cfgs[i].Validate(); err != nil {
			errs = append(errs, ruleError(i, cfgs[i].Name, err))
		}
		if prev, ok := seen[cfgs[i].Name]; ok && cfgs[i].Name != "" {
			errs = append(errs, ruleError(i, cfgs[i].Name, fmt.Errorf("%w (also rules[%d])", errDuplicateName, prev)))
		}
		seen[cfgs[i].Name] = i
	}
	return errors.Join(errs...)
}

func ruleError(i int, name string, err error) error {
	return fmt.Errorf("rules[%d] %q: %w", i, name, err)
}

func (c *Config) kind() Kind {
	if c.Kind == "" {
		return KindEvery
	}
	return c.Kind
}

// window is Window with the every kind's default applied.
func (c *Config) window() time.Duration {
	if c.Window == 0 && c.kind() == KindEvery {
		return defaultEveryWindow
	}
	return c.Window
}

// perEvent reports whether each event is its own alert: an every rule
// without group_by.
func (c *Config) perEvent() bool {
	return c.kind() == KindEvery && len(c.GroupBy) == 0
}

func (c *Config) maxGroups() int {
	if c.MaxGroups == 0 {
		return DefaultMaxGroups
	}
	return c.MaxGroups
}

func (c *Config) sendResolved() bool {
	if c.SendResolved != nil {
		return *c.SendResolved
	}
	return !c.perEvent()
}
