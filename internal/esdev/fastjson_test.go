package esdev

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestJSONParserMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"a":1,"b":-2.5e3,"c":"x\"y\\u00e9\n","d":[true,false,null,{"e":[]}],"f":{"g":0}}`,
		` {"dup":1,"dup":2} `,
		`{"u":"\ud83d\ude00 emoji","n":1E+2}`,
	} {
		got, err := parseJSONObject([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(in)))
		dec.UseNumber()
		_ = dec.Decode(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", in, got, want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a":}`, `{"a":1,}`, `{"a":01}`, `{"a":1} x`, `{"a":"` + "\x01" + `"}`, `{"a":tru}`, "{\"a\":\"\xff\"}", `{"a":1.}`} {
		if _, err := parseJSONObject([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseSourceRejectsMalformedJSON(t *testing.T) {
	ix := &index{mapping: &mappings{Properties: map[string]*fieldMapping{}}}
	ix.rebuildFieldIndex()
	for _, bad := range []string{`{"a":1,}`, `{"a":{"b":1}`, `{"a":[1,}`, `{"a":1}}`, `[1]`, `{"":1}`} {
		if _, err := ix.parseSource("x", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	doc, err := ix.parseSource("x", []byte(`{"a":{"b":[1,2],"c":{"d":"e"}},"f.g":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, v := range doc.values {
		paths = append(paths, v.path)
	}
	if len(paths) != 5 { // a.b x2, a.c.d, a.c.d.keyword, f.g
		t.Errorf("values = %v", paths)
	}
}

// parseJSONObject decodes a whole JSON object with jsonParser.
func parseJSONObject(b []byte) (map[string]any, error) {
	p := jsonParser{b: b}
	p.ws()
	if p.i >= len(b) || b[p.i] != '{' {
		return nil, errJSON
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(b) {
		return nil, errJSON
	}
	return v.(map[string]any), nil
}
