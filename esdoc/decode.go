package esdoc

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// source is the part of a document Decode reads: the fields each Event
// field is stored in verbatim. The derived ECS fields are not read back.
type source struct {
	Timestamp string `json:"@timestamp"`
	Message   string `json:"message"`
	Event     struct {
		ID     string `json:"id"`
		Action string `json:"action"`
	} `json:"event"`
	User struct {
		ID    string   `json:"id"`
		Name  string   `json:"name"`
		Roles []string `json:"roles"`
	} `json:"user"`
	Source struct {
		IP string `json:"ip"`
	} `json:"source"`
	UserAgent struct {
		Original string `json:"original"`
	} `json:"user_agent"`
	Service struct {
		Name string `json:"name"`
	} `json:"service"`
	Audit struct {
		Actor struct {
			Type string `json:"type"`
		} `json:"actor"`
		Action struct {
			Category string `json:"category"`
			Outcome  string `json:"outcome"`
		} `json:"action"`
		Severity string `json:"severity"`
		Module   string `json:"module"`
		Target   struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"target"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
		Request struct {
			ID string `json:"id"`
		} `json:"request"`
		Tenant string `json:"tenant"`
		Chain  struct {
			Stream string `json:"stream"`
			Seq    int64  `json:"seq"`
			Hash   string `json:"hash"`
		} `json:"chain"`
		Ingest struct {
			Principal string `json:"principal"`
		} `json:"ingest"`
		Tags   []string `json:"tags"`
		Change struct {
			OldText string   `json:"old_text"`
			NewText string   `json:"new_text"`
			Fields  []string `json:"fields"`
			Diff    string   `json:"diff"`
		} `json:"change"`
		Redacted struct {
			Fields []string `json:"fields"`
		} `json:"redacted"`
		Comment    string `json:"comment"`
		Validation struct {
			Error string `json:"error"`
		} `json:"validation"`
	} `json:"audit"`
}

// Decode reads a document's _source back into the Event it was written
// from. The timestamp comes back in UTC with its nanoseconds; a list that
// was empty comes back nil.
func Decode(src []byte) (semconv.Event, error) {
	var s source
	if err := json.Unmarshal(src, &s); err != nil {
		return semconv.Event{}, fmt.Errorf("esdoc: decode document: %w", err)
	}
	var ts time.Time
	if s.Timestamp != "" {
		var err error
		if ts, err = time.Parse(time.RFC3339Nano, s.Timestamp); err != nil {
			return semconv.Event{}, fmt.Errorf("esdoc: decode %s: %w", FieldTimestamp, err)
		}
		ts = ts.UTC()
	}
	a := &s.Audit
	return semconv.Event{
		ID:              s.Event.ID,
		Timestamp:       ts,
		Action:          s.Event.Action,
		Category:        a.Action.Category,
		Outcome:         a.Action.Outcome,
		Severity:        a.Severity,
		ActorID:         s.User.ID,
		ActorName:       s.User.Name,
		ActorType:       a.Actor.Type,
		ActorRoles:      s.User.Roles,
		Module:          a.Module,
		TargetType:      a.Target.Type,
		TargetID:        a.Target.ID,
		OldValue:        a.Change.OldText,
		NewValue:        a.Change.NewText,
		ChangeFields:    a.Change.Fields,
		ChangeDiff:      a.Change.Diff,
		Comment:         a.Comment,
		Tags:            a.Tags,
		ClientAddress:   s.Source.IP,
		UserAgent:       s.UserAgent.Original,
		SessionID:       a.Session.ID,
		RequestID:       a.Request.ID,
		Tenant:          a.Tenant,
		SourceService:   s.Service.Name,
		Body:            s.Message,
		RedactedFields:  a.Redacted.Fields,
		ValidationError: a.Validation.Error,
		IngestPrincipal: a.Ingest.Principal,
		ChainStream:     a.Chain.Stream,
		ChainSeq:        a.Chain.Seq,
		ChainHash:       a.Chain.Hash,
	}, nil
}
