package auditprocessor

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auditpipe/auditpipe/internal/readmetest"
)

// The README must document every option and every built-in rule.
func TestReadmeDocumentsOptionsAndRules(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(raw)
	assert.Empty(t, readmetest.MissingOptions(t, "README.md", Config{}), "options missing from the README")
	for _, r := range defaultClassificationRules {
		assert.Contains(t, readme, "`"+r.Name+"`", "classification rule %s", r.Name)
	}
	for _, r := range builtinRedactionRules() {
		assert.Contains(t, readme, "`"+r.name+"`", "redaction rule %s", r.name)
	}
}
