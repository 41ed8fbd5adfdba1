package auditreceiver

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

// mixedLogs holds two resources: [valid a-0, missing user.id a-1] and
// [bad event name a-2, valid a-3].
func mixedLogs() plog.Logs {
	ld := plog.NewLogs()
	for _, group := range [][]func() semconv.Event{
		{
			func() semconv.Event { return validEvent("a-0") },
			func() semconv.Event { e := validEvent("a-1"); e.ActorID = ""; return e },
		},
		{
			func() semconv.Event { e := validEvent("a-2"); e.Action = "Bonus"; return e },
			func() semconv.Event { return validEvent("a-3") },
		},
	} {
		records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		for _, build := range group {
			e := build()
			e.CopyToLogRecord(records.AppendEmpty())
		}
	}
	return ld
}

func recordIDs(ld plog.Logs) []string {
	var ids []string
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				ids = append(ids, recordID(lrs.At(k)))
			}
		}
	}
	return ids
}

func TestScreenReject(t *testing.T) {
	a := admission{mode: ValidationReject}
	ld := mixedLogs()
	rejections := a.screen(ld, requestSource{})

	assert.Equal(t, []string{"a-0", "a-3"}, recordIDs(ld))
	assert.Equal(t, 2, ld.ResourceLogs().Len())
	require.Len(t, rejections, 2)
	assert.Equal(t, 1, rejections[0].index)
	assert.Equal(t, "a-1", rejections[0].id)
	assert.Equal(t, 2, rejections[1].index)
	assert.Equal(t,
		`2 log records rejected as invalid audit events: record 1 (id "a-1"): user.id: required attribute is missing; `+
			`record 2 (id "a-2"): event_name: "Bonus" is not a dotted lower-case action name such as withdrawal.cancel`,
		partialSuccessMessage(rejections))
}

func TestScreenRemovesEmptiedGroups(t *testing.T) {
	ld := plog.NewLogs()
	bad := validEvent("b-0")
	bad.Module = ""
	bad.CopyToLogRecord(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
	good := validEvent("g-0")
	good.CopyToLogRecord(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())

	rejections := (&admission{mode: ValidationReject}).screen(ld, requestSource{})
	assert.Len(t, rejections, 1)
	assert.Equal(t, 1, ld.ResourceLogs().Len(), "the resource left without records is dropped")
	assert.Equal(t, []string{"g-0"}, recordIDs(ld))
}

func TestScreenTag(t *testing.T) {
	ld := mixedLogs()
	rejections := (&admission{mode: ValidationTag}).screen(ld, requestSource{})
	assert.Empty(t, rejections)
	assert.Equal(t, []string{"a-0", "a-1", "a-2", "a-3"}, recordIDs(ld))

	tags := map[string]string{}
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		lrs := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
		for k := 0; k < lrs.Len(); k++ {
			if v, ok := lrs.At(k).Attributes().Get(semconv.AttrValidationError); ok {
				tags[recordID(lrs.At(k))] = v.Str()
			}
		}
	}
	assert.Equal(t, map[string]string{
		"a-1": "invalid audit event: user.id: required attribute is missing",
		"a-2": `invalid audit event: event_name: "Bonus" is not a dotted lower-case action name such as withdrawal.cancel`,
	}, tags)
}

func TestScreenOff(t *testing.T) {
	ld := mixedLogs()
	rejections := (&admission{mode: ValidationOff}).screen(ld, requestSource{})
	assert.Empty(t, rejections)
	assert.Equal(t, []string{"a-0", "a-1", "a-2", "a-3"}, recordIDs(ld))
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		lrs := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords()
		for k := 0; k < lrs.Len(); k++ {
			_, tagged := lrs.At(k).Attributes().Get(semconv.AttrValidationError)
			assert.False(t, tagged)
		}
	}
}

func TestPartialSuccessMessageNamesFirstThree(t *testing.T) {
	verr := &semconv.ValidationError{Violations: []semconv.Violation{
		{Attribute: "user.id", Problem: "required attribute is missing"},
		{Attribute: "audit.module", Problem: "required attribute is missing"},
	}}
	rejections := []rejection{
		{index: 0, id: "x", err: verr},
		{index: 4, err: verr},
		{index: 7, id: "z", err: errors.New("other")},
		{index: 9, err: verr},
		{index: 12, err: verr},
	}
	assert.Equal(t,
		`5 log records rejected as invalid audit events: `+
			`record 0 (id "x"): user.id: required attribute is missing, audit.module: required attribute is missing; `+
			`record 4: user.id: required attribute is missing, audit.module: required attribute is missing; `+
			`record 7 (id "z"): other; and 2 more`,
		partialSuccessMessage(rejections))
}
