package auditprocessor

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfigDefault(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.NoError(t, confmap.Validate(cfg))
}

func TestLoadConfigFull(t *testing.T) {
	cfg := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(cfg))
	storage := component.MustNewIDWithName("file_storage", "audit")
	assert.Equal(t, &Config{
		DefaultRules: true,
		Rules: []ClassificationRule{
			{
				Name:      "vip_payout",
				Condition: `event_name == "withdrawal.approve" and ContainsValue(attributes["audit.tags"], "vip")`,
				Set:       Classification{Category: "critical", Severity: "critical"},
			},
			{Name: "bot_actor", Condition: `IsMatch(attributes["user.id"], "^robot-")`, Set: Classification{ActorType: "service"}},
		},
		ModuleAliases: map[string]string{"sportsbook": "games"},
		Diff:          DiffConfig{Enabled: true, MaxFields: 32, MaxBytes: 4096},
		Redaction: RedactionConfig{
			Enabled: true, DefaultRules: true, HashKey: "test-key-not-secret",
			Actions: map[string]Action{"email": ActionHash},
			Rules: []RedactionRule{{
				Name: "passport", Keys: []string{"passport_number"}, Pattern: `\b[A-Z]{2}\d{7}\b`, Action: ActionHash,
			}},
		},
		Chain: ChainConfig{Enabled: true, StreamKey: "audit.tenant", Storage: &storage, RecentIDs: 100_000},
		Drop:  DropConfig{Conditions: []string{`event_name == "health.check"`}},
	}, cfg)
}

func TestValidateNamesTheBadRuleAndTheOTTLError(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "bad_rule"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rules[1]")
	assert.Contains(t, err.Error(), `event_name === "broken"`)
	assert.NotContains(t, err.Error(), "rules[0]")
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "bad_values"))
	require.Error(t, err)
	for _, want := range []string{
		`rules[0]: set.category "nonsense"`,
		"rules[1]: " + errRuleSetsNothing.Error(),
		"redaction.actions[nonexistent]: " + errUnknownBuiltin.Error(),
		"redaction.rules[0]: pattern",
		"redaction.rules[1]: " + errRuleMatchesNone.Error(),
		"redaction rule email: " + errMissingHashKey.Error(),
		errEmptyStreamKey.Error(),
		"drop.conditions[0]",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestValidateDiffLimits(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Diff.MaxFields = 0
	assert.ErrorIs(t, cfg.Validate(), errDiffLimits)
}
