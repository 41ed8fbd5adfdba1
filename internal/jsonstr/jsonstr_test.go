package jsonstr

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

func TestAppendWritesTheRFC8785Form(t *testing.T) {
	for s, want := range map[string]string{
		"":                   `""`,
		"plain <b>&amp;</b>": `"plain <b>&amp;</b>"`,
		"q\" b\\ /":          `"q\" b\\ /"`,
		"\b\t\n\f\r":         `"\b\t\n\f\r"`,
		"\x00\x01\x1f\x7f":   `"\u0000\u0001\u001f` + "\x7f" + `"`,
		"é 漢 😀 \u2028\u2029": "\"é 漢 😀 \u2028\u2029\"",
		"bad \xff\xfe end":   "\"bad \ufffd\ufffd end\"",
		"cut \xe2\x82":       "\"cut \ufffd\ufffd\"",
		// A JSON text, and the bytes after its first quote that need more
		// than a backslash.
		`{"a":"b\\c"}`:   `"{\"a\":\"b\\\\c\"}"`,
		"{\"a\":\"\n\"}": `"{\"a\":\"\n\"}"`,
		"\"é\"\xff\"":    "\"\\\"é\\\"\ufffd\\\"\"",
	} {
		if got := string(Append(nil, s)); got != want {
			t.Errorf("Append(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendReadsBackAsEncodingJSONReads(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []string{"", "plain", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\u2028", "\x00\x7f"}
	for range 2000 {
		b := make([]byte, r.IntN(16))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		checkReadsBack(t, s)
	}
}

// checkReadsBack asserts that Append's output is UTF-8 JSON that reads back
// as the string encoding/json's own output reads back as.
func checkReadsBack(t *testing.T, s string) {
	t.Helper()
	out := Append(nil, s)
	var got, want string
	if err := json.Unmarshal(out, &got); err != nil || !utf8.Valid(out) {
		t.Fatalf("Append(%q) = %q: %v", s, out, err)
	}
	ref, _ := json.Marshal(s)
	_ = json.Unmarshal(ref, &want)
	if got != want {
		t.Fatalf("Append(%q) reads back as %q, encoding/json's as %q", s, got, want)
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("tab\t quote\" bs\\ \u2028 é bad\xff\x01")
	f.Fuzz(checkReadsBack)
}

// BenchmarkAppendJSONText is the escape-heavy case: change values are JSON
// texts, and the chain's canonical form writes them as strings.
func BenchmarkAppendJSONText(b *testing.B) {
	s := `{"amount":125.5,"currency":"EUR","limits":{"daily":500,"monthly":2000},"note":"manual top-up"}`
	var dst []byte
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		dst = Append(dst[:0], s)
	}
}

func BenchmarkAppend(b *testing.B) {
	values := []string{"balance", "user:1042", `{"amount":125.5,"currency":"EUR","note":"manual top-up"}`,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "2026-11-22T10:00:00.000Z"}
	var dst []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		dst = Append(dst[:0], values[i%len(values)])
	}
}

func TestPlainPrefixCountsTheBytesBeforeTheFirstToEscape(t *testing.T) {
	for s, want := range map[string]int{
		"": 0, "abc": 3, "ab\"": 2, "abcdefgh": 8, "abcdefghij": 10, "abc\"defg": 3, "\\bcdefgh": 0,
		"abcdefg\n": 7, "ab\x00cdefg": 2, "abcdé fg": 4, "\x1f\x7f~ !#[]": 0,
		"\x7f~ !#[]{": 8, "abcdefgh\"ijklmnop": 8, "abcdefghijklmn\"p": 14, "abcdefghij\\": 10,
	} {
		if got := plainPrefix(s); got != want {
			t.Errorf("plainPrefix(%q) = %d, want %d", s, got, want)
		}
	}
}
