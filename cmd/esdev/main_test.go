package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
