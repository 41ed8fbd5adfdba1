package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const bulkBody = `{"create":{"_index":"logs-audit-default","_id":"evt-1"}}
{"event":{"id":"evt-1"},"message":"x"}

{"create":{"_index":"logs-audit-default","_id":"auditbench-probe-3-7"}}
{"event":{"id":"auditbench-probe-3-7"}}
{"create":{"_index":"logs-audit-default","_id":"evt-2"}}
{"event":{"id":"evt-2"}}
`

func TestScanBulkCountsActionsAndFindsProbes(t *testing.T) {
	actions, probes, err := scanBulk(strings.NewReader(bulkBody))
	if err != nil {
		t.Fatal(err)
	}
	if actions != 3 {
		t.Errorf("actions = %d, want 3", actions)
	}
	if len(probes) != 1 || probes[0] != "auditbench-probe-3-7" {
		t.Errorf("probes = %v, want [auditbench-probe-3-7]", probes)
	}
}

func TestAcceptingSinkAcknowledgesEveryItemOfAGzippedBulk(t *testing.T) {
	sink, err := startAcceptingSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()

	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(bulkBody))
	_ = zw.Close()
	req, err := http.NewRequest(http.MethodPost, sink.url+"/_bulk", &zipped)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("X-Elastic-Product"); got != "Elasticsearch" {
		t.Errorf("X-Elastic-Product = %q: the Elasticsearch client refuses servers without it", got)
	}
	var out struct {
		Errors bool `json:"errors"`
		Items  []struct {
			Create struct {
				Status int `json:"status"`
			} `json:"create"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Errors || len(out.Items) != 3 || out.Items[2].Create.Status != http.StatusCreated {
		t.Errorf("response = %+v, want 3 items created without errors", out)
	}
	if n, _ := sink.delivered(); n != 3 {
		t.Errorf("delivered = %d, want 3", n)
	}
	if _, ok := sink.probeSeen("auditbench-probe-3-7"); !ok {
		t.Error("the probe in the bulk was not recorded")
	}
}
