package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const (
	protobufContentType = "application/x-protobuf"
	jsonContentType     = "application/json"

	formatProtobuf = "protobuf"
	formatJSON     = "json"

	forwardedForHeader = "X-Forwarded-For"
)

// grpcLogsService is the OTLP logs service over gRPC.
type grpcLogsService struct {
	plogotlp.UnimplementedGRPCServer
	receiver *auditReceiver
}

func registerGRPC(server *grpc.Server, r *auditReceiver) {
	plogotlp.RegisterGRPCServer(server, &grpcLogsService{receiver: r})
}

// Export admits the request's records; refusals by the next consumer become
// a gRPC status error, invalid records a partial success.
func (s *grpcLogsService) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	var forwardedFor []string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		forwardedFor = md.Get(forwardedForHeader)
	}
	resp, st := s.receiver.exportOTLP(ctx, req, transportGRPC, formatProtobuf, forwardedFor)
	if st != nil {
		return plogotlp.NewExportResponse(), st.Err()
	}
	return resp, nil
}

// exportOTLP is the transport-independent part of an OTLP export. It
// returns a non-nil status when nothing was accepted.
func (r *auditReceiver) exportOTLP(ctx context.Context, req plogotlp.ExportRequest, transport, format string, forwardedFor []string) (plogotlp.ExportResponse, *status.Status) {
	resp := plogotlp.NewExportResponse()
	ld := req.Logs()
	if ld.LogRecordCount() == 0 {
		return resp, nil
	}
	src := r.admission.enrichment.source(ctx, forwardedFor)
	rejections := r.admission.screen(ld, src)
	if err := r.deliver(ctx, transport, format, ld, len(rejections)); err != nil {
		return resp, r.refusalStatus(err)
	}
	if len(rejections) > 0 {
		partial := resp.PartialSuccess()
		partial.SetRejectedLogRecords(int64(len(rejections)))
		partial.SetErrorMessage(partialSuccessMessage(rejections))
	}
	return resp, nil
}

// otlpEncoding is one of the two OTLP/HTTP body encodings.
type otlpEncoding struct {
	contentType string
	format      string
	unmarshal   func(plogotlp.ExportRequest, []byte) error
	marshal     func(plogotlp.ExportResponse) ([]byte, error)
	marshalSt   func(proto.Message) ([]byte, error)
}

var (
	protobufEncoding = &otlpEncoding{
		contentType: protobufContentType,
		format:      formatProtobuf,
		unmarshal:   plogotlp.ExportRequest.UnmarshalProto,
		marshal:     plogotlp.ExportResponse.MarshalProto,
		marshalSt:   proto.Marshal,
	}
	jsonEncoding = &otlpEncoding{
		contentType: jsonContentType,
		format:      formatJSON,
		unmarshal:   plogotlp.ExportRequest.UnmarshalJSON,
		marshal:     plogotlp.ExportResponse.MarshalJSON,
		marshalSt:   protojson.Marshal,
	}
)

// handleOTLPLogs serves OTLP/HTTP logs, protobuf or JSON.
func (r *auditReceiver) handleOTLPLogs(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeText(w, http.StatusMethodNotAllowed, "method %s not allowed, use POST", req.Method)
		return
	}
	var enc *otlpEncoding
	switch mediaType(req) {
	case protobufContentType:
		enc = protobufEncoding
	case jsonContentType:
		enc = jsonEncoding
	default:
		writeText(w, http.StatusUnsupportedMediaType, "unsupported content type %q, use %s or %s",
			req.Header.Get("Content-Type"), protobufContentType, jsonContentType)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		writeOTLPStatus(w, enc, status.New(codes.InvalidArgument, bodyReadMessage(err)), bodyReadStatus(err))
		return
	}
	otlpReq := plogotlp.NewExportRequest()
	if err := enc.unmarshal(otlpReq, body); err != nil {
		writeOTLPStatus(w, enc, status.New(codes.InvalidArgument,
			fmt.Sprintf("the body is not an OTLP logs request in %s: %v", enc.format, err)), http.StatusBadRequest)
		return
	}
	resp, st := r.exportOTLP(req.Context(), otlpReq, transportHTTP, enc.format, req.Header.Values(forwardedForHeader))
	if st != nil {
		writeOTLPStatus(w, enc, st, httpStatusOf(st.Code()))
		return
	}
	msg, err := enc.marshal(resp)
	if err != nil {
		writeOTLPStatus(w, enc, status.New(codes.Internal, err.Error()), http.StatusInternalServerError)
		return
	}
	writeBody(w, enc.contentType, http.StatusOK, msg)
}

// writeOTLPStatus answers with a google.rpc.Status body as OTLP/HTTP requires,
// and with Retry-After when the status carries RetryInfo.
func writeOTLPStatus(w http.ResponseWriter, enc *otlpEncoding, st *status.Status, httpStatus int) {
	setRetryAfter(w, st)
	body := st.Proto()
	// Messages quote the request (decoder errors do); protobuf strings must
	// be UTF-8 or the status cannot be encoded at all.
	body.Message = strings.ToValidUTF8(body.Message, "\uFFFD")
	msg, err := enc.marshalSt(body)
	if err != nil {
		writeText(w, http.StatusInternalServerError, "cannot encode the error %q: %v", st.Message(), err)
		return
	}
	writeBody(w, enc.contentType, httpStatus, msg)
}

// setRetryAfter copies the status's RetryInfo into the Retry-After header,
// rounded up to whole seconds (the header's unit) so clients never retry early.
func setRetryAfter(w http.ResponseWriter, st *status.Status) {
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.RetryInfo); ok {
			seconds := int64(math.Ceil(info.GetRetryDelay().AsDuration().Seconds()))
			w.Header().Set("Retry-After", strconv.FormatInt(max(seconds, 1), 10))
			return
		}
	}
}

// httpStatusOf maps the gRPC codes refusalStatus produces to the HTTP
// statuses of the OTLP/HTTP specification.
func httpStatusOf(code codes.Code) int {
	switch code {
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// httpErrorHandler answers the errors confighttp raises before our handlers
// run (failed authentication, undecodable compression) in the format of the
// endpoint that was called.
func (r *auditReceiver) httpErrorHandler(w http.ResponseWriter, req *http.Request, msg string, httpStatus int) {
	if httpCfg := r.cfg.Protocols.HTTP.Get(); httpCfg != nil && req.URL.Path == httpCfg.EventsURLPath {
		writeJSONError(w, httpStatus, msg)
		return
	}
	enc := jsonEncoding
	if mediaType(req) == protobufContentType {
		enc = protobufEncoding
	}
	writeOTLPStatus(w, enc, status.New(grpcCodeOf(httpStatus), msg), httpStatus)
}

func grpcCodeOf(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	default:
		return codes.Unknown
	}
}

// bodyReadStatus is 413 when the body exceeded max_request_body_size, else 400.
func bodyReadStatus(err error) int {
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func bodyReadMessage(err error) string {
	if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Sprintf("the body is larger than the %d bytes allowed (max_request_body_size)", tooLarge.Limit)
	}
	return "cannot read the body: " + err.Error()
}

func mediaType(req *http.Request) string {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func writeText(w http.ResponseWriter, httpStatus int, format string, args ...any) {
	writeBody(w, "text/plain; charset=utf-8", httpStatus, fmt.Appendf(nil, format, args...))
}

func writeBody(w http.ResponseWriter, contentType string, httpStatus int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpStatus)
	// Nothing useful can be done when the client went away.
	_, _ = w.Write(body)
}
