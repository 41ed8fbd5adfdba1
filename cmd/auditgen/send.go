package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/time/rate"

	"github.com/auditpipe/auditpipe/internal/auditgen"
)

// Config is what to send and how.
type Config struct {
	Endpoint    string
	Protocol    string // "grpc" or "http"
	Headers     map[string]string
	Rate        float64       // records per second, 0 = as fast as possible
	Total       int           // records to send, 0 = until Duration ends
	Duration    time.Duration // 0 = until Total is sent
	Concurrency int           // requests in flight
	Batch       int           // records per request
	Timeout     time.Duration // per request
	Retry       RetryPolicy
}

// RetryPolicy is exponential backoff with full jitter for throttled or
// unavailable servers.
type RetryPolicy struct {
	Initial    time.Duration
	Max        time.Duration
	MaxElapsed time.Duration // give a batch up after this long
}

// Report is what was sent and what the server made of it.
type Report struct {
	Endpoint string `json:"endpoint"`
	Protocol string `json:"protocol"`
	// Sent counts every generated record that was sent (attempted).
	Sent auditgen.Counts `json:"sent"`
	// Delivered counts the records of every request the server accepted,
	// fully or in part: Rejected of them were refused in partial successes.
	Delivered auditgen.Counts `json:"delivered"`
	Rejected  int64           `json:"rejected"`
	// Failed counts records of requests refused outright or still failing
	// when retries ran out: the server holds none of them.
	Failed         int      `json:"failed"`
	Requests       int      `json:"requests"`
	Retries        int      `json:"retries"`
	Errors         []string `json:"errors,omitempty"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	Secrets        int      `json:"secrets"`
}

// maxErrors bounds Report.Errors: distinct messages are what matter.
const maxErrors = 10

// Refused reports whether the server lost data the generator meant to be
// accepted: a failed request, or more partial rejections than malformed
// records were sent (a validating receiver rejects exactly those).
func (r *Report) Refused() bool {
	return r.Failed > 0 || r.Rejected > int64(r.Sent.Malformed)
}

type batch struct {
	logs   plog.Logs
	counts auditgen.Counts
}

// sender runs one Send. The clock is injected so tests of the backoff do
// not wait.
type sender struct {
	cfg    Config
	client logsClient
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	report Report
}

// Send generates records with gen and sends them with client until
// cfg.Total are sent, cfg.Duration ends or ctx is cancelled. Cancelling ctx
// stops generating; batches already generated are still delivered (each
// bounded by cfg.Timeout and cfg.Retry.MaxElapsed) so the report is exact.
func Send(ctx context.Context, cfg Config, gen *auditgen.Generator, client logsClient) Report {
	s := &sender{cfg: cfg, client: client, now: time.Now, sleep: sleepCtx}
	return s.run(ctx, gen)
}

func (s *sender) run(ctx context.Context, gen *auditgen.Generator) Report {
	started := time.Now()
	s.report.Endpoint, s.report.Protocol = s.cfg.Endpoint, s.cfg.Protocol
	batches := make(chan batch, s.cfg.Concurrency)
	deliverCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range max(s.cfg.Concurrency, 1) {
		wg.Go(func() {
			for b := range batches {
				s.deliver(deliverCtx, b)
			}
		})
	}
	s.produce(ctx, gen, batches)
	close(batches)
	wg.Wait()
	s.report.ElapsedSeconds = time.Since(started).Seconds()
	s.report.Secrets = len(gen.Secrets())
	return s.report
}

// produce generates batches at the configured rate until the run ends.
func (s *sender) produce(ctx context.Context, gen *auditgen.Generator, out chan<- batch) {
	if s.cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Duration)
		defer cancel()
	}
	var limiter *rate.Limiter
	if s.cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(s.cfg.Rate), max(s.cfg.Batch, 1))
	}
	for produced := 0; s.cfg.Total == 0 || produced < s.cfg.Total; {
		n := s.cfg.Batch
		if s.cfg.Total > 0 {
			n = min(n, s.cfg.Total-produced)
		}
		if limiter != nil {
			if err := limiter.WaitN(ctx, n); err != nil {
				return // the run's time is up
			}
		}
		if ctx.Err() != nil {
			return
		}
		ld := plog.NewLogs()
		b := batch{logs: ld, counts: gen.AppendLogs(ld, n)}
		select {
		case out <- b:
			produced += n
		case <-ctx.Done():
			return
		}
	}
}

// deliver sends one batch, retrying throttled and transient failures.
func (s *sender) deliver(ctx context.Context, b batch) {
	policy := s.cfg.Retry
	deadline := s.now().Add(policy.MaxElapsed)
	retries := 0
	var rejected int64
	var err error
	for attempt := 0; ; attempt++ {
		rejected, err = s.exportOnce(ctx, b.logs)
		var re *retryableError
		if !errors.As(err, &re) || ctx.Err() != nil {
			break
		}
		wait := re.after
		if wait == 0 {
			wait = backoff(policy, attempt)
		}
		if s.now().Add(wait).After(deadline) {
			err = fmt.Errorf("gave up after %d retries: %w", retries, err)
			break
		}
		if s.sleep(ctx, wait) != nil {
			break
		}
		retries++
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.report.Requests++
	s.report.Retries += retries
	s.report.Sent.Merge(b.counts)
	var partial partialError
	switch {
	case err == nil || errors.As(err, &partial):
		s.report.Delivered.Merge(b.counts)
		s.report.Rejected += rejected
	default:
		s.report.Failed += b.counts.Total
	}
	if err != nil && len(s.report.Errors) < maxErrors && !slices.Contains(s.report.Errors, err.Error()) {
		s.report.Errors = append(s.report.Errors, err.Error())
	}
}

func (s *sender) exportOnce(ctx context.Context, ld plog.Logs) (int64, error) {
	if s.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	return s.client.Export(ctx, ld)
}

// backoff is the full-jitter exponential delay before retry number attempt.
func backoff(p RetryPolicy, attempt int) time.Duration {
	d := p.Initial << min(attempt, 20)
	if d <= 0 || d > p.Max {
		d = p.Max
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
