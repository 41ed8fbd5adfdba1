package auditgen

import (
	"strconv"

	"github.com/auditpipe/auditpipe/internal/jsonstr"
)

// jsonText builds small JSON documents without reflection: Next runs a
// million times in benchmarks and encoding/json would dominate its cost.
// Commas are inferred from the previous byte, so calls read like the JSON.
type jsonText struct{ b []byte }

func newJSON() *jsonText { return &jsonText{b: make([]byte, 0, 160)} }

func (j *jsonText) sep() {
	if n := len(j.b); n > 0 {
		switch j.b[n-1] {
		case '{', '[', ':':
		default:
			j.b = append(j.b, ',')
		}
	}
}

func (j *jsonText) obj() *jsonText    { j.sep(); j.b = append(j.b, '{'); return j }
func (j *jsonText) end() *jsonText    { j.b = append(j.b, '}'); return j }
func (j *jsonText) arr() *jsonText    { j.sep(); j.b = append(j.b, '['); return j }
func (j *jsonText) endArr() *jsonText { j.b = append(j.b, ']'); return j }

func (j *jsonText) key(k string) *jsonText {
	j.sep()
	j.b = jsonstr.Append(j.b, k)
	j.b = append(j.b, ':')
	return j
}

func (j *jsonText) str(v string) *jsonText {
	j.sep()
	j.b = jsonstr.Append(j.b, v)
	return j
}

func (j *jsonText) strs(vs ...string) *jsonText {
	j.arr()
	for _, v := range vs {
		j.str(v)
	}
	return j.endArr()
}

func (j *jsonText) int(v int) *jsonText {
	j.sep()
	j.b = strconv.AppendInt(j.b, int64(v), 10)
	return j
}

// money writes cents as a decimal amount with two places.
func (j *jsonText) money(cents int) *jsonText {
	j.sep()
	j.b = strconv.AppendFloat(j.b, float64(cents)/100, 'f', 2, 64)
	return j
}

func (j *jsonText) bool(v bool) *jsonText {
	j.sep()
	j.b = strconv.AppendBool(j.b, v)
	return j
}

func (j *jsonText) String() string { return string(j.b) }

func money(cents int) string { return strconv.FormatFloat(float64(cents)/100, 'f', 2, 64) }
