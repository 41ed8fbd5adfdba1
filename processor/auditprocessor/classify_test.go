package auditprocessor

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

func newTestClassifier(t testing.TB, cfg *Config) *classifier {
	t.Helper()
	c, err := newClassifier(cfg, componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	return c
}

func classifyOne(t *testing.T, c *classifier, lr plog.LogRecord, ld plog.Logs) bool {
	t.Helper()
	rl := ld.ResourceLogs().At(0)
	return c.classify(context.Background(), rl, rl.ScopeLogs().At(0), lr)
}

// seedTaxonomy mirrors internal/auditgen's taxonomy (Actions(), the table of
// record for generated events): action, success category and severity, and
// severity when the attempt failed or was denied (failStatus "" for actions
// the generator never fails).
var seedTaxonomy = []struct {
	action, category, severity, failedSeverity, failStatus string
}{
	{"auth.login", "login", "info", "medium", "failure"},
	{"auth.logout", "login", "info", "", ""},
	{"report.view", "export_access", "info", "low", "denied"},
	{"report.export", "export_access", "medium", "medium", "denied"},
	{"api.access", "export_access", "info", "medium", "denied"},
	{"player.profile_update", "data_change", "low", "low", "failure"},
	{"player.balance_adjust", "financial", "high", "medium", "denied"},
	{"bonus.create", "create", "low", "", ""},
	{"bonus.grant", "financial", "medium", "medium", "failure"},
	{"bonus.manual_grant", "critical", "critical", "high", "denied"},
	{"transaction.delete", "delete", "high", "high", "denied"},
	{"banner.add", "create", "info", "", ""},
	{"role.assign", "critical", "high", "high", "denied"},
	{"role.revoke", "rights", "medium", "medium", "denied"},
	{"employee.lock", "critical", "high", "", ""},
	{"withdrawal.cancel", "critical", "critical", "high", "failure"},
	{"promotion.disable", "critical", "high", "", ""},
	{"settings.update", "config", "medium", "medium", "failure"},
}

func TestDefaultRulesClassifySeedTaxonomy(t *testing.T) {
	c := newTestClassifier(t, createDefaultConfig().(*Config))
	for _, tc := range seedTaxonomy {
		for _, outcome := range []string{semconv.OutcomeSuccess, tc.failStatus} {
			if outcome == "" {
				continue
			}
			t.Run(tc.action+"/"+outcome, func(t *testing.T) {
				ld, lr := newEvent(tc.action, outcome)
				assert.True(t, classifyOne(t, c, lr, ld))
				want := tc.severity
				if outcome != semconv.OutcomeSuccess {
					want = tc.failedSeverity
				}
				assert.Equal(t, tc.category, attr(lr, semconv.AttrActionCategory))
				assert.Equal(t, want, attr(lr, semconv.AttrSeverity))
			})
		}
	}
}

func TestDefaultRulesBeyondTheSeeds(t *testing.T) {
	c := newTestClassifier(t, createDefaultConfig().(*Config))
	for _, tc := range []struct{ action, outcome, category, severity string }{
		{"auth.login", "denied", "login", "high"},
		{"auth.2fa_verify", "failure", "login", "medium"},
		{"permission.grant", "success", "rights", "high"},
		{"employee.assign_role", "success", "rights", "high"},
		{"player.export", "success", "export_access", "medium"},
		{"player.kyc_view", "success", "export_access", "info"},
		{"payment.refund", "success", "financial", "high"},
		{"wallet.adjust", "denied", "financial", "medium"},
		{"deposit.delete", "success", "delete", "high"},
		{"feature_flag.toggle", "success", "config", "medium"},
		{"game.config_update", "success", "config", "medium"},
		{"campaign.create", "success", "create", "low"},
		{"game.delete", "success", "delete", "medium"},
		{"player.block", "success", "data_change", "low"},
		{"player.block", "denied", "data_change", "medium"},
	} {
		t.Run(tc.action+"/"+tc.outcome, func(t *testing.T) {
			ld, lr := newEvent(tc.action, tc.outcome)
			classifyOne(t, c, lr, ld)
			assert.Equal(t, tc.category, attr(lr, semconv.AttrActionCategory))
			assert.Equal(t, tc.severity, attr(lr, semconv.AttrSeverity))
		})
	}
}

func TestActorTypeOnlyWhenAbsent(t *testing.T) {
	c := newTestClassifier(t, createDefaultConfig().(*Config))
	for _, tc := range []struct{ actorID, roles, preset, want string }{
		{"emp-1042", "", "", semconv.ActorEmployee},
		{"svc-payments", "", "", semconv.ActorService},
		{"job-nightly-recon", "", "", semconv.ActorSystem},
		{"system", "", "", semconv.ActorSystem},
		{"p-338812", "", "", semconv.ActorPlayer},
		{"8812", "player", "", semconv.ActorPlayer},
		{"svc-payments", "", semconv.ActorEmployee, semconv.ActorEmployee},
	} {
		t.Run(tc.actorID+"/"+tc.preset, func(t *testing.T) {
			ld, lr := newEvent("player.profile_update", "success", semconv.AttrActorID, tc.actorID)
			if tc.roles != "" {
				lr.Attributes().PutEmptySlice(semconv.AttrActorRoles).AppendEmpty().SetStr(tc.roles)
			}
			if tc.preset != "" {
				lr.Attributes().PutStr(semconv.AttrActorType, tc.preset)
			}
			classifyOne(t, c, lr, ld)
			assert.Equal(t, tc.want, attr(lr, semconv.AttrActorType))
		})
	}
}

func TestModuleNormalisation(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ModuleAliases = map[string]string{"Sports-Book": "games"}
	c := newTestClassifier(t, cfg)
	for _, tc := range []struct{ action, module, want string }{
		{"bonus.manual_grant", "bonus", semconv.ModuleBonuses},
		{"bonus.manual_grant", "Bonus", semconv.ModuleBonuses},
		{"player.profile_update", "player", semconv.ModulePlayers},
		{"player.profile_update", "Customer Care", "customer_care"},
		{"withdrawal.cancel", "", semconv.ModulePayments},
		{"promotion.disable", "", semconv.ModuleCampaigns},
		{"bet.void", "sports book", semconv.ModuleGames},
		{"settings.update", "settings", semconv.ModuleSettings},
	} {
		t.Run(tc.action+"/"+tc.module, func(t *testing.T) {
			ld, lr := newEvent(tc.action, "success")
			if tc.module != "" {
				lr.Attributes().PutStr(semconv.AttrModule, tc.module)
			}
			classifyOne(t, c, lr, ld)
			assert.Equal(t, tc.want, attr(lr, semconv.AttrModule))
		})
	}
}

func TestUserRulesWinPerFieldAndDefaultsFillTheRest(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = []ClassificationRule{
		{Name: "vip", Condition: `event_name == "player.profile_update" and attributes["audit.tenant"] == "vip"`,
			Set: Classification{Severity: semconv.SeverityHigh}},
		{Name: "later", Condition: `true`, Set: Classification{Severity: semconv.SeverityInfo, Module: "crm"}},
	}
	c := newTestClassifier(t, cfg)

	ld, lr := newEvent("player.profile_update", "success", semconv.AttrTenant, "vip")
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.SeverityHigh, attr(lr, semconv.AttrSeverity), "first matching rule sets severity")
	assert.Equal(t, "crm", attr(lr, semconv.AttrModule), "a later rule still sets a field the first left open")
	assert.Equal(t, semconv.CategoryDataChange, attr(lr, semconv.AttrActionCategory), "defaults fill category")

	ld, lr = newEvent("player.profile_update", "success", semconv.AttrTenant, "brand-eu")
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.SeverityInfo, attr(lr, semconv.AttrSeverity))
}

func TestWithoutDefaultRulesUnmatchedEventsAreLeftAlone(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DefaultRules = false
	cfg.Rules = []ClassificationRule{{Condition: `event_name == "a.b"`, Set: Classification{Category: "config"}}}
	c := newTestClassifier(t, cfg)
	ld, lr := newEvent("x.y", "success", semconv.AttrActionCategory, "delete")
	assert.False(t, classifyOne(t, c, lr, ld))
	assert.Equal(t, "delete", attr(lr, semconv.AttrActionCategory))
	assert.Empty(t, attr(lr, semconv.AttrSeverity))
}

// BenchmarkClassify runs the default rules on auditgen's mix; one op is one
// event. Classification writes attributes that its rules read (the actor
// type), so every op gets a fresh copy, made with the timer stopped, into
// the same Logs each time (garbage from copying would otherwise be collected
// on the timer) and with room for the attributes the pipeline adds, as
// processLogs makes it.
func BenchmarkClassify(b *testing.B) {
	c := newTestClassifier(b, createDefaultConfig().(*Config))
	templates := benchBatches(b)
	copies := make([]plog.Logs, len(templates))
	for i := range copies {
		copies[i] = plog.NewLogs()
	}
	type record struct {
		rl plog.ResourceLogs
		sl plog.ScopeLogs
		lr plog.LogRecord
	}
	records := make([]record, 0, len(templates)*benchBatch)
	refresh := func() {
		records = records[:0]
		for i, tmpl := range templates {
			tmpl.CopyTo(copies[i])
			for _, rl := range copies[i].ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						lr.Attributes().EnsureCapacity(lr.Attributes().Len() + pipelineAttributes)
						records = append(records, record{rl, sl, lr})
					}
				}
			}
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n += len(records) {
		b.StopTimer()
		refresh()
		b.StartTimer()
		for _, r := range records[:min(len(records), b.N-n)] {
			c.classify(ctx, r.rl, r.sl, r.lr)
		}
	}
}

func TestClassifierRemembersEventNamesUpToTheBound(t *testing.T) {
	c := newTestClassifier(t, createDefaultConfig().(*Config))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range maxNameCache + 100 {
				ld, lr := newEvent(fmt.Sprintf("item%d.delete", i), semconv.OutcomeSuccess)
				rl := ld.ResourceLogs().At(0)
				c.classify(context.Background(), rl, rl.ScopeLogs().At(0), lr)
				assert.Equal(t, semconv.CategoryDelete, attr(lr, semconv.AttrActionCategory), lr.EventName())
			}
		})
	}
	wg.Wait()
	assert.Len(t, c.byName.contents(), maxNameCache)

	// Past the bound names are still classified, only not remembered.
	ld, lr := newEvent("role.assign", semconv.OutcomeSuccess)
	classifyOne(t, c, lr, ld)
	assert.Equal(t, semconv.CategoryCritical, attr(lr, semconv.AttrActionCategory))
	assert.NotContains(t, c.byName.contents(), "role.assign")
}
