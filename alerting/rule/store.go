package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// The state is stored in buckets: a rule's series are spread over
// stateBuckets keys by a hash of their group key, and Save rewrites only the
// buckets holding a series that changed since the last Save. Rewriting the
// whole state on every batch cost most of the collector's CPU once thousands
// of alerts were tracked.
const stateBuckets = 4096

// stateVersion is part of every key: a shape change starts from empty state
// instead of misreading the old one.
const stateVersion = 2

func bucketKey(rule string, bucket int) string {
	return fmt.Sprintf("alert_state/v%d/%s/%d", stateVersion, rule, bucket)
}

func bucketOf(groupKey string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(groupKey))
	return int(h.Sum32() % stateBuckets)
}

// touch marks the series of rule and group key as changed since the last Save.
func (e *Evaluator) touch(rule, key string) { e.markBucket(rule, bucketOf(key)) }

func (e *Evaluator) markBucket(rule string, bucket int) {
	b := e.dirty[rule]
	if b == nil {
		b = map[int]bool{}
		e.dirty[rule] = b
	}
	b[bucket] = true
}

// Save writes the state that changed since the last Save (what fired, what
// was sent when, the windows' hits), so a restart neither forgets nor
// re-sends. If the write fails, the same buckets are written next time.
func (e *Evaluator) Save(ctx context.Context, client storage.Client) error {
	e.mu.Lock()
	dirty := e.dirty
	e.dirty = map[string]map[int]bool{}
	ops, err := e.bucketOperations(dirty)
	e.mu.Unlock()
	if err == nil && len(ops) > 0 {
		err = client.Batch(ctx, ops...)
	}
	if err != nil {
		e.mu.Lock()
		for rule, buckets := range dirty {
			for b := range buckets {
				e.markBucket(rule, b)
			}
		}
		e.mu.Unlock()
	}
	return err
}

// bucketOperations encodes the dirty buckets of every rule that still
// exists; an emptied bucket is deleted.
func (e *Evaluator) bucketOperations(dirty map[string]map[int]bool) ([]*storage.Operation, error) {
	var ops []*storage.Operation
	for rule, buckets := range dirty {
		all, ok := e.series[rule]
		if !ok {
			continue
		}
		members := make(map[int]map[string]*series, len(buckets))
		for key, s := range all {
			if b := bucketOf(key); buckets[b] {
				if members[b] == nil {
					members[b] = map[string]*series{}
				}
				members[b][key] = s
			}
		}
		for b := range buckets {
			if len(members[b]) == 0 {
				ops = append(ops, storage.DeleteOperation(bucketKey(rule, b)))
				continue
			}
			data, err := json.Marshal(members[b])
			if err != nil {
				return nil, fmt.Errorf("encode alert state of rule %q: %w", rule, err)
			}
			ops = append(ops, storage.SetOperation(bucketKey(rule, b), data))
		}
	}
	return ops, nil
}

// Load restores the state of the current rules saved in client, if any.
func (e *Evaluator) Load(ctx context.Context, client storage.Client) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.rules {
		ops := make([]*storage.Operation, stateBuckets)
		for b := range ops {
			ops[b] = storage.GetOperation(bucketKey(r.Name(), b))
		}
		if err := client.Batch(ctx, ops...); err != nil {
			return fmt.Errorf("read alert state of rule %q: %w", r.Name(), err)
		}
		for _, op := range ops {
			if op.Value == nil {
				continue
			}
			var bucket map[string]*series
			if err := json.Unmarshal(op.Value, &bucket); err != nil {
				return fmt.Errorf("decode alert state of rule %q: %w", r.Name(), err)
			}
			for key, s := range bucket {
				e.series[r.Name()][key] = s
			}
		}
	}
	return nil
}
