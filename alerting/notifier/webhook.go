package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// SignatureHeader carries the HMAC-SHA256 of the webhook body, as
// "sha256=<hex>", when a secret is configured.
const SignatureHeader = "X-Auditpipe-Signature"

// WebhookConfig posts Alertmanager's webhook payload (version 4), so any
// Alertmanager webhook consumer accepts auditpipe's alerts.
type WebhookConfig struct {
	Endpoint string `mapstructure:"endpoint"`
	// Secret signs the body with HMAC-SHA256 in the X-Auditpipe-Signature header.
	Secret  configopaque.String            `mapstructure:"secret"`
	Headers map[string]configopaque.String `mapstructure:"headers"`
	// ExternalURL is sent as externalURL and generatorURL (e.g. a Grafana
	// dashboard link).
	ExternalURL string `mapstructure:"external_url"`
}

// Validate checks the endpoint.
func (c *WebhookConfig) Validate() error {
	u, err := url.ParseRequestURI(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("endpoint must be an http(s) URL, got %q", c.Endpoint)
	}
	return nil
}

// Webhook is the generic webhook notifier.
type Webhook struct {
	name     string
	receiver string
	cfg      *WebhookConfig
	client   *http.Client
}

func newWebhook(name, receiver string, cfg *WebhookConfig) *Webhook {
	return &Webhook{name: name, receiver: receiver, cfg: cfg, client: &http.Client{}}
}

// Name returns the notifier's name.
func (w *Webhook) Name() string { return w.name }

// WebhookMessage is Alertmanager's webhook payload, version 4.
type WebhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a WebhookMessage.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Notify posts the batch as one signed message.
func (w *Webhook) Notify(ctx context.Context, alerts []rule.Alert) error {
	body, err := json.Marshal(w.message(alerts))
	if err != nil {
		return Permanent(err)
	}
	header := http.Header{}
	for k, v := range w.cfg.Headers {
		header.Set(k, string(v))
	}
	if w.cfg.Secret != "" {
		header.Set(SignatureHeader, Sign([]byte(w.cfg.Secret), body))
	}
	_, err = post(ctx, w.client, w.cfg.Endpoint, header, body)
	return err
}

func (w *Webhook) message(alerts []rule.Alert) WebhookMessage {
	m := WebhookMessage{
		Version: "4", Status: batchStatus(alerts), Receiver: w.receiver,
		GroupLabels: map[string]string{}, ExternalURL: w.cfg.ExternalURL,
	}
	labelSets := make([]map[string]string, 0, len(alerts))
	annotationSets := make([]map[string]string, 0, len(alerts))
	for _, a := range alerts {
		annotations := map[string]string{"summary": a.Summary}
		if a.Message != "" {
			annotations["description"] = a.Message
		}
		status := "firing"
		if a.State == rule.StateResolved {
			status = "resolved"
		}
		m.Alerts = append(m.Alerts, WebhookAlert{
			Status: status, Labels: a.Labels, Annotations: annotations,
			StartsAt: a.StartsAt.UTC(), EndsAt: a.EndsAt.UTC(),
			GeneratorURL: w.cfg.ExternalURL, Fingerprint: a.Fingerprint(),
		})
		labelSets = append(labelSets, a.Labels)
		annotationSets = append(annotationSets, annotations)
	}
	m.CommonLabels = common(labelSets)
	m.CommonAnnotations = common(annotationSets)
	if name, ok := m.CommonLabels["alertname"]; ok {
		m.GroupLabels["alertname"] = name
	}
	m.GroupKey = groupKey(m.GroupLabels)
	return m
}

// groupKey renders group labels the way Alertmanager does for a route
// without matchers: {}:{alertname="x"}.
func groupKey(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range rule.SortedKeys(labels) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return "{}:{" + strings.Join(parts, ", ") + "}"
}

// common returns the pairs every set shares.
func common(sets []map[string]string) map[string]string {
	if len(sets) == 0 {
		return map[string]string{}
	}
	out := maps.Clone(sets[0])
	for _, s := range sets[1:] {
		for k, v := range out {
			if s[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// Sign returns the signature header value of body: "sha256=" and the hex
// HMAC-SHA256 of body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a signature header value in constant time; for
// webhook consumers written in Go.
func VerifySignature(secret, body []byte, header string) error {
	if !hmac.Equal([]byte(Sign(secret, body)), []byte(header)) {
		return errors.New("webhook signature mismatch")
	}
	return nil
}
