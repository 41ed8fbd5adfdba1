package plugin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/auditpipe/auditpipe/semconv"
)

func TestOTLPAuditorSendsAnAuditLogRecord(t *testing.T) {
	got := make(chan plogotlp.ExportRequest, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong path or type", http.StatusBadRequest)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalJSON(raw); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- req
	}))
	defer srv.Close()
	a := newOTLPAuditor(strings.TrimPrefix(srv.URL, "http://"))
	e := semconv.Event{ID: "x1", Timestamp: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Action: "report.export",
		Category: semconv.CategoryExportAccess, Outcome: semconv.OutcomeSuccess, ActorID: "alice", Module: "reports"}
	if err := a.Emit(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	req := <-got
	rl := req.Logs().ResourceLogs().At(0)
	lr := rl.ScopeLogs().At(0).LogRecords().At(0)
	back := semconv.EventFromLogRecord(rl.Resource(), lr)
	if back.Action != "report.export" || back.ActorID != "alice" || back.ID != "x1" || back.SourceService != SelfAuditService {
		t.Fatalf("received %+v", back)
	}
	broken := newOTLPAuditor("127.0.0.1:1")
	if err := broken.Emit(context.Background(), e); err == nil {
		t.Fatal("emit to a dead endpoint succeeded")
	}
	if err := newOTLPAuditor("").Emit(context.Background(), e); err != errNoEndpoint {
		t.Fatalf("no endpoint: %v", err)
	}
}
