package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configgrpc"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/auditpipe/auditpipe/receiver/auditreceiver/internal/metadata"
)

const (
	defaultGRPCEndpoint  = "localhost:4317"
	defaultHTTPEndpoint  = "localhost:4318"
	defaultLogsURLPath   = "/v1/logs"
	defaultEventsURLPath = "/v1/audit/events"
	defaultRetryAfter    = 5 * time.Second
)

// NewFactory creates the factory of the audit receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	grpcCfg := configgrpc.NewDefaultServerConfig()
	grpcCfg.NetAddr.Endpoint = defaultGRPCEndpoint
	// Like the OTLP receiver: requests are large, responses tiny.
	grpcCfg.ReadBufferSize = 512 * 1024

	httpCfg := confighttp.NewDefaultServerConfig()
	httpCfg.NetAddr.Endpoint = defaultHTTPEndpoint
	httpCfg.TLS = configoptional.None[configtls.ServerConfig]()

	return &Config{
		Protocols: Protocols{
			GRPC: configoptional.Default(grpcCfg),
			HTTP: configoptional.Default(HTTPConfig{
				ServerConfig:  httpCfg,
				LogsURLPath:   defaultLogsURLPath,
				EventsURLPath: defaultEventsURLPath,
			}),
		},
		Validation: ValidationConfig{Mode: ValidationReject},
		RetryAfter: defaultRetryAfter,
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newAuditReceiver(cfg.(*Config), set, next)
}
