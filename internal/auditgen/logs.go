package auditgen

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

// ScopeName is the instrumentation scope of generated records.
const ScopeName = "github.com/auditpipe/auditpipe/internal/auditgen"

// Counts summarises generated items. The per-category and per-action counts
// cover valid items only: they are what a store behind a validating
// receiver should hold. Malformed items are counted by broken attribute.
type Counts struct {
	Total      int            `json:"total"`
	Valid      int            `json:"valid"`
	Malformed  int            `json:"malformed"`
	ByCategory map[string]int `json:"by_category"`
	ByAction   map[string]int `json:"by_action"`
	ByDefect   map[string]int `json:"by_defect"`
}

// Add counts one item.
func (c *Counts) Add(it *Item) {
	if c.ByCategory == nil {
		c.ByCategory, c.ByAction, c.ByDefect = map[string]int{}, map[string]int{}, map[string]int{}
	}
	c.Total++
	if it.Malformed {
		c.Malformed++
		c.ByDefect[it.Defect]++
		return
	}
	c.Valid++
	c.ByCategory[it.Expected.Category]++
	c.ByAction[it.Event.Action]++
}

// Merge adds the counts of o to c.
func (c *Counts) Merge(o Counts) {
	if c.ByCategory == nil {
		c.ByCategory, c.ByAction, c.ByDefect = map[string]int{}, map[string]int{}, map[string]int{}
	}
	c.Total += o.Total
	c.Valid += o.Valid
	c.Malformed += o.Malformed
	for k, v := range o.ByCategory {
		c.ByCategory[k] += v
	}
	for k, v := range o.ByAction {
		c.ByAction[k] += v
	}
	for k, v := range o.ByDefect {
		c.ByDefect[k] += v
	}
}

// AppendLogs appends the next n items to ld, one ResourceLogs (with
// service.name) per service, and returns what it appended. Malformed items
// are broken at the pdata level as CopyToLogRecord describes.
func (g *Generator) AppendLogs(ld plog.Logs, n int) Counts {
	var c Counts
	scopes := map[string]plog.LogRecordSlice{}
	for range n {
		it := g.Next()
		records, ok := scopes[it.Service]
		if !ok {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr(semconv.AttrServiceName, it.Service)
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(ScopeName)
			records = sl.LogRecords()
			scopes[it.Service] = records
		}
		it.CopyToLogRecord(records.AppendEmpty())
		c.Add(&it)
	}
	return c
}
