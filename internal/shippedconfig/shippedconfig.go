// Package shippedconfig runs otelcol-audit on its shipped default config
// (cmd/otelcol-audit/config.yaml) where several may run at once, as the
// end-to-end tests and the benchmark harness do: what users run, with only
// its fixed addresses and state directory moved.
package shippedconfig // import "github.com/auditpipe/auditpipe/internal/shippedconfig"

// Listen holds the addresses that take the place of the shipped config's
// fixed ones.
type Listen struct {
	Health, ZPages, PProf, GRPC, HTTP string
}

// Args returns otelcol-audit's arguments for the config at path with every
// listener moved to l, its state in stateDir and the exporter writing to
// esURL, followed by extra --set overrides ("key::path=value"). The
// collector's own metrics server, which the shipped config leaves at its
// default port, is the caller's to move or turn off in extra.
func Args(path string, l Listen, stateDir, esURL string, extra ...string) []string {
	args := []string{"--config", path}
	for _, kv := range append(overrides(l, stateDir, esURL), extra...) {
		args = append(args, "--set", kv)
	}
	return args
}

func overrides(l Listen, stateDir, esURL string) []string {
	return []string{
		"extensions::health_check::endpoint=" + l.Health,
		"extensions::zpages::endpoint=" + l.ZPages,
		"extensions::pprof::endpoint=" + l.PProf,
		"extensions::file_storage::directory=" + stateDir,
		"receivers::audit::protocols::grpc::endpoint=" + l.GRPC,
		"receivers::audit::protocols::http::endpoint=" + l.HTTP,
		"exporters::audit_elasticsearch::endpoints=[" + esURL + "]",
	}
}
