package esdoc

import (
	"reflect"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/internal/auditgen"
)

// TestRoundTripGeneratedEvents round-trips the realistic mix of the load
// generator, malformed records included.
func TestRoundTripGeneratedEvents(t *testing.T) {
	g := auditgen.New(auditgen.Options{Seed: 7, MalformedRatio: 0.1, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	var buf []byte
	for i := 0; i < 5000; i++ {
		it := g.Next()
		want := it.Event
		want.SourceService = it.Service
		want.Timestamp = want.Timestamp.UTC()
		buf = AppendDocument(buf[:0], &want)
		got, err := Decode(buf)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d does not round-trip\nwant %#v\ngot  %#v", i, want, got)
		}
	}
}
