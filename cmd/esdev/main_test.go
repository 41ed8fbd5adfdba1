package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/esdev"
)

func TestServeLogsAddressAndFlushesOnShutdown(t *testing.T) {
	dir := t.TempDir()
	srv, err := esdev.New(esdev.Config{DataDir: dir, RefreshInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, srv, "127.0.0.1:0", pw) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(line)[3]
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("ready line = %q", line)
	}
	resp, err := http.Post(url+"/logs/_doc/1", "application/json", strings.NewReader(`{"a":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("index: %d", resp.StatusCode)
	}
	cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	// The write survived the shutdown.
	again, err := esdev.New(esdev.Config{DataDir: dir, RefreshInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ts := httptestServer(t, again)
	resp, err = http.Get(ts + "/logs/_doc/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("document lost after shutdown: %d", resp.StatusCode)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	if err := run([]string{"-fault-reject-items", "2", "-data", t.TempDir()}); err == nil {
		t.Fatal("ratio 2 accepted")
	}
	if err := run([]string{"-nope"}); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func httptestServer(t *testing.T, srv *esdev.Server) string {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

const envChildArgs = "ESDEV_TEST_CHILD_ARGS"

// TestKilledProcessKeepsAcknowledgedWrites SIGKILLs a real esdev process
// right after its writes were answered: no shutdown, no flush. A new esdev
// on the same data directory must hold every acknowledged write.
func TestKilledProcessKeepsAcknowledgedWrites(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEsdevChildProcess$")
	cmd.Env = append(os.Environ(), envChildArgs+"=-addr 127.0.0.1:0 -refresh -1s -data "+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.Fields(line)[3]

	const docs = 1000
	var bulk strings.Builder
	for i := range docs {
		fmt.Fprintf(&bulk, "{\"create\":{\"_id\":\"%d\"}}\n{\"n\":%d}\n", i, i)
	}
	post(t, http.MethodPost, url+"/logs/_bulk", bulk.String(), 200)
	post(t, http.MethodDelete, url+"/logs/_doc/7", "", 200)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	again, err := esdev.New(esdev.Config{DataDir: dir, RefreshInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ts := httptestServer(t, again)
	post(t, http.MethodPost, ts+"/logs/_refresh", "", 200)
	var res struct{ Count int }
	if err := json.Unmarshal(post(t, http.MethodPost, ts+"/logs/_count", "", 200), &res); err != nil {
		t.Fatal(err)
	}
	if res.Count != docs-1 {
		t.Fatalf("after SIGKILL: %d documents, want the %d acknowledged", res.Count, docs-1)
	}
}

// TestEsdevChildProcess is the esdev process of
// TestKilledProcessKeepsAcknowledgedWrites.
func TestEsdevChildProcess(t *testing.T) {
	args := os.Getenv(envChildArgs)
	if args == "" {
		t.Skip("helper process of TestKilledProcessKeepsAcknowledgedWrites; runs only as its child")
	}
	if err := run(strings.Fields(args)); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, method, url, body string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	return raw
}
