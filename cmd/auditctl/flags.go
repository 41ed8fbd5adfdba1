package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/auditpipe/auditpipe/query"
)

var (
	errHelp     = errors.New("help requested")
	errFindings = errors.New("chain verification found tampering")
)

type filterFlags []query.Filter

func (f *filterFlags) String() string { return fmt.Sprint(*f) }

func (f *filterFlags) Set(s string) error {
	filter, err := query.ParseFilter(s)
	if err != nil {
		return err
	}
	*f = append(*f, filter)
	return nil
}

type options struct {
	client  *query.Client
	query   query.Query
	window  query.TimeRange
	format  string
	limit   int
	out     io.Writer
	stderr  io.Writer
	file    *os.File
	now     func() time.Time
	poll    time.Duration
	tick    <-chan time.Time // test seam: replaces the poll ticker
	closed  bool
	maxRows int
}

func (o *options) close() error {
	if o.file == nil || o.closed {
		return nil
	}
	o.closed = true
	return o.file.Close()
}

func parseFlags(cmd string, args []string, stdout, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("auditctl "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	es := fs.String("es", envOr("ELASTICSEARCH_URL", "http://127.0.0.1:9200"), "Elasticsearch URL (comma-separated for several)")
	index := fs.String("index", query.DefaultIndex, "index pattern")
	user := fs.String("user", "", "basic auth user (password from AUDITCTL_PASSWORD)")
	from := fs.String("from", "24h", "start: a duration back from now (24h, 7d) or RFC 3339")
	to := fs.String("to", "now", "end: now, a duration back from now, or RFC 3339")
	text := fs.String("q", "", "Lucene free text, e.g. 'action:bonus.* AND NOT outcome:success'")
	var filters filterFlags
	fs.Var(&filters, "filter", "field=value[,value] or field!=value (repeatable); fields: "+strings.Join(query.FilterFields, ", "))
	sort := fs.String("sort", "", "asc or desc (default desc; asc for export, verify and tail)")
	format := fs.String("format", "csv", "export format: csv, xlsx, json or ndjson")
	limit := fs.Int("limit", 100, "search: number of events to print")
	maxRows := fs.Int("max-rows", 0, "export: stop after this many events (0: all)")
	output := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	now := time.Now().UTC()
	var err error
	o := &options{format: *format, limit: *limit, out: stdout, stderr: stderr, now: time.Now, poll: time.Second, maxRows: *maxRows}
	if o.window.From, err = parseTime(*from, now); err != nil {
		return nil, fmt.Errorf("-from: %w", err)
	}
	if o.window.To, err = parseTime(*to, now); err != nil {
		return nil, fmt.Errorf("-to: %w", err)
	}
	if !o.window.From.Before(o.window.To) {
		return nil, fmt.Errorf("-from %s is not before -to %s", *from, *to)
	}
	o.query = query.Query{Text: *text, Filters: filters, Sort: *sort}
	if o.query.Sort == "" && cmd != "search" {
		o.query.Sort = "asc"
	}
	cfg := query.Config{Addresses: strings.Split(*es, ","), Index: *index, Username: *user, Password: os.Getenv("AUDITCTL_PASSWORD"), APIKey: os.Getenv("AUDITCTL_API_KEY")}
	if o.client, err = query.New(cfg); err != nil {
		return nil, err
	}
	if *output != "" {
		if o.file, err = os.Create(*output); err != nil {
			return nil, err
		}
		o.out = o.file
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// parseTime reads "now", a duration back from now (90m, 24h, 7d) or an
// RFC 3339 time.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "now" || s == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && fmt.Sprint(n) == days {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration (24h, 7d) nor an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}
