package auditelasticsearchexporter

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/internal/esdev"
)

// faultScale is the size of the fault scenarios: the full ones
// (100k events, a 20 s outage) with AUDITPIPE_FAULT_TESTS=1, as the
// Makefile's e2e target sets, and small ones otherwise so the behaviour is
// still exercised by every test run.
func faultScale(t *testing.T) (events int, outage time.Duration) {
	if os.Getenv("AUDITPIPE_FAULT_TESTS") == "1" {
		return 100_000, 20 * time.Second
	}
	t.Log("small fault scenario (5k events, 2 s outage); set AUDITPIPE_FAULT_TESTS=1 for the full 100k events / 20 s one")
	return 5_000, 2 * time.Second
}

func TestElasticsearchOutageMidLoad(t *testing.T) {
	c := newCluster(t)
	c.requireDev(t)
	n, outage := faultScale(t)
	cfg := testConfig(c, t)
	cfg.QueueBatchConfig.Get().QueueSize = int64(n)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := startExporter(t, cfg, tel)

	// About a third of the load gets through before the cluster pushes
	// back (429) and then goes down: the outage always hits events in flight.
	bulks := max(1, n/3/int(cfg.QueueBatchConfig.Get().Batch.Get().MaxSize))
	c.dev.limitBulks(int64(bulks))
	evs := events(20, n)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendAll(t, exp, evs, 500)
	}()
	waitFor(t, 2*time.Minute, "part of the load indexed", func() bool {
		return c.dev.bulkBudget.Load() == 0 && c.count(t, cfg.index(), nil) > 0
	})
	c.dev.stop()
	time.Sleep(outage) // the outage itself, not a synchronization
	c.dev.restart()
	wg.Wait()

	require.Equal(t, n, c.waitCount(t, cfg.index(), n, 5*time.Minute))
	c.requireExactly(t, cfg.index(), evs)
	assert.Positive(t, documentCount(t, tel, "retried"), "the outage caused retries")
}

func Test429StormIsRetriedWithoutLoss(t *testing.T) {
	c := newCluster(t)
	c.requireDev(t)
	n, _ := faultScale(t)
	require.NoError(t, c.dev.srv.SetFaults(esdev.Faults{RejectItemsRatio: 0.3, RejectRequestsRatio: 0.2}))
	cfg := testConfig(c, t)
	cfg.QueueBatchConfig.Get().QueueSize = int64(n)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exp := startExporter(t, cfg, tel)

	evs := events(21, n)
	sendAll(t, exp, evs, 500)
	require.Equal(t, n, c.waitCount(t, cfg.index(), n, 5*time.Minute))
	c.requireExactly(t, cfg.index(), evs)
	assert.Positive(t, documentCount(t, tel, "retried"))
	assert.Zero(t, documentCount(t, tel, "dead_lettered"), "429s are retried, never dead-lettered")
}

// Environment of the exporter child process of TestCollectorKilledWithPersistentQueue.
const (
	envChild      = "AUDITPIPE_ES_EXPORTER_CHILD"
	envChildURL   = "AUDITPIPE_ES_EXPORTER_CHILD_URL"
	envChildDir   = "AUDITPIPE_ES_EXPORTER_CHILD_DIR"
	envChildCount = "AUDITPIPE_ES_EXPORTER_CHILD_EVENTS"
	childBatch    = 500
	childSeed     = 22
)

func TestCollectorKilledWithPersistentQueue(t *testing.T) {
	c := newCluster(t)
	c.requireDev(t)
	n, _ := faultScale(t)
	// Two bulk requests get through, every later one is answered 429: when
	// the exporter is killed, part of the load is indexed and every other
	// accepted event can only be in the persistent queue.
	c.dev.limitBulks(2)
	dir := t.TempDir()
	dataset := testConfig(c, t).DataStream.Dataset
	index := "logs-" + dataset + "-default"

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestExporterChildProcess$", "-test.v")
		cmd.Env = append(os.Environ(), envChild+"=1", envChildURL+"="+c.url, envChildDir+"="+dir,
			envChildCount+"="+strconv.Itoa(n), "AUDITPIPE_ES_EXPORTER_CHILD_DATASET="+dataset)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd
	}
	first := child()
	require.NoError(t, first.Start())
	waitFor(t, 2*time.Minute, "part of the load indexed and all of it accepted", func() bool {
		return c.count(t, index, nil) > 0 && ackedBatches(t, dir)*childBatch >= n
	})
	require.NoError(t, first.Process.Kill()) // SIGKILL: no shutdown, no flush
	_ = first.Wait()
	c.refresh(t, index)
	indexedAtKill := c.count(t, index, nil)
	t.Logf("killed the exporter with %d of %d accepted events indexed", indexedAtKill, n)
	require.Less(t, indexedAtKill, n, "the kill must leave accepted events in the persistent queue")

	c.dev.limitBulks(-1)
	second := child()
	require.NoError(t, second.Run(), "the restarted exporter resumes and finishes")
	c.requireExactly(t, index, events(childSeed, n))
}

// ackedBatches reads how many batches the child's exporter accepted.
func ackedBatches(t *testing.T, dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "acked"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return v
}

// TestExporterChildProcess is the collector process of
// TestCollectorKilledWithPersistentQueue: an exporter with a file_storage
// persistent queue that sends the batches not yet accepted, records each
// acceptance as a client of the collector would, and exits when every event
// is indexed.
func TestExporterChildProcess(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("helper process of TestCollectorKilledWithPersistentQueue; runs only as its child")
	}
	dir := os.Getenv(envChildDir)
	n, err := strconv.Atoi(os.Getenv(envChildCount))
	require.NoError(t, err)
	c := &cluster{url: os.Getenv(envChildURL)}
	ctx := context.Background()

	storageID := component.MustNewID("file_storage")
	fsFactory := filestorage.NewFactory()
	fsCfg := fsFactory.CreateDefaultConfig().(*filestorage.Config)
	fsCfg.Directory = filepath.Join(dir, "queue")
	require.NoError(t, os.MkdirAll(fsCfg.Directory, 0o755))
	fsSet := extensiontest.NewNopSettings(fsFactory.Type())
	fsSet.ID = storageID
	storage, err := fsFactory.Create(ctx, fsSet, fsCfg)
	require.NoError(t, err)
	host := hostWith{storageID: storage}
	require.NoError(t, storage.Start(ctx, host))

	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{c.url}
	cfg.DataStream.Dataset = os.Getenv("AUDITPIPE_ES_EXPORTER_CHILD_DATASET")
	cfg.BackOffConfig.InitialInterval = 20 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 500 * time.Millisecond
	q := cfg.QueueBatchConfig.Get()
	q.StorageID = &storageID
	q.QueueSize = int64(n)
	q.Batch.Get().FlushTimeout = 100 * time.Millisecond
	q.Batch.Get().MinSize, q.Batch.Get().MaxSize = 200, 500
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName(metadata.Type.String(), "child") // the queue's key: same in every run
	exp, err := NewFactory().CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, host))

	evs := events(childSeed, n)
	for b := ackedBatches(t, dir); b*childBatch < n; b++ {
		sendAll(t, exp, evs[b*childBatch:min((b+1)*childBatch, n)], childBatch)
		tmp := filepath.Join(dir, "acked.tmp")
		require.NoError(t, os.WriteFile(tmp, []byte(strconv.Itoa(b+1)), 0o644))
		require.NoError(t, os.Rename(tmp, filepath.Join(dir, "acked")))
	}
	require.Equal(t, n, c.waitCount(t, "logs-"+cfg.DataStream.Dataset+"-default", n, 5*time.Minute))
	require.NoError(t, exp.Shutdown(ctx))
	require.NoError(t, storage.Shutdown(ctx))
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }
