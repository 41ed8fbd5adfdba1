package notifier

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// capturedRequest is one request a fake API received.
type capturedRequest struct {
	method, path, auth, contentType, signature string
	body                                       []byte
}

// fakeAPI records requests and answers each with status and answer.
func fakeAPI(t *testing.T, status int, answer string) (*httptest.Server, func() []capturedRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, capturedRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), r.Header.Get(SignatureHeader), body})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []capturedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]capturedRequest(nil), got...)
	}
}

func TestTelegramSendMessage(t *testing.T) {
	srv, requests := fakeAPI(t, http.StatusOK, `{"ok":true,"result":{"message_id":7}}`)
	cfg := &TelegramConfig{APIBase: srv.URL, BotToken: "123456:ABC-DEF", ChatID: "-1001234567890"}
	require.NoError(t, cfg.Validate())
	a := sampleAlert(rule.StateFiring)
	a.Summary = "10 failed logins from 203.0.113.9 <script>"
	require.NoError(t, newTelegram("tg", cfg).Notify(context.Background(), []rule.Alert{a}))

	got := requests()
	require.Len(t, got, 1)
	assert.Equal(t, http.MethodPost, got[0].method)
	assert.Equal(t, "/bot123456:ABC-DEF/sendMessage", got[0].path)
	assert.Equal(t, "application/json; charset=utf-8", got[0].contentType)
	assert.JSONEq(t, `{
		"chat_id": "-1001234567890",
		"parse_mode": "HTML",
		"disable_web_page_preview": true,
		"text": "<b>[FIRING] failed_logins (high): 10 failed logins from 203.0.113.9 &lt;script&gt;</b>\n\n[FIRING] failed_logins (high)\n10 failed logins from 203.0.113.9 &lt;script&gt;\nlast user admin\ngroup: client.address=203.0.113.9\nsince: 2026-11-23T10:00:00Z\n"
	}`, string(got[0].body))
}

func TestTelegramErrors(t *testing.T) {
	srv, _ := fakeAPI(t, http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
	err := newTelegram("tg", &TelegramConfig{APIBase: srv.URL, BotToken: "t0ken", ChatID: "1"}).
		Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.Error(t, err)
	assert.ErrorAs(t, err, &permanentError{})
	assert.NotContains(t, err.Error(), "t0ken", "the token stays out of errors and logs")

	flood, _ := fakeAPI(t, http.StatusTooManyRequests, `{"ok":false,"error_code":429,"parameters":{"retry_after":3}}`)
	err = newTelegram("tg", &TelegramConfig{APIBase: flood.URL, BotToken: "t", ChatID: "1"}).
		Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	assert.Contains(t, err.Error(), "retry after 3s")

	assert.ErrorContains(t, (&TelegramConfig{ChatID: "1"}).Validate(), "bot_token is required")
	assert.ErrorContains(t, (&TelegramConfig{BotToken: "t"}).Validate(), "chat_id is required")
	assert.ErrorContains(t, (&TelegramConfig{BotToken: "t", ChatID: "1", ParseMode: "Markdown"}).Validate(), "parse_mode")
}

func TestTelegramPlainTextAndTruncation(t *testing.T) {
	a := sampleAlert(rule.StateResolved)
	a.Message = string(make([]byte, 5000))
	m := newTelegram("tg", &TelegramConfig{BotToken: "t", ChatID: "@sec", ParseMode: "none"}).message([]rule.Alert{a})
	assert.Empty(t, m.ParseMode)
	assert.LessOrEqual(t, len(m.Text), telegramMaxText)
	assert.Contains(t, m.Text, "[RESOLVED] failed_logins")
}

func TestSlackIncomingWebhook(t *testing.T) {
	srv, requests := fakeAPI(t, http.StatusOK, "ok")
	cfg := &SlackConfig{WebhookURL: configopaque.String(srv.URL + "/services/T000/B000/XXXX")}
	require.NoError(t, cfg.Validate())
	require.NoError(t, newSlack("slack", cfg).Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)}))
	got := requests()
	require.Len(t, got, 1)
	assert.Equal(t, "/services/T000/B000/XXXX", got[0].path)
	assert.Empty(t, got[0].auth)
	assert.JSONEq(t, `{
		"text": "[FIRING] failed_logins (high): 10 failed logins from 203.0.113.9 — brute force?",
		"blocks": [{"type": "section", "text": {"type": "mrkdwn",
			"text": "*[FIRING] failed_logins (high): 10 failed logins from 203.0.113.9 — brute force?*\n`+"```"+`[FIRING] failed_logins (high)\n10 failed logins from 203.0.113.9 — brute force?\nlast user admin\ngroup: client.address=203.0.113.9\nsince: 2026-11-23T10:00:00Z\n`+"```"+`"}}]
	}`, string(got[0].body))
}

func TestSlackChatPostMessage(t *testing.T) {
	srv, requests := fakeAPI(t, http.StatusOK, `{"ok":true,"channel":"C123","ts":"1.2"}`)
	cfg := &SlackConfig{Token: "xoxb-1-2-3", Channel: "#security", APIBase: srv.URL}
	require.NoError(t, cfg.Validate())
	require.NoError(t, newSlack("slack", cfg).Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateResolved)}))
	got := requests()
	require.Len(t, got, 1)
	assert.Equal(t, "/api/chat.postMessage", got[0].path)
	assert.Equal(t, "Bearer xoxb-1-2-3", got[0].auth)
	assert.Equal(t, "application/json; charset=utf-8", got[0].contentType)
	var body map[string]any
	require.NoError(t, json.Unmarshal(got[0].body, &body))
	assert.Equal(t, "#security", body["channel"])
	assert.Equal(t, "[RESOLVED] failed_logins (high): 10 failed logins from 203.0.113.9 — brute force?", body["text"])
}

func TestSlackOKFalseIsAnError(t *testing.T) {
	srv, _ := fakeAPI(t, http.StatusOK, `{"ok":false,"error":"channel_not_found"}`)
	err := newSlack("slack", &SlackConfig{Token: "xoxb", Channel: "#nope", APIBase: srv.URL}).
		Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.ErrorContains(t, err, "channel_not_found")
	assert.ErrorAs(t, err, &permanentError{})

	limited, _ := fakeAPI(t, http.StatusOK, `{"ok":false,"error":"ratelimited"}`)
	err = newSlack("slack", &SlackConfig{Token: "xoxb", Channel: "#c", APIBase: limited.URL}).
		Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.Error(t, err)
	assert.NotErrorAs(t, err, &permanentError{}, "ratelimited is retried")

	assert.ErrorContains(t, (&SlackConfig{}).Validate(), "set webhook_url or token")
	assert.ErrorContains(t, (&SlackConfig{Token: "x"}).Validate(), "token needs channel")
	assert.ErrorContains(t, (&SlackConfig{Token: "x", WebhookURL: "https://h"}).Validate(), "not both")
}

func TestWebhookAlertmanagerPayloadAndSignature(t *testing.T) {
	srv, requests := fakeAPI(t, http.StatusOK, "")
	cfg := &WebhookConfig{Endpoint: srv.URL + "/hooks/audit", Secret: "hmac-key",
		Headers: map[string]configopaque.String{"Authorization": "Bearer abc"}, ExternalURL: "https://grafana.example/d/audit"}
	require.NoError(t, cfg.Validate())
	firing := sampleAlert(rule.StateFiring)
	resolved := sampleAlert(rule.StateResolved)
	resolved.Group = map[string]string{"client.address": "198.51.100.7"}
	resolved.GroupKey = "client.address=198.51.100.7"
	resolved.Labels = map[string]string{"alertname": "failed_logins", "severity": "high", "client.address": "198.51.100.7"}
	resolved.EndsAt = time.Date(2026, 11, 23, 10, 7, 0, 0, time.UTC)
	require.NoError(t, newWebhook("hook", "security", cfg).Notify(context.Background(), []rule.Alert{firing, resolved}))

	got := requests()
	require.Len(t, got, 1)
	assert.Equal(t, "/hooks/audit", got[0].path)
	assert.Equal(t, "Bearer abc", got[0].auth)
	require.NoError(t, VerifySignature([]byte("hmac-key"), got[0].body, got[0].signature))
	assert.Error(t, VerifySignature([]byte("other-key"), got[0].body, got[0].signature))
	assert.Error(t, VerifySignature([]byte("hmac-key"), append(got[0].body, ' '), got[0].signature))

	assert.JSONEq(t, `{
		"version": "4",
		"groupKey": "{}:{alertname=\"failed_logins\"}",
		"truncatedAlerts": 0,
		"status": "firing",
		"receiver": "security",
		"groupLabels": {"alertname": "failed_logins"},
		"commonLabels": {"alertname": "failed_logins", "severity": "high"},
		"commonAnnotations": {"summary": "10 failed logins from 203.0.113.9 — brute force?", "description": "last user admin"},
		"externalURL": "https://grafana.example/d/audit",
		"alerts": [
			{"status": "firing",
			 "labels": {"alertname": "failed_logins", "severity": "high", "client.address": "203.0.113.9"},
			 "annotations": {"summary": "10 failed logins from 203.0.113.9 — brute force?", "description": "last user admin"},
			 "startsAt": "2026-11-23T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
			 "generatorURL": "https://grafana.example/d/audit", "fingerprint": "`+firing.Fingerprint()+`"},
			{"status": "resolved",
			 "labels": {"alertname": "failed_logins", "severity": "high", "client.address": "198.51.100.7"},
			 "annotations": {"summary": "10 failed logins from 203.0.113.9 — brute force?", "description": "last user admin"},
			 "startsAt": "2026-11-23T10:00:00Z", "endsAt": "2026-11-23T10:07:00Z",
			 "generatorURL": "https://grafana.example/d/audit", "fingerprint": "`+resolved.Fingerprint()+`"}
		]
	}`, string(got[0].body))
}

func TestWebhookUnsignedWithoutSecretAndStatusHandling(t *testing.T) {
	srv, requests := fakeAPI(t, http.StatusServiceUnavailable, "busy")
	err := newWebhook("hook", "r", &WebhookConfig{Endpoint: srv.URL}).Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.ErrorContains(t, err, "503")
	assert.NotErrorAs(t, err, &permanentError{}, "5xx is retried")
	assert.Empty(t, requests()[0].signature)

	bad, _ := fakeAPI(t, http.StatusUnprocessableEntity, "bad")
	err = newWebhook("hook", "r", &WebhookConfig{Endpoint: bad.URL}).Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	assert.ErrorAs(t, err, &permanentError{}, "4xx is not retried")

	assert.ErrorContains(t, (&WebhookConfig{Endpoint: "ftp://x"}).Validate(), "http(s) URL")
}
