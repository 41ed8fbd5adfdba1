package auditgen

import "github.com/auditpipe/auditpipe/semconv"

// ActionSpec is one action of the generated back-office and what the default
// processor rules should assign to it.
type ActionSpec struct {
	Action     string // the log record's EventName
	Module     string // audit.module
	TargetType string // audit.target.type ("" when the action has no target)
	Category   string // expected audit.action.category
	Severity   string // expected audit.severity when the outcome is success
	// FailedSeverity is the expected audit.severity when the outcome is
	// failure or denied; "" means the same as Severity.
	FailedSeverity string
}

// Expectation is what the default processor rules should assign to an event:
// the scripted truth that tests reconcile stored documents against.
type Expectation struct {
	Category string `json:"category"`
	Severity string `json:"severity"`
}

// Expect returns the expectation for action with outcome; ok is false for an
// action outside the taxonomy.
func Expect(action, outcome string) (exp Expectation, ok bool) {
	for i := range taxonomy {
		if taxonomy[i].Action == action {
			return taxonomy[i].expect(outcome), true
		}
	}
	return Expectation{}, false
}

func (s *ActionSpec) expect(outcome string) Expectation {
	if outcome != semconv.OutcomeSuccess && s.FailedSeverity != "" {
		return Expectation{Category: s.Category, Severity: s.FailedSeverity}
	}
	return Expectation{Category: s.Category, Severity: s.Severity}
}

// Actions returns the taxonomy, one entry per action, in a stable order.
// The processor's classification tests and the alerting end-to-end tests use
// it as the table of record.
func Actions() []ActionSpec {
	out := make([]ActionSpec, len(taxonomy))
	for i := range taxonomy {
		out[i] = taxonomy[i].ActionSpec
	}
	return out
}

// Roles of back-office employees.
const (
	RoleSupport        = "support"
	RoleFinanceManager = "finance_manager"
	RoleBonusManager   = "bonus_manager"
	RoleAdmin          = "admin"
	RoleRiskAnalyst    = "risk_analyst"
	RoleMarketing      = "marketing"
)

// Roles lists the employee roles the generator assigns.
var Roles = []string{RoleSupport, RoleFinanceManager, RoleBonusManager, RoleAdmin, RoleRiskAnalyst, RoleMarketing}

// actionDef adds to the public spec who performs the action, how often, and
// how its change values look.
type actionDef struct {
	ActionSpec
	weight float64 // relative frequency in the mix
	// roles of the employees who perform it; byPlayers adds players (self
	// service). Services and system jobs list their own actions.
	roles     []string
	byPlayers bool
	// failRate is the share of attempts that fail or are denied.
	failRate   float64
	failStatus string
	fill       fillFunc
}

// taxonomy is the generated back-office. Weights approximate a day of a
// mid-size operator: reads and logins dominate, critical actions are rare.
var taxonomy = []actionDef{
	{ActionSpec: ActionSpec{"auth.login", semconv.ModuleAuth, "session", semconv.CategoryLogin, semconv.SeverityInfo, semconv.SeverityMedium},
		weight: 14, roles: Roles, byPlayers: true, failRate: 0.08, failStatus: semconv.OutcomeFailure, fill: fillLogin},
	{ActionSpec: ActionSpec{"auth.logout", semconv.ModuleAuth, "session", semconv.CategoryLogin, semconv.SeverityInfo, ""},
		weight: 5, roles: Roles, byPlayers: true, fill: fillLogout},
	{ActionSpec: ActionSpec{"report.view", semconv.ModuleReports, "report", semconv.CategoryExportAccess, semconv.SeverityInfo, semconv.SeverityLow},
		weight: 14, roles: Roles, failRate: 0.02, failStatus: semconv.OutcomeDenied, fill: fillReportView},
	{ActionSpec: ActionSpec{"report.export", semconv.ModuleReports, "report", semconv.CategoryExportAccess, semconv.SeverityMedium, ""},
		weight: 4, roles: []string{RoleFinanceManager, RoleRiskAnalyst, RoleMarketing, RoleAdmin}, failRate: 0.03, failStatus: semconv.OutcomeDenied, fill: fillReportExport},
	{ActionSpec: ActionSpec{"api.access", semconv.ModuleAPI, "endpoint", semconv.CategoryExportAccess, semconv.SeverityInfo, semconv.SeverityMedium},
		weight: 8, failRate: 0.2, failStatus: semconv.OutcomeDenied, fill: fillAPIAccess},
	{ActionSpec: ActionSpec{"player.profile_update", semconv.ModulePlayers, "player", semconv.CategoryDataChange, semconv.SeverityLow, ""},
		weight: 12, roles: []string{RoleSupport, RoleAdmin}, byPlayers: true, failRate: 0.02, failStatus: semconv.OutcomeFailure, fill: fillProfileUpdate},
	{ActionSpec: ActionSpec{"player.balance_adjust", semconv.ModuleFinance, "player", semconv.CategoryFinancial, semconv.SeverityHigh, semconv.SeverityMedium},
		weight: 5, roles: []string{RoleFinanceManager, RoleAdmin}, failRate: 0.02, failStatus: semconv.OutcomeDenied, fill: fillBalanceAdjust},
	{ActionSpec: ActionSpec{"bonus.create", semconv.ModuleBonuses, "bonus", semconv.CategoryCreate, semconv.SeverityLow, ""},
		weight: 2, roles: []string{RoleBonusManager, RoleMarketing}, fill: fillBonusCreate},
	{ActionSpec: ActionSpec{"bonus.grant", semconv.ModuleBonuses, "player", semconv.CategoryFinancial, semconv.SeverityMedium, ""},
		weight: 8, roles: []string{RoleBonusManager}, failRate: 0.01, failStatus: semconv.OutcomeFailure, fill: fillBonusGrant},
	{ActionSpec: ActionSpec{"bonus.manual_grant", semconv.ModuleBonuses, "player", semconv.CategoryCritical, semconv.SeverityCritical, semconv.SeverityHigh},
		weight: 2, roles: []string{RoleBonusManager, RoleSupport, RoleAdmin}, failRate: 0.03, failStatus: semconv.OutcomeDenied, fill: fillManualBonus},
	{ActionSpec: ActionSpec{"transaction.delete", semconv.ModuleFinance, "transaction", semconv.CategoryDelete, semconv.SeverityHigh, ""},
		weight: 1, roles: []string{RoleFinanceManager, RoleAdmin}, failRate: 0.05, failStatus: semconv.OutcomeDenied, fill: fillTransactionDelete},
	{ActionSpec: ActionSpec{"banner.add", semconv.ModuleContent, "banner", semconv.CategoryCreate, semconv.SeverityInfo, ""},
		weight: 2, roles: []string{RoleMarketing}, fill: fillBannerAdd},
	{ActionSpec: ActionSpec{"role.assign", semconv.ModuleEmployees, "employee", semconv.CategoryCritical, semconv.SeverityHigh, ""},
		weight: 1, roles: []string{RoleAdmin}, failRate: 0.05, failStatus: semconv.OutcomeDenied, fill: fillRoleAssign},
	{ActionSpec: ActionSpec{"role.revoke", semconv.ModuleEmployees, "employee", semconv.CategoryRights, semconv.SeverityMedium, ""},
		weight: 1, roles: []string{RoleAdmin}, failRate: 0.05, failStatus: semconv.OutcomeDenied, fill: fillRoleRevoke},
	{ActionSpec: ActionSpec{"employee.lock", semconv.ModuleEmployees, "employee", semconv.CategoryCritical, semconv.SeverityHigh, ""},
		weight: 0.5, roles: []string{RoleAdmin}, fill: fillEmployeeLock},
	{ActionSpec: ActionSpec{"withdrawal.cancel", semconv.ModulePayments, "withdrawal", semconv.CategoryCritical, semconv.SeverityCritical, semconv.SeverityHigh},
		weight: 1.5, roles: []string{RoleFinanceManager, RoleRiskAnalyst, RoleAdmin}, failRate: 0.03, failStatus: semconv.OutcomeFailure, fill: fillWithdrawalCancel},
	{ActionSpec: ActionSpec{"promotion.disable", semconv.ModuleCampaigns, "promotion", semconv.CategoryCritical, semconv.SeverityHigh, ""},
		weight: 0.5, roles: []string{RoleMarketing, RoleBonusManager, RoleAdmin}, fill: fillPromotionDisable},
	{ActionSpec: ActionSpec{"settings.update", semconv.ModuleSettings, "setting", semconv.CategoryConfig, semconv.SeverityMedium, ""},
		weight: 3, roles: []string{RoleAdmin}, failRate: 0.02, failStatus: semconv.OutcomeFailure, fill: fillSettingsUpdate},
}
