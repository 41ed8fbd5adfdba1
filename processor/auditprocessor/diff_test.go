package auditprocessor

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditpipe/auditpipe/semconv"
)

func changeOf(t *testing.T, text string, present bool) changeValue {
	t.Helper()
	m := pcommon.NewMap()
	if present {
		m.PutStr("v", text)
	}
	return readChange(m, "v", &jsonParser{})
}

// diffOf runs writeDiff and reads back what it wrote.
func diffOf(d *differ, oldV, newV changeValue) (fields []string, diff string, ok bool) {
	attrs := pcommon.NewMap()
	d.writeDiff(attrs, oldV, newV, nil, &scratch{})
	if v, found := attrs.Get(semconv.AttrChangeFields); found {
		for _, f := range v.Slice().All() {
			fields = append(fields, f.Str())
		}
	}
	v, ok := attrs.Get(semconv.AttrChangeDiff)
	return fields, v.Str(), ok
}

func TestDiff(t *testing.T) {
	d := &differ{maxFields: 64, maxBytes: 8192}
	for _, tc := range []struct {
		name       string
		old, new   string
		oldAbsent  bool
		newAbsent  bool
		wantFields []string
		wantDiff   string
	}{
		{name: "scalar field", old: `{"balance":120.5,"currency":"EUR"}`, new: `{"balance":620.5,"currency":"EUR"}`,
			wantFields: []string{"balance"}, wantDiff: `{"balance":[120.5,620.5]}`},
		{name: "numbers compare by value", old: `{"a":1,"b":2}`, new: `{"a":1.0,"b":3}`,
			wantFields: []string{"b"}, wantDiff: `{"b":[2,3]}`},
		{name: "nested, added and removed keys", old: `{"limits":{"daily":100,"weekly":500},"vip":false}`,
			new:        `{"limits":{"daily":200},"note":"x","vip":false}`,
			wantFields: []string{"limits.daily", "limits.weekly", "note"},
			wantDiff:   `{"limits.daily":[100,200],"limits.weekly":[500,null],"note":[null,"x"]}`},
		{name: "arrays by index", old: `{"items":[{"sku":"a","price":5},{"sku":"b","price":7}]}`,
			new:        `{"items":[{"sku":"a","price":5},{"sku":"b","price":9},{"sku":"c","price":1}]}`,
			wantFields: []string{"items[1].price", "items[2]"},
			wantDiff:   `{"items[1].price":[7,9],"items[2]":[null,{"price":1,"sku":"c"}]}`},
		{name: "type change replaces the subtree", old: `{"roles":"support"}`, new: `{"roles":["support","admin"]}`,
			wantFields: []string{"roles"}, wantDiff: `{"roles":["support",["support","admin"]]}`},
		{name: "odd keys are quoted", old: `{"a.b":1,"x y":{"z":1}}`, new: `{"a.b":2,"x y":{"z":2}}`,
			wantFields: []string{`["a.b"]`, `["x y"].z`}, wantDiff: `{"[\"a.b\"]":[1,2],"[\"x y\"].z":[1,2]}`},
		{name: "plain text is a root change", old: `active`, new: `blocked`,
			wantFields: []string{"$"}, wantDiff: `{"$":["active","blocked"]}`},
		{name: "json scalars", old: `5`, new: `6`, wantFields: []string{"$"}, wantDiff: `{"$":[5,6]}`},
		{name: "text to json", old: `none`, new: `{"a":1}`, wantFields: []string{"$"}, wantDiff: `{"$":["none",{"a":1}]}`},
		{name: "create lists the fields set", oldAbsent: true, new: `{"name":"Winter","budget":100}`,
			wantFields: []string{"budget", "name"}, wantDiff: `{"budget":[null,100],"name":[null,"Winter"]}`},
		{name: "delete lists the fields removed", old: `{"id":7}`, newAbsent: true,
			wantFields: []string{"id"}, wantDiff: `{"id":[7,null]}`},
		{name: "html is not escaped", old: `{"t":"<b>"}`, new: `{"t":"<i>"}`,
			wantFields: []string{"t"}, wantDiff: `{"t":["<b>","<i>"]}`},
		{name: "no change", old: `{"a":[1,2]}`, new: `{"a":[1,2]}`},
		{name: "both absent", oldAbsent: true, newAbsent: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields, diff, ok := diffOf(d, changeOf(t, tc.old, !tc.oldAbsent), changeOf(t, tc.new, !tc.newAbsent))
			assert.Equal(t, tc.wantFields != nil, ok)
			assert.Equal(t, tc.wantFields, fields)
			if tc.wantDiff != "" {
				assert.Equal(t, tc.wantDiff, diff)
			}
		})
	}
}

func TestDiffIsBounded(t *testing.T) {
	var o, n strings.Builder
	o.WriteString("{")
	n.WriteString("{")
	for i := 0; i < 500; i++ {
		if i > 0 {
			o.WriteString(",")
			n.WriteString(",")
		}
		k := strings.Repeat("k", 3) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		o.WriteString(`"` + k + `":"` + strings.Repeat("o", 40) + `"`)
		n.WriteString(`"` + k + `":"` + strings.Repeat("n", 40) + `"`)
	}
	o.WriteString("}")
	n.WriteString("}")

	d := &differ{maxFields: 10, maxBytes: 300}
	fields, diff, ok := diffOf(d, changeOf(t, o.String(), true), changeOf(t, n.String(), true))
	require.True(t, ok)
	assert.Len(t, fields, 10)
	assert.LessOrEqual(t, len(diff), 300)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal([]byte(diff), &parsed), diff)
	assert.Equal(t, true, parsed[truncatedKey])
	assert.Greater(t, len(parsed), 1, "as many entries as fit are kept")
}

func TestWriteDiffSetsAttributes(t *testing.T) {
	_, lr := newEvent("player.balance_adjust", "success",
		semconv.AttrChangeOld, `{"balance":120.5}`, semconv.AttrChangeNew, `{"balance":620.5}`)
	attrs := lr.Attributes()
	(&differ{maxFields: 64, maxBytes: 8192}).writeDiff(attrs,
		readChange(attrs, semconv.AttrChangeOld, &jsonParser{}), readChange(attrs, semconv.AttrChangeNew, &jsonParser{}), nil, &scratch{})
	assert.Equal(t, []string{"balance"}, attrList(lr, semconv.AttrChangeFields))
	assert.Equal(t, `{"balance":[120.5,620.5]}`, attr(lr, semconv.AttrChangeDiff))
}

func TestLooksLikeJSON(t *testing.T) {
	for s, want := range map[string]bool{
		`{"a":1}`: true, ` [1]`: true, `"x"`: true, `-1`: true, `12`: true, `true`: true, `null`: true,
		`nothing`: false, `trueish`: false, ``: false, `   `: false, `EUR 5`: false,
	} {
		assert.Equal(t, want, looksLikeJSON(s), s)
	}
	// A number-looking text that is not JSON stays text.
	assert.False(t, changeOf(t, "12 EUR", true).isJSON)
}
