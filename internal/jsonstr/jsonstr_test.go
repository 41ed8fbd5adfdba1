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
