package esdev

import (
	"strconv"
	"testing"
)

func TestDictIndexFindsEveryValueThroughGrowth(t *testing.T) {
	c := newColumn("keyword")
	for i := 0; i < 10000; i++ {
		c.addString(strconv.Itoa(i % 3000))
	}
	if len(c.dict) != 3000 {
		t.Fatalf("dictionary has %d entries, want 3000", len(c.dict))
	}
	for i := 0; i < 3000; i++ {
		s := strconv.Itoa(i)
		if id, ok := c.dictIx.get(c.dict, s); !ok || c.dict[id] != s {
			t.Fatalf("get(%q) = %d, %v", s, id, ok)
		}
	}
	if _, ok := c.dictIx.get(c.dict, "3000"); ok {
		t.Fatal("found a value never added")
	}
	if _, ok := newColumn("keyword").dictIx.get(nil, "x"); ok {
		t.Fatal("found a value in an empty dictionary")
	}
	for i, id := range c.ids {
		if c.dict[id] != strconv.Itoa(i%3000) {
			t.Fatalf("value %d reads back as %q", i, c.dict[id])
		}
	}
}
