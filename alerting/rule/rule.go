package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/ottlfuncs"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditpipe/auditpipe/semconv"
)

// Rule is a compiled Config: the OTTL condition parsed once, the templates
// parsed once, the quiet hours resolved to locations.
type Rule struct {
	cfg     Config
	match   *ottl.Condition[*ottllog.TransformContext]
	summary *template.Template
	message *template.Template
	mutes   []muteWindow
}

// TemplateData is what summary and message templates see.
type TemplateData struct {
	Rule     string
	State    string
	Severity string
	// Event is the last matching event; its values are already redacted.
	Event  semconv.Event
	Count  int
	Labels map[string]string
	Group  map[string]string
}

// Compile validates and compiles cfgs. Errors name the rule's index and name.
func Compile(cfgs []Config, set component.TelemetrySettings) ([]*Rule, error) {
	if err := ValidateAll(cfgs); err != nil {
		return nil, err
	}
	parser, err := ottllog.NewParser(ottlfuncs.StandardConverters[*ottllog.TransformContext](), set)
	if err != nil {
		return nil, fmt.Errorf("OTTL parser: %w", err)
	}
	rules := make([]*Rule, 0, len(cfgs))
	var errs []error
	for i, c := range cfgs {
		r, err := compileOne(&parser, c)
		if err != nil {
			errs = append(errs, ruleError(i, c.Name, err))
			continue
		}
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

func compileOne(parser *ottl.Parser[*ottllog.TransformContext], c Config) (*Rule, error) {
	r := &Rule{cfg: c}
	var err error
	if r.match, err = parser.ParseCondition(c.Match); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	if r.summary, err = parseTemplate("summary", c.Summary, defaultSummary(c)); err != nil {
		return nil, err
	}
	if r.message, err = parseTemplate("message", c.Message, ""); err != nil {
		return nil, err
	}
	for _, m := range c.Mute {
		w, err := compileMute(m)
		if err != nil {
			return nil, err
		}
		r.mutes = append(r.mutes, w)
	}
	return r, nil
}

func defaultSummary(c Config) string {
	from := "{{if .Group}} from{{range $k, $v := .Group}} {{$k}}={{$v}}{{end}}{{end}}"
	switch c.kind() {
	case KindAbsence:
		return "no matching event for " + shortDuration(c.Window) + from
	case KindThreshold, KindRate:
		return "{{.Count}} matching events in " + shortDuration(c.Window) + from
	default:
		return "{{.Event.Action}} by {{.Event.ActorID}}{{with .Event.ClientAddress}} from {{.}}{{end}}"
	}
}

// shortDuration writes 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseTemplate parses text (or def when text is empty). missingkey=zero
// prints a label an alert lacks as "" rather than "<no value>".
func parseTemplate(name, text, def string) (*template.Template, error) {
	if text == "" {
		text = def
	}
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s template: %w", name, err)
	}
	// Execute once on sample data: a reference to a field TemplateData
	// lacks ({{.Evnt}}) is only found by executing.
	if err := t.Execute(&bytes.Buffer{}, TemplateData{Labels: map[string]string{}, Group: map[string]string{}}); err != nil {
		return nil, fmt.Errorf("%s template: %w", name, err)
	}
	return t, nil
}

// Name is the rule's name.
func (r *Rule) Name() string { return r.cfg.Name }

// Config returns the rule's configuration.
func (r *Rule) Config() Config { return r.cfg }

// Matches evaluates the rule's OTTL condition on one record.
func (r *Rule) Matches(ctx context.Context, tCtx *ottllog.TransformContext) (bool, error) {
	return r.match.Eval(ctx, tCtx)
}

// group reads the group_by values of a record: a record attribute first,
// then a resource attribute (service.name lives on the resource).
func (r *Rule) group(resource pcommon.Resource, attrs pcommon.Map) map[string]string {
	if len(r.cfg.GroupBy) == 0 {
		return nil
	}
	g := make(map[string]string, len(r.cfg.GroupBy))
	for _, k := range r.cfg.GroupBy {
		if v, ok := attrs.Get(k); ok {
			g[k] = v.AsString()
		} else if v, ok := resource.Attributes().Get(k); ok {
			g[k] = v.AsString()
		} else {
			g[k] = ""
		}
	}
	return g
}

// muted reports whether notifications are suppressed at now.
func (r *Rule) muted(now time.Time) bool {
	if r.cfg.Muted {
		return true
	}
	for _, w := range r.mutes {
		if w.contains(now) {
			return true
		}
	}
	return false
}

func (r *Rule) render(t *template.Template, d TemplateData) string {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return fmt.Sprintf("%s (template error: %v)", r.cfg.Name, err)
	}
	return b.String()
}
