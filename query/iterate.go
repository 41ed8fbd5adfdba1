package query

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/auditpipe/auditpipe/semconv"
)

// IteratePageSize is the number of hits fetched per request by Iterate.
const IteratePageSize = 1000

// ErrStop ends an Iterate early without error when returned by its callback.
var ErrStop = errors.New("stop iteration")

// Iterate calls fn with every event matching q in r, in q.Sort order, one
// page in memory at a time, so exports of any size run in constant memory.
// It reads through a point in time when the server supports one (a
// consistent snapshot), and falls back to plain search_after when _pit is
// refused. maxRows > 0 stops after that many events.
func (c *Client) Iterate(ctx context.Context, q Query, r TimeRange, maxRows int, fn func(semconv.Event) error) error {
	q.Limit = IteratePageSize
	if err := q.Normalize(); err != nil {
		return err
	}
	pit, err := c.openPIT(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if pit != "" {
			c.closePIT(context.WithoutCancel(ctx), pit)
		}
	}()
	var after []any
	rows := 0
	for {
		body := SearchDSL(q, r, after)
		body["size"] = IteratePageSize
		index := c.index
		if pit != "" {
			body["pit"] = DSL{"id": pit, "keep_alive": "2m"}
			index = ""
		}
		res, err := c.search(ctx, index, body)
		if err != nil {
			return err
		}
		if res.PitID != "" && pit != "" {
			pit = res.PitID
		}
		for _, h := range res.Hits.Hits {
			e, err := DecodeSource(h.Source)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
			rows++
			if maxRows > 0 && rows >= maxRows {
				return nil
			}
		}
		if len(res.Hits.Hits) < IteratePageSize {
			return nil
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
		if len(after) == 0 {
			return fmt.Errorf("elasticsearch returned hits without sort values; cannot page")
		}
	}
}

// openPIT opens a point in time, or returns "" when the server has none
// (older Elasticsearch, OpenSearch, esdev without PIT answer 400/404/405).
func (c *Client) openPIT(ctx context.Context) (string, error) {
	raw, err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(c.index)+"/_pit?keep_alive=2m", nil)
	var re *ResponseError
	if errors.As(err, &re) && re.Status >= 400 && re.Status < 500 && re.Status != http.StatusUnauthorized {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := decodeJSON(raw, &res); err != nil {
		return "", fmt.Errorf("decode point in time: %w", err)
	}
	return res.ID, nil
}

func (c *Client) closePIT(ctx context.Context, id string) {
	// Best effort: an unclosed PIT expires by itself after keep_alive.
	_, _ = c.do(ctx, http.MethodDelete, "/_pit", DSL{"id": id})
}
