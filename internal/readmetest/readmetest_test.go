package readmetest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/config/configretry"
)

type notifier struct {
	Name    string        `mapstructure:"name"`
	Timeout time.Duration `mapstructure:"timeout"`
}

type limits struct {
	MaxEvents int `mapstructure:"max_events"`
}

type config struct {
	Endpoint  string                    `mapstructure:"endpoint"`
	Limits    limits                    `mapstructure:"limits"`
	Optional  *limits                   `mapstructure:"optional"`
	Notifiers []notifier                `mapstructure:"notifiers"`
	Retry     configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	Squashed  limits                    `mapstructure:",squash"`
	Internal  string                    `mapstructure:"-"`
	Untagged  string
}

func TestConfigKeysDescendsOnlyIntoOurStructs(t *testing.T) {
	assert.Equal(t, []string{
		"endpoint", "limits.max_events", "optional.max_events",
		"notifiers", "notifiers[].name", "notifiers[].timeout",
		"retry_on_failure",
	}, ConfigKeys(reflect.TypeOf(config{})))
}

func TestMissingOptionsNamesWhatTheReadmeLacks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	readme := "| `endpoint` | | |\n| `limits::max_events` | | |\n| `notifiers[].name` | | |\nnotifiers timeout\n"
	if err := os.WriteFile(path, []byte(readme), 0o600); err != nil {
		t.Fatal(err)
	}
	assert.Equal(t, []string{"optional.max_events", "notifiers", "notifiers[].timeout", "retry_on_failure", "tls"},
		MissingOptions(t, path, config{}, "tls"))
}
