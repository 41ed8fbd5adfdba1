package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// builder is the OpenTelemetry Collector Builder version matching the
// collector modules in go.mod.
const builder = "go.opentelemetry.io/collector/cmd/builder@v0.162.0"

// TestGeneratedSourcesAreCurrent regenerates the distribution from
// builder-config.yaml and fails if the committed sources differ: run
// `make generate-otelcol` and commit the result.
func TestGeneratedSourcesAreCurrent(t *testing.T) {
	manifest, err := os.ReadFile("../../builder-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	const committedPath = "output_path: ./cmd/otelcol-audit"
	if !strings.Contains(string(manifest), committedPath) {
		t.Fatalf("builder-config.yaml no longer has %q", committedPath)
	}
	tmpManifest := filepath.Join(t.TempDir(), "builder-config.yaml")
	patched := strings.Replace(string(manifest), committedPath, "output_path: "+out, 1)
	if err := os.WriteFile(tmpManifest, []byte(patched), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", builder, "--config", tmpManifest, "--skip-get-modules", "--skip-compilation")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("builder: %v\n%s", err, msg)
	}
	for _, name := range []string{"main.go", "main_others.go", "main_windows.go", "components.go"} {
		want, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run `make generate-otelcol` and commit the result", name)
		}
	}
}
