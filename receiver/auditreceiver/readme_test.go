package auditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auditpipe/auditpipe/internal/readmetest"
)

func TestReadmeDocumentsEveryOption(t *testing.T) {
	assert.Empty(t, readmetest.MissingOptions(t, "README.md", Config{}), "options missing from the README")
}
