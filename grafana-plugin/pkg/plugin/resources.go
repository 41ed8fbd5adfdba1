package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/auditpipe/auditpipe/chain"
	"github.com/auditpipe/auditpipe/grafana-plugin/pkg/models"
	"github.com/auditpipe/auditpipe/query"
	"github.com/auditpipe/auditpipe/query/export"
	"github.com/auditpipe/auditpipe/semconv"
)

// maxBody bounds request bodies of resource calls.
const maxBody = 1 << 20

func (d *Datasource) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fields/{field}/values", d.handleFieldValues)
	mux.HandleFunc("GET /events/{id}", d.handleEvent)
	mux.HandleFunc("POST /events/{id}/annotations", d.handleAnnotate)
	mux.HandleFunc("POST /export", d.handleExport)
	mux.HandleFunc("POST /verify", d.handleVerify)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// writeQueryError answers a query-layer error with the status it deserves.
func writeQueryError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, query.ErrInvalidQuery):
		writeError(w, http.StatusBadRequest, "%v", err)
	case errors.Is(err, query.ErrNotFound):
		writeError(w, http.StatusNotFound, "%v", err)
	default:
		writeError(w, http.StatusBadGateway, "%v", err)
	}
}

func user(r *http.Request) *backend.User {
	if u := backend.UserFromContext(r.Context()); u != nil {
		return u
	}
	return backend.PluginConfigFromContext(r.Context()).User
}

func (d *Datasource) allowed(r *http.Request, required string) bool {
	return models.RoleAtLeast(userRole(user(r)), required)
}

// msRange reads from/to epoch milliseconds; missing means the last 24 h.
func (d *Datasource) msRange(from, to int64) query.TimeRange {
	r := query.TimeRange{To: d.now()}
	if to > 0 {
		r.To = time.UnixMilli(to)
	}
	r.From = r.To.Add(-24 * time.Hour)
	if from > 0 {
		r.From = time.UnixMilli(from)
	}
	return query.TimeRange{From: r.From.UTC(), To: r.To.UTC()}
}

func (d *Datasource) handleFieldValues(w http.ResponseWriter, r *http.Request) {
	field := r.PathValue("field")
	if _, err := query.DocField(field); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	params := r.URL.Query()
	from, _ := strconv.ParseInt(params.Get("from"), 10, 64)
	to, _ := strconv.ParseInt(params.Get("to"), 10, 64)
	size, _ := strconv.Atoi(params.Get("size"))
	values, err := d.client.FieldValues(r.Context(), field, params.Get("prefix"), d.msRange(from, to), size)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": values})
}

// ChainStatus says whether an event's stored hash links to its predecessor.
type ChainStatus struct {
	Status string `json:"status"`
	Detail string `json:"detail"`
}

func (d *Datasource) handleEvent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	e, err := d.client.Event(ctx, r.PathValue("id"))
	if err != nil {
		writeQueryError(w, err)
		return
	}
	annotations, err := d.client.Annotations(ctx, d.settings.AnnotationsIndex, e.ID)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	status := d.chainStatus(ctx, e)
	masked := !d.allowed(r, d.settings.UnmaskRole)
	if masked {
		e = Mask(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"event": e, "annotations": annotations, "chain": status, "masked": masked})
}

// chainStatus re-hashes the event against its stored predecessor.
func (d *Datasource) chainStatus(ctx context.Context, e semconv.Event) ChainStatus {
	if e.ChainSeq == 0 {
		return ChainStatus{Status: "unchained", Detail: "the event carries no chain sequence number"}
	}
	prevHash := ""
	if e.ChainSeq > 1 {
		prev, err := d.client.ChainEvent(ctx, e.ChainStream, e.ChainSeq-1)
		if err != nil {
			return ChainStatus{Status: "unknown", Detail: fmt.Sprintf("predecessor %d of stream %q: %v", e.ChainSeq-1, e.ChainStream, err)}
		}
		prevHash = prev.ChainHash
	}
	if want := chain.Hash(prevHash, e); want != e.ChainHash {
		return ChainStatus{Status: "broken", Detail: fmt.Sprintf("stored hash %.12s… does not match content hash %.12s…", e.ChainHash, want)}
	}
	return ChainStatus{Status: "verified", Detail: fmt.Sprintf("position %d of stream %q links to its predecessor", e.ChainSeq, e.ChainStream)}
}

type annotateRequest struct {
	Comment string   `json:"comment"`
	Tags    []string `json:"tags"`
}

func (d *Datasource) handleAnnotate(w http.ResponseWriter, r *http.Request) {
	if !d.allowed(r, d.settings.AnnotateRole) {
		writeError(w, http.StatusForbidden, "annotating events needs the %s role", d.settings.AnnotateRole)
		return
	}
	var body annotateRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid annotation: %v", err)
		return
	}
	if strings.TrimSpace(body.Comment) == "" && len(body.Tags) == 0 {
		writeError(w, http.StatusBadRequest, "an annotation needs a comment or tags")
		return
	}
	if len(body.Comment) > 4096 || len(body.Tags) > 64 {
		writeError(w, http.StatusBadRequest, "an annotation holds at most 4 KiB of comment and 64 tags")
		return
	}
	ctx := r.Context()
	e, err := d.client.Event(ctx, r.PathValue("id"))
	if err != nil {
		writeQueryError(w, err)
		return
	}
	u := user(r)
	a := query.Annotation{ID: newEventID(), EventID: e.ID, Time: d.now().UTC(), User: userLogin(u),
		Comment: body.Comment, Tags: body.Tags}
	if err := d.selfAudit(ctx, u, "audit_event.annotate", semconv.CategoryDataChange, "audit_event", e.ID,
		body.Comment, body.Tags); err != nil {
		writeError(w, http.StatusServiceUnavailable, "annotation refused: %v", err)
		return
	}
	if err := d.client.AddAnnotation(ctx, d.settings.AnnotationsIndex, a); err != nil {
		writeQueryError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": a.ID})
}

// ExportRequest is the body of the export resource.
type ExportRequest struct {
	Query query.Query `json:"query"`
	From  int64       `json:"from"`
	To    int64       `json:"to"`
}

func (d *Datasource) handleExport(w http.ResponseWriter, r *http.Request) {
	if !d.allowed(r, d.settings.ExportRole) {
		writeError(w, http.StatusForbidden, "exporting needs the %s role", d.settings.ExportRole)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	var body ExportRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid export request: %v", err)
		return
	}
	q := body.Query
	q.Type = query.TypeSearch
	if err := q.Normalize(); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	rng := d.msRange(body.From, body.To)
	// Validate the format before auditing or writing anything.
	if _, err := export.New(format, discard{}); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ctx := r.Context()
	u := user(r)
	described, _ := json.Marshal(map[string]any{"format": format, "query": q,
		"from": semconv.FormatTime(rng.From), "to": semconv.FormatTime(rng.To)})
	if err := d.selfAudit(ctx, u, "report.export", semconv.CategoryExportAccess, "audit_query", d.client.Index(),
		string(described), []string{"grafana", format}); err != nil {
		writeError(w, http.StatusServiceUnavailable, "export refused: %v", err)
		return
	}
	masked := !d.allowed(r, d.settings.UnmaskRole)
	fw := newFlushWriter(w)
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="audit-%s.%s"`,
		rng.From.Format("20060102T150405Z"), format))
	out, _ := export.New(format, fw)
	err := d.client.Iterate(ctx, q, rng, d.settings.ExportMaxRows, func(e semconv.Event) error {
		if masked {
			e = Mask(e)
		}
		return out.Write(e)
	})
	if err != nil {
		// Headers are gone: the truncated file is all we can give; the
		// log says why.
		d.logger.Error("export failed", "format", format, "error", err)
		return
	}
	if err := out.Close(); err != nil {
		d.logger.Error("export failed", "format", format, "error", err)
		return
	}
	fw.Flush()
}

type verifyRequest struct {
	From   int64  `json:"from"`
	To     int64  `json:"to"`
	Stream string `json:"stream"`
}

func (d *Datasource) handleVerify(w http.ResponseWriter, r *http.Request) {
	var body verifyRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid verify request: %v", err)
		return
	}
	q := query.Query{Sort: "asc"}
	if body.Stream != "" {
		q.Filters = []query.Filter{{Field: "stream", Values: []string{body.Stream}}}
	}
	report, err := VerifyRange(r.Context(), d.client, q, d.msRange(body.From, body.To), d.settings.ExportMaxRows)
	if err != nil {
		writeQueryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}

// VerifyRange runs chain.Verify over the events of a range; more than
// maxEvents is refused rather than verified in part.
func VerifyRange(ctx context.Context, c *query.Client, q query.Query, r query.TimeRange, maxEvents int) (chain.Report, error) {
	var events []semconv.Event
	err := c.Iterate(ctx, q, r, 0, func(e semconv.Event) error {
		if maxEvents > 0 && len(events) >= maxEvents {
			return fmt.Errorf("%w: the range holds more than %d events; verify a shorter range", query.ErrInvalidQuery, maxEvents)
		}
		events = append(events, e)
		return nil
	})
	if err != nil {
		return chain.Report{}, err
	}
	report := chain.Verify(events)
	if report.Findings == nil {
		report.Findings = []chain.Finding{}
	}
	return report, nil
}

// selfAudit emits the audit event of a privileged action. With no endpoint
// configured the action is only logged; a configured endpoint that fails
// refuses the action, so nothing privileged goes unrecorded.
func (d *Datasource) selfAudit(ctx context.Context, u *backend.User, action, category, targetType, targetID, detail string, tags []string) error {
	e := semconv.Event{
		ID: newEventID(), Timestamp: d.now().UTC(), Action: action, Category: category,
		Outcome: semconv.OutcomeSuccess, Severity: semconv.SeverityMedium,
		ActorID: userLogin(u), ActorType: semconv.ActorEmployee, Module: semconv.ModuleReports,
		TargetType: targetType, TargetID: targetID, NewValue: detail, Tags: tags, SourceService: SelfAuditService,
	}
	if u != nil {
		e.ActorName = u.Name
		if u.Role != "" {
			e.ActorRoles = []string{u.Role}
		}
	}
	err := d.audit.Emit(ctx, e)
	if errors.Is(err, errNoEndpoint) {
		d.logger.Warn("self-audit endpoint not configured; privileged action only logged",
			"action", action, "user", e.ActorID, "target", targetID)
		return nil
	}
	return err
}

func userLogin(u *backend.User) string {
	if u == nil || u.Login == "" {
		return "unknown"
	}
	return u.Login
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// flushWriter sends the response in chunks: the SDK's resource writer keeps
// everything until a Flush, which would hold a whole export in memory.
type flushWriter struct {
	w       http.ResponseWriter
	flusher http.Flusher
	pending int
}

const flushEvery = 256 << 10

func newFlushWriter(w http.ResponseWriter) *flushWriter {
	f, _ := w.(http.Flusher)
	return &flushWriter{w: w, flusher: f}
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.pending += n
	if f.pending >= flushEvery {
		f.Flush()
	}
	return n, err
}

func (f *flushWriter) Flush() {
	if f.flusher != nil {
		f.flusher.Flush()
	}
	f.pending = 0
}
