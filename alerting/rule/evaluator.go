package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"context"
	"sync"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl/contexts/ottllog"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/semconv"
)

// Clock tells the evaluator the time; tests inject a fake one. Windows and
// silences are measured on this clock, at the moment an event arrives, not on
// the events' own timestamps: a replayed backlog must not look like a burst,
// and a late batch must not revive a resolved alert.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// series is the state of one rule and group. Exported fields are persisted.
type series struct {
	Group       map[string]string `json:"group,omitempty"`
	State       State             `json:"state"`
	ActiveAt    time.Time         `json:"active_at"`
	FiredAt     time.Time         `json:"fired_at"`
	LastTrueAt  time.Time         `json:"last_true_at"`
	LastSentAt  time.Time         `json:"last_sent_at"` // zero: firing not notified yet (muted)
	LastMatchAt time.Time         `json:"last_match_at"`
	Hits        []time.Time       `json:"hits,omitempty"` // arrival times, threshold and rate rules
	Count       int               `json:"count"`          // matches since the alert became active
	Event       semconv.Event     `json:"event"`          // last matching event
	// The text last notified as firing; a resolve notification repeats it
	// (as Alertmanager keeps annotations) instead of "0 events in 5m".
	Summary       string `json:"summary,omitempty"`
	Message       string `json:"message,omitempty"`
	NotifiedCount int    `json:"notified_count,omitempty"`
}

// Evaluator runs rules over the audit stream. It is safe for concurrent use:
// the exporter observes batches while its ticker calls Tick.
type Evaluator struct {
	mu          sync.Mutex
	clock       Clock
	logger      *zap.Logger
	rules       []*Rule
	series      map[string]map[string]*series // rule name -> group key -> series
	dirty       map[string]map[int]bool       // rule name -> state buckets changed since Save
	matchErrors int64
	overflow    int64
}

// NewEvaluator returns an evaluator of rules with no state.
func NewEvaluator(rules []*Rule, clock Clock, logger *zap.Logger) *Evaluator {
	e := &Evaluator{clock: clock, logger: logger, series: map[string]map[string]*series{}, dirty: map[string]map[int]bool{}}
	e.SetRules(rules)
	return e
}

// SetRules replaces the rules, as after a rules file reload. The state of a
// rule that keeps its name is kept; the state of a removed rule is dropped.
func (e *Evaluator) SetRules(rules []*Rule) {
	e.mu.Lock()
	defer e.mu.Unlock()
	kept := make(map[string]map[string]*series, len(rules))
	for _, r := range rules {
		if s, ok := e.series[r.Name()]; ok {
			kept[r.Name()] = s
		} else {
			kept[r.Name()] = map[string]*series{}
		}
	}
	e.rules, e.series = rules, kept
}

// MatchErrors counts OTTL evaluation errors; a record whose evaluation fails
// does not match.
func (e *Evaluator) MatchErrors() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.matchErrors
}

// GroupOverflow counts matching events ignored because their rule already
// tracked max_groups groups.
func (e *Evaluator) GroupOverflow() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.overflow
}

// ObserveLogs observes every record of ld and returns the notifications due.
func (e *Evaluator) ObserveLogs(ctx context.Context, ld plog.Logs) []Alert {
	var out []Alert
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			sl := rl.ScopeLogs().At(j)
			for k := 0; k < sl.LogRecords().Len(); k++ {
				out = append(out, e.Observe(ctx, rl, sl, sl.LogRecords().At(k))...)
			}
		}
	}
	return out
}

// Observe feeds one record to every rule and returns the notifications due.
func (e *Evaluator) Observe(ctx context.Context, rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) []Alert {
	tCtx := ottllog.NewTransformContext(rl, sl, lr)
	defer tCtx.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	var event *semconv.Event // decoded once, only if a rule matches
	var out []Alert
	for _, r := range e.rules {
		ok, err := r.Matches(ctx, tCtx)
		if err != nil {
			e.matchErrors++
			e.logger.Debug("alert rule condition failed on a record", zap.String("rule", r.Name()), zap.Error(err))
			continue
		}
		if !ok {
			continue
		}
		if event == nil {
			ev := semconv.EventFromLogRecord(rl.Resource(), lr)
			event = &ev
		}
		group := r.group(rl.Resource(), lr.Attributes())
		key := groupKey(r.cfg.GroupBy, group)
		if r.cfg.perEvent() {
			key = semconv.AttrEventID + "=" + event.ID
		}
		s := e.series[r.Name()][key]
		if s == nil {
			if len(e.series[r.Name()]) >= r.cfg.maxGroups() {
				e.overflow++
				e.logger.Debug("alert rule tracks max_groups groups; event of a new group ignored", zap.String("rule", r.Name()), zap.String("group", key))
				continue
			}
			s = &series{Group: group}
			e.series[r.Name()][key] = s
		}
		if s.State == StateInactive || s.State == StateResolved {
			s.Count = 0
		}
		s.Count++
		s.LastMatchAt, s.Event = now, *event
		if k := r.cfg.kind(); k == KindThreshold || k == KindRate {
			s.Hits = append(s.Hits, now)
		}
		if a, ok := e.step(r, key, s, now); ok {
			out = append(out, a)
		}
		e.touch(r.Name(), key)
	}
	return out
}

// Tick advances every alert to now: pending alerts fire, windows slide,
// silences are noticed, repeats fall due, alerts resolve.
func (e *Evaluator) Tick(now time.Time) []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alert
	for _, r := range e.rules {
		for key, s := range e.series[r.Name()] {
			// Only what a restart needs is worth a write: a new state, a
			// slid window, a notification. LastTrueAt alone moves every tick.
			state, hits, sent := s.State, len(s.Hits), s.LastSentAt
			if a, ok := e.step(r, key, s, now); ok {
				out = append(out, a)
			}
			idle := s.idle(r, now)
			if idle {
				delete(e.series[r.Name()], key)
			}
			if idle || s.State != state || len(s.Hits) != hits || !s.LastSentAt.Equal(sent) {
				e.touch(r.Name(), key)
			}
		}
	}
	return out
}

// step moves one series through the state machine and returns the
// notification due, if any.
func (e *Evaluator) step(r *Rule, key string, s *series, now time.Time) (Alert, bool) {
	active := s.active(r, now)
	if active {
		s.LastTrueAt = now
	}
	muted := r.muted(now)
	switch s.State {
	case StateInactive, StateResolved:
		if !active {
			return Alert{}, false
		}
		s.State, s.ActiveAt = StatePending, now
		if r.cfg.For > 0 {
			return Alert{}, false
		}
		return e.fire(r, key, s, now, muted)
	case StatePending:
		if !active {
			s.State = StateInactive
			return Alert{}, false
		}
		if now.Sub(s.ActiveAt) < r.cfg.For {
			return Alert{}, false
		}
		return e.fire(r, key, s, now, muted)
	case StateFiring:
		if !active && now.Sub(s.LastTrueAt) >= r.cfg.ResolveAfter {
			s.State = StateResolved
			notified := !s.LastSentAt.IsZero()
			if !notified || muted || !r.cfg.sendResolved() {
				return Alert{}, false
			}
			return e.alert(r, key, s, now, false), true
		}
		if muted {
			return Alert{}, false
		}
		// A firing alert first notified here had fired during quiet hours.
		if s.LastSentAt.IsZero() {
			s.LastSentAt = now
			return e.alert(r, key, s, now, false), true
		}
		if r.cfg.RepeatInterval > 0 && now.Sub(s.LastSentAt) >= r.cfg.RepeatInterval {
			s.LastSentAt = now
			return e.alert(r, key, s, now, true), true
		}
	}
	return Alert{}, false
}

func (e *Evaluator) fire(r *Rule, key string, s *series, now time.Time, muted bool) (Alert, bool) {
	s.State, s.FiredAt, s.LastSentAt = StateFiring, now, time.Time{}
	if muted {
		return Alert{}, false
	}
	s.LastSentAt = now
	return e.alert(r, key, s, now, false), true
}

func (e *Evaluator) alert(r *Rule, key string, s *series, now time.Time, repeat bool) Alert {
	severity := r.cfg.Severity
	if severity == "" {
		severity = s.Event.Severity
	}
	labels := alertLabels(r.cfg.Labels, s.Group, r.Name(), severity)
	count := s.count(r, now)
	data := TemplateData{
		Rule: r.Name(), State: s.State.String(), Severity: severity,
		Event: s.Event, Count: count, Labels: labels, Group: s.Group,
	}
	a := Alert{
		Rule: r.Name(), State: s.State, Severity: severity, Group: s.Group, GroupKey: key,
		Labels: labels, Count: count, StartsAt: s.FiredAt, Receivers: r.cfg.Receivers,
		Event: s.Event, Repeat: repeat,
	}
	if s.State == StateResolved {
		a.EndsAt = now
		a.Summary, a.Message, a.Count = s.Summary, s.Message, s.NotifiedCount
		return a
	}
	a.Summary, a.Message = r.render(r.summary, data), r.render(r.message, data)
	s.Summary, s.Message, s.NotifiedCount = a.Summary, a.Message, count
	return a
}

// active reports whether the rule's condition holds for the series at now,
// sliding threshold and rate windows as a side effect.
func (s *series) active(r *Rule, now time.Time) bool {
	window := r.cfg.window()
	switch r.cfg.kind() {
	case KindThreshold:
		s.prune(now.Add(-window))
		return len(s.Hits) >= r.cfg.Threshold
	case KindRate:
		s.prune(now.Add(-2 * window))
		cur, prev := s.split(now.Add(-window))
		// An empty previous window counts as one event, so a rate rule on a
		// new group fires only once rate_factor events arrive.
		return cur >= max(r.cfg.Threshold, 1) && float64(cur) >= r.cfg.RateFactor*float64(max(prev, 1))
	case KindAbsence:
		return !s.LastMatchAt.IsZero() && now.Sub(s.LastMatchAt) >= window
	default:
		return !s.LastMatchAt.IsZero() && now.Sub(s.LastMatchAt) < window
	}
}

// count is the number shown as .Count: matches in the current window for
// threshold and rate rules, matches since the alert became active otherwise.
func (s *series) count(r *Rule, now time.Time) int {
	switch r.cfg.kind() {
	case KindThreshold, KindRate:
		cur, _ := s.split(now.Add(-r.cfg.window()))
		return cur
	case KindAbsence:
		return 0
	}
	return s.Count
}

// prune drops hits at or before cutoff; hits are in arrival order.
func (s *series) prune(cutoff time.Time) {
	i := 0
	for i < len(s.Hits) && !s.Hits[i].After(cutoff) {
		i++
	}
	s.Hits = s.Hits[i:]
}

// split counts hits after cutoff (cur) and at or before it (prev).
func (s *series) split(cutoff time.Time) (cur, prev int) {
	for _, h := range s.Hits {
		if h.After(cutoff) {
			cur++
		} else {
			prev++
		}
	}
	return cur, prev
}

// idle reports whether the series holds nothing worth keeping. Absence
// series are kept: forgetting a group would forget that it went silent.
func (s *series) idle(r *Rule, now time.Time) bool {
	if r.cfg.kind() == KindAbsence {
		return false
	}
	return (s.State == StateInactive || s.State == StateResolved) && len(s.Hits) == 0 && !s.active(r, now)
}
