package pluginhost_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/xuri/excelize/v2"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/plugin"
	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/pluginhost"
	"github.com/auditpipe/auditpipe/query/export"
	"github.com/auditpipe/auditpipe/query/querytest"
)

// maxExportRSS is the peak resident memory an export may take in the
// plugin process, whatever its size.
const maxExportRSS = 150 << 20

// TestExportPeakRSS exports every event in each format through the real
// plugin process and checks its peak RSS (VmHWM) and the row count. 20k
// events by default; AUDITPIPE_HEAVY_TESTS=1 runs the 200k acceptance size.
func TestExportPeakRSS(t *testing.T) {
	n := 20_000
	if os.Getenv("AUDITPIPE_HEAVY_TESTS") == "1" {
		n = 200_000
	} else {
		t.Log("AUDITPIPE_HEAVY_TESTS is not 1: exporting 20k events; set it for the 200k run")
	}
	es := querytest.Start(t)
	events := querytest.Generate(n, start, span)
	querytest.Load(t, es, events)
	events = nil
	jsonData := json.RawMessage(`{"urls":["` + es + `"],"exportMaxRows":1000000}`)
	dir := t.TempDir()
	for _, format := range export.Formats {
		t.Run(format, func(t *testing.T) {
			// A fresh process per format, so each peak is its own.
			host, err := pluginhost.Start(binary, testWriter{t})
			if err != nil {
				t.Fatal(err)
			}
			defer host.Close()
			pc := backend.PluginContext{Namespace: "default", PluginID: plugin.PluginID, User: &backend.User{Login: "e", Role: "Editor"},
				DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{ID: 1, UID: "audit", JSONData: jsonData, Updated: time.Now()}}
			body, _ := json.Marshal(map[string]any{"query": map[string]any{}, "from": start.UnixMilli(), "to": start.Add(span).UnixMilli()})
			path := filepath.Join(dir, "export."+format)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			status := 0
			err = host.CallResource(context.Background(), &backend.CallResourceRequest{PluginContext: pc, Method: "POST",
				Path: "export", URL: "export?format=" + format, Body: body}, func(r *backend.CallResourceResponse) error {
				if status == 0 {
					status = r.Status
				}
				_, err := f.Write(r.Body)
				return err
			})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil || status != 200 {
				t.Fatalf("export: status %d, %v", status, err)
			}
			peak := peakRSS(t, host.Pid())
			t.Logf("%s: %d events, peak RSS of the plugin %.1f MiB", format, n, float64(peak)/(1<<20))
			if peak > maxExportRSS {
				t.Errorf("peak RSS %d MiB exceeds %d MiB", peak>>20, maxExportRSS>>20)
			}
			if got := rowsIn(t, format, path); got != n {
				t.Fatalf("%s file holds %d events, want %d", format, got, n)
			}
		})
	}
}

// peakRSS reads VmHWM, the peak resident set size, of a process.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read peak RSS: %v", err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func rowsIn(t *testing.T, format, path string) int {
	t.Helper()
	if format == "xlsx" {
		xf, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer xf.Close()
		rows, err := xf.Rows(export.SheetName)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		return n - 1 // header
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		switch format {
		case "json":
			if bytes.HasPrefix(line, []byte("{")) {
				n++
			}
		default:
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if format == "csv" {
		n-- // header; generated values hold no newlines
	}
	return n
}
