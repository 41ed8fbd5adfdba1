package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/auditpipe/auditpipe/semconv"
)

func sample(n int) []semconv.Event {
	out := make([]semconv.Event, n)
	for i := range out {
		out[i] = semconv.Event{ID: "e" + string(rune('a'+i%26)), Timestamp: time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC),
			Action: "bonus.manual_grant", Outcome: "success", ActorID: "emp-1", Module: "bonuses",
			OldValue: `{"a":1}`, NewValue: "=HYPERLINK(\"http://evil\")", ChangeFields: []string{"a", "b"},
			Comment: "line1\nline2, with comma", Tags: []string{"vip", "manual"}}
	}
	return out
}

func write(t *testing.T, format string, events []semconv.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCSVHeaderQuotingAndFormulaDefused(t *testing.T) {
	recs, err := csv.NewReader(bytes.NewReader(write(t, "csv", sample(3)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "timestamp,id,actor_id,actor_name,action,category,severity,outcome,module,target_type,target_id,client_address,old_value,new_value,change_fields,comment,tags,tenant" {
		t.Fatalf("header = %v", recs[0])
	}
	if len(recs) != 4 || recs[1][15] != "line1\nline2, with comma" || recs[1][14] != "a,b" {
		t.Fatalf("rows = %q", recs[1])
	}
	if recs[1][13] != `'=HYPERLINK("http://evil")` {
		t.Fatalf("formula not defused: %q", recs[1][13])
	}
}

func TestJSONAndNDJSON(t *testing.T) {
	var events []semconv.Event
	if err := json.Unmarshal(write(t, "json", sample(5)), &events); err != nil || len(events) != 5 {
		t.Fatalf("json: %d events, %v", len(events), err)
	}
	if err := json.Unmarshal(write(t, "json", nil), &events); err != nil || len(events) != 0 {
		t.Fatalf("empty json: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(write(t, "ndjson", sample(4)))), "\n")
	var e semconv.Event
	if len(lines) != 4 || json.Unmarshal([]byte(lines[3]), &e) != nil || e.Comment != "line1\nline2, with comma" {
		t.Fatalf("ndjson: %d lines", len(lines))
	}
}

func TestXLSXHoldsEveryRow(t *testing.T) {
	raw := write(t, "xlsx", sample(3000))
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3001 || rows[0][0] != "timestamp" || rows[3000][13] != `=HYPERLINK("http://evil")` {
		t.Fatalf("xlsx: %d rows, last %v", len(rows), rows[len(rows)-1])
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New("pdf", &bytes.Buffer{}); err == nil {
		t.Fatal("pdf accepted")
	}
}
