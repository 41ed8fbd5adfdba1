package esdev

import (
	"compress/gzip"
	"net/http"
	"strings"
)

// acceptGzip decodes request bodies sent with Content-Encoding: gzip, as
// Elasticsearch does: clients (our exporter among them) compress bulk bodies.
func acceptGzip(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
			next.ServeHTTP(w, r)
			return
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			writeJSON(w, http.StatusBadRequest, badRequest("parse_exception", "request body is not valid gzip: %v", err).body())
			return
		}
		defer zr.Close()
		r.Body = zr
		r.Header.Del("Content-Encoding")
		r.ContentLength = -1
		next.ServeHTTP(w, r)
	})
}
