package auditprocessor

import (
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

var testTime = time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC)

// newEvent returns logs holding one audit record with the required
// attributes, then the given string attributes.
func newEvent(action, outcome string, kv ...string) (plog.Logs, plog.LogRecord) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(semconv.AttrServiceName, "backoffice")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(action)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime))
	attrs := lr.Attributes()
	attrs.PutStr(semconv.AttrEventID, "01JD3Q8W5T4ZK2V7X9B6N1M0PA")
	attrs.PutStr(semconv.AttrActorID, "emp-1042")
	attrs.PutStr(semconv.AttrActionOutcome, outcome)
	for i := 0; i+1 < len(kv); i += 2 {
		attrs.PutStr(kv[i], kv[i+1])
	}
	return ld, lr
}

func attr(lr plog.LogRecord, key string) string {
	if v, ok := lr.Attributes().Get(key); ok {
		return v.AsString()
	}
	return ""
}

func attrList(lr plog.LogRecord, key string) []string {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		return nil
	}
	out := []string{}
	for _, item := range v.Slice().All() {
		out = append(out, item.AsString())
	}
	return out
}

func newTransformContext(rl plog.ResourceLogs, lr plog.LogRecord) *ottllog.TransformContext {
	return ottllog.NewTransformContext(rl, rl.ScopeLogs().At(0), lr)
}

func processorSettings() processor.Settings {
	return processortest.NewNopSettings(metadata.Type)
}
