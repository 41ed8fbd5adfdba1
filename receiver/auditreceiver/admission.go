package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

// maxNamedRejections bounds the OTLP partial-success message: it names the
// first few bad records, which is what a client needs to fix its emitter.
const maxNamedRejections = 3

// admission decides, record by record, what goes on to the pipeline: it
// validates against the audit semantic conventions and adds what the
// receiver knows about the sender.
type admission struct {
	mode       ValidationMode
	enrichment enricher
}

// rejection is one record refused as an invalid audit event.
type rejection struct {
	index int    // position of the record in the request, from 0
	id    string // its log.record.uid, when it has one
	err   error
}

// admit checks lr and enriches it. keep is false when lr must be dropped;
// invalid is the validation error, also reported for records kept in tag mode.
func (a *admission) admit(lr plog.LogRecord, src requestSource) (keep bool, invalid error) {
	if a.mode != ValidationOff {
		invalid = semconv.Validate(lr)
	}
	if invalid != nil {
		if a.mode == ValidationReject {
			return false, invalid
		}
		lr.Attributes().PutStr(semconv.AttrValidationError, invalid.Error())
	}
	a.enrichment.enrich(lr, src)
	return true, invalid
}

// screen admits every record of ld in request order, removes the rejected
// ones (and the resource and scope groups they leave empty) and returns the
// rejections.
func (a *admission) screen(ld plog.Logs, src requestSource) []rejection {
	var rejections []rejection
	index := 0
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				keep, err := a.admit(lr, src)
				if !keep {
					rejections = append(rejections, rejection{index: index, id: recordID(lr), err: err})
				}
				index++
				return !keep
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	return rejections
}

func recordID(lr plog.LogRecord) string {
	if v, ok := lr.Attributes().Get(semconv.AttrEventID); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// partialSuccessMessage names the first rejected records with their index,
// id and violations, e.g.
// `2 log records rejected as invalid audit events: record 1 (id "a-2"): user.id: required attribute is missing; record 4: ...`.
func partialSuccessMessage(rejections []rejection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d log records rejected as invalid audit events: ", len(rejections))
	for i, r := range rejections {
		if i == maxNamedRejections {
			fmt.Fprintf(&b, "; and %d more", len(rejections)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "record %d", r.index)
		if r.id != "" {
			fmt.Fprintf(&b, " (id %q)", r.id)
		}
		b.WriteString(": ")
		b.WriteString(violationText(r.err))
	}
	return b.String()
}

// violationText lists the violations of err separated by commas, so that the
// semicolons of partialSuccessMessage keep separating records.
func violationText(err error) string {
	var verr *semconv.ValidationError
	if !errors.As(err, &verr) {
		return err.Error()
	}
	parts := make([]string, len(verr.Violations))
	for i, v := range verr.Violations {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}
