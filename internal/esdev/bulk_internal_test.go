package esdev

import "testing"

// The reflection-free action line reader must read every line as
// encoding/json would, and hand anything unusual to encoding/json.
func TestParseBulkActionLines(t *testing.T) {
	cases := []struct {
		line, op, index, id string
	}{
		{`{"create":{"_id":"a"}}`, "create", "dflt", "a"},
		{` { "index" : { "_index" : "other" , "_id" : "b" } } `, "index", "other", "b"},
		{`{"index":{"_id":5}}`, "index", "dflt", "5"},
		{`{"index":{"_id":"a\"b\u00e9"}}`, "index", "dflt", "a\"bé"},
		{`{"index":{"op_type":"create"}}`, "create", "dflt", ""},
		{`{"delete":{}}`, "delete", "dflt", ""},
	}
	for _, c := range cases {
		body := c.line + "\n"
		if c.op != "delete" {
			body += "{}\n"
		}
		actions, err := parseBulk([]byte(body), "dflt")
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if a := actions[0]; a.op != c.op || a.index != c.index || a.id != c.id {
			t.Errorf("%s: got op %q index %q id %q, want %q %q %q", c.line, a.op, a.index, a.id, c.op, c.index, c.id)
		}
	}
	for _, bad := range []string{`{"index":{},"create":{}}`, `{"index":{}} x`, `{"index":{"_id":"a",}}`, `{"index":[]}`, `{"index":{"_id":"a"}`} {
		if _, err := parseBulk([]byte(bad+"\n{}\n"), "dflt"); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
