package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
	config   string
	grpcAddr string
	httpAddr string
	health   string
	metrics  string   // the collector's own Prometheus metrics
	env      []string // added to the collector's environment
}

// writeCollectorConfig writes a config for one test: every port free, state
// in the test's temp dir, logs as JSON so alert lines can be parsed.
func writeCollectorConfig(t *testing.T, o collectorOptions) *collector {
	t.Helper()
	dir := t.TempDir()
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	healthAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsPort := freePort(t)
	limit := o.limitMiB
	if limit == 0 {
		limit = 512
	}
	cfg := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: %[1]s
  file_storage:
    directory: %[2]s
    create_directory: true
receivers:
  audit:
    protocols:
      grpc:
        endpoint: %[3]s
      http:
        endpoint: %[4]s
    validation:
      mode: reject
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: %[5]d
    spike_limit_mib: %[6]d
  audit:
    chain:
      enabled: true
      storage: file_storage
exporters:
  audit_elasticsearch:
    endpoints: [%[7]s]
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 2s
    sending_queue:
      storage: file_storage
  audit_alert:
    storage: file_storage
    default_receiver: log
    rules:
      - name: critical_action
        match: 'attributes["audit.severity"] == "critical"'
        severity: critical
        summary: '{{.Event.Action}} by {{.Event.ActorID}}'
      # The processor classifies role.assign as critical (severity high), so
      # the shipped rule's category test alone would not see it.
      - name: role_change
        match: 'attributes["audit.action.category"] == "rights" or event_name == "role.assign"'
        severity: high
        summary: '{{.Event.Action}} by {{.Event.ActorID}} on {{.Event.TargetID}}'
      - name: failed_logins_from_one_ip
        match: 'event_name == "auth.login" and attributes["audit.action.outcome"] != "success"'
        kind: threshold
        threshold: 10
        window: 5m
        group_by: [client.address]
        severity: high
        summary: '{{.Count}} failed logins from {{.Event.ClientAddress}} in 5m'
service:
  telemetry:
    logs:
      encoding: json
      sampling:
        enabled: false # the alert tests read every "audit alert" line
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[8]d
  extensions: [health_check, file_storage]
  pipelines:
    logs:
      receivers: [audit]
      processors: [memory_limiter, audit]
      exporters: [audit_elasticsearch, audit_alert]
`, healthAddr, filepath.Join(dir, "storage"), grpcAddr, httpAddr, limit, limit/4, o.esURL, metricsPort)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &collector{config: path, grpcAddr: grpcAddr, httpAddr: httpAddr, health: "http://" + healthAddr,
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)}
	if o.goMemLimit {
		c.env = []string{fmt.Sprintf("GOMEMLIMIT=%dMiB", limit)}
	}
	return c
}

func startCollector(t *testing.T, o collectorOptions) *collector {
	t.Helper()
	c := writeCollectorConfig(t, o)
	c.restart(t)
	return c
}

// restart starts the collector (again) on the same config and storage.
func (c *collector) restart(t *testing.T) {
	t.Helper()
	c.process = startEnv(t, "otelcol-audit", c.env, "--config", c.config)
	waitHealthy(t, c.health, c.process)
}

func waitHealthy(t *testing.T, url string, p *process) {
	t.Helper()
	eventually(t, 60*time.Second, p.name+" healthy at "+url, func() (bool, string) {
		if !p.alive() {
			t.Fatalf("%s exited while starting", p.name)
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
	d := &esdevInstance{addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), data: filepath.Join(t.TempDir(), "esdev")}
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
