// Package esdoc is the Elasticsearch document form of an audit event: the
// encoder the exporter writes with, the decoder the query layer and the
// tamper-evidence verifier read with, and the index templates, ILM policy and
// dead-letter mapping that give the fields their types.
//
// The mapping is the "Elasticsearch document" table of
// docs/semantic-conventions.md. Every semconv.Event field is stored in a
// field it can be read back from exactly (Decode(AppendDocument(e)) == e);
// the ECS fields derived from it (event.outcome, event.severity,
// event.category, related.*, tags) are for search only and are not read back.
package esdoc

// Document fields, in dotted form as they are queried. One constant per
// field of the document table.
const (
	FieldTimestamp = "@timestamp"
	FieldMessage   = "message"

	FieldEventID       = "event.id"
	FieldAction        = "event.action"
	FieldEventCategory = "event.category"
	FieldEventType     = "event.type"
	FieldEventOutcome  = "event.outcome"
	FieldEventSeverity = "event.severity"
	FieldEventKind     = "event.kind"
	FieldEventDataset  = "event.dataset"

	FieldActorID     = "user.id"
	FieldActorName   = "user.name"
	FieldActorRoles  = "user.roles"
	FieldSourceIP    = "source.ip"
	FieldUserAgent   = "user_agent.original"
	FieldRelatedUser = "related.user"
	FieldRelatedIP   = "related.ip"
	FieldServiceName = "service.name"
	FieldTags        = "tags"

	FieldActorType       = "audit.actor.type"
	FieldCategory        = "audit.action.category"
	FieldOutcome         = "audit.action.outcome"
	FieldSeverity        = "audit.severity"
	FieldModule          = "audit.module"
	FieldTargetType      = "audit.target.type"
	FieldTargetID        = "audit.target.id"
	FieldSessionID       = "audit.session.id"
	FieldRequestID       = "audit.request.id"
	FieldTenant          = "audit.tenant"
	FieldChainStream     = "audit.chain.stream"
	FieldChainSeq        = "audit.chain.seq"
	FieldChainHash       = "audit.chain.hash"
	FieldIngestPrincipal = "audit.ingest.principal"
	FieldAuditTags       = "audit.tags"
	FieldChangeFields    = "audit.change.fields"
	FieldRedactedFields  = "audit.redacted.fields"
	FieldChangeOld       = "audit.change.old"
	FieldChangeNew       = "audit.change.new"
	FieldChangeOldText   = "audit.change.old_text"
	FieldChangeNewText   = "audit.change.new_text"
	FieldChangeDiff      = "audit.change.diff"
	FieldComment         = "audit.comment"
	FieldValidationError = "audit.validation.error"
)

// Constant values of event.kind and event.dataset.
const (
	EventKind    = "event"
	EventDataset = "audit"
)

// Dead-letter document fields (see AppendDeadLetter).
const (
	FieldErrorType     = "error.type"
	FieldErrorReason   = "error.reason"
	FieldEventOriginal = "event.original"
)
