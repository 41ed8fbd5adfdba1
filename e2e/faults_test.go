package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// faultLoad is the load of the fault tests: 30k events at 2500/s, so the
// fault lands in the middle of ~12 s of sending.
func faultLoad(extra ...string) []string {
	args := []string{"-total", "30000", "-rate", "2500", "-malformed", "0.01", "-concurrency", "2", "-batch", "500"}
	return append(append(args, recentWindow()...), extra...)
}

// waitStored waits until at least n documents are searchable: the marker
// that the load is under way before a fault is injected.
func waitStored(t *testing.T, es esClient, n int) {
	t.Helper()
	eventually(t, 2*time.Minute, fmt.Sprintf("%d documents stored", n), func() (bool, string) {
		got, err := es.count(auditIndex, nil)
		if err != nil {
			return false, err.Error()
		}
		return got >= n, fmt.Sprintf("count %d", got)
	})
}

// setFaults replaces esdev's injected faults (an empty map clears them).
func (d *esdevInstance) setFaults(t *testing.T, faults map[string]any) {
	t.Helper()
	if err := d.es.do(http.MethodPut, "/_esdev/faults", faults, nil); err != nil {
		t.Fatal(err)
	}
}

// documentOutcomes reads the exporter's auditpipe.elasticsearch.documents
// counter by outcome (indexed, conflict, retried, dead_lettered) from the
// collector's metrics. The counts start at 0 with each collector process.
func (c *collector) documentOutcomes(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, s := range c.scrape(t) {
		if strings.HasPrefix(s.name, "auditpipe_elasticsearch_documents") {
			out[s.labels["outcome"]] += int(s.value)
		}
	}
	return out
}

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads the collector's Prometheus text exposition.
func (c *collector) scrape(t *testing.T) []sample {
	t.Helper()
	out, err := scrapeMetrics(c.metrics)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func scrapeMetrics(url string) ([]sample, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	var out []sample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if s, ok := parseSample(sc.Text()); ok {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// parseSample parses `name{k="v",...} value`; label values holding commas
// or quotes do not occur in the series the tests read.
func parseSample(line string) (sample, bool) {
	if line == "" || line[0] == '#' {
		return sample{}, false
	}
	series, value, ok := strings.Cut(line, " ")
	if !ok {
		return sample{}, false
	}
	v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
	if err != nil {
		return sample{}, false
	}
	s := sample{labels: map[string]string{}, value: v}
	name, labels, _ := strings.Cut(series, "{")
	s.name = name
	for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			s.labels[k] = strings.Trim(v, `"`)
		}
	}
	return s, true
}

// requireAllAccepted fails when auditgen gave up on any record.
func requireAllAccepted(t *testing.T, rep genReport) {
	t.Helper()
	if rep.Failed > 0 || rep.Delivered.Total != rep.Sent.Total {
		t.Fatalf("auditgen: %d of %d records failed (delivered %d): %v", rep.Failed, rep.Sent.Total, rep.Delivered.Total, rep.Errors)
	}
}

// assertChainIntact runs auditctl verify over everything stored: faults on
// the Elasticsearch side, retries and refusals never break the hash chain.
func assertChainIntact(t *testing.T, es esClient) {
	t.Helper()
	if out, code := runTool(t, "auditctl", "verify", "-es", es.url, "-from", "2h"); code != 0 {
		t.Errorf("auditctl verify exited %d: %s", code, out)
	}
}

// TestESDevKilledAndRestartedMidLoad kills the store while the exporter is
// writing to it. The exporter keeps the documents it could not store in its
// queue and resends them; esdev keeps every write it acknowledged; writes
// esdev made but could not acknowledge come back as 409 on the resend.
func TestESDevKilledAndRestartedMidLoad(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})
	gen := goAuditgen(t, c.grpcAddr, faultLoad()...)

	waitStored(t, d.es, 5000)
	d.Kill()
	time.Sleep(3 * time.Second) // the exporter meets refused connections meanwhile
	d.restart(t)

	rep := waitAuditgen(t, gen, 5*time.Minute)
	requireAllAccepted(t, rep)
	assertNoLossNoDuplicate(t, d.es, rep.Sent.Valid, 5*time.Minute)
	assertChainIntact(t, d.es)
	t.Logf("exporter documents by outcome: %v", c.documentOutcomes(t))
}

// TestCollectorKilledAndRestartedMidLoad kills the collector while auditgen
// sends. What the collector acknowledged is in its file_storage queue and is
// delivered after the restart; what it had not acknowledged auditgen resends
// (gRPC UNAVAILABLE is retried). Resends of records already stored meet the
// event id as _id with op_type create: 409, counted as stored.
func TestCollectorKilledAndRestartedMidLoad(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})
	gen := goAuditgen(t, c.grpcAddr, faultLoad("-retry-max-elapsed", "3m")...)

	waitStored(t, d.es, 5000)
	c.Kill()
	time.Sleep(2 * time.Second) // auditgen meets refused connections meanwhile
	c.restart(t)

	rep := waitAuditgen(t, gen, 5*time.Minute)
	requireAllAccepted(t, rep)
	if rep.Retries == 0 {
		t.Errorf("auditgen retried nothing while the collector was down")
	}
	assertNoLossNoDuplicate(t, d.es, rep.Sent.Valid, 5*time.Minute)
	// A SIGKILL between the processor's chain write and the queue's may
	// leave a gap (the processor README says so): report, not fail.
	out, _ := runTool(t, "auditctl", "verify", "-es", d.es.url, "-from", "2h")
	t.Logf("hash chain after the kill: %s", strings.TrimSpace(out))
	t.Logf("exporter documents by outcome after the restart: %v", c.documentOutcomes(t))
}

// TestTooManyRequestsStorm has esdev answer 429 to a share of bulk items and
// of whole bulk requests while the load runs, then clears the fault.
func TestTooManyRequestsStorm(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})
	d.setFaults(t, map[string]any{"reject_items_ratio": 0.3, "reject_requests_ratio": 0.2})
	gen := goAuditgen(t, c.grpcAddr, faultLoad()...)

	waitStored(t, d.es, 15000) // progress through half the load's storm
	storm := c.documentOutcomes(t)
	d.setFaults(t, map[string]any{})

	rep := waitAuditgen(t, gen, 5*time.Minute)
	requireAllAccepted(t, rep)
	assertNoLossNoDuplicate(t, d.es, rep.Sent.Valid, 5*time.Minute)
	assertChainIntact(t, d.es)
	if storm["retried"] == 0 {
		t.Errorf("the exporter retried no document during the storm: %v", storm)
	}
	t.Logf("exporter documents by outcome during the storm %v, at the end %v", storm, c.documentOutcomes(t))
}

// TestSlowElasticsearch delays every esdev request while the load runs.
func TestSlowElasticsearch(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})
	d.setFaults(t, map[string]any{"delay": "500ms"})
	gen := goAuditgen(t, c.grpcAddr, faultLoad()...)

	rep := waitAuditgen(t, gen, 5*time.Minute)
	requireAllAccepted(t, rep)
	assertNoLossNoDuplicate(t, d.es, rep.Sent.Valid, 5*time.Minute)
	assertChainIntact(t, d.es)
	d.setFaults(t, map[string]any{})
	bulks, seconds := c.bulkDurations(t)
	t.Logf("exporter documents by outcome: %v; %d bulk requests, %.2fs each on average", c.documentOutcomes(t), bulks, seconds/float64(bulks))
}

// bulkDurations reads the exporter's bulk request duration histogram.
func (c *collector) bulkDurations(t *testing.T) (count int, sum float64) {
	t.Helper()
	for _, s := range c.scrape(t) {
		switch {
		case strings.HasPrefix(s.name, "auditpipe_elasticsearch_bulk_duration") && strings.HasSuffix(s.name, "_count"):
			count += int(s.value)
		case strings.HasPrefix(s.name, "auditpipe_elasticsearch_bulk_duration") && strings.HasSuffix(s.name, "_sum"):
			sum += s.value
		}
	}
	return count, sum
}
