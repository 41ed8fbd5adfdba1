package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/models"
	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/semconv"
)

// TypeAnnotations is the query type of dashboard annotations: critical
// events (or whatever the query's filters select) as annotation frames.
const TypeAnnotations = "annotations"

// Masked replaces values a user may not see in clear.
const Masked = "•••"

// QueryData answers each query on its own: a bad query gets its own error
// response and the others still answer.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	res := backend.NewQueryDataResponse()
	masked := !models.RoleAtLeast(userRole(req.PluginContext.User), d.settings.UnmaskRole)
	for _, q := range req.Queries {
		res.Responses[q.RefID] = d.query(ctx, q, masked)
	}
	return res, nil
}

func (d *Datasource) query(ctx context.Context, dq backend.DataQuery, masked bool) backend.DataResponse {
	var q query.Query
	if len(dq.JSON) > 0 {
		if err := json.Unmarshal(dq.JSON, &q); err != nil {
			return backend.ErrDataResponse(backend.StatusBadRequest, "invalid query JSON: "+err.Error())
		}
	}
	if dq.QueryType != "" && q.Type == "" {
		q.Type = dq.QueryType
	}
	r := query.TimeRange{From: dq.TimeRange.From, To: dq.TimeRange.To}
	var (
		frames data.Frames
		err    error
	)
	if q.Type == TypeAnnotations {
		frames, err = d.annotations(ctx, q, r)
	} else {
		if err := q.Normalize(); err != nil {
			return backend.ErrDataResponse(backend.StatusBadRequest, err.Error())
		}
		switch q.Type {
		case query.TypeSearch:
			frames, err = d.search(ctx, q, r, masked)
		case query.TypeTimeline:
			frames, err = d.timeline(ctx, q, r, dq)
		case query.TypeFacets:
			frames, err = d.facets(ctx, q, r)
		case query.TypeStats:
			frames, err = d.stat(ctx, q, r)
		}
	}
	if err != nil {
		return errorResponse(err)
	}
	return backend.DataResponse{Frames: frames}
}

// errorResponse maps query-layer errors to statuses: the user's mistake is
// a 400, an unreachable or failing Elasticsearch a 502.
func errorResponse(err error) backend.DataResponse {
	switch {
	case errors.Is(err, query.ErrInvalidQuery):
		return backend.ErrDataResponse(backend.StatusBadRequest, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return backend.ErrDataResponse(backend.StatusTimeout, err.Error())
	}
	return backend.ErrDataResponse(backend.StatusBadGateway, err.Error())
}

func (d *Datasource) search(ctx context.Context, q query.Query, r query.TimeRange, masked bool) (data.Frames, error) {
	page, err := d.client.Search(ctx, q, r, q.Cursor)
	if err != nil {
		return nil, err
	}
	frame := LogFrame(q.RefID, page.Events, masked)
	if page.NextCursor != "" {
		frame.Meta.Custom = map[string]any{"nextCursor": page.NextCursor}
	}
	return data.Frames{frame}, nil
}

// LogFrame is the contract's search frame: a log-lines frame whose first
// five fields Grafana's logs panel reads, then columns for tables.
func LogFrame(name string, events []semconv.Event, masked bool) *data.Frame {
	n := len(events)
	times := make([]time.Time, n)
	cols := map[string][]string{}
	names := []string{"body", "severity", "id", "actor", "action", "module", "ip", "old", "new",
		"changed_fields", "comment", "tags"}
	for _, c := range names {
		cols[c] = make([]string, n)
	}
	labels := make([]json.RawMessage, n)
	for i, e := range events {
		if masked {
			e = Mask(e)
		}
		times[i] = e.Timestamp
		cols["body"][i] = LogLine(e)
		cols["severity"][i] = e.Severity
		cols["id"][i] = e.ID
		cols["actor"][i] = actorLabel(e)
		cols["action"][i] = e.Action
		cols["module"][i] = e.Module
		cols["ip"][i] = e.ClientAddress
		cols["old"][i] = e.OldValue
		cols["new"][i] = e.NewValue
		cols["changed_fields"][i] = strings.Join(e.ChangeFields, ", ")
		cols["comment"][i] = e.Comment
		cols["tags"][i] = strings.Join(e.Tags, ", ")
		labels[i], _ = json.Marshal(map[string]string{"module": e.Module, "action": e.Action,
			"category": e.Category, "outcome": e.Outcome, "tenant": e.Tenant})
	}
	fields := []*data.Field{
		data.NewField("timestamp", nil, times),
		data.NewField("body", nil, cols["body"]),
		data.NewField("severity", nil, cols["severity"]),
		data.NewField("id", nil, cols["id"]),
		data.NewField("labels", nil, labels),
	}
	for _, c := range names[3:] {
		fields = append(fields, data.NewField(c, nil, cols[c]))
	}
	frame := data.NewFrame(name, fields...)
	frame.Meta = &data.FrameMeta{Type: data.FrameTypeLogLines, TypeVersion: data.FrameTypeVersion{0, 0},
		PreferredVisualization: data.VisTypeLogs}
	return frame
}

// LogLine is the body of a log line: the event's own sentence, or one
// built from who did what to what.
func LogLine(e semconv.Event) string {
	if e.Body != "" {
		return e.Body
	}
	line := actorLabel(e) + " " + e.Action
	if e.TargetID != "" {
		line += " " + strings.TrimSpace(e.TargetType+" "+e.TargetID)
	}
	if e.Outcome != "" && e.Outcome != semconv.OutcomeSuccess {
		line += " (" + e.Outcome + ")"
	}
	return line
}

func actorLabel(e semconv.Event) string {
	if e.ActorName != "" {
		return e.ActorName
	}
	return e.ActorID
}

// Mask hides the values only privileged roles may read: the before and
// after values, the diff and the free-text comment. Who, what, when and
// where stay visible, which is what a Viewer investigates with.
func Mask(e semconv.Event) semconv.Event {
	for _, v := range []*string{&e.OldValue, &e.NewValue, &e.ChangeDiff, &e.Comment} {
		if *v != "" {
			*v = Masked
		}
	}
	return e
}

func (d *Datasource) timeline(ctx context.Context, q query.Query, r query.TimeRange, dq backend.DataQuery) (data.Frames, error) {
	interval, err := query.ParseInterval(q.Interval)
	if err != nil {
		return nil, err
	}
	if interval == 0 {
		interval = dq.Interval
		// Never more buckets than Grafana asked for points.
		if maxPoints := int(dq.MaxDataPoints); maxPoints > 0 {
			if auto := query.AutoInterval(r, maxPoints); auto > interval {
				interval = auto
			}
		}
		if interval < time.Second {
			interval = query.AutoInterval(r, 1000)
		}
	}
	series, err := d.client.Timeline(ctx, q, r, interval)
	if err != nil {
		return nil, err
	}
	frames := make(data.Frames, 0, len(series))
	for _, s := range series {
		times := make([]time.Time, len(s.Points))
		counts := make([]float64, len(s.Points))
		for i, p := range s.Points {
			times[i], counts[i] = p.Time, float64(p.Count)
		}
		var labels data.Labels
		if q.SplitBy != "" {
			labels = data.Labels{q.SplitBy: s.Split}
		}
		frame := data.NewFrame("count", data.NewField("time", nil, times), data.NewField("count", labels, counts))
		frame.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		frames = append(frames, frame)
	}
	return frames, nil
}

func (d *Datasource) facets(ctx context.Context, q query.Query, r query.TimeRange) (data.Frames, error) {
	buckets, err := d.client.Facets(ctx, q, r)
	if err != nil {
		return nil, err
	}
	values := make([]string, len(buckets))
	counts := make([]float64, len(buckets))
	for i, b := range buckets {
		values[i], counts[i] = b.Value, float64(b.Count)
	}
	return data.Frames{data.NewFrame(q.FacetField,
		data.NewField("value", nil, values), data.NewField("count", nil, counts))}, nil
}

func (d *Datasource) stat(ctx context.Context, q query.Query, r query.TimeRange) (data.Frames, error) {
	v, err := d.client.Stat(ctx, q, r)
	if err != nil {
		return nil, err
	}
	return data.Frames{data.NewFrame(q.Stat, data.NewField(q.Stat, nil, []float64{v}))}, nil
}

// annotations returns events as Grafana annotations: by default the
// critical ones, otherwise those the query's text and filters select.
func (d *Datasource) annotations(ctx context.Context, q query.Query, r query.TimeRange) (data.Frames, error) {
	q.Type = query.TypeSearch
	if q.Text == "" && len(q.Filters) == 0 {
		q.Filters = []query.Filter{{Field: "severity", Values: []string{semconv.SeverityCritical}}}
	}
	q.Limit = query.MaxLimit
	if err := q.Normalize(); err != nil {
		return nil, err
	}
	page, err := d.client.Search(ctx, q, r, "")
	if err != nil {
		return nil, err
	}
	n := len(page.Events)
	times := make([]time.Time, n)
	titles := make([]string, n)
	texts := make([]string, n)
	tags := make([][]byte, n)
	for i, e := range page.Events {
		times[i] = e.Timestamp
		titles[i] = e.Action
		texts[i] = fmt.Sprintf("%s (%s, %s)", LogLine(Mask(e)), e.Severity, e.ClientAddress)
		tags[i], _ = json.Marshal(append([]string{e.Module, e.Severity}, e.Tags...))
	}
	tagField := make([]json.RawMessage, n)
	for i := range tags {
		tagField[i] = tags[i]
	}
	return data.Frames{data.NewFrame("annotations",
		data.NewField("time", nil, times), data.NewField("title", nil, titles),
		data.NewField("text", nil, texts), data.NewField("tags", nil, tagField))}, nil
}

func userRole(u *backend.User) string {
	if u == nil {
		return ""
	}
	return u.Role
}
