package auditprocessor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asAny converts a parsed value to what encoding/json decodes with UseNumber.
func asAny(v *jsonValue) any {
	switch v.kind {
	case jsonFalse:
		return false
	case jsonTrue:
		return true
	case jsonNumber:
		return json.Number(v.text)
	case jsonString:
		return v.text
	case jsonArray:
		out := make([]any, len(v.members))
		for i := range v.members {
			out[i] = asAny(&v.members[i].value)
		}
		return out
	case jsonObject:
		out := make(map[string]any, len(v.members))
		for i := range v.members {
			out[v.members[i].key] = asAny(&v.members[i].value)
		}
		return out
	}
	return nil
}

// checkAgainstEncodingJSON asserts that jsonParser accepts exactly what
// encoding/json accepts, reads the same value, and writes it back byte for
// byte as encoding/json would (sorted keys, no HTML escaping).
func checkAgainstEncodingJSON(t *testing.T, s string) {
	v, ok := new(jsonParser).parse(s)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var want any
	stdOK := json.Valid([]byte(s)) && dec.Decode(&want) == nil
	require.Equal(t, stdOK, ok, "accepts %q", s)
	if !ok {
		return
	}
	require.Equal(t, want, asAny(&v), "value of %q", s)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(want))
	// encoding/json also escapes U+2028 and U+2029 for JavaScript embedding;
	// JSON does not need it, and the processor writes them as they are.
	std := strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(strings.TrimSuffix(buf.String(), "\n"))
	assert.Equal(t, std, string(appendJSON(nil, &v)), "written back from %q", s)
}

var jsonSamples = []string{
	`{"balance":120.5,"currency":"EUR"}`, ` [1, -0.5e+3, 0, 1E2, true, false, null] `, `"x"`, `-0`, `12`,
	`{"b":1,"a":{"z":[],"y":{}},"a":2}`, `{"t":"<b>&amp;</b>","u":"line\nbreak\ttab\u0001\u2028"}`,
	`{"é":"naïve","emoji":"\ud83d\ude00","bad":"\ud800"}`, "\"\xff\xfe invalid utf-8\"", `{"":""}`,
	`[[[[["deep"]]]]]`, `{"a":"\/\\\"\b\f"}`,
	// rejected
	``, ` `, `{`, `}`, `[1,]`, `{,}`, `{"a" 1}`, `{"a":1,}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`,
	`nul`, `truex`, `NaN`, `Infinity`, `1-2`, `"a` + "\x01" + `b"`, `"unterminated`, `"\x"`, `"\u12"`, `{"a":1} x`,
	`{"a":1}]`, `[1 2]`, `'x'`,
}

func TestParseJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range jsonSamples {
		checkAgainstEncodingJSON(t, s)
	}
}

func TestParseJSONSortsLargeObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 40; i > 0; i-- {
		fmt.Fprintf(&b, `"k%02d":%d,`, i%20, i)
	}
	b.WriteString(`"k00":"last"}`)
	checkAgainstEncodingJSON(t, b.String())
}

func TestParseJSONSortsMembersAndKeepsTheLastDuplicate(t *testing.T) {
	v, ok := new(jsonParser).parse(`{"b":1,"a":2,"b":3}`)
	require.True(t, ok)
	require.Len(t, v.members, 2)
	assert.Equal(t, "a", v.members[0].key)
	assert.Equal(t, "b", v.members[1].key)
	assert.Equal(t, "3", v.members[1].value.text)
}

func TestSameJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`{"a":1,"b":[true,null,"x"]}`, `{"b":[true,null,"x"],"a":1.0}`, true},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d"}}`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`{"a":1}`, `{"b":1}`, false},
		{`{"a":1}`, `[1]`, false},
		{`"x"`, `{"x":1}`, false},
		{`"1"`, `1`, false},
		{`{}`, `{}`, true},
	} {
		a, okA := new(jsonParser).parse(tc.a)
		b, okB := new(jsonParser).parse(tc.b)
		require.True(t, okA && okB)
		assert.Equal(t, tc.same, sameJSON(&a, &b), "%s vs %s", tc.a, tc.b)
		assert.Equal(t, tc.same, sameJSON(&b, &a), "%s vs %s", tc.b, tc.a)
	}
}

func TestParseJSONBoundsNesting(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	_, ok := new(jsonParser).parse(deep)
	assert.True(t, ok)
	tooDeep := "[" + deep + "]"
	_, ok = new(jsonParser).parse(tooDeep)
	assert.False(t, ok, "deeper than maxJSONDepth stays text")
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Count(s, "[")+strings.Count(s, "{") > maxJSONDepth {
			t.Skip("nesting beyond maxJSONDepth is rejected on purpose")
		}
		checkAgainstEncodingJSON(t, s)
	})
}

func BenchmarkParseJSON(b *testing.B) {
	s := `{"status":"locked","reason":"policy violation","limits":{"daily":100,"weekly":500},"tags":["a","b"]}`
	var p jsonParser
	b.ReportAllocs()
	for b.Loop() {
		p.reset()
		if _, ok := p.parse(s); !ok {
			b.Fatal("not parsed")
		}
	}
}
