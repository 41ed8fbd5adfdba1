package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"maps"
	"math/bits"
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
	// undo holds, between chain and settle, the heads before the batch, and
	// linked the hashed ids of its events.
	undo   map[string]chainState
	linked []idHash
	recent *recentIDs // nil: no de-duplication
	// Reused from batch to batch or event to event, not reallocated.
	ids     []idHash // the batch's ids, in record order
	known   []bool   // whether each of ids was accepted before
	inBatch map[idHash]struct{}
	hasher  chain.Hasher
}

func newChainer(streamKey string, recentIDs int) *chainer {
	c := &chainer{streamKey: streamKey, states: map[string]chainState{}}
	if recentIDs > 0 {
		c.recent = newRecentIDs(recentIDs)
	}
	return c
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
// Events whose id was accepted before are removed first and counted as resent.
func (c *chainer) chain(ctx context.Context, ld plog.Logs) (chained, resent int, err error) {
	c.mu.Lock()
	resent = c.dropResent(ld)
	if chained, err = c.link(ctx, ld); err != nil {
		c.mu.Unlock()
	}
	return chained, resent, err
}

// dropResent removes the events whose id is among the recently accepted ones
// or earlier in the same batch, and notes the ids of the others in c.linked.
// It hashes all ids before it looks any up: the lookups miss the CPU cache,
// and back to back in a tight loop they overlap instead of waiting in turn.
func (c *chainer) dropResent(ld plog.Logs) int {
	c.linked = c.linked[:0]
	if c.recent == nil {
		return 0
	}
	c.ids, c.known = c.ids[:0], c.known[:0]
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				var id idHash // zero: the event has no id
				if v, ok := lr.Attributes().Get(semconv.AttrEventID); ok && v.Str() != "" {
					id = c.recent.hash(v.Str())
				}
				c.ids = append(c.ids, id)
			}
		}
	}
	for _, id := range c.ids {
		c.known = append(c.known, id != (idHash{}) && c.recent.has(id))
	}
	if c.inBatch == nil {
		c.inBatch = make(map[idHash]struct{}, len(c.ids))
	}
	defer clear(c.inBatch)
	resent, i := 0, 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(plog.LogRecord) bool {
				id, known := c.ids[i], c.known[i]
				i++
				if id == (idHash{}) {
					return false
				}
				if _, again := c.inBatch[id]; again || known {
					resent++
					return true
				}
				c.inBatch[id] = struct{}{}
				c.linked = append(c.linked, id)
				return false
			})
		}
	}
	return resent
}

func (c *chainer) link(ctx context.Context, ld plog.Logs) (int, error) {
	heads := map[string]chainState{}
	undo := map[string]chainState{}
	chained := 0
	// One event, read into again for every record: on the stack, where
	// filling its fields costs no GC write barriers.
	var ev semconv.Event
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				ev.ReadLogRecord(rl.Resource(), lr)
				stream := c.streamOf(lr, &ev)
				st, ok := heads[stream]
				if !ok {
					var err error
					if st, err = c.state(ctx, stream); err != nil {
						return 0, err
					}
					undo[stream] = st
				}
				st.Seq++
				// The event as it will be once the chain attributes are set;
				// its canonical form leaves out any hash the record carries.
				ev.ChainStream, ev.ChainSeq = stream, st.Seq
				hash := c.hasher.Hash(st.Hash, &ev)
				attrs := lr.Attributes()
				attrs.PutStr(semconv.AttrChainStream, stream)
				attrs.PutInt(semconv.AttrChainSeq, st.Seq)
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
		if c.recent != nil {
			for _, id := range c.linked {
				c.recent.add(id)
			}
		}
		return nil
	}
	maps.Copy(c.states, undo)
	if err := c.persist(ctx, undo); err != nil {
		return fmt.Errorf("give back the refused batch's chain sequence numbers: %w", err)
	}
	return nil
}

// streamOf returns the stream of lr, which ev was read from. The stream key
// is usually audit.tenant, which ev already holds.
func (c *chainer) streamOf(lr plog.LogRecord, ev *semconv.Event) string {
	s := ev.Tenant
	if c.streamKey != semconv.AttrTenant {
		s = ""
		if v, ok := lr.Attributes().Get(c.streamKey); ok {
			s = v.AsString()
		}
	}
	if s == "" {
		return defaultStream
	}
	return s
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

// recentIDs remembers at least the last n ids added, and at most the last
// 2n: ids go into the current generation, and when it holds n the previous
// one is forgotten whole and the current one takes its place. It keeps
// 128-bit hashes of the ids, not the ids: a set of strings is pointers the
// GC marks on every cycle, and with 100k entries that cost more than the
// rest of the chain. Each generation is an open-addressing table, at most
// half full, with linear probing; forgetting a generation is clearing its
// memory, so no id is ever deleted alone (a Go map, with a delete and an
// insert per event, cost three times more, and deleting from the table in
// place cost a cache miss per event).
type recentIDs struct {
	seeds     [2]maphash.Seed
	cur, prev idTable
	n         int
}

// idHash is two independent 64-bit hashes: a collision, which would drop an
// event as resent, is not a practical concern at 128 bits.
type idHash [2]uint64

// idTable is one generation: the zero idHash marks an empty slot.
type idTable struct {
	slots []idHash
	len   int
}

func newIDTable(n int) idTable {
	return idTable{slots: make([]idHash, 1<<bits.Len(uint(2*n-1)))} // a power of two, at least 2n
}

// find returns the slot that holds h, or the empty slot that ends its probe.
func (t *idTable) find(h idHash) int {
	mask := len(t.slots) - 1
	i := int(h[0]) & mask
	for t.slots[i] != h && t.slots[i] != (idHash{}) {
		i = (i + 1) & mask
	}
	return i
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		cur:   newIDTable(n),
		prev:  newIDTable(n),
		n:     n,
	}
}

func (r *recentIDs) hash(id string) idHash {
	h := idHash{maphash.String(r.seeds[0], id), maphash.String(r.seeds[1], id)}
	if h == (idHash{}) {
		h[1] = 1
	}
	return h
}

func (r *recentIDs) has(h idHash) bool {
	return r.cur.slots[r.cur.find(h)] == h || r.prev.slots[r.prev.find(h)] == h
}

func (r *recentIDs) add(h idHash) {
	if r.cur.len == r.n {
		r.prev, r.cur = r.cur, r.prev
		clear(r.cur.slots)
		r.cur.len = 0
	}
	if i := r.cur.find(h); r.cur.slots[i] != h {
		r.cur.slots[i] = h
		r.cur.len++
	}
}
