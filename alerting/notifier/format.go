package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"fmt"
	"strings"
	"time"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// batchStatus is "firing" when any alert of the batch fires, else "resolved"
// (Alertmanager's rule for a group).
func batchStatus(alerts []rule.Alert) string {
	for _, a := range alerts {
		if a.State == rule.StateFiring {
			return "firing"
		}
	}
	return "resolved"
}

// title is the one-line headline of a batch: an email subject, the first
// line of a chat message.
func title(alerts []rule.Alert) string {
	if len(alerts) == 1 {
		a := alerts[0]
		return fmt.Sprintf("[%s] %s%s: %s", stateTag(a), a.Rule, severityTag(a.Severity), a.Summary)
	}
	names := make([]string, 0, len(alerts))
	seen := map[string]bool{}
	for _, a := range alerts {
		if !seen[a.Rule] {
			seen[a.Rule] = true
			names = append(names, a.Rule)
		}
	}
	return fmt.Sprintf("[%s:%d] %s", strings.ToUpper(batchStatus(alerts)), len(alerts), strings.Join(names, ", "))
}

func stateTag(a rule.Alert) string {
	if a.Repeat {
		return "STILL FIRING"
	}
	return strings.ToUpper(a.State.String())
}

func severityTag(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// plainText describes every alert of a batch, one paragraph each.
func plainText(alerts []rule.Alert) string {
	var b strings.Builder
	for i, a := range alerts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[%s] %s%s\n%s\n", stateTag(a), a.Rule, severityTag(a.Severity), a.Summary)
		if a.Message != "" {
			fmt.Fprintf(&b, "%s\n", a.Message)
		}
		if a.GroupKey != "" {
			fmt.Fprintf(&b, "group: %s\n", a.GroupKey)
		}
		fmt.Fprintf(&b, "since: %s\n", a.StartsAt.UTC().Format(time.RFC3339))
		if !a.EndsAt.IsZero() {
			fmt.Fprintf(&b, "resolved: %s\n", a.EndsAt.UTC().Format(time.RFC3339))
		}
	}
	return b.String()
}
