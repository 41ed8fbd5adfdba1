package esdev

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseJSONObjectMatchesEncodingJSON(t *testing.T) {
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
