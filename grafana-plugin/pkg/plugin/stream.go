package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/models"
	"github.com/auditpipe/auditpipe/query"
)

// TailPollInterval is how often a live tail asks for new events.
const TailPollInterval = time.Second

// tailPath is the channel path prefix of live tails: ds/<uid>/tail/<role>[/<key>].
//
// Grafana runs one RunStream per channel and shares it with every
// subscriber, with the plugin context of the first. The role in the path
// decides masking, and SubscribeStream admits only users of that role, so a
// Viewer never joins an Editor's unmasked tail. The frontend puts a hash of
// the query in <key>, so different queries get different channels.
const tailPath = "tail"

// tailRole returns the role segment of a tail channel path.
func tailRole(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, tailPath+"/")
	if !ok {
		return "", false
	}
	role, _, _ := strings.Cut(rest, "/")
	return role, models.ValidRole(role)
}

// SubscribeStream admits users to the tail channels of their own role.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	role, ok := tailRole(req.Path)
	if !ok {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	if role != userRole(req.PluginContext.User) {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
	}
	if len(req.Data) > 0 {
		var q query.Query
		if err := json.Unmarshal(req.Data, &q); err != nil {
			return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
		}
		q.Type = query.TypeSearch
		if err := q.Normalize(); err != nil {
			return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusPermissionDenied}, nil
		}
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses: clients only read audit events.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream pushes events matching the query (req.Data, an AuditQuery) that
// arrive after the stream started, masked as the channel's role requires, polling every TailPollInterval with
// search_after so no event is sent twice.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	var q query.Query
	if len(req.Data) > 0 {
		if err := json.Unmarshal(req.Data, &q); err != nil {
			return err
		}
	}
	q.Type, q.Sort, q.Limit, q.Cursor = query.TypeSearch, "asc", query.MaxLimit, ""
	if err := q.Normalize(); err != nil {
		return err
	}
	role, ok := tailRole(req.Path)
	if !ok {
		return fmt.Errorf("not a tail channel: %s", req.Path)
	}
	masked := !models.RoleAtLeast(role, d.settings.UnmaskRole)
	from := d.now().UTC()
	cursor := ""
	ticker := d.newTicker(TailPollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
		}
		r := query.TimeRange{From: from, To: d.now().UTC()}
		// Drain: a burst larger than one page goes out in several frames.
		for {
			page, err := d.client.Search(ctx, q, r, cursor)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				d.logger.Warn("live tail poll failed", "error", err)
				break
			}
			if len(page.Events) == 0 {
				break
			}
			if err := sender.SendFrame(LogFrame("tail", page.Events, masked), data.IncludeAll); err != nil {
				return err
			}
			last := page.Events[len(page.Events)-1]
			cursor = query.EncodeCursor([]any{last.Timestamp.UnixMilli(), last.ID})
			if page.NextCursor == "" {
				break
			}
		}
	}
}
