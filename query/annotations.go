package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Annotation is a comment or tags added to a stored event afterwards. It is
// kept in its own index: the audit document itself is never changed.
type Annotation struct {
	ID      string    `json:"id"`
	EventID string    `json:"event_id"`
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Comment string    `json:"comment"`
	Tags    []string  `json:"tags"`
}

// DefaultAnnotationsIndex holds annotations unless configured otherwise.
const DefaultAnnotationsIndex = "audit-annotations"

// AddAnnotation stores a; the document id is a.ID. It waits for a refresh
// so the annotation shows at once with its event.
func (c *Client) AddAnnotation(ctx context.Context, index string, a Annotation) error {
	if err := c.ensureAnnotationsIndex(ctx, index); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodPut, "/"+url.PathEscape(index)+"/_doc/"+url.PathEscape(a.ID)+"?refresh=wait_for", a)
	if err != nil {
		return fmt.Errorf("store annotation: %w", err)
	}
	return nil
}

// Annotations returns the annotations of an event, oldest first. A missing
// annotations index means none.
func (c *Client) Annotations(ctx context.Context, index, eventID string) ([]Annotation, error) {
	res, err := c.search(ctx, index, DSL{
		"size":  MaxLimit,
		"query": DSL{"term": DSL{"event_id": eventID}},
		"sort":  []any{DSL{"time": DSL{"order": "asc"}}},
	})
	if err != nil {
		return nil, fmt.Errorf("read annotations: %w", err)
	}
	out := make([]Annotation, 0, len(res.Hits.Hits))
	for _, h := range res.Hits.Hits {
		var a Annotation
		if err := json.Unmarshal(h.Source, &a); err != nil {
			return nil, fmt.Errorf("decode annotation %s: %w", h.ID, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// annotationsMapping keeps event_id a keyword: a dynamically mapped text
// field would be analysed and never match its exact id.
var annotationsMapping = DSL{"mappings": DSL{"properties": DSL{
	"id":       DSL{"type": "keyword"},
	"event_id": DSL{"type": "keyword"},
	"time":     DSL{"type": "date"},
	"user":     DSL{"type": "keyword"},
	"comment":  DSL{"type": "text"},
	"tags":     DSL{"type": "keyword"},
}}}

func (c *Client) ensureAnnotationsIndex(ctx context.Context, index string) error {
	_, err := c.do(ctx, http.MethodPut, "/"+url.PathEscape(index), annotationsMapping)
	var re *ResponseError
	if errors.As(err, &re) && re.Status == http.StatusBadRequest && re.Type == "resource_already_exists_exception" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create annotations index %s: %w", index, err)
	}
	return nil
}
