package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// DefaultSlackAPIBase is Slack's Web API host.
const DefaultSlackAPIBase = "https://slack.com"

// slackMaxSection is Slack's limit on a section block's text.
const slackMaxSection = 3000

// SlackConfig posts to an incoming webhook, or with a bot token to
// chat.postMessage.
type SlackConfig struct {
	// WebhookURL is an incoming webhook (a secret: the URL is the credential).
	WebhookURL configopaque.String `mapstructure:"webhook_url"`
	// Token is a bot token (xoxb-...) for chat.postMessage into Channel.
	Token   configopaque.String `mapstructure:"token"`
	Channel string              `mapstructure:"channel"`
	// APIBase is the Web API's base URL; default https://slack.com.
	APIBase string `mapstructure:"api_base"`
}

// Validate checks that exactly one way of posting is configured.
func (c *SlackConfig) Validate() error {
	switch {
	case c.WebhookURL != "" && c.Token != "":
		return errors.New("set webhook_url or token, not both")
	case c.WebhookURL != "":
		if !strings.HasPrefix(string(c.WebhookURL), "http://") && !strings.HasPrefix(string(c.WebhookURL), "https://") {
			return errors.New("webhook_url must be an http(s) URL")
		}
	case c.Token != "":
		if c.Channel == "" {
			return errors.New("token needs channel")
		}
	default:
		return errors.New("set webhook_url or token (with channel)")
	}
	return nil
}

// Slack is the Slack notifier.
type Slack struct {
	name   string
	cfg    *SlackConfig
	client *http.Client
}

func newSlack(name string, cfg *SlackConfig) *Slack {
	return &Slack{name: name, cfg: cfg, client: &http.Client{}}
}

// Name returns the notifier's name.
func (s *Slack) Name() string { return s.name }

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
}

type slackMessage struct {
	Channel string       `json:"channel,omitempty"`
	Text    string       `json:"text"`
	Blocks  []slackBlock `json:"blocks,omitempty"`
}

// Notify posts the batch as one message.
func (s *Slack) Notify(ctx context.Context, alerts []rule.Alert) error {
	head := "*" + slackEscape(title(alerts)) + "*\n"
	// Truncate the plain text before escaping (which may double it) so the
	// cut never splits an entity or the closing code fence.
	detail := slackEscape(truncate(plainText(alerts), (slackMaxSection-len(head)-6)/2))
	msg := slackMessage{
		Text:   title(alerts),
		Blocks: []slackBlock{{Type: "section", Text: slackText{Type: "mrkdwn", Text: head + "```" + detail + "```"}}},
	}
	if s.cfg.Token == "" {
		body, err := json.Marshal(msg)
		if err != nil {
			return Permanent(err)
		}
		_, err = post(ctx, s.client, string(s.cfg.WebhookURL), nil, body)
		return err
	}
	msg.Channel = s.cfg.Channel
	body, err := json.Marshal(msg)
	if err != nil {
		return Permanent(err)
	}
	header := http.Header{"Authorization": {"Bearer " + string(s.cfg.Token)}}
	answer, err := post(ctx, s.client, strings.TrimRight(orDefault(s.cfg.APIBase, DefaultSlackAPIBase), "/")+"/api/chat.postMessage", header, body)
	if err != nil {
		return err
	}
	// The Web API answers 200 even on failure; "ok" tells.
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(answer), &res); err != nil {
		return fmt.Errorf("slack chat.postMessage: unreadable answer: %w", err)
	}
	if !res.OK {
		err := fmt.Errorf("slack chat.postMessage: %s", orDefault(res.Error, "ok is false"))
		if res.Error == "ratelimited" {
			return err
		}
		return Permanent(err)
	}
	return nil
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
