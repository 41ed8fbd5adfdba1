package notifier // import "github.com/auditpipe/auditpipe/alerting/notifier"

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// SMTP connection security (EmailConfig.TLSMode).
const (
	TLSModeStartTLS = "starttls"
	TLSModeImplicit = "tls"
	TLSModeNone     = "none"
)

// SMTP authentication mechanisms (EmailConfig.Auth).
const (
	AuthPlain = "plain"
	AuthLogin = "login"
	AuthNone  = "none"
)

// EmailConfig sends one plain-text mail per batch over SMTP.
type EmailConfig struct {
	// Endpoint is the SMTP server as host:port (587 for STARTTLS, 465 for TLS).
	Endpoint string              `mapstructure:"endpoint"`
	From     string              `mapstructure:"from"`
	To       []string            `mapstructure:"to"`
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// Auth is plain (default when username is set), login or none.
	Auth string `mapstructure:"auth"`
	// TLSMode is starttls (default), tls (implicit TLS) or none.
	TLSMode string `mapstructure:"tls_mode"`
	// TLS holds the CA, client certificate and verification settings.
	TLS configtls.ClientConfig `mapstructure:"tls"`
}

// Validate checks the addresses and that credentials never travel in clear.
func (c *EmailConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint must be host:port: %w", err))
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %w", err))
	}
	if len(c.To) == 0 {
		errs = append(errs, errors.New("to needs at least one recipient"))
	}
	for _, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			errs = append(errs, fmt.Errorf("to %q: %w", to, err))
		}
	}
	switch c.tlsMode() {
	case TLSModeStartTLS, TLSModeImplicit:
	case TLSModeNone:
		if c.auth() != AuthNone {
			errs = append(errs, errors.New("authentication needs tls_mode starttls or tls: the password would travel in clear"))
		}
	default:
		errs = append(errs, fmt.Errorf("tls_mode must be starttls, tls or none, got %q", c.TLSMode))
	}
	switch c.auth() {
	case AuthPlain, AuthLogin:
		if c.Username == "" {
			errs = append(errs, fmt.Errorf("auth %s needs username and password", c.auth()))
		}
	case AuthNone:
	default:
		errs = append(errs, fmt.Errorf("auth must be plain, login or none, got %q", c.Auth))
	}
	return errors.Join(errs...)
}

func (c *EmailConfig) tlsMode() string { return orDefault(c.TLSMode, TLSModeStartTLS) }

func (c *EmailConfig) auth() string {
	if c.Auth != "" {
		return c.Auth
	}
	if c.Username != "" {
		return AuthPlain
	}
	return AuthNone
}

// Email is the SMTP notifier.
type Email struct {
	name string
	cfg  *EmailConfig
	tls  *tls.Config
}

func newEmail(ctx context.Context, name string, cfg *EmailConfig) (*Email, error) {
	tlsCfg, err := cfg.TLS.LoadTLSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("email tls: %w", err)
	}
	if tlsCfg == nil {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName, _, _ = net.SplitHostPort(cfg.Endpoint)
	}
	return &Email{name: name, cfg: cfg, tls: tlsCfg}, nil
}

// Name returns the notifier's name.
func (e *Email) Name() string { return e.name }

// Notify sends one mail describing the batch to every recipient.
func (e *Email) Notify(ctx context.Context, alerts []rule.Alert) error {
	msg, err := e.message(alerts, time.Now())
	if err != nil {
		return Permanent(err)
	}
	c, err := e.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if a := e.saslClient(); a != nil {
		if err := c.Auth(a); err != nil {
			return smtpError("auth", err)
		}
	}
	if err := c.SendMail(e.cfg.From, e.cfg.To, bytes.NewReader(msg)); err != nil {
		return smtpError("send", err)
	}
	return c.Quit()
}

func (e *Email) dial(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	switch e.cfg.tlsMode() {
	case TLSModeImplicit:
		return smtp.NewClient(tls.Client(conn, e.tls)), nil
	case TLSModeNone:
		return smtp.NewClient(conn), nil
	}
	c, err := smtp.NewClientStartTLS(conn, e.tls)
	if err != nil {
		conn.Close()
		return nil, smtpError("starttls", err)
	}
	return c, nil
}

func (e *Email) saslClient() sasl.Client {
	switch e.cfg.auth() {
	case AuthPlain:
		return sasl.NewPlainClient("", e.cfg.Username, string(e.cfg.Password))
	case AuthLogin:
		return &loginClient{username: e.cfg.Username, password: string(e.cfg.Password)}
	}
	return nil
}

// loginClient is SASL LOGIN as servers speak it. go-sasl's client accepts
// only the challenge "Password:", but the mechanism was never standardised:
// aiosmtpd, following draft-murchison-sasl-login, asks "Password\x00" (and
// "User Name\x00" when it ignores the initial response). The username goes
// as initial response; a challenge naming the user gets it again, any other
// gets the password.
type loginClient struct {
	username, password string
	answered           int
}

func (c *loginClient) Start() (string, []byte, error) {
	return sasl.Login, []byte(c.username), nil
}

func (c *loginClient) Next(challenge []byte) ([]byte, error) {
	c.answered++
	if c.answered > 2 {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	if bytes.HasPrefix(bytes.ToLower(challenge), []byte("user")) {
		return []byte(c.username), nil
	}
	return []byte(c.password), nil
}

// smtpError makes a 5xx reply permanent: a rejected sender, recipient or
// password does not get better by retrying.
func smtpError(step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return Permanent(fmt.Errorf("smtp %s: %w", step, err))
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// message renders an RFC 5322 mail with a quoted-printable UTF-8 body.
func (e *Email) message(alerts []rule.Alert, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", e.cfg.From)
	header("To", strings.Join(e.cfg.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", title(alerts)))
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%s.%d@auditpipe>", alerts[0].Fingerprint(), now.UnixNano()))
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	header("X-Auditpipe-Status", batchStatus(alerts))
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(plainText(alerts))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
