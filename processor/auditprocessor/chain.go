package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/semconv"
)

// defaultStream chains events whose stream attribute is absent or empty.
const defaultStream = "default"

// chainState is the last link of one stream, as persisted in storage.
type chainState struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// chainer links events per stream. One mutex serialises all chaining: a
// batch may hold several streams, and sequence numbers must be gap-free and
// in storage order even when the pipeline calls the processor concurrently.
type chainer struct {
	streamKey string

	mu     sync.Mutex
	client storage.Client // nil: state lives in memory only
	states map[string]chainState
	// undo holds, between chain and settle, the heads before the batch.
	undo map[string]chainState
}

func newChainer(streamKey string) *chainer {
	return &chainer{streamKey: streamKey, states: map[string]chainState{}}
}

func (c *chainer) setClient(client storage.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.client = client
}

func storageKey(stream string) string { return "chain/" + stream }

// state returns a stream's last link, reading storage on first use.
func (c *chainer) state(ctx context.Context, stream string) (chainState, error) {
	if st, ok := c.states[stream]; ok || c.client == nil {
		return st, nil
	}
	raw, err := c.client.Get(ctx, storageKey(stream))
	if err != nil || raw == nil {
		return chainState{}, err
	}
	var st chainState
	if err := json.Unmarshal(raw, &st); err != nil {
		return chainState{}, fmt.Errorf("chain state of stream %q is corrupt: %w", stream, err)
	}
	return st, nil
}

// chain sets audit.chain.stream, .seq and .hash on every record of ld and
// persists the new heads before they count: if storage fails, the batch
// fails and the heads stay where they were, so a retry reuses the same
// sequence numbers. On success the lock stays held until settle, so no other
// batch is chained after this one before the pipeline has accepted it.
func (c *chainer) chain(ctx context.Context, ld plog.Logs) (int, error) {
	c.mu.Lock()
	n, err := c.link(ctx, ld)
	if err != nil {
		c.mu.Unlock()
	}
	return n, err
}

func (c *chainer) link(ctx context.Context, ld plog.Logs) (int, error) {
	heads := map[string]chainState{}
	undo := map[string]chainState{}
	chained := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				stream := c.streamOf(lr)
				st, ok := heads[stream]
				if !ok {
					var err error
					if st, err = c.state(ctx, stream); err != nil {
						return 0, err
					}
					undo[stream] = st
				}
				st.Seq++
				attrs := lr.Attributes()
				attrs.PutStr(semconv.AttrChainStream, stream)
				attrs.PutInt(semconv.AttrChainSeq, st.Seq)
				attrs.Remove(semconv.AttrChainHash)
				hash := chain.Hash(st.Hash, semconv.EventFromLogRecord(rl.Resource(), lr))
				attrs.PutStr(semconv.AttrChainHash, hash)
				st.Hash = hash
				heads[stream] = st
				chained++
			}
		}
	}
	if err := c.persist(ctx, heads); err != nil {
		return 0, err
	}
	maps.Copy(c.states, heads)
	c.undo = undo
	return chained, nil
}

// settle ends what chain began once the next consumer has answered. A batch
// the pipeline refused (back-pressure, a full queue) was never stored, so its
// sequence numbers are given back: the client's retry gets them again and
// the stored chain has no gap.
func (c *chainer) settle(ctx context.Context, consumed error) error {
	defer c.mu.Unlock()
	undo := c.undo
	c.undo = nil
	if consumed == nil {
		return nil
	}
	maps.Copy(c.states, undo)
	if err := c.persist(ctx, undo); err != nil {
		return fmt.Errorf("give back the refused batch's chain sequence numbers: %w", err)
	}
	return nil
}

func (c *chainer) streamOf(lr plog.LogRecord) string {
	if v, ok := lr.Attributes().Get(c.streamKey); ok {
		if s := v.AsString(); s != "" {
			return s
		}
	}
	return defaultStream
}

func (c *chainer) persist(ctx context.Context, heads map[string]chainState) error {
	if c.client == nil || len(heads) == 0 {
		return nil
	}
	ops := make([]*storage.Operation, 0, len(heads))
	for stream, st := range heads {
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		ops = append(ops, storage.SetOperation(storageKey(stream), raw))
	}
	if err := c.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("persist chain state: %w", err)
	}
	return nil
}

// close releases the storage client; safe to call more than once.
func (c *chainer) close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		return nil
	}
	err := c.client.Close(ctx)
	c.client = nil
	return err
}
