package notifier

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/auditpipe/auditpipe/alerting/rule"
)

func TestLogNotifierWritesOneJSONLinePerAlert(t *testing.T) {
	var buf bytes.Buffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zap.InfoLevel)
	n := NewLog("default/log", zap.New(core))
	require.NoError(t, n.Notify(context.Background(), []rule.Alert{sampleAlert(rule.StateFiring), sampleAlert(rule.StateResolved)}))

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	// The same expression scripts/run.sh uses for the demo summary.
	demo := regexp.MustCompile(`"audit alert".*"rule": ?"([^"]*)".*"state": ?"([^"]*)".*"summary": ?"([^"]*)"`)
	for i, state := range []string{"firing", "resolved"} {
		m := demo.FindSubmatch(lines[i])
		require.NotNil(t, m, string(lines[i]))
		assert.Equal(t, "failed_logins", string(m[1]))
		assert.Equal(t, state, string(m[2]))
		assert.Equal(t, "10 failed logins from 203.0.113.9 — brute force?", string(m[3]))
		assert.Contains(t, string(lines[i]), `"group":"client.address=203.0.113.9"`)
		assert.Contains(t, string(lines[i]), `"severity":"high"`)
	}
}
