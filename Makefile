# auditpipe: build, run and test everything. `make help` lists the targets.
SHELL := /bin/bash
BIN   := $(CURDIR)/bin
PLUGIN_DIR := grafana-plugin
BUILDER := go.opentelemetry.io/collector/cmd/builder@v0.162.0
# Every Go package of the three modules; not ./grafana-plugin/...: its node_modules holds Go code.
GO_PKGS := ./... ./grafana-plugin/pkg/... ./cmd/otelcol-audit/...

.PHONY: help build otelcol generate-otelcol tools plugin-backend plugin-frontend run test test-go test-frontend bench lint fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

build: otelcol tools plugin-backend ## build every binary into ./bin and the plugin backend into grafana-plugin/dist

otelcol: ## build the collector distribution (bin/otelcol-audit) from the committed generated sources
	cd cmd/otelcol-audit && go build -o $(BIN)/otelcol-audit .

generate-otelcol: ## regenerate cmd/otelcol-audit from builder-config.yaml with the OpenTelemetry Collector Builder
	GOFLAGS= go run $(BUILDER) --config builder-config.yaml --skip-compilation

tools: ## build esdev, auditgen and auditctl into ./bin
	go build -o $(BIN)/ ./cmd/esdev ./cmd/auditgen ./cmd/auditctl

plugin-backend: ## build the Grafana plugin backend binary
	cd $(PLUGIN_DIR) && go build -o dist/gpx_auditpipe_linux_amd64 ./pkg

plugin-frontend: ## install and build the Grafana plugin frontend
	cd $(PLUGIN_DIR) && npm ci --no-audit --no-fund && npm run build

run: otelcol tools ## build, start esdev and the collector, send a demo load, show what landed; Ctrl-C stops
	BIN=$(BIN) scripts/run.sh

test: build test-go test-frontend ## every test: Go (both modules), end-to-end, plugin frontend and browser tests

test-go: ## Go tests of every module, including the end-to-end suite against the built binaries
	AUDITPIPE_BIN_DIR=$(BIN) go test -count=1 -timeout 40m $(GO_PKGS)

test-frontend: ## plugin typecheck, lint, unit tests, build and browser tests
	cd $(PLUGIN_DIR) && { test -d node_modules || npm ci --no-audit --no-fund; } && npm run typecheck && npm run lint && npm test && npm run build && npm run e2e

bench: build ## benchmarks of each component and the end-to-end throughput table (bench/RESULTS.md)
	scripts/bench.sh

lint: ## go vet and staticcheck on every module; eslint on the plugin
	go vet $(GO_PKGS)
	GOFLAGS= go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(GO_PKGS)
	cd $(PLUGIN_DIR) && npm run lint

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	scripts/fuzz.sh $${FUZZTIME:-30s}

clean: ## remove binaries and the demo's data
	rm -rf $(BIN) data $(PLUGIN_DIR)/dist
