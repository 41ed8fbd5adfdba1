package notifier

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// fakeNotifier fails its first `failures` calls with err, then succeeds. A
// non-nil gate blocks every call until it is closed.
type fakeNotifier struct {
	name     string
	err      error
	failures int
	gate     chan struct{}

	mu      sync.Mutex
	calls   int
	batches [][]rule.Alert
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(ctx context.Context, alerts []rule.Alert) error {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failures {
		return f.err
	}
	f.batches = append(f.batches, alerts)
	return nil
}

func (f *fakeNotifier) delivered() [][]rule.Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]rule.Alert(nil), f.batches...)
}

// countingRecorder counts outcomes per notifier.
type countingRecorder struct {
	mu                    sync.Mutex
	sent, failed, dropped map[string]int
}

func newRecorder() *countingRecorder {
	return &countingRecorder{sent: map[string]int{}, failed: map[string]int{}, dropped: map[string]int{}}
}

func (r *countingRecorder) Sent(n string, k int)    { r.mu.Lock(); r.sent[n] += k; r.mu.Unlock() }
func (r *countingRecorder) Failed(n string, k int)  { r.mu.Lock(); r.failed[n] += k; r.mu.Unlock() }
func (r *countingRecorder) Dropped(n string, k int) { r.mu.Lock(); r.dropped[n] += k; r.mu.Unlock() }

func (r *countingRecorder) get(m map[string]int, n string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return m[n]
}

func alertNamed(name string) []rule.Alert {
	a := sampleAlert(rule.StateFiring)
	a.Rule = name
	return []rule.Alert{a}
}

// fastRetry keeps retry tests quick; the backoff library does the waiting.
var fastRetry = RetryConfig{MaxAttempts: 3, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}

func TestDispatcherRetriesThenSends(t *testing.T) {
	f := &fakeNotifier{name: "flaky", err: errors.New("connection reset"), failures: 2}
	rec := newRecorder()
	d := NewDispatcher(f, Config{Retry: fastRetry}, zap.NewNop(), rec)
	d.Start()
	d.Enqueue(alertNamed("a"))
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, f.delivered(), 1)
	assert.Equal(t, 3, f.calls)
	assert.Equal(t, 1, rec.get(rec.sent, "flaky"))
	assert.Zero(t, rec.get(rec.failed, "flaky"))
}

func TestDispatcherGivesUpAfterMaxAttemptsAndOnPermanent(t *testing.T) {
	f := &fakeNotifier{name: "down", err: errors.New("503"), failures: 100}
	rec := newRecorder()
	d := NewDispatcher(f, Config{Retry: fastRetry}, zap.NewNop(), rec)
	d.Start()
	d.Enqueue(alertNamed("a"))
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Equal(t, 3, f.calls)
	assert.Equal(t, 1, rec.get(rec.failed, "down"))

	p := &fakeNotifier{name: "rejected", err: Permanent(errors.New("400")), failures: 100}
	d = NewDispatcher(p, Config{Retry: fastRetry}, zap.NewNop(), rec)
	d.Start()
	d.Enqueue(alertNamed("a"))
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Equal(t, 1, p.calls, "a permanent error is not retried")
	assert.Equal(t, 1, rec.get(rec.failed, "rejected"))
}

func TestDispatcherDropsOldestWhenFull(t *testing.T) {
	gate := make(chan struct{})
	f := &fakeNotifier{name: "slow", gate: gate}
	rec := newRecorder()
	d := NewDispatcher(f, Config{QueueSize: 2}, zap.NewNop(), rec)
	// Not started yet: nothing is taken off the queue while we fill it.
	for _, n := range []string{"a", "b", "c", "d"} {
		d.Enqueue(alertNamed(n))
	}
	assert.Equal(t, 2, rec.get(rec.dropped, "slow"))
	d.Start()
	close(gate)
	require.NoError(t, d.Shutdown(context.Background()))
	var rules []string
	for _, b := range f.delivered() {
		rules = append(rules, b[0].Rule)
	}
	assert.Equal(t, []string{"c", "d"}, rules, "the newest batches are kept")
}

func TestBlockedNotifierDoesNotBlockOthers(t *testing.T) {
	stuck := &fakeNotifier{name: "stuck", gate: make(chan struct{})}
	ok := &fakeNotifier{name: "ok"}
	rec := newRecorder()
	ds := []*Dispatcher{
		NewDispatcher(stuck, Config{QueueSize: 1}, zap.NewNop(), rec),
		NewDispatcher(ok, Config{}, zap.NewNop(), rec),
	}
	for _, d := range ds {
		d.Start()
	}
	for i := range 5 {
		for _, d := range ds {
			d.Enqueue(alertNamed(string(rune('a' + i)))) // never blocks
		}
	}
	require.NoError(t, ds[1].Shutdown(context.Background()))
	assert.Len(t, ok.delivered(), 5)

	// Shutdown of the stuck one gives up when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, ds[0].Shutdown(ctx), context.Canceled)
	assert.Empty(t, stuck.delivered())
	assert.Positive(t, rec.get(rec.dropped, "stuck"))
}

func TestDispatcherShutdownDrainsForAtMostTheDrainTimeout(t *testing.T) {
	f := &fakeNotifier{name: "limited"}
	rec := newRecorder()
	cfg := Config{RateLimit: RateLimitConfig{PerSecond: 0.001, Burst: 1}, DrainTimeout: 10 * time.Millisecond}
	d := NewDispatcher(f, cfg, zap.NewNop(), rec)
	for _, n := range []string{"a", "b", "c", "d"} {
		d.Enqueue(alertNamed(n))
	}
	d.Start()
	// A context without deadline, as the collector passes: the drain timeout
	// alone ends the wait for the rate limiter.
	require.NoError(t, d.Shutdown(context.Background()))
	assert.Len(t, f.delivered(), 1, "the burst allows one batch")
	assert.Equal(t, 1, rec.get(rec.failed, "limited"), "the batch waiting for the limiter fails")
	assert.Equal(t, 2, rec.get(rec.dropped, "limited"), "the batches still queued are dropped")
}

func TestDispatcherShutdownIsIdempotentAndSafeWithoutStart(t *testing.T) {
	rec := newRecorder()
	d := NewDispatcher(&fakeNotifier{name: "n"}, Config{}, zap.NewNop(), rec)
	require.NoError(t, d.Shutdown(context.Background()))
	require.NoError(t, d.Shutdown(context.Background()))
	d.Enqueue(alertNamed("late"))
	assert.Equal(t, 1, rec.get(rec.dropped, "n"), "after shutdown a batch is dropped and counted")
}

func TestConfigValidate(t *testing.T) {
	assert.ErrorIs(t, (&Config{}).Validate(), errNoKind)
	assert.ErrorIs(t, (&Config{Log: &LogConfig{}, Slack: &SlackConfig{}}).Validate(), errManyKinds)
	assert.ErrorContains(t, (&Config{Log: &LogConfig{}, Timeout: -1}).Validate(), "must not be negative")
	assert.ErrorContains(t, (&Config{Telegram: &TelegramConfig{}}).Validate(), "telegram: bot_token is required")
	require.NoError(t, (&Config{Log: &LogConfig{}}).Validate())
}
