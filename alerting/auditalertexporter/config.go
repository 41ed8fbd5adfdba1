package auditalertexporter // import "github.com/auditpipe/auditpipe/alerting/auditalertexporter"

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.yaml.in/yaml/v3"

	"github.com/auditpipe/auditpipe/alerting/notifier"
	"github.com/auditpipe/auditpipe/alerting/rule"
)

// LogReceiver is the built-in receiver that writes alerts to the collector's
// log. It exists unless a receiver of that name is configured.
const LogReceiver = "log"

var (
	errUnknownReceiver    = errors.New("unknown receiver")
	errDuplicateReceiver  = errors.New("duplicate receiver name")
	errNoReceiverName     = errors.New("receiver needs a name")
	errNoNotifiers        = errors.New("receiver needs at least one notifier")
	errEvaluationInterval = errors.New("evaluation_interval must be positive")
	errReloadInterval     = errors.New("rules_reload_interval must be positive")
)

// Config is the audit_alert exporter's configuration.
type Config struct {
	// Rules are inline alert rules.
	Rules []rule.Config `mapstructure:"rules"`
	// RulesFile is a YAML file with a top-level `rules:` list, merged with
	// Rules and reloaded when its modification time changes.
	RulesFile string `mapstructure:"rules_file"`
	// RulesReloadInterval is how often RulesFile's modification time is checked.
	RulesReloadInterval time.Duration `mapstructure:"rules_reload_interval"`
	// EvaluationInterval is how often time-driven transitions are evaluated:
	// pending alerts firing, windows sliding, silences, repeats, resolution.
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// Receivers group notifiers under a name rules refer to.
	Receivers []ReceiverConfig `mapstructure:"receivers"`
	// DefaultReceiver gets the alerts of rules that name no receiver.
	DefaultReceiver string `mapstructure:"default_receiver"`
	// Storage is a storage extension (e.g. file_storage) that keeps alert
	// state across restarts; without it state lives in memory only.
	Storage *component.ID `mapstructure:"storage"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ReceiverConfig is a named group of notifiers.
type ReceiverConfig struct {
	Name      string            `mapstructure:"name"`
	Notifiers []notifier.Config `mapstructure:"notifiers"`
}

// Validate checks the whole configuration, compiling every rule (inline and
// from rules_file) so a bad OTTL condition or template stops the collector at
// start-up with the rule's index and name.
func (c *Config) Validate() error {
	var errs []error
	if c.EvaluationInterval <= 0 {
		errs = append(errs, errEvaluationInterval)
	}
	if c.RulesFile != "" && c.RulesReloadInterval <= 0 {
		errs = append(errs, errReloadInterval)
	}
	receivers, err := c.validateReceivers()
	if err != nil {
		errs = append(errs, err)
	}
	if !receivers[c.DefaultReceiver] {
		errs = append(errs, fmt.Errorf("default_receiver %q: %w", c.DefaultReceiver, errUnknownReceiver))
	}
	rules, err := c.allRules()
	if err != nil {
		errs = append(errs, err)
	} else {
		if _, err := rule.Compile(rules, validationTelemetry()); err != nil {
			errs = append(errs, err)
		}
		for i, r := range rules {
			for _, name := range r.Receivers {
				if !receivers[name] {
					errs = append(errs, fmt.Errorf("rules[%d] %q: receiver %q: %w", i, r.Name, name, errUnknownReceiver))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// validateReceivers returns the set of receiver names, the built-in log
// receiver included.
func (c *Config) validateReceivers() (map[string]bool, error) {
	names := map[string]bool{LogReceiver: true}
	seen := map[string]bool{}
	var errs []error
	for i, r := range c.Receivers {
		prefix := fmt.Sprintf("receivers[%d] %q", i, r.Name)
		switch {
		case r.Name == "":
			errs = append(errs, fmt.Errorf("%s: %w", prefix, errNoReceiverName))
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("%s: %w", prefix, errDuplicateReceiver))
		}
		seen[r.Name], names[r.Name] = true, true
		if len(r.Notifiers) == 0 {
			errs = append(errs, fmt.Errorf("%s: %w", prefix, errNoNotifiers))
		}
		for j := range r.Notifiers {
			if err := r.Notifiers[j].Validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s: notifiers[%d]: %w", prefix, j, err))
			}
		}
	}
	return names, errors.Join(errs...)
}

// allRules returns the inline rules followed by those of rules_file.
func (c *Config) allRules() ([]rule.Config, error) {
	if c.RulesFile == "" {
		return c.Rules, nil
	}
	fromFile, err := loadRulesFile(c.RulesFile)
	if err != nil {
		return nil, err
	}
	return append(append([]rule.Config(nil), c.Rules...), fromFile...), nil
}

// rulesFile is the shape of rules_file.
type rulesFile struct {
	Rules []rule.Config `mapstructure:"rules"`
}

// loadRulesFile reads a rules file with the collector's own decoder, so
// durations, strictness and error messages match the inline rules.
func loadRulesFile(path string) ([]rule.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules_file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("rules_file %s: %w", path, err)
	}
	var f rulesFile
	if err := confmap.NewFromStringMap(raw).Unmarshal(&f); err != nil {
		return nil, fmt.Errorf("rules_file %s: %w", path, err)
	}
	return f.Rules, nil
}

// validationTelemetry is what compiling rules for validation needs: OTTL's
// parser wants telemetry settings, and validation has none.
func validationTelemetry() component.TelemetrySettings {
	return component.TelemetrySettings{
		Logger:         zap.NewNop(),
		MeterProvider:  metricnoop.NewMeterProvider(),
		TracerProvider: tracenoop.NewTracerProvider(),
	}
}
