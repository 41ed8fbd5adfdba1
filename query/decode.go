package query

import (
	"bytes"

	"github.com/auditpipe/auditpipe/esdoc"
	"github.com/auditpipe/auditpipe/semconv"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// DecodeSource reads a hit's _source (a document the auditpipe exporter
// wrote) back into its Event; esdoc owns the document format.
func DecodeSource(source []byte) (semconv.Event, error) { return esdoc.Decode(source) }
