package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/auditpipe/auditpipe/internal/auditgen"
	"github.com/auditpipe/auditpipe/semconv"
)

// referenceCanonical is RFC 8785 done the slow, obviously right way.
func referenceCanonical(t testing.TB, e semconv.Event) []byte {
	e.ChainHash = ""
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// everyField sets each field of Event to a distinct value, so a field added
// to semconv.Event but not to AppendCanonical makes the comparison fail.
func everyField() semconv.Event {
	var e semconv.Event
	v := reflect.ValueOf(&e).Elem()
	for i := 0; i < v.NumField(); i++ {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(strings.Repeat("x", i+1))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"s" + strconv.Itoa(i), "t"}))
		case reflect.Int64:
			f.SetInt(int64(i * 1000))
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Date(2026, 11, 23, 9, 15, 2, 123456789, time.UTC)))
		default:
			panic("unhandled Event field kind " + f.Kind().String())
		}
	}
	return e
}

func TestAppendCanonicalMatchesRFC8785Reference(t *testing.T) {
	events := []semconv.Event{{}, everyField()}
	odd := everyField()
	odd.Body = "tab\t nl\n ctl\x01\x1f quote\" bs\\ <>& \u2028\u2029 é 😀 bad\xff end"
	odd.Tags = []string{"a\"b", "", "\x7f"}
	events = append(events, odd)
	g := auditgen.New(auditgen.Options{Seed: 7, MalformedRatio: 0.1})
	for range 2000 {
		events = append(events, g.Next().Event)
	}
	for i, e := range events {
		want := referenceCanonical(t, e)
		got := Canonical(e)
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d differs from the RFC 8785 reference\nwant %s\ngot  %s", i, want, got)
		}
	}
}

func FuzzAppendCanonical(f *testing.F) {
	f.Add("tab\t quote\" bs\\ \u2028 é bad\xff", "\x01")
	f.Fuzz(func(t *testing.T, body, tag string) {
		e := everyField()
		e.Body, e.Tags = body, []string{tag}
		if want, got := referenceCanonical(t, e), Canonical(e); !bytes.Equal(got, want) {
			t.Fatalf("differs from the RFC 8785 reference\nwant %s\ngot  %s", want, got)
		}
	})
}

// A Hasher reused across events gives each the hash defined in the package
// doc: SHA-256 over the previous hash, a newline and the canonical form.
func TestHasherReuseMatchesTheDefinition(t *testing.T) {
	g := auditgen.New(auditgen.Options{Seed: 3})
	var h Hasher
	prev := ""
	for range 50 {
		e := g.Next().Event
		sum := sha256.Sum256(append([]byte(prev+"\n"), referenceCanonical(t, e)...))
		want := hex.EncodeToString(sum[:])
		if got := h.Hash(prev, &e); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		prev = want
	}
}

func TestCanonicalLeavesTheHashOut(t *testing.T) {
	e := everyField()
	a := Canonical(e)
	e.ChainHash = "something else"
	b := Canonical(e)
	if !bytes.Equal(a, b) {
		t.Fatal("the stored hash must not be part of what it covers")
	}
}

// chainOf links n generated events into one stream, as the processor does.
func chainOf(t *testing.T, n int) []semconv.Event {
	t.Helper()
	g := auditgen.New(auditgen.Options{Seed: 3})
	prev := ""
	out := make([]semconv.Event, n)
	for i := range out {
		e := g.Next().Event
		e.ChainStream, e.ChainSeq = "brand-eu", int64(i+1)
		e.ChainHash = Hash(prev, e)
		prev = e.ChainHash
		out[i] = e
	}
	return out
}

func TestVerify(t *testing.T) {
	kinds := func(r Report) []FindingKind {
		var ks []FindingKind
		for _, f := range r.Findings {
			ks = append(ks, f.Kind)
		}
		return ks
	}
	tests := []struct {
		name   string
		tamper func([]semconv.Event) []semconv.Event
		want   []FindingKind
	}{
		{"intact", func(es []semconv.Event) []semconv.Event { return es }, nil},
		{"intact in any order", func(es []semconv.Event) []semconv.Event {
			return append(append([]semconv.Event{}, es[5:]...), es[:5]...)
		}, nil},
		{"modified", func(es []semconv.Event) []semconv.Event {
			es[4].NewValue = `{"balance":1000000}`
			return es
		}, []FindingKind{Modified}},
		{"modified and re-hashed", func(es []semconv.Event) []semconv.Event {
			es[4].NewValue = `{"balance":1000000}`
			es[4].ChainHash = Hash(es[3].ChainHash, es[4])
			return es
		}, []FindingKind{Modified}}, // the successor's link breaks
		{"deleted", func(es []semconv.Event) []semconv.Event {
			return append(es[:4:4], es[5:]...)
		}, []FindingKind{Deleted}},
		{"inserted", func(es []semconv.Event) []semconv.Event {
			fake := es[4]
			fake.ID, fake.ActorID = "forged", "emp-1"
			return append(es[:5:5], append([]semconv.Event{fake}, es[5:]...)...)
		}, []FindingKind{Inserted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify(tt.tamper(chainOf(t, 10)))
			if got := kinds(r); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("findings %v, want %v (%+v)", got, tt.want, r.Findings)
			}
			if r.OK() != (tt.want == nil) {
				t.Fatalf("OK() = %v", r.OK())
			}
		})
	}
}

func TestVerifyTrustsAMidChainAnchor(t *testing.T) {
	es := chainOf(t, 10)[3:]
	if r := Verify(es); !r.OK() || r.Verified != len(es)-1 || r.Events != len(es) {
		t.Fatalf("range starting mid-chain: %+v", r)
	}
}

func TestVerifyIgnoresUnchainedEvents(t *testing.T) {
	es := append(chainOf(t, 3), semconv.Event{ID: "unchained"})
	if r := Verify(es); !r.OK() || r.Events != 3 || r.Streams != 1 {
		t.Fatalf("%+v", r)
	}
}

func BenchmarkHash(b *testing.B) {
	g := auditgen.New(auditgen.Options{Seed: 1})
	events := make([]semconv.Event, 1024)
	for i := range events {
		events[i] = g.Next().Event
	}
	var h Hasher
	b.ReportAllocs()
	prev := ""
	for i := 0; b.Loop(); i++ {
		prev = h.Hash(prev, &events[i%len(events)])
	}
}
