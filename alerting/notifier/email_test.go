package notifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// receivedMail is what the in-test SMTP server got.
type receivedMail struct {
	mech, username, password string
	tls                      bool
	from                     string
	rcpts                    []string
	data                     []byte
}

// smtpServer is a real SMTP server (go-smtp) on a free port, with STARTTLS on
// a self-signed certificate and AUTH PLAIN and LOGIN.
type smtpServer struct {
	addr   string
	caFile string
	mu     sync.Mutex
	mails  []receivedMail
}

func startSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	cert, caFile := selfSignedCert(t)
	srv := &smtpServer{caFile: caFile}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return srv
}

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mails...)
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	mail receivedMail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "invalid credentials"}
		}
		s.mail.mech, s.mail.username, s.mail.password = mech, user, pass
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.mail.username == "" {
		return smtp.ErrAuthRequired
	}
	_, s.mail.tls = s.conn.TLSConnectionState()
	s.mail.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@rejected.example") {
		return &smtp.SMTPError{Code: 550, Message: "no such user"}
	}
	s.mail.rcpts = append(s.mail.rcpts, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mail.data = b
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.mail)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset() {
	s.mail = receivedMail{mech: s.mail.mech, username: s.mail.username, password: s.mail.password}
}
func (s *smtpSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check    func(user, pass string) error
	username string
	step     int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch {
	case l.step == 1 && resp == nil:
		l.step = 0
		return []byte("Username:"), false, nil
	case l.step == 1:
		l.username = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.username, string(resp))
	}
}

// selfSignedCert returns a certificate for 127.0.0.1 and the path of a PEM
// file holding it, to use as the client's CA.
func selfSignedCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "auditpipe test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEM, 0o600))
	return cert, caFile
}

func sampleAlert(state rule.State) rule.Alert {
	return rule.Alert{
		Rule: "failed_logins", State: state, Severity: "high",
		Group: map[string]string{"client.address": "203.0.113.9"}, GroupKey: "client.address=203.0.113.9",
		Labels:  map[string]string{"alertname": "failed_logins", "severity": "high", "client.address": "203.0.113.9"},
		Summary: "10 failed logins from 203.0.113.9 — brute force?", Message: "last user admin",
		Count: 10, StartsAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
	}
}

func emailConfig(srv *smtpServer, auth string) *EmailConfig {
	return &EmailConfig{
		Endpoint: srv.addr, From: "auditpipe@casino.example",
		To:       []string{"security@casino.example", "oncall@casino.example"},
		Username: "alerts", Password: "s3cret", Auth: auth,
		TLS: configtls.ClientConfig{Config: configtls.Config{CAFile: srv.caFile}},
	}
}

func TestEmailOverStartTLSWithAuth(t *testing.T) {
	for _, auth := range []string{"", AuthPlain, AuthLogin} {
		t.Run("auth="+auth, func(t *testing.T) {
			srv := startSMTPServer(t)
			cfg := emailConfig(srv, auth)
			require.NoError(t, cfg.Validate())
			n, err := newEmail(context.Background(), "security/email", cfg)
			require.NoError(t, err)
			require.NoError(t, n.Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)}))

			got := srv.received()
			require.Len(t, got, 1)
			m := got[0]
			assert.True(t, m.tls, "STARTTLS before MAIL")
			assert.Equal(t, orDefault(strings.ToUpper(auth), "PLAIN"), m.mech)
			assert.Equal(t, "auditpipe@casino.example", m.from)
			assert.Equal(t, []string{"security@casino.example", "oncall@casino.example"}, m.rcpts)

			msg, err := mail.ReadMessage(strings.NewReader(string(m.data)))
			require.NoError(t, err)
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			require.NoError(t, err)
			assert.Equal(t, "[FIRING] failed_logins (high): 10 failed logins from 203.0.113.9 — brute force?", subject)
			assert.Equal(t, "security@casino.example, oncall@casino.example", msg.Header.Get("To"))
			assert.Equal(t, "firing", msg.Header.Get("X-Auditpipe-Status"))
			body, err := io.ReadAll(quotedPrintable(msg.Body))
			require.NoError(t, err)
			assert.Equal(t, "[FIRING] failed_logins (high)\r\n10 failed logins from 203.0.113.9 — brute force?\r\n"+
				"last user admin\r\ngroup: client.address=203.0.113.9\r\nsince: 2026-11-23T10:00:00Z\r\n", string(body))
		})
	}
}

func TestEmailRejectsUntrustedCertificate(t *testing.T) {
	srv := startSMTPServer(t)
	cfg := emailConfig(srv, AuthPlain)
	cfg.TLS = configtls.ClientConfig{} // system roots do not know the self-signed cert
	n, err := newEmail(context.Background(), "e", cfg)
	require.NoError(t, err)
	err = n.Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	assert.Empty(t, srv.received())
}

func TestEmailFailuresArePermanentOn5xx(t *testing.T) {
	srv := startSMTPServer(t)
	cfg := emailConfig(srv, AuthPlain)
	cfg.Password = "wrong"
	n, err := newEmail(context.Background(), "e", cfg)
	require.NoError(t, err)
	err = n.Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	require.Error(t, err)
	assert.ErrorAs(t, err, &permanentError{})

	cfg = emailConfig(srv, AuthPlain)
	cfg.To = []string{"nobody@rejected.example"}
	n, err = newEmail(context.Background(), "e", cfg)
	require.NoError(t, err)
	err = n.Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring)})
	assert.ErrorAs(t, err, &permanentError{})
}

func TestEmailConfigValidate(t *testing.T) {
	valid := EmailConfig{Endpoint: "smtp.example:587", From: "a@example.com", To: []string{"b@example.com"}}
	require.NoError(t, valid.Validate())
	for name, tc := range map[string]struct {
		mutate func(*EmailConfig)
		want   string
	}{
		"endpoint":          {func(c *EmailConfig) { c.Endpoint = "smtp.example" }, "endpoint must be host:port"},
		"from":              {func(c *EmailConfig) { c.From = "not an address" }, "from:"},
		"no recipients":     {func(c *EmailConfig) { c.To = nil }, "at least one recipient"},
		"bad recipient":     {func(c *EmailConfig) { c.To = []string{"x"} }, `to "x"`},
		"clear password":    {func(c *EmailConfig) { c.TLSMode, c.Username = TLSModeNone, "u" }, "travel in clear"},
		"tls mode":          {func(c *EmailConfig) { c.TLSMode = "ssl" }, "tls_mode must be"},
		"auth without user": {func(c *EmailConfig) { c.Auth = AuthLogin }, "needs username"},
		"auth mech":         {func(c *EmailConfig) { c.Auth, c.Username = "cram-md5", "u" }, "auth must be"},
	} {
		t.Run(name, func(t *testing.T) {
			c := valid
			tc.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

func TestLoginClientAnswersEitherWording(t *testing.T) {
	for _, challenges := range [][2]string{{"Username:", "Password:"}, {"User Name\x00", "Password\x00"}} {
		c := &loginClient{username: "alerts", password: "s3cret"}
		mech, ir, err := c.Start()
		require.NoError(t, err)
		assert.Equal(t, "LOGIN", mech)
		assert.Equal(t, "alerts", string(ir))
		user, err := c.Next([]byte(challenges[0]))
		require.NoError(t, err)
		assert.Equal(t, "alerts", string(user), "a server that ignored the initial response asks again")
		pass, err := c.Next([]byte(challenges[1]))
		require.NoError(t, err)
		assert.Equal(t, "s3cret", string(pass))
		_, err = c.Next([]byte("more?"))
		assert.ErrorIs(t, err, sasl.ErrUnexpectedServerChallenge)
	}
}
