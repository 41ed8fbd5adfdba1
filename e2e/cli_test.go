package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDistributionCommands checks what an SRE sees of the binary before
// running it: the components it carries and that the shipped configs load.
func TestDistributionCommands(t *testing.T) {
	out, code := runTool(t, "otelcol-audit", "components")
	if code != 0 {
		t.Fatalf("otelcol-audit components exited %d: %s", code, out)
	}
	listing := parseComponents(out)
	want := map[string][]string{
		"receivers":  {"audit", "otlp"},
		"processors": {"audit", "memory_limiter"},
		"exporters":  {"audit_elasticsearch", "audit_alert", "debug"},
		"extensions": {"health_check", "zpages", "pprof", "file_storage"},
	}
	for kind, names := range want {
		for _, name := range names {
			found := false
			for _, c := range listing[kind] {
				if c.name != name {
					continue
				}
				found = true
				if len(c.stability) == 0 {
					t.Errorf("%s %s is listed without a stability", kind, name)
				}
				t.Logf("%s %s: %s", kind, name, strings.Join(c.stability, ", "))
			}
			if !found {
				t.Errorf("otelcol-audit components lacks %s %s", kind, name)
			}
		}
	}

	configs, err := filepath.Abs(filepath.Join("..", "cmd", "otelcol-audit"))
	if err != nil {
		t.Fatal(err)
	}
	// The production example reads its secrets from the environment.
	secrets := []string{"AUDITPIPE_REDACTION_KEY=k", "ELASTICSEARCH_API_KEY=k", "SMTP_PASSWORD=p",
		"TELEGRAM_BOT_TOKEN=123:abc", "SLACK_BOT_TOKEN=xoxb-1", "WEBHOOK_HMAC_SECRET=s"}
	for _, name := range []string{"config.yaml", "config.production.yaml"} {
		cmd := exec.Command(bin("otelcol-audit"), "validate", "--config", filepath.Join(configs, name))
		cmd.Env = append(os.Environ(), secrets...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("otelcol-audit validate --config %s: %v\n%s", name, err, out)
		}
	}
}

type component struct {
	name      string
	stability []string // "logs: Alpha", "extension: Beta"
}

// parseComponents reads the YAML listing of `otelcol-audit components` by
// its fixed layout: a section per kind, "- name:" per component, then its
// stability lines.
func parseComponents(out string) map[string][]component {
	listing := map[string][]component{}
	kind, inStability := "", false
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
		case !strings.HasPrefix(line, " "):
			kind, _, _ = strings.Cut(trimmed, ":")
		case strings.HasPrefix(trimmed, "- name: "):
			listing[kind] = append(listing[kind], component{name: strings.TrimPrefix(trimmed, "- name: ")})
			inStability = false
		case trimmed == "stability:":
			inStability = true
		case inStability && strings.HasPrefix(line, "        ") && len(listing[kind]) > 0:
			c := &listing[kind][len(listing[kind])-1]
			c.stability = append(c.stability, trimmed)
		default:
			inStability = false
		}
	}
	return listing
}

// inNamespaceEnv marks the re-executed test binary running inside a private
// network namespace.
const inNamespaceEnv = "AUDITPIPE_E2E_IN_NETNS"

// TestNoArgumentRunUsesEmbeddedConfig runs `esdev` and `otelcol-audit` with
// no arguments, as the quick start does: the collector must load its embedded
// default config (OTLP on 127.0.0.1:4317, esdev on 127.0.0.1:9200, state
// under ./data) and deliver events. Those fixed ports may be taken on a
// shared machine, so the test binary re-runs itself in a private network
// namespace (unshare -rn), where 127.0.0.1 is its own.
func TestNoArgumentRunUsesEmbeddedConfig(t *testing.T) {
	if os.Getenv(inNamespaceEnv) != "" {
		quickStartInNamespace(t)
		return
	}
	if out, err := exec.Command("unshare", "-rn", "true").CombinedOutput(); err != nil {
		t.Skipf("the no-argument run binds fixed ports and needs a private network namespace: unshare -rn is not permitted here (%v: %s); allow user namespaces to run it", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "-rn", self, "-test.run=^TestNoArgumentRunUsesEmbeddedConfig$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNamespaceEnv+"=1", "AUDITPIPE_BIN_DIR="+binDir)
	out, err := cmd.CombinedOutput()
	t.Logf("in the network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the no-argument run failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestNoArgumentRunUsesEmbeddedConfig") {
		t.Fatal("the test did not pass inside the namespace")
	}
}

func quickStartInNamespace(t *testing.T) {
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v: %s", err, out)
	}
	t.Chdir(t.TempDir()) // ./data of both defaults lands here
	es := esClient{url: "http://127.0.0.1:9200"}
	start(t, "esdev")
	waitHTTP(t, es.url+"/", 30*time.Second)
	col := start(t, "otelcol-audit")
	waitHealthy(t, "http://127.0.0.1:13133", col)

	rep := waitAuditgen(t, goAuditgen(t, "127.0.0.1:4317", append([]string{"-total", "2000", "-malformed", "0.05"}, recentWindow()...)...), 2*time.Minute)
	requireAllAccepted(t, rep)
	assertNoLossNoDuplicate(t, es, rep.Sent.Valid, 2*time.Minute)
	if _, err := os.Stat(filepath.Join("data", "otelcol")); err != nil {
		t.Errorf("the embedded config keeps state under ./data/otelcol: %v", err)
	}
}
