package auditprocessor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/processor/auditprocessor/internal/metadata"
	"github.com/auditpipe/auditpipe/semconv"
)

var storageID = component.MustNewIDWithName("file_storage", "audit")

type testHost struct {
	component.Host
	extensions map[component.ID]component.Component
}

func (h testHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

// startFileStorage starts a real filestorage extension on dir.
func startFileStorage(t *testing.T, dir string) (extension.Extension, component.Host) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext, testHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{storageID: ext}}
}

type runningProcessor struct {
	processor.Logs
	sink *consumertest.LogsSink
}

func startProcessor(t *testing.T, cfg *Config, host component.Host) runningProcessor {
	t.Helper()
	sink := &consumertest.LogsSink{}
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	return runningProcessor{Logs: p, sink: sink}
}

// batchEvents numbers the events of batch: every event has its own id, as
// emitters guarantee, so the chain's de-duplication leaves them alone.
var batchEvents atomic.Int64

// batch returns one Logs with an event per tenant given ("" = no tenant).
func batch(tenants ...string) plog.Logs {
	ld := plog.NewLogs()
	for i, tenant := range tenants {
		one, _ := newEvent("player.profile_update", "success",
			semconv.AttrChangeOld, fmt.Sprintf(`{"n":%d}`, i), semconv.AttrChangeNew, fmt.Sprintf(`{"n":%d}`, i+1))
		lr := one.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		lr.Attributes().PutStr(semconv.AttrEventID, fmt.Sprintf("ev-%d", batchEvents.Add(1)))
		if tenant != "" {
			lr.Attributes().PutStr(semconv.AttrTenant, tenant)
		}
		one.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	return ld
}

// events reads back everything the sink received, as a verifier would.
func events(sink *consumertest.LogsSink) []semconv.Event {
	var out []semconv.Event
	for _, ld := range sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					out = append(out, semconv.EventFromLogRecord(rl.Resource(), lr))
				}
			}
		}
	}
	return out
}

func seqsByStream(evs []semconv.Event) map[string][]int64 {
	out := map[string][]int64{}
	for _, e := range evs {
		out[e.ChainStream] = append(out[e.ChainStream], e.ChainSeq)
	}
	return out
}

func chainConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Chain.Storage = &storageID
	return cfg
}

func TestChainStreamsByAnyKey(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Chain.StreamKey = "brand"
	p := startProcessor(t, cfg, componenttest.NewNopHost())
	ld := batch("t1", "t1", "t2")
	brands := []any{"eu", 7, nil}
	i := 0
	for _, rl := range ld.ResourceLogs().All() {
		lr := rl.ScopeLogs().At(0).LogRecords().At(0)
		if brands[i] != nil {
			require.NoError(t, lr.Attributes().PutEmpty("brand").FromRaw(brands[i]))
		}
		i++
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	all := events(p.sink)
	assert.Equal(t, map[string][]int64{"eu": {1}, "7": {1}, "default": {1}}, seqsByStream(all))
	assert.True(t, chain.Verify(all).OK())
}

func TestChainRestartContinuesFromStorage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	ext, host := startFileStorage(t, dir)
	first := startProcessor(t, chainConfig(), host)
	require.NoError(t, first.ConsumeLogs(ctx, batch("brand-eu", "brand-eu", "brand-uk", "")))
	require.NoError(t, first.ConsumeLogs(ctx, batch("brand-eu", "brand-uk")))
	require.NoError(t, first.Shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx))

	ext, host = startFileStorage(t, dir)
	second := startProcessor(t, chainConfig(), host)
	require.NoError(t, second.ConsumeLogs(ctx, batch("brand-eu", "", "brand-latam")))
	require.NoError(t, second.Shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx))

	all := append(events(first.sink), events(second.sink)...)
	assert.Equal(t, map[string][]int64{
		"brand-eu":    {1, 2, 3, 4},
		"brand-uk":    {1, 2},
		"default":     {1, 2},
		"brand-latam": {1},
	}, seqsByStream(all))
	report := chain.Verify(all)
	assert.True(t, report.OK(), "%+v", report.Findings)
	assert.Equal(t, len(all), report.Verified)
}

func TestChainWithoutStorageRestartsAndVerifierSeesIt(t *testing.T) {
	ctx := context.Background()
	cfg := createDefaultConfig().(*Config)
	first := startProcessor(t, cfg, componenttest.NewNopHost())
	require.NoError(t, first.ConsumeLogs(ctx, batch("t", "t")))
	second := startProcessor(t, cfg, componenttest.NewNopHost())
	require.NoError(t, second.ConsumeLogs(ctx, batch("t")))
	report := chain.Verify(append(events(first.sink), events(second.sink)...))
	require.Len(t, report.Findings, 1)
	assert.Equal(t, chain.Inserted, report.Findings[0].Kind)
}

func TestVerifierFindsEachKindOfTampering(t *testing.T) {
	ctx := context.Background()
	p := startProcessor(t, createDefaultConfig().(*Config), componenttest.NewNopHost())
	require.NoError(t, p.ConsumeLogs(ctx, batch("b", "b", "b", "b", "b", "b")))
	clean := events(p.sink)
	require.True(t, chain.Verify(clean).OK())

	tamper := func(edit func([]semconv.Event) []semconv.Event) chain.Report {
		evs := append([]semconv.Event(nil), clean...)
		return chain.Verify(edit(evs))
	}
	modified := tamper(func(evs []semconv.Event) []semconv.Event {
		evs[2].NewValue = `{"n":1000}`
		return evs
	})
	deleted := tamper(func(evs []semconv.Event) []semconv.Event {
		return append(evs[:3], evs[4:]...)
	})
	inserted := tamper(func(evs []semconv.Event) []semconv.Event {
		forged := evs[3]
		forged.ID = "forged"
		forged.Severity = semconv.SeverityInfo
		return append(evs, forged)
	})
	reclassified := tamper(func(evs []semconv.Event) []semconv.Event {
		evs[1].Severity = semconv.SeverityInfo
		return evs
	})
	for name, tc := range map[string]struct {
		report chain.Report
		kind   chain.FindingKind
		seq    int64
	}{
		"modified":     {modified, chain.Modified, 3},
		"deleted":      {deleted, chain.Deleted, 5},
		"inserted":     {inserted, chain.Inserted, 4},
		"reclassified": {reclassified, chain.Modified, 2},
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEmpty(t, tc.report.Findings)
			assert.Equal(t, tc.kind, tc.report.Findings[0].Kind)
			assert.Equal(t, tc.seq, tc.report.Findings[0].Seq)
		})
	}
}

func TestChainIsGapFreeUnderConcurrentBatches(t *testing.T) {
	ctx := context.Background()
	p := startProcessor(t, createDefaultConfig().(*Config), componenttest.NewNopHost())
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				assert.NoError(t, p.ConsumeLogs(ctx, batch("a", "b", "a")))
			}
		}()
	}
	wg.Wait()
	all := events(p.sink)
	report := chain.Verify(all)
	assert.True(t, report.OK(), "%+v", report.Findings)
	assert.Equal(t, 8*20*3, report.Verified)
	assert.Len(t, seqsByStream(all)["a"], 8*20*2)
}

// failingStorage is a storage extension whose writes fail until healed.
type failingStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu     sync.Mutex
	broken bool
	data   map[string][]byte
}

func (f *failingStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return f, nil
}

func (f *failingStorage) Get(_ context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.data[key], nil
}
func (f *failingStorage) Set(context.Context, string, []byte) error { return errors.New("unused") }
func (f *failingStorage) Delete(context.Context, string) error      { return errors.New("unused") }
func (f *failingStorage) Close(context.Context) error               { return nil }
func (f *failingStorage) Batch(_ context.Context, ops ...*storage.Operation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken {
		return errors.New("disk full")
	}
	for _, op := range ops {
		f.data[op.Key] = op.Value
	}
	return nil
}

func TestChainStorageFailureFailsTheBatchWithoutAdvancing(t *testing.T) {
	ctx := context.Background()
	store := &failingStorage{broken: true, data: map[string][]byte{}}
	host := testHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{storageID: store}}
	p := startProcessor(t, chainConfig(), host)

	err := p.ConsumeLogs(ctx, batch("t", "t"))
	require.ErrorContains(t, err, "disk full")
	assert.Zero(t, p.sink.LogRecordCount())

	store.mu.Lock()
	store.broken = false
	store.mu.Unlock()
	require.NoError(t, p.ConsumeLogs(ctx, batch("t", "t")))
	assert.Equal(t, map[string][]int64{"t": {1, 2}}, seqsByStream(events(p.sink)))
	assert.JSONEq(t, fmt.Sprintf(`{"seq":2,"hash":%q}`, events(p.sink)[1].ChainHash), string(store.data["chain/t"]))
}

// refusingSink refuses batches, as a full exporter queue does, until healed.
type refusingSink struct {
	consumertest.LogsSink
	refuse bool
}

func (r *refusingSink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if r.refuse {
		return errors.New("sending queue is full")
	}
	return r.LogsSink.ConsumeLogs(ctx, ld)
}

func TestChainGivesBackTheSequenceNumbersOfARefusedBatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ext, host := startFileStorage(t, dir)
	defer func() { require.NoError(t, ext.Shutdown(ctx)) }()
	sink := &refusingSink{}
	p, err := NewFactory().CreateLogs(ctx, processortest.NewNopSettings(metadata.Type), chainConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, host))

	require.NoError(t, p.ConsumeLogs(ctx, batch("t")))
	sink.refuse = true
	require.ErrorContains(t, p.ConsumeLogs(ctx, batch("t", "t")), "queue is full")
	sink.refuse = false
	require.NoError(t, p.ConsumeLogs(ctx, batch("t", "t")), "the client's retry")
	require.NoError(t, p.Shutdown(ctx))

	all := events(&sink.LogsSink)
	assert.Equal(t, map[string][]int64{"t": {1, 2, 3}}, seqsByStream(all))
	assert.True(t, chain.Verify(all).OK(), "no gap where the refused batch was")

	// The given-back head is what storage holds too: a restart continues at 4.
	again := startProcessor(t, chainConfig(), host)
	require.NoError(t, again.ConsumeLogs(ctx, batch("t")))
	require.NoError(t, again.Shutdown(ctx))
	assert.Equal(t, map[string][]int64{"t": {4}}, seqsByStream(events(again.sink)))
}

func TestChainDropsEventsAcceptedBefore(t *testing.T) {
	ctx := context.Background()
	sink := &refusingSink{}
	p, err := NewFactory().CreateLogs(ctx, processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, p.Shutdown(ctx)) }()

	first := batch("t", "t")
	sink.refuse = true
	require.Error(t, p.ConsumeLogs(ctx, cloneLogs(first)))
	sink.refuse = false
	require.NoError(t, p.ConsumeLogs(ctx, cloneLogs(first)), "a refused batch is not remembered: its retry goes through")
	// The client timed out although the batch went through, and sends it
	// again with two more events that share one id.
	again := cloneLogs(first)
	more := batch("t", "t")
	id, _ := more.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(semconv.AttrEventID)
	more.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutStr(semconv.AttrEventID, id.Str())
	more.ResourceLogs().MoveAndAppendTo(again.ResourceLogs())
	require.NoError(t, p.ConsumeLogs(ctx, again))

	all := events(&sink.LogsSink)
	require.Len(t, all, 3, "the two events accepted before and the repeated id are dropped")
	assert.Equal(t, id.Str(), all[2].ID)
	assert.Equal(t, map[string][]int64{"t": {1, 2, 3}}, seqsByStream(all))
	assert.True(t, chain.Verify(all).OK())
}

func cloneLogs(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	return out
}

func TestRecentIDsForgetsTheOldest(t *testing.T) {
	r := newRecentIDs(2)
	a, b, c, d, e := r.hash("a"), r.hash("b"), r.hash("c"), r.hash("d"), r.hash("e")
	for _, h := range []idHash{a, b, c, d, e} {
		r.add(h)
	}
	assert.False(t, r.has(a), "added 4 ids before the last, more than twice n")
	assert.False(t, r.has(b))
	for _, h := range []idHash{c, d, e} {
		assert.True(t, r.has(h))
	}
}

// TestRecentIDsKeepsTheLastNAdded checks the contract against the list of
// ids added: the last n are found and none older than the last 2n. The ids
// are crafted to share a few home slots, near the end of the table too, so
// that probe runs are long and wrap around.
func TestRecentIDsKeepsTheLastNAdded(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 8, 50} {
		r := newRecentIDs(n)
		size := uint64(len(r.cur.slots))
		var added []idHash
		for i := range 5000 {
			h := idHash{(uint64(rnd.IntN(4)) + size - 2) % size, uint64(i + 1)} // homes size-2, size-1, 0, 1
			r.add(h)
			if rnd.IntN(10) == 0 {
				r.add(h) // again: still one id
			}
			added = append(added, h)
			for _, kept := range added[max(0, len(added)-n):] {
				require.True(t, r.has(kept), "n=%d step %d: %v was added among the last %d and is not found", n, i, kept, n)
			}
			for _, gone := range added[max(0, len(added)-4*n):max(0, len(added)-2*n)] {
				require.False(t, r.has(gone), "n=%d step %d: %v is found, more than %d ids later", n, i, gone, 2*n)
			}
		}
	}
}
