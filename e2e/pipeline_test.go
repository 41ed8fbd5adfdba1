package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/proc"
	"github.com/auditpipe/auditpipe/internal/shippedconfig"
)

// auditIndex is where the exporter's data streams live (logs-audit-<namespace>).
const auditIndex = "logs-audit-*"

// collectorOptions are what differs between the tests' collector configs.
type collectorOptions struct {
	esURL    string
	limitMiB int // memory_limiter bound; 0 keeps 512
	// goMemLimit sets GOMEMLIMIT to limitMiB, as a deployment with a
	// memory budget should (see TestOverloadStaysUnderMemoryLimit).
	goMemLimit bool
}

// collector is a running otelcol-audit with its endpoints.
type collector struct {
	*process
	args     []string // the command line, kept for restarts
	dir      string   // the test's state directory
	grpcAddr string
	httpAddr string
	health   string
	metrics  string   // the collector's own Prometheus metrics
	env      []string // added to the collector's environment
}

// shippedConfig is the default config otelcol-audit embeds and `make run`
// uses: the tests run what users run, with its alert rules.
var shippedConfig = filepath.Join("..", "cmd", "otelcol-audit", "config.yaml")

// newCollector sets up one test's collector: the shipped config, overridden
// with --set only where a test must: every port free, state in the test's
// temp dir, logs as JSON so alert lines can be parsed, internal metrics on
// a free port, and shorter retry and memory-limiter intervals so the fault
// tests see recoveries within their time limits.
func newCollector(t *testing.T, o collectorOptions) *collector {
	t.Helper()
	addrs, err := proc.FreeAddrs(6)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{dir: t.TempDir(), grpcAddr: addrs[0], httpAddr: addrs[1]}
	healthAddr, metricsAddr := addrs[2], addrs[3]
	c.health = "http://" + healthAddr
	c.metrics = "http://" + metricsAddr + "/metrics"
	_, metricsPort, _ := net.SplitHostPort(metricsAddr)
	limit := o.limitMiB
	if limit == 0 {
		limit = 512
	}
	if o.goMemLimit {
		c.env = []string{fmt.Sprintf("GOMEMLIMIT=%dMiB", limit)}
	}
	c.args = shippedconfig.Args(shippedConfig,
		shippedconfig.Listen{Health: healthAddr, ZPages: addrs[4], PProf: addrs[5], GRPC: c.grpcAddr, HTTP: c.httpAddr},
		filepath.Join(c.dir, "storage"), o.esURL,
		"processors::memory_limiter::check_interval=100ms",
		fmt.Sprintf("processors::memory_limiter::limit_mib=%d", limit),
		fmt.Sprintf("processors::memory_limiter::spike_limit_mib=%d", limit/4),
		"exporters::audit_elasticsearch::retry_on_failure::initial_interval=200ms",
		"exporters::audit_elasticsearch::retry_on_failure::max_interval=2s",
		"service::telemetry::logs::encoding=json",
		"service::telemetry::metrics::level=normal",
		fmt.Sprintf("service::telemetry::metrics::readers=[{pull: {exporter: {prometheus: {host: 127.0.0.1, port: %s}}}}]", metricsPort),
	)
	return c
}

func startCollector(t *testing.T, o collectorOptions) *collector {
	t.Helper()
	c := newCollector(t, o)
	c.restart(t)
	return c
}

// restart starts the collector (again) on the same config and storage.
func (c *collector) restart(t *testing.T) {
	t.Helper()
	c.process = startEnv(t, "otelcol-audit", c.env, c.args...)
	waitHealthy(t, c.health, c.process)
}

func waitHealthy(t *testing.T, url string, p *process) {
	t.Helper()
	eventually(t, 60*time.Second, p.Name+" healthy at "+url, func() (bool, string) {
		if !p.Alive() {
			t.Fatalf("%s exited while starting", p.Name)
		}
		resp, err := http.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

// esdevInstance is a running esdev with a fixed address and data directory,
// so it can be killed and restarted as the same server.
type esdevInstance struct {
	*process
	addr, data string
	es         esClient
}

func startESDev(t *testing.T) *esdevInstance {
	t.Helper()
	d := &esdevInstance{addr: freeAddr(t), data: filepath.Join(t.TempDir(), "esdev")}
	d.es = esClient{url: "http://" + d.addr}
	d.restart(t)
	return d
}

func (d *esdevInstance) restart(t *testing.T) {
	t.Helper()
	d.process = start(t, "esdev", "-addr", d.addr, "-data", d.data, "-refresh", "500ms")
	waitHTTP(t, d.es.url+"/", 30*time.Second)
}

// genReport is the part of auditgen's -json summary the tests check.
type genReport struct {
	Sent struct {
		Total      int            `json:"total"`
		Valid      int            `json:"valid"`
		Malformed  int            `json:"malformed"`
		ByCategory map[string]int `json:"by_category"`
	} `json:"sent"`
	Delivered struct {
		Total int `json:"total"`
		Valid int `json:"valid"`
	} `json:"delivered"`
	Rejected       int      `json:"rejected"`
	Failed         int      `json:"failed"`
	Requests       int      `json:"requests"`
	Retries        int      `json:"retries"`
	Errors         []string `json:"errors"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
}

type genResult struct {
	report genReport
	exit   int
	stderr string
}

// goAuditgen runs auditgen with -json in the background; the result arrives
// on the channel when it exits.
func goAuditgen(t *testing.T, endpoint string, args ...string) <-chan genResult {
	t.Helper()
	out := make(chan genResult, 1)
	cmd := exec.Command(bin("auditgen"), append([]string{"-endpoint", endpoint, "-json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		err := cmd.Wait()
		r := genResult{exit: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
		if jerr := json.Unmarshal(stdout.Bytes(), &r.report); jerr != nil && err == nil {
			r.stderr += "\nunparsable report: " + jerr.Error() + ": " + stdout.String()
			r.exit = -1
		}
		out <- r
	}()
	return out
}

// waitAuditgen waits for a background auditgen and requires a clean exit.
func waitAuditgen(t *testing.T, ch <-chan genResult, within time.Duration) genReport {
	t.Helper()
	select {
	case r := <-ch:
		if r.exit != 0 {
			t.Fatalf("auditgen exited %d: %s (report %+v)", r.exit, r.stderr, r.report)
		}
		rate := 0.0
		if r.report.ElapsedSeconds > 0 {
			rate = float64(r.report.Sent.Total) / r.report.ElapsedSeconds
		}
		t.Logf("auditgen: sent %d (%d valid, %d malformed) in %.1fs (%.0f events/s), %d requests, %d retries, %d rejected",
			r.report.Sent.Total, r.report.Sent.Valid, r.report.Sent.Malformed, r.report.ElapsedSeconds, rate,
			r.report.Requests, r.report.Retries, r.report.Rejected)
		return r.report
	case <-time.After(within):
		t.Fatalf("auditgen did not finish within %s", within)
		return genReport{}
	}
}

// waitStableCount polls _count until it equals want, failing with the last
// count seen. Exceeding want fails at once: that is a duplicate.
func waitStableCount(t *testing.T, es esClient, want int, within time.Duration) {
	t.Helper()
	began := time.Now()
	eventually(t, within, fmt.Sprintf("%d documents searchable", want), func() (bool, string) {
		n, err := es.count(auditIndex, nil)
		if err != nil {
			return false, err.Error()
		}
		if n > want {
			t.Fatalf("%d documents searchable, more than the %d valid events sent", n, want)
		}
		return n == want, fmt.Sprintf("count %d", n)
	})
	t.Logf("all %d events searchable %.1fs after the wait began", want, time.Since(began).Seconds())
}

// distinctIDs is the exact number of distinct event ids (esdev's cardinality
// aggregation is exact, unlike Elasticsearch's HyperLogLog++).
func distinctIDs(t *testing.T, es esClient) (docs, distinct int) {
	t.Helper()
	var out struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
		} `json:"hits"`
		Aggregations struct {
			IDs struct {
				Value int `json:"value"`
			} `json:"ids"`
		} `json:"aggregations"`
	}
	err := es.do(http.MethodPost, "/"+auditIndex+"/_search", map[string]any{
		"size": 0, "track_total_hits": true,
		"aggs": map[string]any{"ids": map[string]any{"cardinality": map[string]any{"field": "event.id"}}},
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.Hits.Total.Value, out.Aggregations.IDs.Value
}

// assertNoLossNoDuplicate waits until every valid event is searchable and
// checks each is there exactly once.
func assertNoLossNoDuplicate(t *testing.T, es esClient, valid int, within time.Duration) {
	t.Helper()
	waitStableCount(t, es, valid, within)
	docs, distinct := distinctIDs(t, es)
	if docs != valid || distinct != valid {
		t.Fatalf("stored %d documents with %d distinct event ids; want %d of each (0 lost, 0 duplicated)", docs, distinct, valid)
	}
}

func categoryCounts(t *testing.T, es esClient) map[string]int {
	t.Helper()
	var out struct {
		Aggregations struct {
			Cat struct {
				Buckets []struct {
					Key   string `json:"key"`
					Count int    `json:"doc_count"`
				} `json:"buckets"`
			} `json:"cat"`
		} `json:"aggregations"`
	}
	err := es.do(http.MethodPost, "/"+auditIndex+"/_search", map[string]any{
		"size": 0,
		"aggs": map[string]any{"cat": map[string]any{"terms": map[string]any{"field": "audit.action.category", "size": 1000}}},
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, b := range out.Aggregations.Cat.Buckets {
		got[b.Key] = b.Count
	}
	return got
}

// runTool runs a binary to completion and returns its combined output.
func runTool(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin(name), args...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

// recentWindow pins auditgen's events to the last hour so that auditctl's
// time range covers them all.
func recentWindow() []string {
	return []string{"-start", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "-span", "55m"}
}
