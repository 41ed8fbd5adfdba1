package auditelasticsearchexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/exporter/auditelasticsearchexporter/internal/metadata"
	"github.com/auditpipe/auditpipe/internal/esclient"
)

// templateVersion is stored in the installed templates; raise it when the
// mapping changes so operators can see which version a cluster runs.
const templateVersion = 1

// templatePriority beats the built-in logs template (priority 100).
const templatePriority = 500

type esExporter struct {
	cfg    *Config
	logger *zap.Logger
	ua     string
	now    func() time.Time

	client *elastictransport.Client

	setupMu sync.Mutex
	ready   atomic.Bool
	stop    context.CancelFunc
	setupWG sync.WaitGroup

	router  *router
	batches sync.Pool
	tel     telemetry
}

func newExporter(cfg *Config, set exporter.Settings) (*esExporter, error) {
	tel, err := newTelemetry(set.MeterProvider.Meter(metadata.ScopeName))
	if err != nil {
		return nil, err
	}
	version := set.BuildInfo.Version
	if version == "" {
		version = "dev"
	}
	return &esExporter{
		cfg:    cfg,
		logger: set.Logger,
		ua:     "auditpipe/" + version,
		router: newRouter(cfg),
		now:    time.Now,
		tel:    tel,
	}, nil
}

func (e *esExporter) start(ctx context.Context, host component.Host) error {
	httpClient, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), component.TelemetrySettings{Logger: e.logger})
	if err != nil {
		return err
	}
	e.client, err = esclient.New(esclient.Config{
		Addresses: e.cfg.endpoints(),
		CloudID:   e.cfg.CloudID,
		Username:  e.cfg.User,
		Password:  string(e.cfg.Password),
		APIKey:    string(e.cfg.APIKey),
		UserAgent: e.ua,
		Transport: httpClient.Transport,
		// exporterhelper retries with backoff, item by item; a second retry
		// layer here would resend items that already succeeded.
		DisableRetry: true,
	})
	if err != nil {
		return err
	}
	if e.cfg.IndexManagement.Enabled {
		bg, cancel := context.WithCancel(context.Background())
		e.stop = cancel
		e.setupWG.Add(1)
		go e.setupInBackground(bg)
	}
	return nil
}

func (e *esExporter) shutdown(context.Context) error {
	if e.stop != nil {
		e.stop()
	}
	e.setupWG.Wait()
	return nil
}

// setupInBackground installs the templates without holding up Start: an
// unreachable cluster must not stop the collector from starting and
// queueing. After SetupAttempts failures it leaves the setup to the next
// export, which retries it before writing anything.
func (e *esExporter) setupInBackground(ctx context.Context) {
	defer e.setupWG.Done()
	wait := time.Second
	for attempt := 1; attempt <= e.cfg.IndexManagement.SetupAttempts; attempt++ {
		err := e.ensureSetup(ctx)
		if err == nil {
			return
		}
		e.logger.Warn("Elasticsearch index management failed; exports wait for it",
			zap.Int("attempt", attempt), zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// ensureSetup installs the ILM policy and templates once. Until it has
// succeeded no document is written: a data stream created without our
// template would get the built-in logs mapping (source.ip not an ip) for
// its whole life.
func (e *esExporter) ensureSetup(ctx context.Context) error {
	if !e.cfg.IndexManagement.Enabled || e.ready.Load() {
		return nil
	}
	e.setupMu.Lock()
	defer e.setupMu.Unlock()
	if e.ready.Load() {
		return nil
	}
	if err := e.installTemplates(ctx); err != nil {
		return fmt.Errorf("index management: %w", err)
	}
	e.ready.Store(true)
	return nil
}

func (e *esExporter) names() (policy, component, template, deadLetter string) {
	base := "auditpipe-" + e.cfg.DataStream.Dataset
	return base + "-retention", base + "-mappings", base, "auditpipe-deadletter"
}

func (e *esExporter) installTemplates(ctx context.Context) error {
	policy, componentName, templateName, deadLetterName := e.names()
	lifecycle := ""
	if e.cfg.IndexManagement.ILM {
		lifecycle = policy
		r := e.cfg.Retention
		body := esdoc.ILMPolicy(esdoc.Retention{HotMaxAge: r.HotMaxAge, WarmAfter: r.WarmAfter, DeleteAfter: r.DeleteAfter})
		if err := e.put(ctx, esapi.ILMPutLifecycleRequest{Policy: policy, Body: jsonBody(body)}); err != nil {
			return fmt.Errorf("ILM policy %s: %w", policy, err)
		}
	}
	ct := esdoc.ComponentTemplate(esdoc.TemplateOptions{LifecyclePolicy: lifecycle, Version: templateVersion})
	if err := e.put(ctx, esapi.ClusterPutComponentTemplateRequest{Name: componentName, Body: jsonBody(ct)}); err != nil {
		return fmt.Errorf("component template %s: %w", componentName, err)
	}
	it := esdoc.IndexTemplate(esdoc.IndexTemplateOptions{
		Dataset: e.cfg.DataStream.Dataset, ComposedOf: []string{componentName},
		Priority: templatePriority, Version: templateVersion,
	})
	if err := e.put(ctx, esapi.IndicesPutIndexTemplateRequest{Name: templateName, Body: jsonBody(it)}); err != nil {
		return fmt.Errorf("index template %s: %w", templateName, err)
	}
	dl := esdoc.DeadLetterIndexTemplate(templatePriority, templateVersion)
	if err := e.put(ctx, esapi.IndicesPutIndexTemplateRequest{Name: deadLetterName, Body: jsonBody(dl)}); err != nil {
		return fmt.Errorf("index template %s: %w", deadLetterName, err)
	}
	return nil
}

func jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // templates are maps of plain values
	}
	return bytes.NewReader(b)
}

type esRequest interface {
	Do(ctx context.Context, transport esapi.Transport) (*esapi.Response, error)
}

func (e *esExporter) put(ctx context.Context, req esRequest) error {
	ctx, cancel := e.requestContext(ctx)
	defer cancel()
	res, err := req.Do(ctx, e.client)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.IsError() {
		return fmt.Errorf("status %d: %s", res.StatusCode, readError(res.Body))
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return nil
}

// requestContext bounds one HTTP request by the configured timeout (the
// client built by confighttp carries it, but only its transport is used).
func (e *esExporter) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.cfg.ClientConfig.Timeout > 0 {
		return context.WithTimeout(ctx, e.cfg.ClientConfig.Timeout)
	}
	return context.WithCancel(ctx)
}

// readError returns the start of an error response body, enough to name
// the cause in a log line.
func readError(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 2048))
	return strings.TrimSpace(string(b))
}

// pushLogs sends ld in one or more bulk requests. Items Elasticsearch asks
// to retry (429, 5xx) and items of failed requests are returned in a
// consumererror.Logs so that exporterhelper retries only them; refused items
// are written to the dead-letter index; 409 conflicts are duplicates of
// documents already stored and count as written.
func (e *esExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	if err := e.ensureSetup(ctx); err != nil {
		return err
	}
	b := e.getBatch()
	defer e.batches.Put(b)
	b.encode(ld, e.router.route)

	var firstErr error
	var retry, deadLetters []int
	chunks := b.chunks(e.cfg.BulkMaxBytes)
	for ci, c := range chunks {
		items, rejected, err := e.sendChunk(ctx, b, c)
		if err != nil {
			// The cluster is unavailable: keep this chunk and the rest for
			// the retry instead of hammering it with the remaining chunks.
			firstErr = err
			for _, rest := range chunks[ci:] {
				for i := rest.first; i < rest.end; i++ {
					retry = append(retry, i)
				}
			}
			break
		}
		if rejected != nil {
			for i := c.first; i < c.end; i++ {
				b.items[i].errType, b.items[i].reason = rejected.Type, rejected.Reason
				deadLetters = append(deadLetters, i)
			}
			continue
		}
		r, d, err := e.classify(b, c, items)
		retry, deadLetters = append(retry, r...), append(deadLetters, d...)
		if firstErr == nil {
			firstErr = err
		}
	}
	if len(deadLetters) > 0 {
		failed, err := e.writeDeadLetters(ctx, b, deadLetters)
		retry = append(retry, failed...)
		if firstErr == nil {
			firstErr = err
		}
	}
	if len(retry) == 0 {
		return nil
	}
	e.tel.documents.Add(ctx, int64(len(retry)), e.tel.retried)
	return consumererror.NewLogs(fmt.Errorf("%d of %d audit documents not yet stored, retrying them: %w",
		len(retry), len(b.items), firstErr), b.subset(ld, retry))
}

// classify sorts the items of a bulk response: written, duplicate, to retry
// or to dead-letter. It returns the first retryable error.
func (e *esExporter) classify(b *batch, c chunk, items []bulkItemResult) (retry, deadLetters []int, firstErr error) {
	n := c.end - c.first
	if items == nil {
		e.tel.documents.Add(context.Background(), int64(n), e.tel.indexed)
		return nil, nil, nil
	}
	if len(items) != n {
		// Should not happen; retrying everything is safe thanks to _id.
		for i := c.first; i < c.end; i++ {
			retry = append(retry, i)
		}
		return retry, nil, fmt.Errorf("bulk response has %d items for %d documents", len(items), c.end-c.first)
	}
	var indexed, conflicts int64
	for k, res := range items {
		i := c.first + k
		switch st := res.Status; {
		case st >= 200 && st < 300:
			indexed++
		case st == http.StatusConflict:
			conflicts++
		case st == http.StatusTooManyRequests || st >= 500:
			retry = append(retry, i)
			if firstErr == nil {
				firstErr = fmt.Errorf("document %s: status %d %s", b.items[i].id, st, res.describe())
			}
		default:
			b.items[i].errType, b.items[i].reason = res.errorType(), res.describe()
			deadLetters = append(deadLetters, i)
		}
	}
	e.tel.documents.Add(context.Background(), indexed, e.tel.indexed)
	e.tel.documents.Add(context.Background(), conflicts, e.tel.conflicted)
	return retry, deadLetters, firstErr
}

// sendChunk sends one bulk request. It returns the item results, or a
// rejection of the whole request that retrying cannot fix (400, 413), or a
// retryable error.
func (e *esExporter) sendChunk(ctx context.Context, b *batch, c chunk) ([]bulkItemResult, *bulkError, error) {
	started := time.Now()
	status, body, err := e.bulk(ctx, b.body[b.items[c.first].start:b.items[c.end-1].end])
	e.tel.bulkDuration.Record(ctx, time.Since(started).Seconds())
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	switch {
	case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
		return nil, &bulkError{Type: fmt.Sprintf("bulk_request_%d", status), Reason: readError(body)}, nil
	case status >= 300:
		// 429, 5xx, and also 401/403/404: credentials, privileges and
		// clusters get fixed; audit events must wait for that, not be dropped.
		return nil, nil, fmt.Errorf("bulk request: status %d: %s", status, readError(body))
	}
	items, err := parseBulkResponse(body)
	return items, nil, err
}

// bulk posts an NDJSON body to _bulk.
func (e *esExporter) bulk(ctx context.Context, body []byte) (int, io.ReadCloser, error) {
	ctx, cancel := e.requestContext(ctx)
	req := esapi.BulkRequest{Body: bytes.NewReader(body), FilterPath: bulkFilterPath}
	res, err := req.Do(ctx, e.client)
	if err != nil {
		cancel()
		return 0, nil, fmt.Errorf("bulk request: %w", err)
	}
	return res.StatusCode, cancelOnClose{res.Body, cancel}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// writeDeadLetters stores refused documents, with their error, in the
// day's dead-letter index. The _id is the event's, so writing the same
// refusal twice (a replay) keeps one copy. It returns the items that could
// not be stored, to be retried with the original event.
func (e *esExporter) writeDeadLetters(ctx context.Context, b *batch, items []int) ([]int, error) {
	now := e.now()
	index := esdoc.DeadLetterIndex(now)
	body := make([]byte, 0, 1024*len(items))
	for _, i := range items {
		it := &b.items[i]
		body = appendAction(body, "index", index, it.id)
		body = esdoc.AppendDeadLetter(body, now, it.id, it.errType, it.reason, b.body[it.docStart:it.end-1])
		body = append(body, '\n')
		e.logger.Warn("Audit event refused by Elasticsearch, writing it to the dead-letter index",
			zap.String("event.id", it.id), zap.String("index", index),
			zap.String("error.type", it.errType), zap.String("error.reason", it.reason))
	}
	status, res, err := e.bulk(ctx, body)
	if err != nil {
		return items, fmt.Errorf("dead-letter write: %w", err)
	}
	defer res.Close()
	if status >= 300 {
		return items, fmt.Errorf("dead-letter write: status %d: %s", status, readError(res))
	}
	results, err := parseBulkResponse(res)
	if err != nil {
		return items, fmt.Errorf("dead-letter write: %w", err)
	}
	if results != nil && len(results) != len(items) {
		return items, fmt.Errorf("dead-letter write: %d results for %d documents", len(results), len(items))
	}
	var failed []int
	var firstErr error
	for k, r := range results {
		if r.Status >= 300 {
			failed = append(failed, items[k])
			if firstErr == nil {
				firstErr = fmt.Errorf("dead-letter write of %s: status %d %s", b.items[items[k]].id, r.Status, r.describe())
			}
		}
	}
	e.tel.documents.Add(ctx, int64(len(items)-len(failed)), e.tel.deadLettered)
	return failed, firstErr
}

func (e *esExporter) getBatch() *batch {
	if b, ok := e.batches.Get().(*batch); ok {
		b.reset()
		return b
	}
	return &batch{}
}

type telemetry struct {
	documents    metric.Int64Counter
	bulkDuration metric.Float64Histogram

	indexed, conflicted, retried, deadLettered metric.MeasurementOption
}

func newTelemetry(meter metric.Meter) (telemetry, error) {
	docs, err := meter.Int64Counter("auditpipe.elasticsearch.documents",
		metric.WithDescription("Documents by outcome of their bulk item (indexed, conflict, retried, dead_lettered)."),
		metric.WithUnit("{documents}"))
	if err != nil {
		return telemetry{}, err
	}
	dur, err := meter.Float64Histogram("auditpipe.elasticsearch.bulk.duration",
		metric.WithDescription("Duration of bulk requests, from send to parsed response."),
		metric.WithUnit("s"))
	if err != nil {
		return telemetry{}, err
	}
	outcome := func(v string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", v)))
	}
	return telemetry{
		documents: docs, bulkDuration: dur,
		indexed: outcome("indexed"), conflicted: outcome("conflict"),
		retried: outcome("retried"), deadLettered: outcome("dead_lettered"),
	}, nil
}
