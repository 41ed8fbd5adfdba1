package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// probeIDPrefix marks the events whose ingest-to-searchable latency is timed.
const probeIDPrefix = "auditbench-probe-"

// destination is where the collector's exporter writes: the accepting sink or
// esdev. It tells how many documents have arrived and when probes did.
type destination interface {
	// documents returns the documents stored (or accepted) so far.
	documents(ctx context.Context) (int, error)
	// seen returns, for the probe ids already visible, when they were seen.
	seen(ctx context.Context, ids []string) (map[string]time.Time, error)
}

type sinkDestination struct{ *acceptingSink }

func (d sinkDestination) documents(context.Context) (int, error) {
	n, _ := d.delivered()
	return n, nil
}

func (d sinkDestination) seen(_ context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, id := range ids {
		if t, ok := d.probeSeen(id); ok {
			out[id] = t
		}
	}
	return out, nil
}

// esdevDestination reads esdev through its search API, so a document counts
// only once a refresh has made it searchable.
type esdevDestination struct{ url string }

const auditIndexes = "logs-audit-*"

func (d esdevDestination) documents(ctx context.Context) (int, error) {
	var out struct {
		Count int `json:"count"`
	}
	err := postJSON(ctx, d.url+"/"+auditIndexes+"/_count", nil, &out)
	return out.Count, err
}

func (d esdevDestination) seen(ctx context.Context, ids []string) (map[string]time.Time, error) {
	query := map[string]any{"query": map[string]any{"ids": map[string]any{"values": ids}}, "size": len(ids), "_source": false}
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := postJSON(ctx, d.url+"/"+auditIndexes+"/_search", query, &out); err != nil {
		return nil, err
	}
	now := time.Now()
	seen := map[string]time.Time{}
	for _, h := range out.Hits.Hits {
		seen[h.ID] = now
	}
	return seen, nil
}

func postJSON(ctx context.Context, url string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s: %.300s", url, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}

// genReport is the part of auditgen's -json summary the bench reads.
type genReport struct {
	Delivered struct {
		Total int `json:"total"`
	} `json:"delivered"`
	Rejected       int      `json:"rejected"`
	Failed         int      `json:"failed"`
	Errors         []string `json:"errors"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
}

// auditgen runs bin/auditgen against the collector's OTLP gRPC endpoint and
// returns its report; any refused record is an error, since the figures
// assume every event went through.
func auditgen(ctx context.Context, bin, endpoint string, args ...string) (genReport, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "auditgen"), append([]string{"-endpoint", endpoint, "-json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var r genReport
	if jerr := json.Unmarshal(stdout.Bytes(), &r); jerr != nil && err == nil {
		err = fmt.Errorf("unparsable report: %w", jerr)
	}
	if err == nil && (r.Rejected > 0 || r.Failed > 0) {
		err = fmt.Errorf("%d records rejected, %d failed: %v", r.Rejected, r.Failed, r.Errors)
	}
	if err != nil {
		return r, fmt.Errorf("auditgen %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return r, nil
}

// throughput is one end-to-end run at full speed.
type throughput struct {
	events       int
	seconds      float64 // first send to last document arrived / searchable
	collectorCPU float64 // seconds of CPU the collector used meanwhile
}

func (t throughput) eventsPerSecond() float64 { return float64(t.events) / t.seconds }

// coresAt10k is the collector's CPU seconds per second at 10,000 events/s:
// its CPU time per event times 10,000.
func (t throughput) coresAt10k() float64 { return t.collectorCPU / float64(t.events) * 10_000 }

// measureThroughput sends events for d as fast as auditgen can and waits
// until the destination holds all of them.
func measureThroughput(ctx context.Context, bin string, col *collector, dst destination, d time.Duration, seed int64) (throughput, error) {
	base, err := dst.documents(ctx)
	if err != nil {
		return throughput{}, err
	}
	cpu0, err := col.CPUSeconds()
	if err != nil {
		return throughput{}, err
	}
	began := time.Now()
	report, err := auditgen(ctx, bin, col.grpcAddr, "-duration", d.String(),
		"-concurrency", "4", "-batch", "500", "-seed", strconv.FormatInt(seed, 10))
	if err != nil {
		return throughput{}, err
	}
	if report.ElapsedSeconds < 0.9*d.Seconds() {
		// auditgen ends early, with a complete report, when it is signalled.
		return throughput{}, fmt.Errorf("auditgen stopped after %.1fs of %s: was it signalled?", report.ElapsedSeconds, d)
	}
	events := report.Delivered.Total
	fmt.Printf("  auditgen: %d events accepted in %.1fs (%.0f/s)\n", events, report.ElapsedSeconds, float64(events)/report.ElapsedSeconds)
	if err := waitDocuments(ctx, dst, base+events, 5*time.Minute); err != nil {
		return throughput{}, err
	}
	elapsed := time.Since(began).Seconds()
	cpu1, err := col.CPUSeconds()
	if err != nil {
		return throughput{}, err
	}
	return throughput{events: events, seconds: elapsed, collectorCPU: cpu1 - cpu0}, nil
}

// waitDocuments polls every 50ms until the destination holds want documents.
func waitDocuments(ctx context.Context, dst destination, want int, within time.Duration) error {
	deadline := time.Now().Add(within)
	last := 0
	for time.Now().Before(deadline) {
		n, err := dst.documents(ctx)
		if err == nil {
			if n >= want {
				return nil
			}
			last = n
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%d of %d documents arrived within %s", last, want, within)
}

// latencyRun is the outcome of the probes sent during a moderate load.
type latencyRun struct {
	rate      int             // background events per second
	probes    []time.Duration // sorted
	unmatched int
}

func (l latencyRun) quantile(q float64) time.Duration {
	if len(l.probes) == 0 {
		return 0
	}
	return l.probes[min(len(l.probes)-1, int(q*float64(len(l.probes))))]
}

// measureLatency runs a background load of rate events/s for d and, all the
// while, sends one probe event every 200ms through the JSON intake, each
// timestamped when sent. Every 50ms the destination is asked which probes
// it has; a probe's latency is the time from its send to the first answer
// that holds it (so an upper bound, 50ms coarse).
func measureLatency(ctx context.Context, bin string, col *collector, dst destination, rate int, d time.Duration, seed int64) (latencyRun, error) {
	loadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	loadDone := make(chan error, 1)
	go func() {
		_, err := auditgen(loadCtx, bin, col.grpcAddr, "-rate", strconv.Itoa(rate), "-duration", d.String(),
			"-concurrency", "2", "-batch", "100", "-seed", strconv.FormatInt(seed, 10))
		loadDone <- err
	}()

	probeCtx, stopProbes := context.WithCancel(ctx)
	defer stopProbes()
	probes := sendProbes(probeCtx, col.httpAddr, seed)
	sent := map[string]time.Time{}
	var latencies []time.Duration
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	loading := true
	var drainUntil time.Time
	for {
		select {
		case <-ctx.Done():
			return latencyRun{}, ctx.Err()
		case err := <-loadDone:
			if err != nil {
				return latencyRun{}, err
			}
			loading = false
			stopProbes()
			drainUntil = time.Now().Add(30 * time.Second)
			continue
		case p, ok := <-probes:
			if !ok {
				probes = nil
			} else if p.err != nil {
				return latencyRun{}, p.err
			} else {
				sent[p.id] = p.at
			}
			continue
		case <-tick.C:
		}
		if len(sent) > 0 {
			seen, err := dst.seen(ctx, slices.Collect(maps.Keys(sent)))
			if err != nil {
				return latencyRun{}, err
			}
			for id, at := range seen {
				latencies = append(latencies, at.Sub(sent[id]))
				delete(sent, id)
			}
		}
		if !loading && probes == nil && (len(sent) == 0 || time.Now().After(drainUntil)) {
			break
		}
	}
	slices.Sort(latencies)
	return latencyRun{rate: rate, probes: latencies, unmatched: len(sent)}, nil
}

type probe struct {
	id  string
	at  time.Time
	err error
}

// sendProbes posts a probe every 200ms, on its own so that slow answers from
// the destination do not thin the probes out, until ctx ends; then it
// closes the channel. A failed probe is reported and ends the sending.
func sendProbes(ctx context.Context, httpAddr string, seed int64) <-chan probe {
	out := make(chan probe)
	go func() {
		defer close(out)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for n := 1; ; n++ {
			p := probe{id: fmt.Sprintf("%s%d-%d", probeIDPrefix, seed, n), at: time.Now()}
			p.err = sendProbe(ctx, httpAddr, p.id, p.at)
			if ctx.Err() != nil {
				return
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// sendProbe posts one valid audit event through the JSON intake.
func sendProbe(ctx context.Context, httpAddr, id string, at time.Time) error {
	event := map[string]any{
		"id": id, "timestamp": at.UTC().Format(time.RFC3339Nano),
		"action": "bench.probe", "outcome": "success",
		"actor_id": "auditbench", "actor_type": "system", "module": "bench",
	}
	var out struct {
		Accepted int `json:"accepted"`
		Results  []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := postJSON(ctx, "http://"+httpAddr+"/v1/audit/events", event, &out); err != nil {
		return fmt.Errorf("probe %s: %w", id, err)
	}
	if out.Accepted != 1 {
		return errors.New("probe " + id + " rejected: " + fmt.Sprint(out.Results))
	}
	return nil
}
