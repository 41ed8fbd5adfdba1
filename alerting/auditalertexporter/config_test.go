package auditalertexporter

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/alerting/notifier"
	"github.com/auditpipe/auditpipe/alerting/rule"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadDefaultConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.Equal(t, time.Second, cfg.EvaluationInterval)
	assert.Equal(t, LogReceiver, cfg.DefaultReceiver)
}

func TestLoadFullConfig(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	storageID := component.MustNewIDWithName("file_storage", "alerts")
	assert.Equal(t, &storageID, cfg.Storage)
	assert.Equal(t, 5*time.Second, cfg.EvaluationInterval)
	assert.Equal(t, "security", cfg.DefaultReceiver)
	require.Len(t, cfg.Receivers, 2)

	mail := cfg.Receivers[0].Notifiers[0]
	assert.Equal(t, "security-mail", mail.Name)
	assert.Equal(t, "email", mail.Kind())
	assert.Equal(t, []string{"security@casino.example", "oncall@casino.example"}, mail.Email.To)
	assert.Equal(t, "s3cret", string(mail.Email.Password))
	assert.Equal(t, notifier.AuthLogin, mail.Email.Auth)
	assert.Equal(t, 15*time.Second, mail.Timeout)
	assert.Equal(t, notifier.RetryConfig{MaxAttempts: 5, InitialInterval: 2 * time.Second, MaxInterval: time.Minute}, mail.Retry)
	assert.Equal(t, notifier.RateLimitConfig{PerSecond: 0.5, Burst: 3}, mail.RateLimit)
	assert.Equal(t, 50, mail.QueueSize)
	assert.Equal(t, "-1001234567890", cfg.Receivers[0].Notifiers[1].Telegram.ChatID)
	finance := cfg.Receivers[1].Notifiers
	assert.Equal(t, "#finance-alerts", finance[0].Slack.Channel)
	assert.Equal(t, "https://hooks.slack.com/services/T000/B000/XXXX", string(finance[1].Slack.WebhookURL))
	assert.Equal(t, "Bearer abc", string(finance[2].Webhook.Headers["Authorization"]))

	require.Len(t, cfg.Rules, 4)
	logins := cfg.Rules[1]
	assert.Equal(t, rule.KindThreshold, logins.Kind)
	assert.Equal(t, 10, logins.Threshold)
	assert.Equal(t, 5*time.Minute, logins.Window)
	assert.Equal(t, 30*time.Second, logins.For)
	assert.Equal(t, time.Hour, logins.RepeatInterval)
	assert.Equal(t, 10*time.Minute, logins.ResolveAfter)
	require.NotNil(t, logins.SendResolved)
	assert.False(t, *logins.SendResolved)
	assert.Equal(t, []rule.MuteConfig{{Days: []string{"sat", "sun"}, Start: "00:00", End: "08:00", Timezone: "Europe/Malta"}}, logins.Mute)
	assert.True(t, cfg.Rules[2].Muted)
	assert.Equal(t, []string{"finance", "log"}, cfg.Rules[0].Receivers)
	assert.InDelta(t, 3.0, cfg.Rules[3].RateFactor, 0)
}

func TestInvalidConfigs(t *testing.T) {
	for name, want := range map[string]string{
		"bad_ottl":             `rules[1] "broken": match:`,
		"unknown_receiver":     `rules[0] "roles": receiver "pager": unknown receiver`,
		"bad_template":         `rules[0] "roles": summary template`,
		"bad_default_receiver": `default_receiver "nobody": unknown receiver`,
		"bad_notifier":         `receivers[0] "chat": notifiers[0]: telegram: bot_token is required`,
		"bad_duration":         `window`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		})
	}
}

func TestValidateRejectsBadIntervalsAndReceivers(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.EvaluationInterval = 0
	cfg.Receivers = []ReceiverConfig{{Name: "a"}, {Name: "a", Notifiers: []notifier.Config{{Log: &notifier.LogConfig{}}}}, {Notifiers: []notifier.Config{{Log: &notifier.LogConfig{}}}}}
	err := cfg.Validate()
	require.Error(t, err)
	for _, want := range []string{"evaluation_interval must be positive", "at least one notifier", "duplicate receiver name", "receiver needs a name"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestRulesFileIsValidatedAndMerged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	require.NoError(t, os.WriteFile(path, []byte("rules:\n  - name: roles\n    match: 'event_name == \"role.assign\"'\n    window: 10m\n"), 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.RulesFile = path
	cfg.Rules = []rule.Config{{Name: "inline", Match: "true"}}
	require.NoError(t, cfg.Validate())
	rules, err := cfg.allRules()
	require.NoError(t, err)
	require.Len(t, rules, 2)
	assert.Equal(t, 10*time.Minute, rules[1].Window)

	require.NoError(t, os.WriteFile(path, []byte("rules:\n  - name: inline\n    match: 'true'\n    colour: red\n"), 0o600))
	err = cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "colour", "unknown keys are rejected")

	cfg.RulesFile = filepath.Join(dir, "missing.yaml")
	assert.ErrorContains(t, cfg.Validate(), "rules_file")
}
