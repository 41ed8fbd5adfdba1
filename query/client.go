package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"

	"github.com/auditpipe/auditpipe/internal/esclient"
	"github.com/auditpipe/auditpipe/semconv"
)

// DefaultIndex is the index pattern of auditpipe's audit data streams.
const DefaultIndex = "logs-audit-*"

// Errors a caller may want to tell apart.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnreachable  = errors.New("elasticsearch is unreachable")
	ErrUnauthorized = errors.New("elasticsearch rejected the credentials")
	ErrNoData       = errors.New("no audit data stream matches the index pattern")
)

// Config says how to reach Elasticsearch.
type Config struct {
	Addresses []string
	Username  string
	Password  string
	APIKey    string
	// Index is the index pattern queries read (default DefaultIndex).
	Index string
	// Transport carries TLS settings; nil uses http.DefaultTransport.
	Transport http.RoundTripper
}

// Client runs audit queries against Elasticsearch (or esdev).
type Client struct {
	es    *elastictransport.Client
	index string
}

// New returns a client; it does not contact the server.
func New(cfg Config) (*Client, error) {
	es, err := esclient.New(esclient.Config{
		Addresses: cfg.Addresses,
		Username:  cfg.Username,
		Password:  cfg.Password,
		APIKey:    cfg.APIKey,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, err
	}
	index := cfg.Index
	if index == "" {
		index = DefaultIndex
	}
	return &Client{es: es, index: index}, nil
}

// Index returns the index pattern the client reads.
func (c *Client) Index() string { return c.index }

// ResponseError is an error answer of Elasticsearch.
type ResponseError struct {
	Status int
	Type   string
	Reason string
}

func (e *ResponseError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("elasticsearch answered %d", e.Status)
	}
	return fmt.Sprintf("elasticsearch answered %d: %s: %s", e.Status, e.Type, e.Reason)
}

// Is makes a 400 (a query Elasticsearch cannot parse) an invalid query and
// a 404 a missing thing.
func (e *ResponseError) Is(target error) bool {
	switch target {
	case ErrInvalidQuery:
		return e.Status == http.StatusBadRequest
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}

// do sends one request and returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, reader)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.es.Perform(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read elasticsearch answer: %w", err)
	}
	if res.StatusCode >= 300 {
		return nil, responseError(res.StatusCode, raw)
	}
	return raw, nil
}

func responseError(status int, raw []byte) error {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	re := &ResponseError{Status: status}
	if json.Unmarshal(raw, &body) == nil && len(body.Error) > 0 {
		var detail struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		}
		if json.Unmarshal(body.Error, &detail) == nil {
			re.Type, re.Reason = detail.Type, detail.Reason
			if len(detail.RootCause) > 0 && detail.RootCause[0].Reason != "" {
				re.Type, re.Reason = detail.RootCause[0].Type, detail.RootCause[0].Reason
			}
		} else {
			re.Reason = strings.Trim(string(body.Error), `"`)
		}
	}
	return re
}

type searchResponse struct {
	PitID string `json:"pit_id"`
	Hits  struct {
		Total struct {
			Value int64 `json:"value"`
		} `json:"total"`
		Hits []hit `json:"hits"`
	} `json:"hits"`
	Aggregations json.RawMessage `json:"aggregations"`
}

type hit struct {
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
	Sort   []any           `json:"sort"`
}

func (c *Client) search(ctx context.Context, index string, body DSL) (*searchResponse, error) {
	path := "/_search"
	if index != "" {
		path = "/" + url.PathEscape(index) + "/_search"
	}
	raw, err := c.do(ctx, http.MethodPost, path+"?ignore_unavailable=true&allow_no_indices=true", body)
	if err != nil {
		return nil, err
	}
	var res searchResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // sort values go back verbatim as search_after
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("decode search answer: %w", err)
	}
	return &res, nil
}

// Page is one page of search results.
type Page struct {
	Events []semconv.Event
	// NextCursor continues after the last event; "" on the last page.
	NextCursor string
}

// Search returns the page after cursor ("" for the first page).
func (c *Client) Search(ctx context.Context, q Query, r TimeRange, cursor string) (Page, error) {
	if err := q.Normalize(); err != nil {
		return Page{}, err
	}
	after, err := DecodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	res, err := c.search(ctx, c.index, SearchDSL(q, r, after))
	if err != nil {
		return Page{}, err
	}
	hits := res.Hits.Hits
	var page Page
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		page.NextCursor = EncodeCursor(hits[len(hits)-1].Sort)
	}
	page.Events = make([]semconv.Event, 0, len(hits))
	for _, h := range hits {
		e, err := DecodeSource(h.Source)
		if err != nil {
			return Page{}, err
		}
		page.Events = append(page.Events, e)
	}
	return page, nil
}

// Point is one bucket of a timeline.
type Point struct {
	Time  time.Time
	Count int64
}

// Series is a timeline, for one split value ("" when not split).
type Series struct {
	Split  string
	Points []Point
}

type histogram struct {
	Buckets []struct {
		Key      int64 `json:"key"`
		DocCount int64 `json:"doc_count"`
	} `json:"buckets"`
}

type termsAgg struct {
	Buckets []struct {
		Key         any       `json:"key"`
		KeyAsString string    `json:"key_as_string"`
		DocCount    int64     `json:"doc_count"`
		Timeline    histogram `json:"timeline"`
	} `json:"buckets"`
}

// MaxSplits bounds the number of series of a split timeline.
const MaxSplits = 20

// Timeline counts events per interval (0 picks one for ~1000 buckets).
func (c *Client) Timeline(ctx context.Context, q Query, r TimeRange, interval time.Duration) ([]Series, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = AutoInterval(r, 1000)
	}
	res, err := c.search(ctx, c.index, TimelineDSL(q, r, interval, MaxSplits))
	if err != nil {
		return nil, err
	}
	var aggs struct {
		Timeline histogram `json:"timeline"`
		Split    termsAgg  `json:"split"`
	}
	if err := json.Unmarshal(res.Aggregations, &aggs); err != nil {
		return nil, fmt.Errorf("decode timeline: %w", err)
	}
	if q.SplitBy == "" {
		return []Series{{Points: points(aggs.Timeline)}}, nil
	}
	out := make([]Series, 0, len(aggs.Split.Buckets))
	for _, b := range aggs.Split.Buckets {
		out = append(out, Series{Split: bucketKey(b.Key, b.KeyAsString), Points: points(b.Timeline)})
	}
	return out, nil
}

func points(h histogram) []Point {
	out := make([]Point, len(h.Buckets))
	for i, b := range h.Buckets {
		out[i] = Point{Time: time.UnixMilli(b.Key).UTC(), Count: b.DocCount}
	}
	return out
}

func bucketKey(key any, asString string) string {
	if asString != "" {
		return asString
	}
	switch k := key.(type) {
	case string:
		return k
	case nil:
		return ""
	}
	return fmt.Sprint(key)
}

// Bucket is one value of a field and how many events carry it.
type Bucket struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Facets returns the most frequent values of q.FacetField.
func (c *Client) Facets(ctx context.Context, q Query, r TimeRange) ([]Bucket, error) {
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	res, err := c.search(ctx, c.index, FacetsDSL(q, r))
	if err != nil {
		return nil, err
	}
	var aggs struct {
		Facet termsAgg `json:"facet"`
	}
	if err := json.Unmarshal(res.Aggregations, &aggs); err != nil {
		return nil, fmt.Errorf("decode facets: %w", err)
	}
	out := make([]Bucket, 0, len(aggs.Facet.Buckets))
	for _, b := range aggs.Facet.Buckets {
		out = append(out, Bucket{Value: bucketKey(b.Key, b.KeyAsString), Count: b.DocCount})
	}
	return out, nil
}

// FieldValues lists values of a filter field starting with prefix, most
// frequent first, for editors and template variables.
func (c *Client) FieldValues(ctx context.Context, field, prefix string, r TimeRange, size int) ([]Bucket, error) {
	if size <= 0 {
		size = 20
	}
	// Ask for more buckets than needed: the prefix is applied to the
	// buckets here, which works on every field type (ip included).
	q := Query{Type: TypeFacets, FacetField: field, Size: MaxLimit}
	buckets, err := c.Facets(ctx, q, r)
	if err != nil {
		return nil, err
	}
	out := buckets[:0]
	for _, b := range buckets {
		if strings.HasPrefix(strings.ToLower(b.Value), strings.ToLower(prefix)) {
			out = append(out, b)
			if len(out) == size {
				break
			}
		}
	}
	return out, nil
}

// Stat computes the single number q.Stat names.
func (c *Client) Stat(ctx context.Context, q Query, r TimeRange) (float64, error) {
	if err := q.Normalize(); err != nil {
		return 0, err
	}
	res, err := c.search(ctx, c.index, StatsDSL(q, r))
	if err != nil {
		return 0, err
	}
	if q.Stat == StatCount {
		return float64(res.Hits.Total.Value), nil
	}
	var aggs struct {
		Stat struct {
			Value    float64 `json:"value"`
			DocCount int64   `json:"doc_count"`
		} `json:"stat"`
	}
	if err := json.Unmarshal(res.Aggregations, &aggs); err != nil {
		return 0, fmt.Errorf("decode stat: %w", err)
	}
	if q.Stat == StatActors {
		return aggs.Stat.Value, nil
	}
	return float64(aggs.Stat.DocCount), nil
}

// Event returns the event with the given id.
func (c *Client) Event(ctx context.Context, id string) (semconv.Event, error) {
	res, err := c.search(ctx, c.index, DSL{"size": 1, "query": DSL{"term": DSL{IDField: id}}})
	if err != nil {
		return semconv.Event{}, err
	}
	if len(res.Hits.Hits) == 0 {
		return semconv.Event{}, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	return DecodeSource(res.Hits.Hits[0].Source)
}

// Health checks, in order, that Elasticsearch answers, accepts the
// credentials and holds audit data; the error says which failed.
func (c *Client) Health(ctx context.Context) error {
	if _, err := c.do(ctx, http.MethodGet, "/", nil); err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return fmt.Errorf("%w: %v", ErrUnauthorized, err)
		}
		return err
	}
	raw, err := c.do(ctx, http.MethodGet, "/"+url.PathEscape(c.index)+"/_search?size=0&allow_no_indices=true&ignore_unavailable=true", nil)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return fmt.Errorf("%w to read %s: %v", ErrUnauthorized, c.index, err)
		}
		return err
	}
	var res struct {
		Shards struct {
			Total int `json:"total"`
		} `json:"_shards"`
		Hits struct {
			Total struct {
				Value int64 `json:"value"`
			} `json:"total"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("decode search answer: %w", err)
	}
	if res.Shards.Total == 0 && res.Hits.Total.Value == 0 {
		return fmt.Errorf("%w %q", ErrNoData, c.index)
	}
	return nil
}

// ChainEvent returns the event stored at position seq of a chain stream.
func (c *Client) ChainEvent(ctx context.Context, stream string, seq int64) (semconv.Event, error) {
	res, err := c.search(ctx, c.index, DSL{"size": 1, "query": DSL{"bool": DSL{"filter": []any{
		DSL{"term": DSL{"audit.chain.stream": stream}},
		DSL{"term": DSL{"audit.chain.seq": seq}},
	}}}})
	if err != nil {
		return semconv.Event{}, err
	}
	if len(res.Hits.Hits) == 0 {
		return semconv.Event{}, fmt.Errorf("chain %q position %d: %w", stream, seq, ErrNotFound)
	}
	return DecodeSource(res.Hits.Hits[0].Source)
}
