// Package semconv defines the audit semantic conventions: the attribute names,
// enumerations and validation rules that make an OpenTelemetry log record an
// audit event. Every other part of auditpipe (receiver, processor, exporter,
// alert rules, Grafana plugin) uses these names and nothing else.
//
// Names come from the OpenTelemetry registry where it has one (user.*,
// client.address, log.record.uid, ...); the audit.* namespace covers the rest.
// The action name is the log record's EventName. docs/semantic-conventions.md
// documents every attribute; a test keeps the two in agreement.
package semconv

// Attributes taken from the OpenTelemetry semantic-conventions registry.
const (
	// AttrEventID is the emitter-assigned unique id of the event, used for
	// de-duplication end to end (it becomes the Elasticsearch document _id).
	AttrEventID       = "log.record.uid"
	AttrActorID       = "user.id"
	AttrActorName     = "user.name"
	AttrActorRoles    = "user.roles"
	AttrClientAddress = "client.address"
	AttrUserAgent     = "user_agent.original"
	AttrSessionID     = "session.id"
	// AttrServiceName is a resource attribute: the service that emitted the event.
	AttrServiceName = "service.name"
)

// Attributes of the audit.* namespace, set by the emitter.
const (
	AttrActorType      = "audit.actor.type"
	AttrActionCategory = "audit.action.category"
	AttrActionOutcome  = "audit.action.outcome"
	AttrModule         = "audit.module"
	AttrTargetType     = "audit.target.type"
	AttrTargetID       = "audit.target.id"
	// AttrChangeOld and AttrChangeNew hold the value before and after the
	// action, as JSON text of any shape (object, array, scalar) or plain text.
	AttrChangeOld = "audit.change.old"
	AttrChangeNew = "audit.change.new"
	AttrComment   = "audit.comment"
	AttrTags      = "audit.tags"
	AttrRequestID = "audit.request.id"
	AttrTenant    = "audit.tenant"
)

// Attributes of the audit.* namespace that the pipeline sets.
const (
	AttrSeverity        = "audit.severity"
	AttrChangeFields    = "audit.change.fields"
	AttrChangeDiff      = "audit.change.diff"
	AttrRedactedFields  = "audit.redacted.fields"
	AttrChainStream     = "audit.chain.stream"
	AttrChainSeq        = "audit.chain.seq"
	AttrChainHash       = "audit.chain.hash"
	AttrValidationError = "audit.validation.error"
	AttrIngestPrincipal = "audit.ingest.principal"
)

// Actor types (AttrActorType).
const (
	ActorEmployee = "employee"
	ActorService  = "service"
	ActorPlayer   = "player"
	ActorSystem   = "system"
)

// Action categories (AttrActionCategory).
const (
	CategoryDataChange   = "data_change"
	CategoryCreate       = "create"
	CategoryDelete       = "delete"
	CategoryRights       = "rights"
	CategoryExportAccess = "export_access"
	CategoryLogin        = "login"
	CategoryConfig       = "config"
	CategoryFinancial    = "financial"
	CategoryCritical     = "critical"
)

// Outcomes (AttrActionOutcome).
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// Severities (AttrSeverity), from least to most severe.
const (
	SeverityInfo     = "info"
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Well-known modules (AttrModule). The set is open: any lower-case identifier
// is valid, these are the values the default rules and dashboards know.
const (
	ModuleFinance   = "finance"
	ModuleBonuses   = "bonuses"
	ModuleUsers     = "users"
	ModulePlayers   = "players"
	ModuleEmployees = "employees"
	ModuleSettings  = "settings"
	ModuleCampaigns = "campaigns"
	ModulePayments  = "payments"
	ModuleGames     = "games"
	ModuleContent   = "content"
	ModuleReports   = "reports"
	ModuleAuth      = "auth"
	ModuleAPI       = "api"
	ModuleSystem    = "system"
)

// Enumerations list the allowed values of each closed attribute, in order.
var (
	ActorTypes = []string{ActorEmployee, ActorService, ActorPlayer, ActorSystem}
	Categories = []string{CategoryDataChange, CategoryCreate, CategoryDelete, CategoryRights,
		CategoryExportAccess, CategoryLogin, CategoryConfig, CategoryFinancial, CategoryCritical}
	Outcomes   = []string{OutcomeSuccess, OutcomeFailure, OutcomeDenied}
	Severities = []string{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	Modules    = []string{ModuleFinance, ModuleBonuses, ModuleUsers, ModulePlayers, ModuleEmployees,
		ModuleSettings, ModuleCampaigns, ModulePayments, ModuleGames, ModuleContent, ModuleReports,
		ModuleAuth, ModuleAPI, ModuleSystem}
)

// SeverityRank orders severities so rules can compare them ("at least high");
// it returns -1 for an unknown value.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Attributes lists every log record attribute of the conventions, in the
// order of the attribute table of docs/semantic-conventions.md, for code that
// walks all of them (mappings, documentation checks). service.name is a
// resource attribute and not among them.
func Attributes() []string {
	return []string{
		AttrEventID, AttrActorID, AttrActorName, AttrActorRoles, AttrActorType,
		AttrActionCategory, AttrActionOutcome, AttrSeverity, AttrModule, AttrTargetType,
		AttrTargetID, AttrChangeOld, AttrChangeNew, AttrComment, AttrTags,
		AttrClientAddress, AttrUserAgent, AttrSessionID, AttrRequestID, AttrTenant,
		AttrChangeFields, AttrChangeDiff, AttrRedactedFields, AttrChainStream, AttrChainSeq,
		AttrChainHash, AttrValidationError, AttrIngestPrincipal,
	}
}
