package auditelasticsearchexporter

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the configuration of the audit_elasticsearch exporter.
type Config struct {
	// ClientConfig carries TLS, the per-request timeout, compression,
	// headers and proxy settings. Its endpoint is used when Endpoints and
	// CloudID are empty.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`

	// Endpoints lists Elasticsearch nodes; requests are spread over them.
	Endpoints []string `mapstructure:"endpoints"`
	// CloudID addresses an Elastic Cloud deployment instead of Endpoints.
	CloudID string `mapstructure:"cloud_id"`

	User     string              `mapstructure:"user"`
	Password configopaque.String `mapstructure:"password"`
	// APIKey is the base64 encoded API key; it takes precedence over User.
	APIKey configopaque.String `mapstructure:"api_key"`

	DataStream      DataStreamConfig      `mapstructure:"data_stream"`
	Routing         RoutingConfig         `mapstructure:"routing"`
	IndexManagement IndexManagementConfig `mapstructure:"index_management"`
	Retention       RetentionConfig       `mapstructure:"retention"`

	// BulkMaxBytes splits a batch into several bulk requests so that none
	// exceeds this many (uncompressed) bytes.
	BulkMaxBytes int `mapstructure:"bulk_max_bytes"`

	QueueBatchConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig    configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`
}

// DataStreamConfig names the target data stream logs-<dataset>-<namespace>.
type DataStreamConfig struct {
	Dataset   string `mapstructure:"dataset"`
	Namespace string `mapstructure:"namespace"`
}

// RoutingConfig sends each tenant's events to its own namespace.
type RoutingConfig struct {
	// TenantAttribute names a log record (or resource) attribute whose value,
	// sanitized, becomes the namespace. Events without it go to
	// DataStream.Namespace.
	TenantAttribute string `mapstructure:"tenant_attribute"`
}

// IndexManagementConfig controls the templates and policy installed at start.
type IndexManagementConfig struct {
	// Enabled installs (idempotently) the ILM policy, component template and
	// index templates. Turn it off for clusters where the exporter's user may
	// only write documents; an operator must then install them.
	Enabled bool `mapstructure:"enabled"`
	// ILM adds the lifecycle policy; off for serverless projects, which have no ILM.
	ILM bool `mapstructure:"ilm"`
	// SetupAttempts bounds the attempts made in the background after Start.
	// When they are used up, every export first retries the setup; no
	// document is written before the templates exist.
	SetupAttempts int `mapstructure:"setup_attempts"`
}

// RetentionConfig is the ILM policy of the audit data streams.
type RetentionConfig struct {
	HotMaxAge   time.Duration `mapstructure:"hot_max_age"`
	WarmAfter   time.Duration `mapstructure:"warm_after"`
	DeleteAfter time.Duration `mapstructure:"delete_after"`
}

var (
	errNoEndpoint             = errors.New("one of endpoints, endpoint or cloud_id is required")
	errEndpointsAndCloud      = errors.New("endpoints and cloud_id are mutually exclusive")
	errPasswordWithoutUser    = errors.New("password is set without user")
	errBadDataStreamName      = errors.New("data_stream dataset and namespace must be lower case letters, digits and _ (dataset also .), without '-'")
	errBadRetention           = errors.New("retention ages must not be negative, hot_max_age must be positive and delete_after must be after warm_after")
	errBadBulkMaxBytes        = errors.New("bulk_max_bytes must be at least 64 KiB")
	errUnsupportedCompression = errors.New("compression must be none or gzip")
)

// Elasticsearch data stream name parts: lower case, no '-' (it separates
// the parts), no characters Elasticsearch forbids in index names.
var (
	datasetPattern   = regexp.MustCompile(`^[a-z0-9_.]{1,100}$`)
	namespacePattern = regexp.MustCompile(`^[a-z0-9_]{1,100}$`)
)

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case len(cfg.Endpoints) == 0 && cfg.CloudID == "" && cfg.ClientConfig.Endpoint == "":
		errs = append(errs, errNoEndpoint)
	case len(cfg.Endpoints) > 0 && cfg.CloudID != "":
		errs = append(errs, errEndpointsAndCloud)
	}
	if cfg.Password != "" && cfg.User == "" {
		errs = append(errs, errPasswordWithoutUser)
	}
	if !datasetPattern.MatchString(cfg.DataStream.Dataset) || !namespacePattern.MatchString(cfg.DataStream.Namespace) {
		errs = append(errs, fmt.Errorf("%w: got dataset %q, namespace %q", errBadDataStreamName, cfg.DataStream.Dataset, cfg.DataStream.Namespace))
	}
	r := cfg.Retention
	if r.HotMaxAge <= 0 || r.WarmAfter < 0 || r.DeleteAfter < 0 || (r.DeleteAfter > 0 && r.DeleteAfter <= r.WarmAfter) {
		errs = append(errs, errBadRetention)
	}
	if cfg.BulkMaxBytes < 64<<10 {
		errs = append(errs, errBadBulkMaxBytes)
	}
	switch cfg.ClientConfig.Compression {
	case "", configcompression.TypeGzip, "none":
	default:
		errs = append(errs, fmt.Errorf("%w, got %q", errUnsupportedCompression, cfg.ClientConfig.Compression))
	}
	return errors.Join(errs...)
}

func (cfg *Config) endpoints() []string {
	if len(cfg.Endpoints) > 0 {
		return cfg.Endpoints
	}
	if cfg.ClientConfig.Endpoint != "" && cfg.CloudID == "" {
		return []string{cfg.ClientConfig.Endpoint}
	}
	return nil
}
