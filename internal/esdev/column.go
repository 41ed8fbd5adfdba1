package esdev

import (
	"hash/maphash"
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
	dictIx dictIndex
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
	id, ok := c.dictIx.add(c.dict, s)
	if !ok {
		c.dict = append(c.dict, s)
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

// dictIndex finds the id of a string in a column dictionary. It is an
// open-addressing table of (hash, id+1) pairs: adding a value costs one hash
// and one probe sequence whether the value is new or not (a Go map needs a
// lookup and then an insert), and growing reuses the stored hashes instead
// of rehashing every string. With id-like fields (event ids, chain hashes)
// nearly every value is new, and the map was the largest cost of indexing.
type dictIndex struct {
	seed  maphash.Seed
	slots []dictSlot // length a power of two, at most half full
}

type dictSlot struct{ hash, id1 uint32 } // id1 == 0: empty

// add returns the id of s in dict, or, with false, the id s gets when the
// caller appends it to dict.
func (d *dictIndex) add(dict []string, s string) (uint32, bool) {
	if 2*(len(dict)+1) > len(d.slots) {
		d.grow()
	}
	h := uint32(maphash.String(d.seed, s))
	mask := uint32(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &d.slots[i]
		if sl.id1 == 0 {
			*sl = dictSlot{hash: h, id1: uint32(len(dict)) + 1}
			return uint32(len(dict)), false
		}
		if sl.hash == h && dict[sl.id1-1] == s {
			return sl.id1 - 1, true
		}
	}
}

// get returns the id of s in dict.
func (d *dictIndex) get(dict []string, s string) (uint32, bool) {
	if len(d.slots) == 0 {
		return 0, false
	}
	h := uint32(maphash.String(d.seed, s))
	mask := uint32(len(d.slots) - 1)
	for i := h & mask; d.slots[i].id1 != 0; i = (i + 1) & mask {
		if sl := d.slots[i]; sl.hash == h && dict[sl.id1-1] == s {
			return sl.id1 - 1, true
		}
	}
	return 0, false
}

func (d *dictIndex) grow() {
	if len(d.slots) == 0 {
		d.seed = maphash.MakeSeed()
	}
	old := d.slots
	d.slots = make([]dictSlot, max(16, 2*len(old)))
	mask := uint32(len(d.slots) - 1)
	for _, sl := range old {
		if sl.id1 == 0 {
			continue
		}
		i := sl.hash & mask
		for d.slots[i].id1 != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = sl
	}
}
