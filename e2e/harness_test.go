// Package e2e runs the built binaries together: esdev, otelcol-audit, auditgen
// and auditctl, as an SRE would, and checks what landed.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/proc"
)

// binDir holds otelcol-audit, esdev, auditgen and auditctl. `make test` builds
// them and passes AUDITPIPE_BIN_DIR; a plain `go test` builds them here.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	binDir = os.Getenv("AUDITPIPE_BIN_DIR")
	if binDir == "" {
		dir, err := os.MkdirTemp("", "auditpipe-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "AUDITPIPE_BIN_DIR is not set: building the binaries into", dir)
		if err := buildBinaries(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		binDir = dir
	}
	return m.Run()
}

func buildBinaries(dir string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	for _, b := range []struct{ wd, pkg string }{
		{root, "./cmd/esdev"}, {root, "./cmd/auditgen"}, {root, "./cmd/auditctl"},
		{filepath.Join(root, "cmd", "otelcol-audit"), "."},
	} {
		out := filepath.Join(dir, filepath.Base(filepath.Join(b.wd, b.pkg)))
		cmd := exec.Command("go", "build", "-o", out, b.pkg)
		cmd.Dir = b.wd
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.pkg, err, msg)
		}
	}
	return nil
}

func bin(name string) string { return filepath.Join(binDir, name) }

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := proc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// process is a started binary whose log is printed when the test fails.
type process struct {
	*proc.Process
	t *testing.T
}

func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	return startEnv(t, name, nil, args...)
}

// startEnv starts name with env added to the test's environment.
func startEnv(t *testing.T, name string, env []string, args ...string) *process {
	t.Helper()
	pp, err := proc.Start(t.TempDir(), bin(name), env, args...)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{Process: pp, t: t}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			p.dumpLog()
		}
	})
	return p
}

// stop asks the process to shut down cleanly and waits for it.
func (p *process) stop() {
	if err := p.Stop(30 * time.Second); err != nil {
		p.t.Error(err)
	}
}

func (p *process) dumpLog() {
	text := p.LogText()
	if len(text) > 8000 {
		text = "…" + text[len(text)-8000:]
	}
	p.t.Logf("---- %s log (%s) ----\n%s", p.Name, p.Log, text)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s (last: %s)", what, within, last)
}

func waitHTTP(t *testing.T, url string, within time.Duration) {
	t.Helper()
	eventually(t, within, "GET "+url, func() (bool, string) {
		resp, err := http.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode < 500, resp.Status
	})
}

// esClient speaks to esdev (or Elasticsearch) over plain HTTP: the tests check
// the store itself, not our query layer.
type esClient struct{ url string }

func (c esClient) do(method, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.url+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c esClient) count(index string, query map[string]any) (int, error) {
	var out struct {
		Count int `json:"count"`
	}
	var body any
	if query != nil {
		body = map[string]any{"query": query}
	}
	if err := c.do(http.MethodPost, "/"+index+"/_count", body, &out); err != nil {
		return 0, err
	}
	return out.Count, nil
}
