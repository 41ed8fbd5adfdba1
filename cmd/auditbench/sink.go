package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// acceptingSink is the smallest Elasticsearch the exporter will talk to: it
// answers every setup request with success and every _bulk item with
// "created", indexing nothing. With it the table shows what the collector
// alone can do, separated from the cost of a store.
type acceptingSink struct {
	srv *http.Server
	url string

	mu     sync.Mutex
	docs   int
	last   time.Time            // arrival of the latest bulk request
	probes map[string]time.Time // probe id -> first arrival
}

func startAcceptingSink() (*acceptingSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &acceptingSink{url: "http://" + ln.Addr().String(), probes: map[string]time.Time{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *acceptingSink) close() { _ = s.srv.Close() }

func (s *acceptingSink) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/_bulk"):
		s.serveBulk(w, r)
	case r.URL.Path == "/":
		_, _ = io.WriteString(w, `{"name":"auditbench-sink","version":{"number":"8.19.0"},"tagline":"You Know, for Search"}`)
	default:
		_, _ = io.WriteString(w, `{"acknowledged":true}`)
	}
}

func (s *acceptingSink) serveBulk(w http.ResponseWriter, r *http.Request) {
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	actions, probes, err := scanBulk(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now()
	s.mu.Lock()
	s.docs += actions
	s.last = now
	for _, id := range probes {
		if _, seen := s.probes[id]; !seen {
			s.probes[id] = now
		}
	}
	s.mu.Unlock()

	var out bytes.Buffer
	out.WriteString(`{"took":0,"errors":false,"items":[`)
	for i := range actions {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`{"create":{"status":201,"result":"created"}}`)
	}
	out.WriteString(`]}`)
	_, _ = w.Write(out.Bytes())
}

// scanBulk counts the actions of an NDJSON bulk body (every create or index
// action line is followed by its document) and returns the ids of probe
// events among them.
func scanBulk(r io.Reader) (actions int, probes []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	isAction := true
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if isAction {
			actions++
			if id, ok := probeID(line); ok {
				probes = append(probes, id)
			}
		}
		isAction = !isAction
	}
	return actions, probes, sc.Err()
}

// probeID finds a probe's id in an action line such as
// {"create":{"_index":"logs-audit-default","_id":"auditbench-probe-7"}}.
func probeID(action []byte) (string, bool) {
	const key = `"_id":"` + probeIDPrefix
	i := bytes.Index(action, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := action[i+len(`"_id":"`):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// delivered returns the documents accepted so far and when the latest
// arrived.
func (s *acceptingSink) delivered() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.docs, s.last
}

// probeSeen reports when the probe first arrived.
func (s *acceptingSink) probeSeen(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.probes[id]
	return t, ok
}
