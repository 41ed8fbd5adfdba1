package esdev

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// fieldMapping is one node of an index mapping: a leaf field, an object with
// properties, or a leaf with multi-fields.
type fieldMapping struct {
	Type        string
	Properties  map[string]*fieldMapping
	Fields      map[string]*fieldMapping
	Dynamic     string
	Enabled     *bool
	IgnoreAbove int
	Format      string
	// params holds accepted parameters esdev does not interpret (doc_values,
	// index, norms...), echoed back by GET _mapping.
	params map[string]any
}

// mappings is the root of an index mapping.
type mappings struct {
	Dynamic       string
	DateDetection *bool
	Properties    map[string]*fieldMapping
	params        map[string]any
}

var leafTypes = map[string]bool{
	"keyword": true, "text": true, "match_only_text": true, "wildcard": true, "constant_keyword": false,
	"date": true, "date_nanos": true, "ip": true,
	"long": true, "integer": true, "short": true, "byte": true,
	"double": true, "float": true, "half_float": true,
	"boolean": true, "flattened": true,
}

// interpretedParams are parameters that do not change search results in esdev
// (storage/scoring tuning); they are accepted and echoed.
var passiveParams = map[string]bool{
	"doc_values": true, "index": true, "norms": true, "store": true, "index_options": true,
	"eager_global_ordinals": true, "depth_limit": true, "coerce": true, "time_series_dimension": true,
	"meta": true, "split_queries_on_whitespace": true, "ignore_malformed": false,
}

func parseMappings(raw map[string]any) (*mappings, error) {
	m := &mappings{Properties: map[string]*fieldMapping{}}
	for k, v := range raw {
		switch k {
		case "properties":
			props, err := parseProperties(v, "")
			if err != nil {
				return nil, err
			}
			m.Properties = props
		case "dynamic":
			d, err := parseDynamic(v)
			if err != nil {
				return nil, err
			}
			m.Dynamic = d
		case "date_detection":
			b, ok := v.(bool)
			if !ok {
				return nil, badRequest("mapper_parsing_exception", "[date_detection] must be a boolean")
			}
			m.DateDetection = &b
		case "_meta", "_source", "_routing", "numeric_detection":
			if m.params == nil {
				m.params = map[string]any{}
			}
			if k == "numeric_detection" && v == true {
				return nil, unsupported("mapping parameter [numeric_detection: true]")
			}
			if k == "_source" {
				if src, ok := v.(map[string]any); ok && (src["enabled"] == false || src["mode"] != nil || src["includes"] != nil || src["excludes"] != nil) {
					return nil, unsupported("mapping parameter [_source] other than the default")
				}
			}
			m.params[k] = v
		default:
			return nil, unsupported("mapping parameter [%s]", k)
		}
	}
	return m, nil
}

func parseDynamic(v any) (string, error) {
	switch x := v.(type) {
	case bool:
		return fmt.Sprint(x), nil
	case string:
		switch x {
		case "true", "false", "strict":
			return x, nil
		case "runtime":
			return "", unsupported("[dynamic: runtime]")
		}
	}
	return "", badRequest("mapper_parsing_exception", "unknown value for [dynamic]: [%v]", v)
}

func parseProperties(v any, prefix string) (map[string]*fieldMapping, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("mapper_parsing_exception", "[properties] of [%s] must be an object", prefix)
	}
	out := make(map[string]*fieldMapping, len(obj))
	for name, def := range obj {
		d, ok := def.(map[string]any)
		if !ok {
			return nil, badRequest("mapper_parsing_exception", "expected map for property [%s%s]", prefix, name)
		}
		fm, err := parseField(d, prefix+name)
		if err != nil {
			return nil, err
		}
		// A dotted name in a mapping is shorthand for nested objects.
		parts := strings.Split(name, ".")
		node := out
		for _, p := range parts[:len(parts)-1] {
			parent := node[p]
			if parent == nil {
				parent = &fieldMapping{Type: "object", Properties: map[string]*fieldMapping{}}
				node[p] = parent
			}
			node = parent.Properties
		}
		node[parts[len(parts)-1]] = fm
	}
	return out, nil
}

func parseField(d map[string]any, path string) (*fieldMapping, error) {
	fm := &fieldMapping{}
	if t, ok := d["type"].(string); ok {
		fm.Type = t
	} else if d["type"] != nil {
		return nil, badRequest("mapper_parsing_exception", "[type] of [%s] must be a string", path)
	} else {
		fm.Type = "object"
	}
	switch fm.Type {
	case "object":
	case "nested":
		return nil, unsupported("field type [nested] (field [%s])", path)
	default:
		if !leafTypes[fm.Type] {
			return nil, unsupported("field type [%s] (field [%s])", fm.Type, path)
		}
	}
	for k, v := range d {
		var err error
		switch k {
		case "type":
		case "properties":
			if fm.Type != "object" {
				return nil, badRequest("mapper_parsing_exception", "[properties] is only valid on objects (field [%s])", path)
			}
			fm.Properties, err = parseProperties(v, path+".")
		case "fields":
			fm.Fields, err = parseProperties(v, path+".")
		case "dynamic":
			fm.Dynamic, err = parseDynamic(v)
		case "enabled":
			b, ok := v.(bool)
			if !ok {
				return nil, badRequest("mapper_parsing_exception", "[enabled] of [%s] must be a boolean", path)
			}
			fm.Enabled = &b
		case "ignore_above":
			n, ok := v.(json.Number)
			if !ok {
				return nil, badRequest("mapper_parsing_exception", "[ignore_above] of [%s] must be a number", path)
			}
			i, _ := n.Int64()
			fm.IgnoreAbove = int(i)
		case "format":
			s, _ := v.(string)
			if _, perr := parseDateFormat("", s, nil); perr != nil {
				if e, ok := perr.(*esError); ok && e.Type == "parsing_exception" {
					return nil, perr
				}
			}
			fm.Format = s
		case "analyzer", "search_analyzer":
			if v != "standard" {
				return nil, unsupported("analyzer [%v] (field [%s]); only [standard] is available", v, path)
			}
			fm.setParam(k, v)
		default:
			if !passiveParams[k] {
				return nil, unsupported("mapping parameter [%s] (field [%s])", k, path)
			}
			fm.setParam(k, v)
		}
		if err != nil {
			return nil, err
		}
	}
	if fm.Type == "object" && fm.Properties == nil {
		fm.Properties = map[string]*fieldMapping{}
	}
	return fm, nil
}

func (f *fieldMapping) setParam(k string, v any) {
	if f.params == nil {
		f.params = map[string]any{}
	}
	f.params[k] = v
}

func (f *fieldMapping) clone() *fieldMapping {
	c := *f
	c.Properties = cloneProps(f.Properties)
	c.Fields = cloneProps(f.Fields)
	return &c
}

func cloneProps(p map[string]*fieldMapping) map[string]*fieldMapping {
	if p == nil {
		return nil
	}
	out := make(map[string]*fieldMapping, len(p))
	for k, v := range p {
		out[k] = v.clone()
	}
	return out
}

func (m *mappings) clone() *mappings {
	c := *m
	c.Properties = cloneProps(m.Properties)
	return &c
}

// merge overlays o onto m, as Elasticsearch composes component templates,
// index templates and mapping updates. A type change is an error.
func (m *mappings) merge(o *mappings) error {
	if o.Dynamic != "" {
		m.Dynamic = o.Dynamic
	}
	if o.DateDetection != nil {
		m.DateDetection = o.DateDetection
	}
	for k, v := range o.params {
		if m.params == nil {
			m.params = map[string]any{}
		}
		m.params[k] = v
	}
	return mergeProps(m.Properties, o.Properties, "")
}

func mergeProps(dst, src map[string]*fieldMapping, prefix string) error {
	for name, s := range src {
		d, ok := dst[name]
		if !ok {
			dst[name] = s.clone()
			continue
		}
		if d.Type != s.Type {
			return badRequest("illegal_argument_exception", "mapper [%s%s] cannot be changed from type [%s] to [%s]", prefix, name, d.Type, s.Type)
		}
		if s.Dynamic != "" {
			d.Dynamic = s.Dynamic
		}
		if d.Properties == nil && s.Properties != nil {
			d.Properties = map[string]*fieldMapping{}
		}
		if err := mergeProps(d.Properties, s.Properties, prefix+name+"."); err != nil {
			return err
		}
		if d.Fields == nil && s.Fields != nil {
			d.Fields = map[string]*fieldMapping{}
		}
		if err := mergeProps(d.Fields, s.Fields, prefix+name+"."); err != nil {
			return err
		}
	}
	return nil
}

// leaves flattens the mapping into dotted leaf paths (multi-fields included).
func (m *mappings) leaves() map[string]*fieldMapping {
	out := map[string]*fieldMapping{}
	var walk func(props map[string]*fieldMapping, prefix string)
	walk = func(props map[string]*fieldMapping, prefix string) {
		for name, f := range props {
			p := prefix + name
			if f.Type == "object" {
				walk(f.Properties, p+".")
				continue
			}
			out[p] = f
			for sub, sf := range f.Fields {
				out[p+"."+sub] = sf
			}
		}
	}
	walk(m.Properties, "")
	return out
}

func (m *mappings) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, v := range m.params {
		out[k] = v
	}
	if m.Dynamic != "" {
		out["dynamic"] = m.Dynamic
	}
	if m.DateDetection != nil {
		out["date_detection"] = *m.DateDetection
	}
	if len(m.Properties) > 0 {
		out["properties"] = m.Properties
	}
	return json.Marshal(out)
}

func (f *fieldMapping) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, v := range f.params {
		out[k] = v
	}
	if f.Type != "object" {
		out["type"] = f.Type
	}
	if f.Properties != nil && f.Type == "object" {
		out["properties"] = f.Properties
	}
	if len(f.Fields) > 0 {
		out["fields"] = f.Fields
	}
	if f.Dynamic != "" {
		out["dynamic"] = f.Dynamic
	}
	if f.Enabled != nil {
		out["enabled"] = *f.Enabled
	}
	if f.IgnoreAbove > 0 {
		out["ignore_above"] = f.IgnoreAbove
	}
	if f.Format != "" {
		out["format"] = f.Format
	}
	return json.Marshal(out)
}

// dynamicFieldFor infers a mapping for an unmapped value the way Elasticsearch's
// default dynamic mapping does; nil means the value adds no field (null).
func dynamicFieldFor(v any, dateDetection bool) *fieldMapping {
	switch x := v.(type) {
	case string:
		if dateDetection {
			if _, ok := parseDateString(x, nil); ok && strings.Contains(x, "-") {
				return &fieldMapping{Type: "date"}
			}
		}
		return &fieldMapping{Type: "text", Fields: map[string]*fieldMapping{
			"keyword": {Type: "keyword", IgnoreAbove: 256},
		}}
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return &fieldMapping{Type: "long"}
		}
		return &fieldMapping{Type: "float"}
	case bool:
		return &fieldMapping{Type: "boolean"}
	case map[string]any:
		return &fieldMapping{Type: "object", Properties: map[string]*fieldMapping{}}
	case []any:
		for _, e := range x {
			if f := dynamicFieldFor(e, dateDetection); f != nil {
				return f
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
