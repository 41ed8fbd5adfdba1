package auditalertexporter // import "github.com/auditpipe/auditpipe/alerting/auditalertexporter"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/alerting/auditalertexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/alerting/notifier"
	"github.com/auditpipe/auditpipe/alerting/rule"
)

// alertExporter feeds every record to the rule evaluator, evaluates
// time-driven transitions on a ticker and hands notifications to the
// receivers' dispatchers. It sits after the audit processor in the pipeline,
// so rules and templates only ever see redacted values.
type alertExporter struct {
	cfg       *Config
	id        component.ID
	logger    *zap.Logger
	clock     rule.Clock
	evaluator *rule.Evaluator
	telemetry *telemetry

	routes      map[string][]*notifier.Dispatcher // receiver -> its notifiers
	dispatchers []*notifier.Dispatcher

	storage storage.Client // nil without a storage extension
	dirty   atomic.Bool    // state changed since the last save

	// rules file reload; stat is injectable for tests.
	stat          func(string) (os.FileInfo, error)
	rulesFileMod  time.Time
	rulesFileSize int64
	lastReload    time.Time

	persistMu sync.Mutex
	stop      chan struct{}
	done      chan struct{}
	startOnce sync.Once
	stopOnce  sync.Once
}

func newAlertExporter(ctx context.Context, set exporter.Settings, cfg *Config, clock rule.Clock) (*alertExporter, error) {
	e := &alertExporter{
		cfg: cfg, id: set.ID, logger: set.Logger, clock: clock, stat: os.Stat,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	var err error
	if e.telemetry, err = newTelemetry(set.TelemetrySettings); err != nil {
		return nil, err
	}
	ruleCfgs, err := cfg.allRules()
	if err != nil {
		return nil, err
	}
	if cfg.RulesFile != "" {
		if fi, err := e.stat(cfg.RulesFile); err == nil {
			e.rulesFileMod, e.rulesFileSize = fi.ModTime(), fi.Size()
		}
	}
	rules, err := rule.Compile(ruleCfgs, set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e.evaluator = rule.NewEvaluator(rules, clock, set.Logger)
	if err := e.telemetry.observeEvaluator(e.evaluator); err != nil {
		return nil, err
	}
	if err := e.buildReceivers(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// buildReceivers creates one dispatcher per notifier; the built-in log
// receiver is added unless configured.
func (e *alertExporter) buildReceivers(ctx context.Context) error {
	receivers := e.cfg.Receivers
	if !hasReceiver(receivers, LogReceiver) {
		receivers = append(receivers, ReceiverConfig{Name: LogReceiver, Notifiers: []notifier.Config{{Log: &notifier.LogConfig{}}}})
	}
	e.routes = map[string][]*notifier.Dispatcher{}
	for _, r := range receivers {
		for i := range r.Notifiers {
			nc := &r.Notifiers[i]
			name := nc.Name
			if name == "" {
				name = fmt.Sprintf("%s/%s%d", r.Name, nc.Kind(), i)
			}
			n, err := notifier.New(ctx, notifier.Settings{Name: name, Receiver: r.Name, Logger: e.logger}, nc)
			if err != nil {
				return fmt.Errorf("receiver %q: %w", r.Name, err)
			}
			d := notifier.NewDispatcher(n, *nc, e.logger, e.telemetry)
			e.routes[r.Name] = append(e.routes[r.Name], d)
			e.dispatchers = append(e.dispatchers, d)
		}
	}
	return nil
}

func hasReceiver(rs []ReceiverConfig, name string) bool {
	for _, r := range rs {
		if r.Name == name {
			return true
		}
	}
	return false
}

func (e *alertExporter) start(ctx context.Context, host component.Host) error {
	if e.cfg.Storage != nil {
		client, err := storageClient(ctx, host, *e.cfg.Storage, e.id)
		if err != nil {
			return err
		}
		e.storage = client
		if err := e.evaluator.Load(ctx, client); err != nil {
			// A corrupt state must not keep alerting down: start empty, say so.
			e.logger.Error("alert state not restored; starting with no alerts", zap.Error(err))
		}
	}
	if len(e.cfg.Rules) == 0 && e.cfg.RulesFile == "" {
		e.logger.Warn("audit_alert has no rules: nothing will alert")
	}
	for _, d := range e.dispatchers {
		d.Start()
	}
	e.startOnce.Do(func() { go e.loop() })
	return nil
}

func storageClient(ctx context.Context, host component.Host, storageID, self component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("storage extension %q not found", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("extension %q is not a storage extension", storageID)
	}
	return se.GetClient(ctx, component.KindExporter, self, "")
}

// loop evaluates on the real ticker; tests call evaluate directly instead.
func (e *alertExporter) loop() {
	defer close(e.done)
	t := time.NewTicker(e.cfg.EvaluationInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.evaluate(context.Background())
		}
	}
}

// evaluate runs one tick: reload the rules file if due, advance every
// alert, persist a changed state, dispatch.
func (e *alertExporter) evaluate(ctx context.Context) {
	now := e.clock.Now()
	if e.cfg.RulesFile != "" && now.Sub(e.lastReload) >= e.cfg.RulesReloadInterval {
		e.lastReload = now
		e.reloadRulesIfChanged()
	}
	e.handle(ctx, e.evaluator.Tick(now))
	if e.dirty.Swap(false) {
		e.persist(ctx)
	}
}

func (e *alertExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	alerts := e.evaluator.ObserveLogs(ctx, ld)
	// Windows moved even if nothing fired: save at the next tick.
	e.dirty.Store(true)
	e.handle(ctx, alerts)
	return nil
}

// handle persists the state before notifying: after a crash an alert is
// rather not re-sent than sent twice. A save writes only what changed.
func (e *alertExporter) handle(ctx context.Context, alerts []rule.Alert) {
	if len(alerts) == 0 {
		return
	}
	e.persist(ctx)
	batches := map[string][]rule.Alert{}
	for _, a := range alerts {
		e.telemetry.recordTransition(ctx, a)
		receivers := a.Receivers
		if len(receivers) == 0 {
			receivers = []string{e.cfg.DefaultReceiver}
		}
		for _, r := range receivers {
			batches[r] = append(batches[r], a)
		}
	}
	for r, batch := range batches {
		for _, d := range e.routes[r] {
			d.Enqueue(batch)
		}
	}
}

func (e *alertExporter) persist(ctx context.Context) {
	if e.storage == nil {
		return
	}
	e.persistMu.Lock()
	defer e.persistMu.Unlock()
	if err := e.evaluator.Save(ctx, e.storage); err != nil {
		e.logger.Error("alert state not saved", zap.Error(err))
	}
}

// reloadRulesIfChanged re-reads rules_file when its modification time or
// size changed. A file that fails to load or compile is logged and the
// previous rules stay in force.
func (e *alertExporter) reloadRulesIfChanged() {
	fi, err := e.stat(e.cfg.RulesFile)
	if err != nil {
		e.logger.Error("rules_file not readable; keeping the current rules", zap.Error(err))
		return
	}
	if fi.ModTime().Equal(e.rulesFileMod) && fi.Size() == e.rulesFileSize {
		return
	}
	e.rulesFileMod, e.rulesFileSize = fi.ModTime(), fi.Size()
	cfgs, err := e.cfg.allRules()
	if err == nil {
		var rules []*rule.Rule
		if rules, err = rule.Compile(cfgs, validationTelemetry()); err == nil {
			err = e.checkReceivers(cfgs)
			if err == nil {
				e.evaluator.SetRules(rules)
				e.logger.Info("alert rules reloaded", zap.String("rules_file", e.cfg.RulesFile), zap.Int("rules", len(rules)))
				return
			}
		}
	}
	e.logger.Error("rules_file has errors; keeping the current rules", zap.String("rules_file", e.cfg.RulesFile), zap.Error(err))
}

func (e *alertExporter) checkReceivers(cfgs []rule.Config) error {
	var errs []error
	for i, c := range cfgs {
		for _, r := range c.Receivers {
			if _, ok := e.routes[r]; !ok {
				errs = append(errs, fmt.Errorf("rules[%d] %q: receiver %q: %w", i, c.Name, r, errUnknownReceiver))
			}
		}
	}
	return errors.Join(errs...)
}

func (e *alertExporter) shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() { close(e.stop) })
	e.startOnce.Do(func() { close(e.done) }) // never started: nothing to wait for
	<-e.done
	var errs []error
	if e.storage != nil {
		e.persist(ctx)
		errs = append(errs, e.storage.Close(ctx))
		e.storage = nil
	}
	for _, d := range e.dispatchers {
		errs = append(errs, d.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// telemetry holds the exporter's own metrics and implements
// notifier.Recorder.
type telemetry struct {
	meter                 metric.Meter
	fired, resolved       metric.Int64Counter
	sent, failed, dropped metric.Int64Counter
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	t := &telemetry{meter: set.MeterProvider.Meter(metadata.ScopeName)}
	var errs []error
	counter := func(name, desc, unit string) metric.Int64Counter {
		c, err := t.meter.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		return c
	}
	t.fired = counter("otelcol_exporter_audit_alert_alerts_fired", "Alerts that started firing, per rule.", "{alerts}")
	t.resolved = counter("otelcol_exporter_audit_alert_alerts_resolved", "Firing alerts that resolved, per rule.", "{alerts}")
	t.sent = counter("otelcol_exporter_audit_alert_notifications_sent", "Alerts delivered, per notifier.", "{alerts}")
	t.failed = counter("otelcol_exporter_audit_alert_notifications_failed", "Alerts whose delivery failed after every retry, per notifier.", "{alerts}")
	t.dropped = counter("otelcol_exporter_audit_alert_notifications_dropped", "Alerts dropped because a notifier's queue was full, per notifier.", "{alerts}")
	return t, errors.Join(errs...)
}

// observeEvaluator exports the evaluator's own counters.
func (t *telemetry) observeEvaluator(ev *rule.Evaluator) error {
	_, err1 := t.meter.Int64ObservableCounter("otelcol_exporter_audit_alert_match_errors",
		metric.WithDescription("Records on which a rule's OTTL condition failed to evaluate (counted as no match)."),
		metric.WithUnit("{records}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(ev.MatchErrors())
			return nil
		}))
	_, err2 := t.meter.Int64ObservableCounter("otelcol_exporter_audit_alert_group_overflow",
		metric.WithDescription("Matching events ignored because their rule already tracked max_groups groups."),
		metric.WithUnit("{records}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(ev.GroupOverflow())
			return nil
		}))
	return errors.Join(err1, err2)
}

func (t *telemetry) recordTransition(ctx context.Context, a rule.Alert) {
	attrs := metric.WithAttributes(attribute.String("rule", a.Rule))
	switch {
	case a.State == rule.StateResolved:
		t.resolved.Add(ctx, 1, attrs)
	case !a.Repeat:
		t.fired.Add(ctx, 1, attrs)
	}
}

func (t *telemetry) add(c metric.Int64Counter, name string, n int) {
	c.Add(context.Background(), int64(n), metric.WithAttributes(attribute.String("notifier", name)))
}

func (t *telemetry) Sent(name string, n int)    { t.add(t.sent, name, n) }
func (t *telemetry) Failed(name string, n int)  { t.add(t.failed, name, n) }
func (t *telemetry) Dropped(name string, n int) { t.add(t.dropped, name, n) }
