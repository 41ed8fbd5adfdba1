package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"context"

	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// LogMessage is the message of every log notification. `make run` greps the
// collector's log for it, so it must not change.
const LogMessage = "audit alert"

// LogConfig configures the log notifier; it has no settings yet.
type LogConfig struct{}

// Log writes each alert as one structured line on the collector's logger:
// the default receiver, and the alert record of the demo.
type Log struct {
	name   string
	logger *zap.Logger
}

// NewLog returns a log notifier writing to logger.
func NewLog(name string, logger *zap.Logger) *Log {
	return &Log{name: name, logger: logger}
}

// Name returns the notifier's name.
func (l *Log) Name() string { return l.name }

// Notify logs one line per alert. The field order (rule, state, severity,
// group, summary) is what the demo's summary parses.
func (l *Log) Notify(_ context.Context, alerts []rule.Alert) error {
	for _, a := range alerts {
		l.logger.Info(LogMessage,
			zap.String("rule", a.Rule),
			zap.String("state", a.State.String()),
			zap.String("severity", a.Severity),
			zap.String("group", a.GroupKey),
			zap.String("summary", a.Summary),
			zap.Int("count", a.Count),
			zap.Bool("repeat", a.Repeat),
			zap.String("fingerprint", a.Fingerprint()),
			zap.Time("starts_at", a.StartsAt),
		)
	}
	return nil
}
