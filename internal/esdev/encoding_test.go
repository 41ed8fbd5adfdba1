package esdev

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGzipRequestBodies(t *testing.T) {
	srv, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write([]byte(`{"index":{"_index":"gz","_id":"1"}}` + "\n" + `{"a":"b"}` + "\n"))
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/_bulk?refresh=true", &body)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int `json:"status"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out.Errors || len(out.Items) != 1 || out.Items[0]["index"].Status != http.StatusCreated {
		t.Fatalf("gzip bulk: status %d, %+v", resp.StatusCode, out)
	}

	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/_bulk", bytes.NewReader([]byte("not gzip")))
	req.Header.Set("Content-Encoding", "gzip")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("corrupt gzip body: status %d, want 400", resp.StatusCode)
	}
}
