package semconv

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Limits that keep one event bounded in every store it reaches.
const (
	MaxEventIDLen   = 128
	MaxChangeValue  = 64 << 10 // bytes of audit.change.old / audit.change.new each
	MaxCommentLen   = 4 << 10
	MaxListItems    = 64 // user.roles, audit.tags
	maxReportedSize = 3  // violations named in ValidationError.Error
)

var (
	actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	modulePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// IsModule reports whether s is a valid audit.module value: a lower-case
// identifier such as finance or bonus_admin.
func IsModule(s string) bool { return modulePattern.MatchString(s) }

// Violation is one way a record breaks the conventions.
type Violation struct {
	Attribute string // attribute name, or "event_name" / "timestamp"
	Problem   string
}

func (v Violation) String() string { return v.Attribute + ": " + v.Problem }

// ValidationError lists every violation of one record, in a stable order.
type ValidationError struct {
	Violations []Violation
}

// Error names the first few violations, which is what a client needs to fix
// its emitter; Violations holds them all.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, maxReportedSize)
	for i, v := range e.Violations {
		if i == maxReportedSize {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Violations)-i))
			break
		}
		parts = append(parts, v.String())
	}
	return "invalid audit event: " + strings.Join(parts, "; ")
}

// Validate reports whether lr is a valid audit event. It returns nil or a
// *ValidationError naming each missing required attribute and each value out
// of range.
func Validate(lr plog.LogRecord) error {
	var vs []Violation
	add := func(attr, format string, args ...any) {
		vs = append(vs, Violation{Attribute: attr, Problem: fmt.Sprintf(format, args...)})
	}
	attrs := lr.Attributes()

	if lr.Timestamp() == 0 {
		add("timestamp", "required, the time the action happened")
	}
	switch name := lr.EventName(); {
	case name == "":
		add("event_name", "required, the action name such as withdrawal.cancel")
	case !actionPattern.MatchString(name):
		add("event_name", "%q is not a dotted lower-case action name such as withdrawal.cancel", name)
	}

	if id, ok := requiredString(attrs, AttrEventID, add); ok {
		if len(id) > MaxEventIDLen || strings.ContainsAny(id, " \t\r\n") {
			add(AttrEventID, "must be at most %d characters without white space", MaxEventIDLen)
		}
	}
	requiredString(attrs, AttrActorID, add)
	if m, ok := requiredString(attrs, AttrModule, add); ok && !modulePattern.MatchString(m) {
		add(AttrModule, "%q is not a lower-case identifier such as finance", m)
	}
	if _, ok := attrs.Get(AttrActionOutcome); !ok {
		add(AttrActionOutcome, "required, one of %s", strings.Join(Outcomes, ", "))
	}

	for _, e := range []struct {
		attr    string
		allowed []string
	}{
		{AttrActionOutcome, Outcomes}, {AttrActorType, ActorTypes},
		{AttrActionCategory, Categories}, {AttrSeverity, Severities},
	} {
		if v, ok := optionalString(attrs, e.attr, add); ok && !slices.Contains(e.allowed, v) {
			add(e.attr, "%q is not one of %s", v, strings.Join(e.allowed, ", "))
		}
	}
	if ip, ok := optionalString(attrs, AttrClientAddress, add); ok {
		if _, err := netip.ParseAddr(ip); err != nil {
			add(AttrClientAddress, "%q is not an IP address", ip)
		}
	}
	for _, attr := range []string{AttrChangeOld, AttrChangeNew} {
		if v, ok := optionalString(attrs, attr, add); ok && len(v) > MaxChangeValue {
			add(attr, "is %d bytes, more than the %d allowed", len(v), MaxChangeValue)
		}
	}
	if v, ok := optionalString(attrs, AttrComment, add); ok && len(v) > MaxCommentLen {
		add(AttrComment, "is %d bytes, more than the %d allowed", len(v), MaxCommentLen)
	}
	for _, attr := range []string{AttrActorName, AttrTargetType, AttrTargetID, AttrUserAgent,
		AttrSessionID, AttrRequestID, AttrTenant} {
		optionalString(attrs, attr, add)
	}
	for _, attr := range []string{AttrActorRoles, AttrTags} {
		checkStringList(attrs, attr, add)
	}
	if len(vs) == 0 {
		return nil
	}
	return &ValidationError{Violations: vs}
}

type addFunc func(attr, format string, args ...any)

func requiredString(attrs pcommon.Map, attr string, add addFunc) (string, bool) {
	v, ok := optionalString(attrs, attr, add)
	if _, present := attrs.Get(attr); !present || (ok && v == "") {
		add(attr, "required attribute is missing")
		return "", false
	}
	return v, ok
}

// optionalString returns the attribute's value if it is present and a string,
// and reports a violation if it is present with another type.
func optionalString(attrs pcommon.Map, attr string, add addFunc) (string, bool) {
	v, ok := attrs.Get(attr)
	if !ok {
		return "", false
	}
	if v.Type() != pcommon.ValueTypeStr {
		add(attr, "must be a string, got %s", v.Type())
		return "", false
	}
	return v.Str(), true
}

func checkStringList(attrs pcommon.Map, attr string, add addFunc) {
	v, ok := attrs.Get(attr)
	if !ok {
		return
	}
	if v.Type() != pcommon.ValueTypeSlice {
		add(attr, "must be a list of strings, got %s", v.Type())
		return
	}
	s := v.Slice()
	if s.Len() > MaxListItems {
		add(attr, "has %d items, more than the %d allowed", s.Len(), MaxListItems)
	}
	for i := 0; i < s.Len(); i++ {
		if s.At(i).Type() != pcommon.ValueTypeStr {
			add(attr, "item %d must be a string, got %s", i, s.At(i).Type())
			return
		}
	}
}
