package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxResponseBytes bounds how much of an answer is read: APIs answer with a
// small JSON document, anything bigger is not worth keeping.
const maxResponseBytes = 64 << 10

// post sends body to url and returns the answer's body. A 429 or 5xx answer
// is a retryable error, any other non-2xx answer a permanent one.
func post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(err)
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "auditpipe-alerting")
	resp, err := client.Do(req)
	if err != nil {
		// The URL holds a token for Telegram and Slack webhooks: keep it out
		// of the error (and so out of the logs).
		return nil, fmt.Errorf("POST %s: %w", redactURL(req), unwrapURLError(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode/100 == 2 {
		return answer, nil
	}
	err = fmt.Errorf("POST %s: %s: %s", redactURL(req), resp.Status, bytes.TrimSpace(answer))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return answer, err
	}
	return answer, Permanent(err)
}

func redactURL(req *http.Request) string {
	return req.URL.Scheme + "://" + req.URL.Host
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		if inner := u.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
