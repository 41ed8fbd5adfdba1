// Package notifier delivers alert notifications: email over SMTP, Telegram,
// Slack, a signed Alertmanager-compatible webhook and the collector's log.
// Each notifier runs behind its own Dispatcher (bounded queue, retries, rate
// limit), so a slow or failing one never blocks the pipeline or the others.
package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// Notifier sends one batch of alerts to one destination.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, alerts []rule.Alert) error
}

// Defaults applied to a zero field of Config.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxAttempts     = 4
	DefaultInitialInterval = time.Second
	DefaultMaxInterval     = 30 * time.Second
	DefaultRatePerSecond   = 1.0
	DefaultRateBurst       = 10
	DefaultQueueSize       = 100
	DefaultDrainTimeout    = 5 * time.Second
)

var (
	errNoKind    = errors.New("set exactly one of email, telegram, slack, webhook, log")
	errManyKinds = errors.New("set only one of email, telegram, slack, webhook, log per notifier")
)

// Config is one notifier of a receiver: exactly one destination plus the
// delivery settings every destination shares.
type Config struct {
	// Name is how logs and metrics call the notifier; default "<receiver>/<kind>[<index>]".
	Name     string          `mapstructure:"name"`
	Email    *EmailConfig    `mapstructure:"email"`
	Telegram *TelegramConfig `mapstructure:"telegram"`
	Slack    *SlackConfig    `mapstructure:"slack"`
	Webhook  *WebhookConfig  `mapstructure:"webhook"`
	Log      *LogConfig      `mapstructure:"log"`

	// Timeout bounds one delivery attempt.
	Timeout time.Duration `mapstructure:"timeout"`
	Retry   RetryConfig   `mapstructure:"retry"`
	// RateLimit caps the notifications per second to this destination
	// (Telegram allows about 1 message per second per chat).
	RateLimit RateLimitConfig `mapstructure:"rate_limit"`
	// QueueSize bounds the batches waiting for this notifier; when full the
	// oldest batch is dropped, counted and logged.
	QueueSize int `mapstructure:"queue_size"`
	// DrainTimeout bounds how long shutdown keeps delivering queued batches
	// (at the rate limit); what is left then is dropped, counted and logged,
	// so a long queue never holds the collector's shutdown.
	DrainTimeout time.Duration `mapstructure:"drain_timeout"`
}

// RetryConfig is an exponential backoff between delivery attempts.
type RetryConfig struct {
	MaxAttempts     int           `mapstructure:"max_attempts"`
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	MaxInterval     time.Duration `mapstructure:"max_interval"`
}

// RateLimitConfig is a token bucket.
type RateLimitConfig struct {
	PerSecond float64 `mapstructure:"per_second"`
	Burst     int     `mapstructure:"burst"`
}

// Kind names the configured destination.
func (c *Config) Kind() string {
	switch {
	case c.Email != nil:
		return "email"
	case c.Telegram != nil:
		return "telegram"
	case c.Slack != nil:
		return "slack"
	case c.Webhook != nil:
		return "webhook"
	case c.Log != nil:
		return "log"
	}
	return ""
}

// Validate checks that exactly one destination is set and valid.
func (c *Config) Validate() error {
	n := 0
	for _, set := range []bool{c.Email != nil, c.Telegram != nil, c.Slack != nil, c.Webhook != nil, c.Log != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return errNoKind
	case n > 1:
		return errManyKinds
	}
	if c.Timeout < 0 || c.QueueSize < 0 || c.Retry.MaxAttempts < 0 || c.Retry.InitialInterval < 0 ||
		c.Retry.MaxInterval < 0 || c.RateLimit.PerSecond < 0 || c.RateLimit.Burst < 0 {
		return errors.New("timeout, queue_size, retry and rate_limit settings must not be negative")
	}
	var err error
	switch {
	case c.Email != nil:
		err = c.Email.Validate()
	case c.Telegram != nil:
		err = c.Telegram.Validate()
	case c.Slack != nil:
		err = c.Slack.Validate()
	case c.Webhook != nil:
		err = c.Webhook.Validate()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.Kind(), err)
	}
	return nil
}

// Settings name a notifier and give it the collector's logger.
type Settings struct {
	// Name is the notifier's name in logs and metrics.
	Name string
	// Receiver is the receiver the notifier belongs to (the webhook sends it).
	Receiver string
	Logger   *zap.Logger
}

// New builds the notifier c describes.
func New(ctx context.Context, set Settings, c *Config) (Notifier, error) {
	switch {
	case c.Email != nil:
		return newEmail(ctx, set.Name, c.Email)
	case c.Telegram != nil:
		return newTelegram(set.Name, c.Telegram), nil
	case c.Slack != nil:
		return newSlack(set.Name, c.Slack), nil
	case c.Webhook != nil:
		return newWebhook(set.Name, set.Receiver, c.Webhook), nil
	case c.Log != nil:
		return NewLog(set.Name, set.Logger), nil
	}
	return nil, errNoKind
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
