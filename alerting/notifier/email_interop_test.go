package notifier

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

// debianPython is the interpreter Debian's python3-aiosmtpd installs for; a
// python3 earlier on PATH (pyenv) does not see the package.
const debianPython = "/usr/bin/python3"

// TestEmailInteropWithAiosmtpd sends through aiosmtpd, an SMTP server
// written by others, so the notifier is not only tested against the go-smtp
// server its own tests run.
func TestEmailInteropWithAiosmtpd(t *testing.T) {
	if err := exec.Command(debianPython, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skip("aiosmtpd is not installed (apt-get install python3-aiosmtpd; .ci/run installs it)")
	}
	dir := t.TempDir()
	cert, caFile := selfSignedCert(t)
	keyDER, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	out := filepath.Join(dir, "mail")
	require.NoError(t, os.Mkdir(out, 0o700))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(debianPython, "testdata/aiosmtpd_server.py",
		"--port", strconv.Itoa(port), "--cert", caFile, "--key", keyFile, "--out", out)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready "+strconv.Itoa(port), strings.TrimSpace(line))

	for _, auth := range []string{AuthPlain, AuthLogin} {
		cfg := &EmailConfig{
			Endpoint: "127.0.0.1:" + strconv.Itoa(port), From: "auditpipe@casino.example",
			To: []string{"security@casino.example"}, Username: "alerts", Password: "s3cret", Auth: auth,
			TLS: configtls.ClientConfig{Config: configtls.Config{CAFile: caFile}},
		}
		require.NoError(t, cfg.Validate())
		n, err := newEmail(context.Background(), "security/email", cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		require.NoError(t, n.Notify(ctx, []rule.Alert{sampleAlert(rule.StateFiring)}), auth)
		cancel()
	}

	for i := 1; i <= 2; i++ {
		var envelope struct {
			From          string   `json:"from"`
			Rcpts         []string `json:"rcpts"`
			TLS           bool     `json:"tls"`
			Authenticated bool     `json:"authenticated"`
		}
		raw, err := os.ReadFile(filepath.Join(out, strconv.Itoa(i)+".json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &envelope))
		assert.Equal(t, "auditpipe@casino.example", envelope.From)
		assert.Equal(t, []string{"security@casino.example"}, envelope.Rcpts)
		assert.True(t, envelope.TLS, "STARTTLS before MAIL")
		assert.True(t, envelope.Authenticated)

		f, err := os.Open(filepath.Join(out, strconv.Itoa(i)+".eml"))
		require.NoError(t, err)
		msg, err := mail.ReadMessage(f)
		require.NoError(t, err)
		assert.Equal(t, "firing", msg.Header.Get("X-Auditpipe-Status"))
		assert.Contains(t, msg.Header.Get("Subject"), "failed_logins")
		f.Close()
	}
}
