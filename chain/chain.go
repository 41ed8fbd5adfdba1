// Package chain makes audit events tamper-evident. Within one stream (for
// example one tenant) every event carries a sequence number and a hash over
// its canonical form and the previous event's hash, so deleting, inserting or
// editing a stored event breaks the chain where it happened.
//
// The canonical form is the RFC 8785 (JCS) canonicalisation of the event's
// JSON form (semconv.Event) with the hash itself left out. The processor
// computes it after redaction; a verifier recomputes it from stored documents.
package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/auditpipe/auditpipe/semconv"
)

// Canonical returns the bytes that the event's hash covers.
func Canonical(e semconv.Event) []byte {
	return AppendCanonical(nil, &e)
}

// Hash computes the hash e must carry after prev.
func Hash(prev string, e semconv.Event) string {
	h := Hasher{buf: make([]byte, 0, 1024)}
	return h.Hash(prev, &e)
}

// Hasher computes chain hashes in one buffer it reuses from event to event;
// it is not safe for concurrent use.
type Hasher struct {
	buf []byte
}

// Hash returns the hash e must carry when its predecessor in the stream had
// hash prev ("" for the first event): SHA-256 over prev, a newline and e's
// canonical form.
func (h *Hasher) Hash(prev string, e *semconv.Event) string {
	h.buf = append(append(h.buf[:0], prev...), '\n')
	h.buf = AppendCanonical(h.buf, e)
	sum := sha256.Sum256(h.buf)
	var text [2 * sha256.Size]byte // hex.EncodeToString would allocate twice
	hex.Encode(text[:], sum[:])
	return string(text[:])
}

// FindingKind says how a chain was broken.
type FindingKind int

const (
	// Modified: the stored hash does not match the event's content.
	Modified FindingKind = iota + 1
	// Deleted: sequence numbers are missing between two stored events.
	Deleted
	// Inserted: a sequence number is stored more than once.
	Inserted
)

func (k FindingKind) String() string {
	switch k {
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	case Inserted:
		return "inserted"
	}
	return fmt.Sprintf("FindingKind(%d)", int(k))
}

// MarshalText lets findings read as words in JSON reports.
func (k FindingKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Finding is one place where a stream's chain is broken.
type Finding struct {
	Kind    FindingKind `json:"kind"`
	Stream  string      `json:"stream"`
	Seq     int64       `json:"seq"`
	EventID string      `json:"event_id,omitempty"`
	Detail  string      `json:"detail"`
}

// Report is the outcome of verifying a set of stored events.
type Report struct {
	Streams  int       `json:"streams"`
	Events   int       `json:"events"`
	Verified int       `json:"verified"`
	Findings []Finding `json:"findings"`
}

// OK reports whether no tampering was found.
func (r Report) OK() bool { return len(r.Findings) == 0 }

// Verify checks the chains of the given events, which may come in any order
// and from several streams. Events without a sequence number are not chained
// and are ignored. A stream's first event is trusted as the anchor unless its
// sequence number is 1: verifying a time range starts mid-chain, and its
// predecessor is outside the range.
func Verify(events []semconv.Event) Report {
	streams := map[string][]semconv.Event{}
	var names []string
	for _, e := range events {
		if e.ChainSeq == 0 {
			continue
		}
		if _, ok := streams[e.ChainStream]; !ok {
			names = append(names, e.ChainStream)
		}
		streams[e.ChainStream] = append(streams[e.ChainStream], e)
	}
	slices.Sort(names)
	r := Report{Streams: len(names)}
	for _, name := range names {
		verifyStream(name, streams[name], &r)
	}
	return r
}

func verifyStream(stream string, events []semconv.Event, r *Report) {
	slices.SortStableFunc(events, func(a, b semconv.Event) int {
		switch {
		case a.ChainSeq < b.ChainSeq:
			return -1
		case a.ChainSeq > b.ChainSeq:
			return 1
		}
		return 0
	})
	found := func(kind FindingKind, e semconv.Event, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{Kind: kind, Stream: stream, Seq: e.ChainSeq,
			EventID: e.ID, Detail: fmt.Sprintf(format, args...)})
	}
	var group []semconv.Event // the events stored with the previous sequence number
	for _, e := range events {
		r.Events++
		if len(group) > 0 && e.ChainSeq == group[0].ChainSeq {
			found(Inserted, e, "sequence %d is stored twice (events %q and %q)", e.ChainSeq, group[0].ID, e.ID)
			group = append(group, e)
			continue
		}
		prevs := group
		group = []semconv.Event{e}
		switch {
		case len(prevs) > 0 && e.ChainSeq != prevs[0].ChainSeq+1:
			found(Deleted, e, "events %d to %d are missing before this one", prevs[0].ChainSeq+1, e.ChainSeq-1)
			continue
		case len(prevs) == 0 && e.ChainSeq != 1:
			continue // anchor: its predecessor is outside the verified range
		}
		if want, ok := linksTo(prevs, e); !ok {
			found(Modified, e, "stored hash %.12s… does not match content hash %.12s…", e.ChainHash, want)
			continue
		}
		r.Verified++
	}
}

// linksTo reports whether e's hash follows from one of prevs (several where a
// sequence number was stored twice, which is reported once, not again for
// the event after it), or from the start of the stream when prevs is empty.
// want is the hash e should carry after the first of prevs.
func linksTo(prevs []semconv.Event, e semconv.Event) (want string, ok bool) {
	if len(prevs) == 0 {
		want = Hash("", e)
		return want, want == e.ChainHash
	}
	for _, p := range prevs {
		if Hash(p.ChainHash, e) == e.ChainHash {
			return "", true
		}
	}
	return Hash(prevs[0].ChainHash, e), false
}
