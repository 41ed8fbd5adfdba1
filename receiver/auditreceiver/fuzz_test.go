package auditreceiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
)

// The seed corpora live in testdata/fuzz/FuzzJSONIntake and
// testdata/fuzz/FuzzOTLPHTTP; without -fuzz these run as plain tests over them.

// fuzzReceiver builds the receiver once per fuzz target; the handlers are
// called directly, and each input starts from an empty sink.
func fuzzReceiver(f *testing.F) (*auditReceiver, *consumertest.LogsSink) {
	sink := new(consumertest.LogsSink)
	r, err := newAuditReceiver(testConfig(f), receivertest.NewNopSettings(metadata.Type), sink)
	require.NoError(f, err)
	return r, sink
}

// FuzzJSONIntake: any body gets 200 or 400, never a panic; on 200 every item
// has a verdict and exactly the accepted ones reach the pipeline.
func FuzzJSONIntake(f *testing.F) {
	f.Add(grantJSON, false)
	r, sink := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, body string, ndjson bool) {
		sink.Reset()
		contentType := jsonContentType
		if ndjson {
			contentType = ndjsonContentType
		}
		req := httptest.NewRequest(http.MethodPost, "/v1/audit/events", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		r.handleJSONEvents(rec, req)

		switch rec.Code {
		case http.StatusOK:
			var out intakeResponse
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
			require.Len(t, out.Results, out.Accepted+out.Rejected)
			for i, res := range out.Results {
				assert.Equal(t, i, res.Index)
				if res.Status == statusRejected {
					assert.NotEmpty(t, res.Error)
				} else {
					assert.Equal(t, statusAccepted, res.Status)
				}
			}
			assert.Equal(t, out.Accepted, sink.LogRecordCount())
		case http.StatusBadRequest:
			assert.Zero(t, sink.LogRecordCount())
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzOTLPHTTP: any body gets 200 or 400, never a panic; on 200 every record
// of the request is either delivered or counted as rejected.
func FuzzOTLPHTTP(f *testing.F) {
	valid, err := plogotlp.NewExportRequestFromLogs(mixedLogs()).MarshalProto()
	require.NoError(f, err)
	f.Add(valid, false)
	r, sink := fuzzReceiver(f)
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		sink.Reset()
		enc := protobufEncoding
		if asJSON {
			enc = jsonEncoding
		}
		req := httptest.NewRequest(http.MethodPost, "/v1/logs", bytes.NewReader(body))
		req.Header.Set("Content-Type", enc.contentType)
		rec := httptest.NewRecorder()
		r.handleOTLPLogs(rec, req)

		switch rec.Code {
		case http.StatusOK:
			sent := plogotlp.NewExportRequest()
			require.NoError(t, enc.unmarshal(sent, body))
			resp := plogotlp.NewExportResponse()
			require.NoError(t, unmarshalResponse(enc, resp, rec.Body.Bytes()))
			assert.Equal(t, sent.Logs().LogRecordCount(), sink.LogRecordCount()+int(resp.PartialSuccess().RejectedLogRecords()))
		case http.StatusBadRequest:
			assert.Zero(t, sink.LogRecordCount())
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

func unmarshalResponse(enc *otlpEncoding, resp plogotlp.ExportResponse, body []byte) error {
	if enc == protobufEncoding {
		return resp.UnmarshalProto(body)
	}
	return resp.UnmarshalJSON(body)
}
