package esdev

import (
	"net/netip"
)

type colKind uint8

const (
	kindKeyword colKind = iota // dictionary-encoded strings (keyword, flattened)
	kindIP                     // dictionary-encoded addresses
	kindInt                    // long family, date (ns), boolean (0/1)
	kindFloat                  // double family
	kindText                   // presence only; the terms live in bleve
)

// column holds one field's values for every document of an index in CSR
// form: the values of document i are vals[off[i]:off[i+1]]. This is the
// "doc values" esdev uses for filters, sorting and aggregations, which bleve's
// facets cannot express (nested aggregations, search_after, CIDR terms).
type column struct {
	kind   colKind
	ftype  string // mapping type, decides formatting (date, boolean...)
	off    []uint32
	ids    []uint32
	ints   []int64
	floats []float64
	dict   []string
	dictIx map[string]uint32
	addrs  []netip.Addr
	// openOrd is ord+1 of the document currently being appended, 0 when none.
	openOrd uint32
}

func newColumn(ftype string) *column {
	c := &column{ftype: ftype, off: []uint32{0}}
	switch ftype {
	case "keyword", "wildcard", "flattened", "constant_keyword":
		c.kind = kindKeyword
	case "ip":
		c.kind = kindIP
	case "long", "integer", "short", "byte", "date", "date_nanos", "boolean":
		c.kind = kindInt
	case "double", "float", "half_float":
		c.kind = kindFloat
	default:
		c.kind = kindText
	}
	if c.kind == kindKeyword || c.kind == kindIP {
		c.dictIx = map[string]uint32{}
	}
	return c
}

func (c *column) size() int {
	switch c.kind {
	case kindKeyword, kindIP:
		return len(c.ids)
	case kindInt:
		return len(c.ints)
	case kindFloat:
		return len(c.floats)
	}
	return int(c.off[len(c.off)-1])
}

// begin pads the column so that document ord starts at the current end.
func (c *column) begin(ord uint32) bool {
	if c.openOrd == ord+1 {
		return false
	}
	end := uint32(c.size())
	for uint32(len(c.off)) < ord+1 {
		c.off = append(c.off, end)
	}
	c.openOrd = ord + 1
	return true
}

func (c *column) end() {
	c.off = append(c.off, uint32(c.size()))
	c.openOrd = 0
}

func (c *column) addString(s string) {
	id, ok := c.dictIx[s]
	if !ok {
		id = uint32(len(c.dict))
		c.dict = append(c.dict, s)
		c.dictIx[s] = id
		if c.kind == kindIP {
			a, _ := netip.ParseAddr(s)
			c.addrs = append(c.addrs, a)
		}
	}
	c.ids = append(c.ids, id)
}

// bounds returns the value range of document ord.
func (c *column) bounds(ord uint32) (uint32, uint32) {
	if int(ord)+1 >= len(c.off) {
		return 0, 0
	}
	return c.off[ord], c.off[ord+1]
}

func (c *column) has(ord uint32) bool {
	lo, hi := c.bounds(ord)
	return hi > lo
}

// matchDict returns the documents holding any dictionary entry accepted by pred.
func (c *column) matchDict(n uint32, pred func(id uint32) bool) *bitset {
	out := newBitset(n)
	if len(c.dict) == 0 {
		return out
	}
	accept := make([]bool, len(c.dict))
	any := false
	for i := range c.dict {
		if pred(uint32(i)) {
			accept[i] = true
			any = true
		}
	}
	if !any {
		return out
	}
	c.scan(n, func(ord uint32, lo, hi uint32) bool {
		for _, id := range c.ids[lo:hi] {
			if accept[id] {
				return true
			}
		}
		return false
	}, out)
	return out
}

func (c *column) matchInts(n uint32, pred func(int64) bool) *bitset {
	out := newBitset(n)
	c.scan(n, func(ord uint32, lo, hi uint32) bool {
		for _, v := range c.ints[lo:hi] {
			if pred(v) {
				return true
			}
		}
		return false
	}, out)
	return out
}

func (c *column) matchFloats(n uint32, pred func(float64) bool) *bitset {
	out := newBitset(n)
	c.scan(n, func(ord uint32, lo, hi uint32) bool {
		for _, v := range c.floats[lo:hi] {
			if pred(v) {
				return true
			}
		}
		return false
	}, out)
	return out
}

func (c *column) present(n uint32) *bitset {
	out := newBitset(n)
	c.scan(n, func(uint32, uint32, uint32) bool { return true }, out)
	return out
}

// scan visits documents [0,n) that have values and sets those accepted.
func (c *column) scan(n uint32, fn func(ord, lo, hi uint32) bool, out *bitset) {
	limit := n
	if m := uint32(len(c.off)); m > 0 && m-1 < limit {
		limit = m - 1
	}
	for ord := uint32(0); ord < limit; ord++ {
		lo, hi := c.off[ord], c.off[ord+1]
		if hi > lo && fn(ord, lo, hi) {
			out.set(ord)
		}
	}
}

// numeric returns the values of document ord as float64 (for metrics).
func (c *column) numeric(ord uint32, fn func(float64)) {
	lo, hi := c.bounds(ord)
	switch c.kind {
	case kindInt:
		for _, v := range c.ints[lo:hi] {
			fn(float64(v))
		}
	case kindFloat:
		for _, v := range c.floats[lo:hi] {
			fn(v)
		}
	}
}

func netipFromSlice(b []byte) (string, bool) {
	a, ok := netip.AddrFromSlice(b)
	return a.Unmap().String(), ok
}
