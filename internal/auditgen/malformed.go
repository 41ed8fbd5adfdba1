package auditgen

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

// defect breaks exactly one attribute of an event, so semconv.Validate
// reports violations of that attribute and no other.
type defect struct {
	attr string
	// typed breaks the event itself; pdata breaks the written record where
	// the typed form cannot express the defect (a wrong attribute type).
	typed func(g *Generator, e *semconv.Event)
	pdata func(attrs pcommon.Map)
}

var defects = []defect{
	{attr: semconv.AttrActorID, typed: func(_ *Generator, e *semconv.Event) { e.ActorID = "" }},
	{attr: semconv.AttrActorID, pdata: func(m pcommon.Map) { m.PutInt(semconv.AttrActorID, 1042) }},
	{attr: semconv.AttrEventID, typed: func(_ *Generator, e *semconv.Event) { e.ID = "" }},
	{attr: semconv.AttrEventID, typed: func(_ *Generator, e *semconv.Event) { e.ID = "evt " + e.ID }},
	{attr: semconv.AttrModule, typed: func(_ *Generator, e *semconv.Event) { e.Module = "" }},
	{attr: semconv.AttrModule, typed: func(_ *Generator, e *semconv.Event) { e.Module = "Bonus Admin" }},
	{attr: semconv.AttrActionOutcome, typed: func(_ *Generator, e *semconv.Event) { e.Outcome = "" }},
	{attr: semconv.AttrActionOutcome, typed: func(_ *Generator, e *semconv.Event) { e.Outcome = "ok" }},
	{attr: "event_name", typed: func(_ *Generator, e *semconv.Event) { e.Action = "" }},
	{attr: "event_name", typed: func(_ *Generator, e *semconv.Event) { e.Action = "ManualBonusGrant" }},
	{attr: "timestamp", typed: func(_ *Generator, e *semconv.Event) { e.Timestamp = time.Time{} }},
	{attr: semconv.AttrClientAddress, typed: func(g *Generator, e *semconv.Event) {
		e.ClientAddress = pick(g, []string{"localhost", "10.0.0.300", "203.0.113.24:443"})
	}},
	{attr: semconv.AttrActorType, typed: func(_ *Generator, e *semconv.Event) { e.ActorType = "robot" }},
	{attr: semconv.AttrActionCategory, typed: func(_ *Generator, e *semconv.Event) { e.Category = "financial_ops" }},
	{attr: semconv.AttrActorRoles, pdata: func(m pcommon.Map) { m.PutStr(semconv.AttrActorRoles, "admin,support") }},
	{attr: semconv.AttrTags, pdata: func(m pcommon.Map) {
		s := m.PutEmptySlice(semconv.AttrTags)
		s.AppendEmpty().SetStr("manual")
		s.AppendEmpty().SetInt(7)
	}},
}

// Defects lists the attributes a malformed item may break, each once.
func Defects() []string {
	var out []string
	for _, d := range defects {
		if len(out) == 0 || out[len(out)-1] != d.attr {
			out = append(out, d.attr)
		}
	}
	return out
}

func (g *Generator) breakItem(it *Item) {
	d := &defects[g.rng.IntN(len(defects))]
	it.Malformed, it.Defect = true, d.attr
	if d.typed != nil {
		d.typed(g, &it.Event)
	}
	it.breakType = d.pdata
	if it.Defect == "event_name" {
		it.Expected = Expectation{} // nothing to classify
	}
}

// CopyToLogRecord writes the item's event into lr, defect included.
func (it *Item) CopyToLogRecord(lr plog.LogRecord) {
	it.Event.CopyToLogRecord(lr)
	if it.breakType != nil {
		it.breakType(lr.Attributes())
	}
}
