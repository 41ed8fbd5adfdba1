package esdev

import "math/bits"

// bitset is a dense set of document ordinals. Dense sets are the right shape
// here: esdev indices are small enough (a few million documents at most) that a
// bit per document is cheaper than any compressed structure to build and scan.
type bitset struct {
	words []uint64
	n     uint32
}

func newBitset(n uint32) *bitset {
	return &bitset{words: make([]uint64, (n+63)/64), n: n}
}

func fullBitset(n uint32) *bitset {
	b := newBitset(n)
	for i := range b.words {
		b.words[i] = ^uint64(0)
	}
	b.trim()
	return b
}

func (b *bitset) trim() {
	if r := b.n % 64; r != 0 && len(b.words) > 0 {
		b.words[len(b.words)-1] &= (uint64(1) << r) - 1
	}
}

func (b *bitset) set(i uint32)      { b.words[i/64] |= 1 << (i % 64) }
func (b *bitset) has(i uint32) bool { return i < b.n && b.words[i/64]&(1<<(i%64)) != 0 }
func (b *bitset) clone() *bitset    { return &bitset{words: append([]uint64(nil), b.words...), n: b.n} }

func (b *bitset) and(o *bitset) {
	for i := range b.words {
		b.words[i] &= o.words[i]
	}
}

func (b *bitset) or(o *bitset) {
	for i := range b.words {
		b.words[i] |= o.words[i]
	}
}

func (b *bitset) andNot(o *bitset) {
	for i := range b.words {
		b.words[i] &^= o.words[i]
	}
}

func (b *bitset) count() int {
	c := 0
	for _, w := range b.words {
		c += bits.OnesCount64(w)
	}
	return c
}

// forEach calls fn for every member in ascending order.
func (b *bitset) forEach(fn func(uint32)) {
	for wi, w := range b.words {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(uint32(wi*64 + t))
			w &= w - 1
		}
	}
}

func (b *bitset) toSlice() []uint32 {
	out := make([]uint32, 0, b.count())
	b.forEach(func(i uint32) { out = append(out, i) })
	return out
}
