package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// Alert is one notification due: a rule and group that started firing, is
// still firing at its repeat interval, or resolved.
type Alert struct {
	Rule     string
	State    State
	Severity string
	// Group holds the group_by attribute values; GroupKey is their stable
	// text form ("client.address=203.0.113.9"), empty for an ungrouped rule.
	Group    map[string]string
	GroupKey string
	// Labels are the rule's labels plus alertname, severity and the group.
	Labels    map[string]string
	Summary   string
	Message   string
	Count     int
	StartsAt  time.Time
	EndsAt    time.Time // zero while firing
	Receivers []string
	// Event is the last matching event (redacted: the exporter runs after
	// the processor), zero for an absence alert that never saw one.
	Event semconv.Event
	// Repeat is true for a re-notification of a still-firing alert.
	Repeat bool
}

// Fingerprint identifies the alert (rule and group) across notifications.
func (a *Alert) Fingerprint() string {
	return fingerprint(a.Rule, a.GroupKey)
}

func fingerprint(rule, groupKey string) string {
	sum := sha256.Sum256([]byte(rule + "\x00" + groupKey))
	return hex.EncodeToString(sum[:8])
}

// groupKey renders group values in group_by order.
func groupKey(groupBy []string, group map[string]string) string {
	parts := make([]string, 0, len(groupBy))
	for _, k := range groupBy {
		parts = append(parts, k+"="+group[k])
	}
	return strings.Join(parts, ",")
}

// alertLabels merges rule labels, the group and the fixed labels; the fixed
// ones win so a rule cannot forge alertname.
func alertLabels(ruleLabels, group map[string]string, name, severity string) map[string]string {
	out := make(map[string]string, len(ruleLabels)+len(group)+2)
	maps.Copy(out, ruleLabels)
	maps.Copy(out, group)
	out["alertname"] = name
	if severity != "" {
		out["severity"] = severity
	}
	return out
}

// SortedKeys returns m's keys in order; notifiers use it for stable output.
func SortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
