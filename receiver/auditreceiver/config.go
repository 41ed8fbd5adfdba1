package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
)

// ValidationMode says what the receiver does with a record that breaks the
// audit semantic conventions.
type ValidationMode string

const (
	// ValidationReject drops the invalid record and reports it to the sender.
	ValidationReject ValidationMode = "reject"
	// ValidationTag keeps the record and sets audit.validation.error on it.
	ValidationTag ValidationMode = "tag"
	// ValidationOff forwards every record unchecked.
	ValidationOff ValidationMode = "off"
)

var (
	errNoProtocol        = errors.New("at least one of protocols::grpc and protocols::http must be enabled")
	errValidationMode    = errors.New("validation::mode must be one of reject, tag, off")
	errRetryAfter        = errors.New("retry_after must be positive")
	errURLPath           = errors.New("URL paths must be absolute (start with /)")
	errSameURLPath       = errors.New("logs_url_path and events_url_path must differ")
	errTrustedProxyRange = errors.New("enrichment::trusted_proxies entries must be IP addresses or CIDR ranges")
)

// Config defines the configuration of the audit receiver.
type Config struct {
	Protocols  Protocols        `mapstructure:"protocols"`
	Validation ValidationConfig `mapstructure:"validation"`
	Enrichment EnrichmentConfig `mapstructure:"enrichment"`
	// RetryAfter is the delay the receiver asks senders to wait before
	// retrying when the next consumer refuses data (gRPC RetryInfo, HTTP
	// Retry-After rounded up to whole seconds).
	RetryAfter time.Duration `mapstructure:"retry_after"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Protocols holds the servers the receiver listens on.
type Protocols struct {
	GRPC configoptional.Optional[configgrpc.ServerConfig] `mapstructure:"grpc"`
	HTTP configoptional.Optional[HTTPConfig]              `mapstructure:"http"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// HTTPConfig is the HTTP server: OTLP/HTTP logs and the JSON event intake
// share it.
type HTTPConfig struct {
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`
	// LogsURLPath receives OTLP/HTTP logs (protobuf or JSON).
	LogsURLPath string `mapstructure:"logs_url_path"`
	// EventsURLPath receives audit events in auditpipe's JSON shape.
	EventsURLPath string `mapstructure:"events_url_path"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ValidationConfig selects how records are checked against semconv.Validate.
type ValidationConfig struct {
	Mode ValidationMode `mapstructure:"mode"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// EnrichmentConfig adds what the receiver knows about the sender to each record.
type EnrichmentConfig struct {
	// ClientAddressFromPeer sets client.address to the sender's address when
	// the record has none. Off by default: the sender is usually the
	// back-office server, not the person whose action is recorded.
	ClientAddressFromPeer bool `mapstructure:"client_address_from_peer"`
	// TrustedProxies lists the proxies (IP or CIDR) whose X-Forwarded-For
	// header is believed.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// IncludePrincipal sets audit.ingest.principal to the principal the
	// server's auth extension authenticated.
	IncludePrincipal bool `mapstructure:"include_principal"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the receiver configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if !cfg.Protocols.GRPC.HasValue() && !cfg.Protocols.HTTP.HasValue() {
		errs = append(errs, errNoProtocol)
	}
	if httpCfg := cfg.Protocols.HTTP.Get(); httpCfg != nil {
		if !strings.HasPrefix(httpCfg.LogsURLPath, "/") || !strings.HasPrefix(httpCfg.EventsURLPath, "/") {
			errs = append(errs, errURLPath)
		} else if httpCfg.LogsURLPath == httpCfg.EventsURLPath {
			errs = append(errs, errSameURLPath)
		}
	}
	switch cfg.Validation.Mode {
	case ValidationReject, ValidationTag, ValidationOff:
	default:
		errs = append(errs, fmt.Errorf("%w, got %q", errValidationMode, cfg.Validation.Mode))
	}
	if cfg.RetryAfter <= 0 {
		errs = append(errs, errRetryAfter)
	}
	if _, err := parseTrustedProxies(cfg.Enrichment.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// parseTrustedProxies reads IP addresses (as single-address ranges) and CIDR ranges.
func parseTrustedProxies(entries []string) ([]netip.Prefix, error) {
	prefixes := make([]netip.Prefix, 0, len(entries))
	for _, entry := range entries {
		if addr, err := netip.ParseAddr(entry); err == nil {
			addr = addr.Unmap()
			prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", errTrustedProxyRange, entry)
		}
		prefixes = append(prefixes, prefix.Masked())
	}
	return prefixes, nil
}
