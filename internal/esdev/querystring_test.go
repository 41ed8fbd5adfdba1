package esdev

import (
	"testing"
)

func TestLexLucene(t *testing.T) {
	toks, err := lexLucene(`source.ip:10.0.0.0/8 AND NOT user.name:"a b" || x:[1 TO 5} -y:pay* n:>=3 \:esc`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.text)
	}
	want := []string{"source.ip", ":", "10.0.0.0/8", "AND", "NOT", "user.name", ":", "a b", "||", "x", ":", "[1 TO 5}",
		"-", "y", ":", "pay*", "n", ":", ">=", "3", ":esc"}
	if len(got) != len(want) {
		t.Fatalf("tokens = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("token %d = %q, want %q (all: %q)", i, got[i], want[i], got)
		}
	}
	for _, bad := range []string{`"open`, `a:[1 TO`, `/re`} {
		if _, err := lexLucene(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseLuceneStructure(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{`a:1`, "field"},
		{`a:1 b:2`, "bool"},
		{`(a:1 OR b:2) AND c:3`, "bool"},
		{`*`, "all"},
		{`a:*`, "exists"},
		{`_exists_:a`, "exists"},
		{`free text`, "bool"},
	} {
		q, err := parseLucene(c.in, qsOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var kind string
		switch q.(type) {
		case fieldQ:
			kind = "field"
		case *boolQ:
			kind = "bool"
		case matchAllQ:
			kind = "all"
		case existsQ:
			kind = "exists"
		}
		if kind != c.want {
			t.Errorf("%s parsed as %T, want %s", c.in, q, c.want)
		}
	}
	for _, bad := range []string{`(a:1`, `a:1 AND`, `a~2`, `a:"x"~3`} {
		if _, err := parseLucene(bad, qsOptions{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
