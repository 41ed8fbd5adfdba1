package main

import (
	_ "embed"
	"os"
)

// defaultConfig is what `otelcol-audit` runs with no arguments: the demo
// pipeline of `make run` (esdev on 127.0.0.1:9200). Production deployments pass
// --config; see config.production.yaml.
//
//go:embed config.yaml
var defaultConfig string

// The generated main.go must not be edited, so the default is supplied the
// way a user would: as a --config argument, through the yaml: provider.
func init() {
	if len(os.Args) == 1 {
		os.Args = append(os.Args, "--config", "yaml:"+defaultConfig)
	}
}
