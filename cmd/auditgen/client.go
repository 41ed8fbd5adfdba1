package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// logsClient sends one OTLP logs request. It returns the number of records
// the server rejected in a partial success, or an error; a *retryableError
// means the same request may be sent again.
type logsClient interface {
	Export(ctx context.Context, ld plog.Logs) (rejected int64, err error)
	Close() error
}

// retryableError is a refusal the server expects the client to retry
// (throttling or unavailability), possibly after a delay it names.
type retryableError struct {
	err   error
	after time.Duration // 0: the client's backoff decides
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

type grpcClient struct {
	conn    *grpc.ClientConn
	client  plogotlp.GRPCClient
	headers metadata.MD
}

func newGRPCClient(endpoint string, headers map[string]string) (*grpcClient, error) {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", endpoint, err)
	}
	return &grpcClient{conn: conn, client: plogotlp.NewGRPCClient(conn), headers: metadata.New(headers)}, nil
}

func (c *grpcClient) Export(ctx context.Context, ld plog.Logs) (int64, error) {
	ctx = metadata.NewOutgoingContext(ctx, c.headers)
	resp, err := c.client.Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	if err != nil {
		return 0, classifyGRPC(err)
	}
	return partialRejects(resp)
}

func (c *grpcClient) Close() error { return c.conn.Close() }

// classifyGRPC follows the OTLP specification: throttling and transient
// codes are retried, honouring the server's RetryInfo; the rest are final.
func classifyGRPC(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.ResourceExhausted, codes.Unavailable, codes.Aborted, codes.DeadlineExceeded,
		codes.OutOfRange, codes.DataLoss, codes.Canceled:
		re := &retryableError{err: err}
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.RetryInfo); ok && info.GetRetryDelay() != nil {
				re.after = info.GetRetryDelay().AsDuration()
			}
		}
		return re
	}
	return err
}

func partialRejects(resp plogotlp.ExportResponse) (int64, error) {
	ps := resp.PartialSuccess()
	if n := ps.RejectedLogRecords(); n > 0 || ps.ErrorMessage() != "" {
		return n, partialError(ps.ErrorMessage())
	}
	return 0, nil
}

// partialError carries the server's message about a partial success; the
// request itself succeeded.
type partialError string

func (e partialError) Error() string { return "partial success: " + string(e) }

type httpClient struct {
	url     string
	client  *http.Client
	headers map[string]string
}

// logsURL turns host:port (or a URL without a path) into the OTLP/HTTP logs URL.
func logsURL(endpoint string) string {
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	scheme, rest, _ := strings.Cut(endpoint, "://")
	if !strings.Contains(rest, "/") {
		return scheme + "://" + rest + "/v1/logs"
	}
	return endpoint
}

func newHTTPClient(endpoint string, headers map[string]string) *httpClient {
	return &httpClient{url: logsURL(endpoint), client: &http.Client{}, headers: headers}
}

func (c *httpClient) Export(ctx context.Context, ld plog.Logs) (int64, error) {
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return 0, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, &retryableError{err: err} // connection refused or reset: the server may come back
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, &retryableError{err: fmt.Errorf("read response: %w", err)}
	}
	switch resp.StatusCode {
	case http.StatusOK:
		out := plogotlp.NewExportResponse()
		if len(payload) > 0 && resp.Header.Get("Content-Type") == "application/x-protobuf" {
			if err := out.UnmarshalProto(payload); err != nil {
				return 0, fmt.Errorf("decode response: %w", err)
			}
		}
		return partialRejects(out)
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return 0, &retryableError{err: httpStatusError(resp, payload), after: retryAfter(resp.Header.Get("Retry-After"))}
	}
	return 0, httpStatusError(resp, payload)
}

func (c *httpClient) Close() error {
	c.client.CloseIdleConnections()
	return nil
}

func httpStatusError(resp *http.Response, payload []byte) error {
	msg := strings.TrimSpace(string(payload))
	if resp.Header.Get("Content-Type") == "application/x-protobuf" {
		msg = "" // a binary google.rpc.Status; the status line says enough
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return errors.New(strings.TrimSpace("HTTP " + resp.Status + " " + msg))
}

// retryAfter reads a Retry-After header in seconds; dates are rare from
// collectors and fall back to the client's backoff.
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
