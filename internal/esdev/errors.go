package esdev

import (
	"errors"
	"fmt"
	"net/http"
)

// esError is an error rendered the way Elasticsearch renders it:
// {"error":{"root_cause":[...],"type":...,"reason":...},"status":N}.
type esError struct {
	Status int
	Type   string
	Reason string
	Index  string
}

func (e *esError) Error() string { return e.Type + ": " + e.Reason }

func (e *esError) body() map[string]any {
	cause := map[string]any{"type": e.Type, "reason": e.Reason}
	if e.Index != "" {
		cause["index"] = e.Index
		cause["index_uuid"] = "_na_"
	}
	full := map[string]any{"root_cause": []any{cause}}
	for k, v := range cause {
		full[k] = v
	}
	return map[string]any{"error": full, "status": e.Status}
}

// itemBody is the "error" object of a bulk item.
func (e *esError) itemBody() map[string]any {
	m := map[string]any{"type": e.Type, "reason": e.Reason}
	if e.Index != "" {
		m["index"] = e.Index
	}
	return m
}

func badRequest(typ, format string, args ...any) *esError {
	return &esError{Status: http.StatusBadRequest, Type: typ, Reason: fmt.Sprintf(format, args...)}
}

// unsupported is the answer for any part of the API esdev does not implement:
// a 400 naming the part, never a silently different result.
func unsupported(format string, args ...any) *esError {
	return badRequest("parsing_exception", "esdev does not support "+format, args...)
}

func parseErr(format string, args ...any) *esError {
	return badRequest("parsing_exception", format, args...)
}

func indexNotFound(name string) *esError {
	return &esError{Status: http.StatusNotFound, Type: "index_not_found_exception",
		Reason: "no such index [" + name + "]", Index: name}
}

// asESError renders any error as an Elasticsearch error (500 unless it is one).
func asESError(err error) *esError {
	var ee *esError
	if errors.As(err, &ee) {
		return ee
	}
	return &esError{Status: http.StatusInternalServerError, Type: "exception", Reason: err.Error()}
}
