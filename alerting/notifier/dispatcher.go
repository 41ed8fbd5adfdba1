package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// Recorder receives the dispatcher's outcomes; the exporter turns them into
// metrics. n is the number of alerts in the batch.
type Recorder interface {
	Sent(notifier string, n int)
	Failed(notifier string, n int)
	Dropped(notifier string, n int)
}

// permanentError marks a failure that retrying cannot fix (a 4xx answer, a
// rejected recipient): the batch is failed at once.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so the dispatcher does not retry it.
func Permanent(err error) error { return permanentError{err} }

// Dispatcher delivers batches to one Notifier from its own goroutine, so
// Enqueue never blocks.
type Dispatcher struct {
	notifier Notifier
	cfg      Config
	logger   *zap.Logger
	recorder Recorder
	limiter  *rate.Limiter

	mu      sync.Mutex
	queue   [][]rule.Alert
	wake    chan struct{}
	closed  bool
	done    chan struct{}
	started bool
	cancel  context.CancelFunc
}

// NewDispatcher wraps n with cfg's queue, retry and rate limit settings.
func NewDispatcher(n Notifier, cfg Config, logger *zap.Logger, recorder Recorder) *Dispatcher {
	return &Dispatcher{
		notifier: n,
		cfg:      cfg,
		logger:   logger.With(zap.String("notifier", n.Name())),
		recorder: recorder,
		limiter: rate.NewLimiter(rate.Limit(orDefault(cfg.RateLimit.PerSecond, DefaultRatePerSecond)),
			orDefault(cfg.RateLimit.Burst, DefaultRateBurst)),
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

// Name is the wrapped notifier's name.
func (d *Dispatcher) Name() string { return d.notifier.Name() }

// Start runs the delivery goroutine.
func (d *Dispatcher) Start() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return
	}
	d.started = true
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go d.run(ctx)
}

// Enqueue queues a batch; when the queue is full the oldest batch is dropped.
func (d *Dispatcher) Enqueue(alerts []rule.Alert) {
	if len(alerts) == 0 {
		return
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.recorder.Dropped(d.Name(), len(alerts))
		return
	}
	var dropped []rule.Alert
	if len(d.queue) >= orDefault(d.cfg.QueueSize, DefaultQueueSize) {
		dropped, d.queue = d.queue[0], d.queue[1:]
	}
	d.queue = append(d.queue, alerts)
	d.mu.Unlock()
	if dropped != nil {
		d.recorder.Dropped(d.Name(), len(dropped))
		d.logger.Warn("alert notification queue full: dropped the oldest batch",
			zap.Int("alerts", len(dropped)), zap.String("rule", dropped[0].Rule))
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops accepting batches and delivers what is queued for at most
// the drain timeout or until ctx ends; the rest is dropped and counted.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	started := d.started
	d.mu.Unlock()
	if !started {
		d.dropQueued()
		return nil
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
	drain := time.NewTimer(orDefault(d.cfg.DrainTimeout, DefaultDrainTimeout))
	defer drain.Stop()
	var err error
	select {
	case <-d.done:
		return nil
	case <-drain.C:
	case <-ctx.Done():
		err = ctx.Err()
	}
	d.cancel()
	<-d.done
	d.dropQueued()
	return err
}

// dropQueued counts and logs the batches still queued at shutdown.
func (d *Dispatcher) dropQueued() {
	d.mu.Lock()
	queued := d.queue
	d.queue = nil
	d.mu.Unlock()
	n := 0
	for _, b := range queued {
		n += len(b)
	}
	if n == 0 {
		return
	}
	d.recorder.Dropped(d.Name(), n)
	d.logger.Warn("alert notifications still queued at shutdown were dropped", zap.Int("alerts", n))
}

func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	defer d.cancel()
	for ctx.Err() == nil { // once cancelled, Shutdown counts what is left
		batch, closed := d.next()
		if batch == nil {
			if closed {
				return
			}
			select {
			case <-d.wake:
			case <-ctx.Done():
				return
			}
			continue
		}
		d.deliver(ctx, batch)
	}
}

func (d *Dispatcher) next() ([]rule.Alert, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return nil, d.closed
	}
	b := d.queue[0]
	d.queue = d.queue[1:]
	return b, d.closed
}

func (d *Dispatcher) deliver(ctx context.Context, batch []rule.Alert) {
	if err := d.limiter.Wait(ctx); err != nil {
		d.fail(batch, err)
		return
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = orDefault(d.cfg.Retry.InitialInterval, DefaultInitialInterval)
	b.MaxInterval = orDefault(d.cfg.Retry.MaxInterval, DefaultMaxInterval)
	attempt := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		actx, cancel := context.WithTimeout(ctx, orDefault(d.cfg.Timeout, DefaultTimeout))
		defer cancel()
		err := d.notifier.Notify(actx, batch)
		if err != nil {
			d.logger.Debug("alert notification attempt failed", zap.Int("attempt", attempt), zap.Error(err))
		}
		if p := (permanentError{}); errors.As(err, &p) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(orDefault(d.cfg.Retry.MaxAttempts, DefaultMaxAttempts))),
		backoff.WithMaxElapsedTime(0))
	if err != nil {
		d.fail(batch, err)
		return
	}
	d.recorder.Sent(d.Name(), len(batch))
}

func (d *Dispatcher) fail(batch []rule.Alert, err error) {
	d.recorder.Failed(d.Name(), len(batch))
	d.logger.Error("alert notification failed", zap.Int("alerts", len(batch)),
		zap.String("rule", batch[0].Rule), zap.Error(err))
}
