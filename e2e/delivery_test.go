package e2e

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDelivery sends 100k events, 2% of them malformed, through the real
// pipeline and reconciles esdev with what auditgen says it sent.
func TestDelivery(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})
	secretsFile := filepath.Join(t.TempDir(), "secrets.txt")

	began := time.Now()
	args := append([]string{"-total", "100000", "-malformed", "0.02", "-secrets-out", secretsFile,
		"-concurrency", "4", "-batch", "1000"}, recentWindow()...)
	rep := waitAuditgen(t, goAuditgen(t, c.grpcAddr, args...), 8*time.Minute)

	if rep.Sent.Malformed == 0 || rep.Rejected != rep.Sent.Malformed {
		t.Errorf("receiver rejected %d records; want exactly the %d malformed ones", rep.Rejected, rep.Sent.Malformed)
	}
	assertNoLossNoDuplicate(t, d.es, rep.Sent.Valid, 5*time.Minute)
	elapsed := time.Since(began).Seconds()
	t.Logf("end to end: %d valid events searchable %.1fs after the first was sent (%.0f events/s)",
		rep.Sent.Valid, elapsed, float64(rep.Sent.Valid)/elapsed)

	if got := categoryCounts(t, d.es); !maps.Equal(got, rep.Sent.ByCategory) {
		t.Errorf("stored counts by audit.action.category %v; auditgen sent %v", got, rep.Sent.ByCategory)
	}

	secrets := readSecrets(t, secretsFile)
	export := filepath.Join(t.TempDir(), "export.ndjson")
	if out, code := runTool(t, "auditctl", "export", "-es", d.es.url, "-from", "2h", "-format", "ndjson", "-o", export); code != 0 {
		t.Fatalf("auditctl export exited %d: %s", code, out)
	}
	exported, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(exported), "\n"); lines != rep.Sent.Valid {
		t.Errorf("auditctl export wrote %d events; want %d", lines, rep.Sent.Valid)
	}
	// The export is the authoritative check: it is the documents as stored.
	if found := findSecrets(exported, secrets); len(found) > 0 {
		t.Errorf("%d of %d generator secrets appear in the exported documents, e.g. %q", len(found), len(secrets), found[0])
	}
	// The raw bytes of esdev's data directory also hold bleve's segments and
	// term dictionaries. Bleve compresses stored fields (snappy), so a secret
	// could in principle hide there compressed; the indexed terms are plain,
	// which is what this scan catches in addition to the export check.
	d.stop() // a clean stop flushes everything to the files
	var scanned int64
	err = filepath.WalkDir(d.data, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += int64(len(b))
		if found := findSecrets(b, secrets); len(found) > 0 {
			t.Errorf("%d generator secrets in the raw bytes of %s, e.g. %q", len(found), path, found[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("no secret of %d in %d exported events nor in %d MiB of esdev data", len(secrets), rep.Sent.Valid, scanned>>20)

	d.restart(t)
	if out, code := runTool(t, "auditctl", "verify", "-es", d.es.url, "-from", "2h"); code != 0 {
		t.Errorf("auditctl verify exited %d: %s", code, out)
	}
}

func readSecrets(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatal("auditgen reported no secrets: the redaction check would prove nothing")
	}
	return out
}

// findSecrets returns the secrets that occur in data. It indexes the secrets
// by a fixed-length prefix and scans data once, so thousands of secrets over
// hundreds of MiB stay fast.
func findSecrets(data []byte, secrets []string) []string {
	prefix := len(secrets[0])
	for _, s := range secrets {
		prefix = min(prefix, len(s))
	}
	prefix = min(prefix, 8)
	byPrefix := map[string][]string{}
	for _, s := range secrets {
		byPrefix[s[:prefix]] = append(byPrefix[s[:prefix]], s)
	}
	seen := map[string]bool{}
	var found []string
	for i := 0; i+prefix <= len(data); i++ {
		cands, ok := byPrefix[string(data[i:i+prefix])]
		if !ok {
			continue
		}
		for _, s := range cands {
			if !seen[s] && strings.HasPrefix(string(data[i:min(len(data), i+len(s))]), s) {
				seen[s] = true
				found = append(found, s)
			}
		}
	}
	return found
}
