package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// DefaultTelegramAPIBase is the Telegram Bot API.
const DefaultTelegramAPIBase = "https://api.telegram.org"

// telegramMaxText is the Bot API's limit on a message's text.
const telegramMaxText = 4096

// TelegramConfig sends one sendMessage per batch.
type TelegramConfig struct {
	// APIBase is the Bot API's base URL; default https://api.telegram.org.
	APIBase  string              `mapstructure:"api_base"`
	BotToken configopaque.String `mapstructure:"bot_token"`
	// ChatID is the chat's numeric id or a channel's @username.
	ChatID string `mapstructure:"chat_id"`
	// ParseMode is HTML (default; text is escaped) or none (plain text).
	ParseMode string `mapstructure:"parse_mode"`
}

// Validate checks the token, chat and parse mode.
func (c *TelegramConfig) Validate() error {
	var errs []error
	if c.BotToken == "" {
		errs = append(errs, errors.New("bot_token is required"))
	}
	if c.ChatID == "" {
		errs = append(errs, errors.New("chat_id is required"))
	}
	if c.ParseMode != "" && c.ParseMode != "HTML" && c.ParseMode != "none" {
		errs = append(errs, fmt.Errorf(`parse_mode must be "HTML" or "none", got %q`, c.ParseMode))
	}
	if c.APIBase != "" {
		if _, err := url.ParseRequestURI(c.APIBase); err != nil {
			errs = append(errs, fmt.Errorf("api_base: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Telegram is the Telegram Bot API notifier.
type Telegram struct {
	name   string
	cfg    *TelegramConfig
	client *http.Client
}

func newTelegram(name string, cfg *TelegramConfig) *Telegram {
	return &Telegram{name: name, cfg: cfg, client: &http.Client{}}
}

// Name returns the notifier's name.
func (t *Telegram) Name() string { return t.name }

type telegramMessage struct {
	ChatID                string `json:"chat_id"`
	Text                  string `json:"text"`
	ParseMode             string `json:"parse_mode,omitempty"`
	DisableWebPagePreview bool   `json:"disable_web_page_preview"`
}

type telegramAnswer struct {
	OK          bool   `json:"ok"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Notify calls sendMessage.
func (t *Telegram) Notify(ctx context.Context, alerts []rule.Alert) error {
	body, err := json.Marshal(t.message(alerts))
	if err != nil {
		return Permanent(err)
	}
	endpoint := strings.TrimRight(orDefault(t.cfg.APIBase, DefaultTelegramAPIBase), "/") +
		"/bot" + string(t.cfg.BotToken) + "/sendMessage"
	answer, err := post(ctx, t.client, endpoint, nil, body)
	var ta telegramAnswer
	_ = json.Unmarshal(answer, &ta)
	if ta.Parameters.RetryAfter > 0 {
		// Flood control: wait as long as Telegram asks, then retry.
		return backoff.RetryAfter(ta.Parameters.RetryAfter)
	}
	if err != nil {
		return err
	}
	if !ta.OK {
		return Permanent(fmt.Errorf("telegram sendMessage: %s", orDefault(ta.Description, "ok is false")))
	}
	return nil
}

func (t *Telegram) message(alerts []rule.Alert) telegramMessage {
	m := telegramMessage{ChatID: t.cfg.ChatID, DisableWebPagePreview: true}
	if t.cfg.ParseMode == "none" {
		m.Text = truncate(title(alerts)+"\n\n"+plainText(alerts), telegramMaxText)
		return m
	}
	m.ParseMode = "HTML"
	// Truncate before escaping would be wrong (a cut entity); truncating the
	// plain text first keeps the escaped text well-formed.
	head := "<b>" + html.EscapeString(title(alerts)) + "</b>\n\n"
	m.Text = head + html.EscapeString(truncate(plainText(alerts), (telegramMaxText-len(head))/2))
	return m
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
