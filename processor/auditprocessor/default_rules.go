package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import "github.com/auditpipe/auditpipe/semconv"

// defaultClassificationRules encode the back-office taxonomy. Order matters:
// each field takes the value of the first matching rule that sets it, so the
// specific rules (critical actions, logins) come before the generic verb
// rules, and the last rule is a catch-all. The README lists the same table.
var defaultClassificationRules = []ClassificationRule{
	{
		// A failed or denied attempt at a critical money action moved no
		// money: still critical in kind, one step lower in severity.
		Name: "critical_money_attempt",
		Condition: `(event_name == "bonus.manual_grant" or event_name == "withdrawal.cancel")` +
			` and (attributes["audit.action.outcome"] == "failure" or attributes["audit.action.outcome"] == "denied")`,
		Set: Classification{Category: semconv.CategoryCritical, Severity: semconv.SeverityHigh},
	},
	{
		Name:      "critical_money",
		Condition: `event_name == "bonus.manual_grant" or event_name == "withdrawal.cancel"`,
		Set:       Classification{Category: semconv.CategoryCritical, Severity: semconv.SeverityCritical},
	},
	{
		Name:      "critical_access",
		Condition: `event_name == "role.assign" or event_name == "employee.lock" or event_name == "promotion.disable"`,
		Set:       Classification{Category: semconv.CategoryCritical, Severity: semconv.SeverityHigh},
	},
	{
		Name:      "login_denied",
		Condition: `IsMatch(event_name, "^(auth|session|login)\\.") and attributes["audit.action.outcome"] == "denied"`,
		Set:       Classification{Category: semconv.CategoryLogin, Severity: semconv.SeverityHigh},
	},
	{
		Name:      "login_failed",
		Condition: `IsMatch(event_name, "^(auth|session|login)\\.") and attributes["audit.action.outcome"] == "failure"`,
		Set:       Classification{Category: semconv.CategoryLogin, Severity: semconv.SeverityMedium},
	},
	{
		Name:      "login",
		Condition: `IsMatch(event_name, "^(auth|session|login)\\.")`,
		Set:       Classification{Category: semconv.CategoryLogin, Severity: semconv.SeverityInfo},
	},
	{
		// A refused API call is how key probing and scraping show up.
		Name:      "api_denied",
		Condition: `IsMatch(event_name, "^api\\.") and attributes["audit.action.outcome"] == "denied"`,
		Set:       Classification{Category: semconv.CategoryExportAccess, Severity: semconv.SeverityMedium},
	},
	{
		Name:      "export",
		Condition: `IsMatch(event_name, "^export\\.") or IsMatch(event_name, "\\.(export|bulk_export|download)$")`,
		Set:       Classification{Category: semconv.CategoryExportAccess, Severity: semconv.SeverityMedium},
	},
	{
		Name: "data_access_denied",
		Condition: `(IsMatch(event_name, "^(report|api)\\.") or IsMatch(event_name, "\\.(view|view_sensitive|reveal|read|access|search|kyc_view|pii_view)$"))` +
			` and (attributes["audit.action.outcome"] == "failure" or attributes["audit.action.outcome"] == "denied")`,
		Set: Classification{Category: semconv.CategoryExportAccess, Severity: semconv.SeverityLow},
	},
	{
		Name: "data_access",
		Condition: `IsMatch(event_name, "^(report|api)\\.")` +
			` or IsMatch(event_name, "\\.(view|view_sensitive|reveal|read|access|search|kyc_view|pii_view)$")`,
		Set: Classification{Category: semconv.CategoryExportAccess, Severity: semconv.SeverityInfo},
	},
	{
		// Deleting money records erases evidence.
		Name:      "financial_delete",
		Condition: `IsMatch(event_name, "^(transaction|payment|withdrawal|deposit|balance|wallet|payout|refund)\\.(delete|remove|purge)$")`,
		Set:       Classification{Category: semconv.CategoryDelete, Severity: semconv.SeverityHigh},
	},
	{
		Name:      "rights_revoke",
		Condition: `IsMatch(event_name, "^(role|roles|permission|permissions|access_group|rights)\\.(revoke|remove|unassign)$")`,
		Set:       Classification{Category: semconv.CategoryRights, Severity: semconv.SeverityMedium},
	},
	{
		Name: "rights",
		Condition: `IsMatch(event_name, "^(role|roles|permission|permissions|access_group|rights)\\.")` +
			` or IsMatch(event_name, "\\.(assign_role|revoke_role|role_change|roles_update|grant_permission|revoke_permission|permissions_update|reset_2fa)$")`,
		Set: Classification{Category: semconv.CategoryRights, Severity: semconv.SeverityHigh},
	},
	{
		// Rule-driven bonus credits are routine money movements; manual ones
		// are critical (above).
		Name:      "bonus_credit",
		Condition: `IsMatch(event_name, "^bonus\\.(grant|credit|award)$")`,
		Set:       Classification{Category: semconv.CategoryFinancial, Severity: semconv.SeverityMedium},
	},
	{
		Name: "financial_attempt",
		Condition: `(IsMatch(event_name, "^(balance|payment|payments|withdrawal|deposit|transaction|wallet|payout|refund|chargeback)\\.")` +
			` or IsMatch(event_name, "\\.(balance_adjust|balance_edit|balance_update|adjust_balance|refund|payout|limit_change|limits_update)$"))` +
			` and (attributes["audit.action.outcome"] == "failure" or attributes["audit.action.outcome"] == "denied")`,
		Set: Classification{Category: semconv.CategoryFinancial, Severity: semconv.SeverityMedium},
	},
	{
		Name: "financial",
		Condition: `IsMatch(event_name, "^(balance|payment|payments|withdrawal|deposit|transaction|wallet|payout|refund|chargeback)\\.")` +
			` or IsMatch(event_name, "\\.(balance_adjust|balance_edit|balance_update|adjust_balance|refund|payout|limit_change|limits_update)$")`,
		Set: Classification{Category: semconv.CategoryFinancial, Severity: semconv.SeverityHigh},
	},
	{
		Name: "config",
		Condition: `IsMatch(event_name, "^(setting|settings|config|configuration|feature_flag|system)\\.")` +
			` or IsMatch(event_name, "\\.(configure|config_change|config_update|settings_change|settings_update)$")`,
		Set: Classification{Category: semconv.CategoryConfig, Severity: semconv.SeverityMedium},
	},
	{
		Name:      "content_create",
		Condition: `IsMatch(event_name, "^(banner|page|article|content|news|translation|media)\\.(create|add|upload|clone)$")`,
		Set:       Classification{Category: semconv.CategoryCreate, Severity: semconv.SeverityInfo},
	},
	{
		Name:      "create",
		Condition: `IsMatch(event_name, "\\.(create|add|register|invite|upload|import|clone|issue)$")`,
		Set:       Classification{Category: semconv.CategoryCreate, Severity: semconv.SeverityLow},
	},
	{
		Name:      "delete",
		Condition: `IsMatch(event_name, "\\.(delete|remove|purge|destroy|archive)$")`,
		Set:       Classification{Category: semconv.CategoryDelete, Severity: semconv.SeverityMedium},
	},
	{
		// Other denied actions: an attempt outside one's rights is worth a look.
		Name:      "denied",
		Condition: `attributes["audit.action.outcome"] == "denied"`,
		Set:       Classification{Severity: semconv.SeverityMedium},
	},
	{
		Name:      "data_change",
		Condition: `true`,
		Set:       Classification{Category: semconv.CategoryDataChange, Severity: semconv.SeverityLow},
	},
	// Actor type only when the emitter did not say; back-office actors with an
	// id are employees unless their id or roles say otherwise.
	{
		Name:      "actor_service",
		Condition: `attributes["audit.actor.type"] == nil and IsMatch(attributes["user.id"], "^(svc|service|api|bot|integration)[-_.:]")`,
		Set:       Classification{ActorType: semconv.ActorService},
	},
	{
		Name:      "actor_system",
		Condition: `attributes["audit.actor.type"] == nil and IsMatch(attributes["user.id"], "^(system|cron|scheduler|job)([-_.:]|$)")`,
		Set:       Classification{ActorType: semconv.ActorSystem},
	},
	{
		Name: "actor_player",
		Condition: `attributes["audit.actor.type"] == nil and (IsMatch(attributes["user.id"], "^(p|player|plr|customer)[-_.:]")` +
			` or (attributes["user.roles"] != nil and ContainsValue(attributes["user.roles"], "player")))`,
		Set: Classification{ActorType: semconv.ActorPlayer},
	},
	{
		Name:      "actor_employee",
		Condition: `attributes["audit.actor.type"] == nil and attributes["user.id"] != nil`,
		Set:       Classification{ActorType: semconv.ActorEmployee},
	},
}

// defaultModuleAliases map common spellings to the modules of semconv.Modules.
// Keys are already normalised (lower case, '_' for spaces, '-' and '.').
var defaultModuleAliases = map[string]string{
	"bonus": semconv.ModuleBonuses, "bonus_management": semconv.ModuleBonuses,
	"player": semconv.ModulePlayers, "customer": semconv.ModulePlayers, "customers": semconv.ModulePlayers,
	"user": semconv.ModuleUsers, "role": semconv.ModuleUsers, "roles": semconv.ModuleUsers,
	"permission": semconv.ModuleUsers, "permissions": semconv.ModuleUsers,
	"employee": semconv.ModuleEmployees, "staff": semconv.ModuleEmployees, "admin": semconv.ModuleEmployees,
	"admins":  semconv.ModuleEmployees,
	"setting": semconv.ModuleSettings, "config": semconv.ModuleSettings, "configuration": semconv.ModuleSettings,
	"feature_flag": semconv.ModuleSettings,
	"campaign":     semconv.ModuleCampaigns, "promotion": semconv.ModuleCampaigns, "promotions": semconv.ModuleCampaigns,
	"promo": semconv.ModuleCampaigns, "marketing": semconv.ModuleCampaigns,
	"payment": semconv.ModulePayments, "withdrawal": semconv.ModulePayments, "withdrawals": semconv.ModulePayments,
	"deposit": semconv.ModulePayments, "deposits": semconv.ModulePayments, "payout": semconv.ModulePayments,
	"payouts": semconv.ModulePayments,
	"fin":     semconv.ModuleFinance, "balance": semconv.ModuleFinance, "wallet": semconv.ModuleFinance,
	"transaction": semconv.ModuleFinance, "transactions": semconv.ModuleFinance, "accounting": semconv.ModuleFinance,
	"game": semconv.ModuleGames, "casino": semconv.ModuleGames,
	"cms":    semconv.ModuleContent,
	"report": semconv.ModuleReports, "reporting": semconv.ModuleReports, "export": semconv.ModuleReports,
	"authentication": semconv.ModuleAuth, "login": semconv.ModuleAuth, "session": semconv.ModuleAuth,
	"sso": semconv.ModuleAuth,
}
