package esdev

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type indexTemplate struct {
	Name       string
	Body       map[string]any
	Patterns   []string
	Priority   int64
	DataStream bool
	ComposedOf []string
	Mappings   *mappings
}

type componentTemplate struct {
	Name     string
	Body     map[string]any
	Mappings *mappings
}

type ilmPolicy struct {
	Body     map[string]any
	Version  int64
	Modified time.Time
}

type dataStream struct {
	Name       string   `json:"name"`
	Indices    []string `json:"indices"`
	Template   string   `json:"template"`
	Generation int      `json:"generation"`
}

// persisted metadata (meta.json); documents live in each index directory.
type metaFile struct {
	Templates  map[string]map[string]any `json:"index_templates"`
	Components map[string]map[string]any `json:"component_templates"`
	Policies   map[string]struct {
		Body     map[string]any `json:"body"`
		Version  int64          `json:"version"`
		Modified time.Time      `json:"modified"`
	} `json:"ilm_policies"`
	Streams map[string]*dataStream `json:"data_streams"`
	Indices map[string]struct {
		UUID       string          `json:"uuid"`
		DataStream string          `json:"data_stream,omitempty"`
		Created    time.Time       `json:"created"`
		Mappings   json.RawMessage `json:"mappings"`
	} `json:"indices"`
}

func (s *Server) metaPath() string { return filepath.Join(s.cfg.DataDir, "meta.json") }

func (s *Server) loadMeta() error {
	b, err := os.ReadFile(s.metaPath())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var mf metaFile
	if err := decodeJSON(b, &mf); err != nil {
		return fmt.Errorf("esdev: %s: %w", s.metaPath(), err)
	}
	for name, body := range mf.Components {
		ct, err := parseComponentTemplate(name, body)
		if err != nil {
			return err
		}
		s.components[name] = ct
	}
	for name, body := range mf.Templates {
		t, err := s.parseIndexTemplate(name, body)
		if err != nil {
			return err
		}
		s.templates[name] = t
	}
	for name, p := range mf.Policies {
		s.policies[name] = &ilmPolicy{Body: p.Body, Version: p.Version, Modified: p.Modified}
	}
	for name, ds := range mf.Streams {
		s.streams[name] = ds
	}
	for name, im := range mf.Indices {
		var raw map[string]any
		if err := decodeJSON(im.Mappings, &raw); err != nil {
			return err
		}
		m, err := parseMappings(raw)
		if err != nil {
			return fmt.Errorf("esdev: stored mapping of %s: %w", name, err)
		}
		ix, err := openIndex(name, im.UUID, filepath.Join(s.cfg.DataDir, "indices", im.UUID), m, im.Created)
		if err != nil {
			return err
		}
		ix.dataStream = im.DataStream
		s.indices[name] = ix
	}
	return nil
}

func (s *Server) saveMeta() error {
	s.mu.RLock()
	mf := map[string]any{}
	tpl := map[string]any{}
	for n, t := range s.templates {
		tpl[n] = t.Body
	}
	comp := map[string]any{}
	for n, c := range s.components {
		comp[n] = c.Body
	}
	pol := map[string]any{}
	for n, p := range s.policies {
		pol[n] = map[string]any{"body": p.Body, "version": p.Version, "modified": p.Modified}
	}
	idx := map[string]any{}
	for n, ix := range s.indices {
		ix.mu.Lock()
		mb, err := json.Marshal(ix.mapping)
		ix.mappingChanged = false
		ix.mu.Unlock()
		if err != nil {
			s.mu.RUnlock()
			return err
		}
		idx[n] = map[string]any{"uuid": ix.uuid, "data_stream": ix.dataStream, "created": ix.created,
			"mappings": json.RawMessage(mb)}
	}
	mf["index_templates"], mf["component_templates"], mf["ilm_policies"] = tpl, comp, pol
	mf["data_streams"], mf["indices"] = s.streams, idx
	b, err := json.Marshal(mf)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return writeFileDurably(s.metaPath(), b)
}

// writeFileDurably replaces path atomically and fsyncs the new content
// before the change is answered: after a crash the file is whole, old or new.
func writeFileDurably(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ---- templates ----

// listTemplates answers GET _index_template or _component_template: every
// template whose name matches pattern (all when empty), and 404 for a plain
// name that matches none, as Elasticsearch does.
func listTemplates[T any](templates map[string]T, pattern, what, field string, body func(T) map[string]any) (int, any, error) {
	out := []any{}
	for _, n := range sortedKeys(templates) {
		if pattern == "" || matchName(pattern, n) {
			out = append(out, map[string]any{"name": n, field: body(templates[n])})
		}
	}
	if pattern != "" && !strings.Contains(pattern, "*") && len(out) == 0 {
		return 0, nil, &esError{Status: 404, Type: "resource_not_found_exception", Reason: what + " matching [" + pattern + "] not found"}
	}
	return 200, map[string]any{field + "s": out}, nil
}

func parseComponentTemplate(name string, body map[string]any) (*componentTemplate, error) {
	ct := &componentTemplate{Name: name, Body: body, Mappings: &mappings{Properties: map[string]*fieldMapping{}}}
	for k := range body {
		if k != "template" && k != "version" && k != "_meta" {
			return nil, unsupported("component template parameter [%s]", k)
		}
	}
	m, err := templateMappings(body["template"])
	if err != nil {
		return nil, err
	}
	if m != nil {
		ct.Mappings = m
	}
	return ct, nil
}

func templateMappings(t any) (*mappings, error) {
	if t == nil {
		return nil, nil
	}
	tm, ok := t.(map[string]any)
	if !ok {
		return nil, parseErr("[template] must be an object")
	}
	for k := range tm {
		switch k {
		case "mappings", "settings", "aliases", "lifecycle":
		default:
			return nil, unsupported("template parameter [%s]", k)
		}
	}
	if a, ok := tm["aliases"].(map[string]any); ok && len(a) > 0 {
		return nil, unsupported("aliases")
	}
	raw, ok := tm["mappings"].(map[string]any)
	if !ok {
		return nil, nil
	}
	return parseMappings(raw)
}

func (s *Server) parseIndexTemplate(name string, body map[string]any) (*indexTemplate, error) {
	t := &indexTemplate{Name: name, Body: body}
	for k, v := range body {
		switch k {
		case "index_patterns":
			switch p := v.(type) {
			case string:
				t.Patterns = strings.Split(p, ",")
			case []any:
				for _, e := range p {
					t.Patterns = append(t.Patterns, fmt.Sprint(e))
				}
			}
		case "priority":
			n, _ := v.(json.Number)
			t.Priority, _ = n.Int64()
		case "data_stream":
			if ds, ok := v.(map[string]any); ok {
				for dk, dv := range ds {
					if dk != "hidden" && dk != "allow_custom_routing" || dv == true {
						return nil, unsupported("data_stream option [%s]", dk)
					}
				}
			}
			t.DataStream = true
		case "composed_of":
			arr, _ := v.([]any)
			for _, e := range arr {
				c := fmt.Sprint(e)
				if s.components[c] == nil {
					return nil, badRequest("invalid_index_template_exception",
						"index_template [%s] invalid, cause [index template [%s] specifies component templates [%s] that do not exist]", name, name, c)
				}
				t.ComposedOf = append(t.ComposedOf, c)
			}
		case "template", "version", "_meta", "allow_auto_create", "ignore_missing_component_templates", "deprecated":
		default:
			return nil, unsupported("index template parameter [%s]", k)
		}
	}
	if len(t.Patterns) == 0 {
		return nil, badRequest("action_request_validation_exception", "Validation Failed: 1: index patterns are missing;")
	}
	own, err := templateMappings(body["template"])
	if err != nil {
		return nil, err
	}
	t.Mappings = own
	return t, nil
}

// composedMappings resolves a template's mappings: its component templates
// in order, then its own mappings, as Elasticsearch composes them.
func (s *Server) composedMappings(t *indexTemplate) (*mappings, error) {
	m := &mappings{Properties: map[string]*fieldMapping{}}
	for _, c := range t.ComposedOf {
		if ct := s.components[c]; ct != nil {
			if err := m.merge(ct.Mappings); err != nil {
				return nil, err
			}
		}
	}
	if t.Mappings != nil {
		if err := m.merge(t.Mappings); err != nil {
			return nil, err
		}
	}
	if t.DataStream {
		if f := m.Properties["@timestamp"]; f == nil {
			m.Properties["@timestamp"] = &fieldMapping{Type: "date"}
		}
	}
	return m, nil
}

// matchTemplate picks the highest-priority template matching name. Caller holds s.mu.
func (s *Server) matchTemplate(name string) *indexTemplate {
	var best *indexTemplate
	for _, t := range s.templates {
		for _, p := range t.Patterns {
			if ok, _ := path.Match(p, name); ok {
				if best == nil || t.Priority > best.Priority || (t.Priority == best.Priority && t.Name < best.Name) {
					best = t
				}
				break
			}
		}
	}
	return best
}

func (s *Server) handleIndexTemplate(r *http.Request, parts []string) (int, any, error) {
	if len(parts) > 2 {
		return 0, nil, unsupported("the endpoint [%s]", r.URL.Path)
	}
	name := ""
	if len(parts) == 2 {
		name = parts[1]
	}
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		if name == "" {
			return notAllowed(r)
		}
		body, err := decodeObject(r)
		if err != nil {
			return 0, nil, err
		}
		s.mu.Lock()
		t, err := s.parseIndexTemplate(name, body)
		if err == nil {
			_, err = s.composedMappings(t)
		}
		if err == nil {
			if _, exists := s.templates[name]; exists && r.URL.Query().Get("create") == "true" {
				err = badRequest("illegal_argument_exception", "index template [%s] already exists", name)
			} else {
				s.templates[name] = t
			}
		}
		s.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		defer s.mu.RUnlock()
		return listTemplates(s.templates, name, "index template", "index_template",
			func(t *indexTemplate) map[string]any { return t.Body })
	case http.MethodDelete:
		s.mu.Lock()
		_, ok := s.templates[name]
		delete(s.templates, name)
		s.mu.Unlock()
		if !ok {
			return 0, nil, &esError{Status: 404, Type: "index_template_missing_exception", Reason: "index_template [" + name + "] missing"}
		}
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	}
	return notAllowed(r)
}

func (s *Server) handleComponentTemplate(r *http.Request, parts []string) (int, any, error) {
	if len(parts) > 2 {
		return 0, nil, unsupported("the endpoint [%s]", r.URL.Path)
	}
	name := ""
	if len(parts) == 2 {
		name = parts[1]
	}
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		body, err := decodeObject(r)
		if err != nil {
			return 0, nil, err
		}
		ct, err := parseComponentTemplate(name, body)
		if err != nil {
			return 0, nil, err
		}
		s.mu.Lock()
		s.components[name] = ct
		s.mu.Unlock()
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		defer s.mu.RUnlock()
		return listTemplates(s.components, name, "component template", "component_template",
			func(t *componentTemplate) map[string]any { return t.Body })
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.components, name)
		s.mu.Unlock()
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	}
	return notAllowed(r)
}

func (s *Server) handleILM(r *http.Request, parts []string) (int, any, error) {
	if len(parts) < 2 || parts[1] != "policy" || len(parts) > 3 {
		return 0, nil, unsupported("the ILM endpoint [%s]; only _ilm/policy is stored", r.URL.Path)
	}
	name := ""
	if len(parts) == 3 {
		name = parts[2]
	}
	switch r.Method {
	case http.MethodPut:
		body, err := decodeObject(r)
		if err != nil {
			return 0, nil, err
		}
		if _, ok := body["policy"].(map[string]any); !ok {
			return 0, nil, parseErr("[put_lifecycle_request] requires a [policy] object")
		}
		s.mu.Lock()
		p := s.policies[name]
		if p == nil {
			p = &ilmPolicy{}
			s.policies[name] = p
		}
		p.Body, p.Version, p.Modified = body["policy"].(map[string]any), p.Version+1, s.now().UTC()
		s.mu.Unlock()
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	case http.MethodGet:
		s.mu.RLock()
		defer s.mu.RUnlock()
		out := map[string]any{}
		for n, p := range s.policies {
			if name == "" || n == name {
				out[n] = map[string]any{"version": p.Version, "modified_date": p.Modified.Format(esDateLayout), "policy": p.Body}
			}
		}
		if name != "" && len(out) == 0 {
			return 0, nil, &esError{Status: 404, Type: "resource_not_found_exception", Reason: "Lifecycle policy not found: " + name}
		}
		return 200, out, nil
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.policies, name)
		s.mu.Unlock()
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	}
	return notAllowed(r)
}

// ---- indices and data streams ----

func matchName(pattern, name string) bool {
	for _, p := range strings.Split(pattern, ",") {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func validIndexName(name string) error {
	if name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, `\/*?"<>| ,#:`) ||
		strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+") || len(name) > 255 {
		return badRequest("invalid_index_name_exception", "Invalid index name [%s]", name)
	}
	return nil
}

// createIndex creates a concrete index; templates apply unless explicit is
// given. Caller holds s.mu for writing.
func (s *Server) createIndexLocked(name string, explicit *mappings, dataStream string) (*index, error) {
	m := &mappings{Properties: map[string]*fieldMapping{}}
	tplName := name
	if dataStream != "" {
		tplName = dataStream
	}
	if t := s.matchTemplate(tplName); t != nil && (dataStream != "" || !t.DataStream) {
		tm, err := s.composedMappings(t)
		if err != nil {
			return nil, err
		}
		m = tm
	}
	if explicit != nil {
		if err := m.merge(explicit); err != nil {
			return nil, err
		}
	}
	uuid := newUUID()
	ix, err := openIndex(name, uuid, filepath.Join(s.cfg.DataDir, "indices", uuid), m, s.now().UTC())
	if err != nil {
		return nil, err
	}
	ix.dataStream = dataStream
	s.indices[name] = ix
	return ix, nil
}

// writeTarget resolves the index a write to name goes to, creating an index
// or a data stream on first write as Elasticsearch's auto-create does.
func (s *Server) writeTarget(name string, opCreate bool) (*index, error) {
	s.mu.RLock()
	ix, ds := s.indices[name], s.streams[name]
	var backing *index
	if ds != nil {
		backing = s.indices[ds.Indices[len(ds.Indices)-1]]
	}
	s.mu.RUnlock()
	if ix != nil {
		return ix, nil
	}
	if backing != nil {
		if !opCreate {
			return nil, badRequest("illegal_argument_exception", "only write ops with an op_type of create are allowed in data streams")
		}
		return backing, nil
	}
	if err := validIndexName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if ix := s.indices[name]; ix != nil {
		s.mu.Unlock()
		return ix, nil
	}
	if ds := s.streams[name]; ds != nil {
		ix := s.indices[ds.Indices[len(ds.Indices)-1]]
		s.mu.Unlock()
		if !opCreate {
			return nil, badRequest("illegal_argument_exception", "only write ops with an op_type of create are allowed in data streams")
		}
		return ix, nil
	}
	t := s.matchTemplate(name)
	var err error
	if t != nil && t.DataStream {
		if !opCreate {
			s.mu.Unlock()
			return nil, badRequest("illegal_argument_exception", "only write ops with an op_type of create are allowed in data streams")
		}
		ix, err = s.createDataStreamLocked(name, t)
	} else {
		ix, err = s.createIndexLocked(name, nil, "")
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return ix, s.saveMeta()
}

func (s *Server) createDataStreamLocked(name string, t *indexTemplate) (*index, error) {
	backing := fmt.Sprintf(".ds-%s-%s-%06d", name, s.now().UTC().Format("2006.01.02"), 1)
	ix, err := s.createIndexLocked(backing, nil, name)
	if err != nil {
		return nil, err
	}
	s.streams[name] = &dataStream{Name: name, Indices: []string{backing}, Template: t.Name, Generation: 1}
	return ix, nil
}

func (s *Server) handleDataStream(r *http.Request, parts []string) (int, any, error) {
	name := ""
	if len(parts) == 2 {
		name = parts[1]
	} else if len(parts) > 2 {
		return 0, nil, unsupported("the endpoint [%s]", r.URL.Path)
	}
	switch r.Method {
	case http.MethodPut:
		s.mu.Lock()
		t := s.matchTemplate(name)
		var err error
		switch {
		case s.streams[name] != nil:
			err = badRequest("resource_already_exists_exception", "data_stream [%s] already exists", name)
		case t == nil || !t.DataStream:
			err = badRequest("illegal_argument_exception", "no matching index template found for data stream [%s]", name)
		default:
			_, err = s.createDataStreamLocked(name, t)
		}
		s.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	case http.MethodGet:
		s.mu.RLock()
		defer s.mu.RUnlock()
		out := []any{}
		for _, n := range sortedKeys(s.streams) {
			if name != "" && !matchName(name, n) {
				continue
			}
			ds := s.streams[n]
			ixs := []any{}
			for _, b := range ds.Indices {
				if ix := s.indices[b]; ix != nil {
					ixs = append(ixs, map[string]any{"index_name": b, "index_uuid": ix.uuid})
				}
			}
			out = append(out, map[string]any{"name": n, "timestamp_field": map[string]any{"name": "@timestamp"},
				"indices": ixs, "generation": ds.Generation, "status": "GREEN", "template": ds.Template,
				"hidden": false, "system": false})
		}
		if name != "" && !strings.Contains(name, "*") && len(out) == 0 {
			return 0, nil, indexNotFound(name)
		}
		return 200, map[string]any{"data_streams": out}, nil
	case http.MethodDelete:
		s.mu.Lock()
		ds := s.streams[name]
		var victims []*index
		if ds != nil {
			for _, b := range ds.Indices {
				if ix := s.indices[b]; ix != nil {
					victims = append(victims, ix)
					delete(s.indices, b)
				}
			}
			delete(s.streams, name)
		}
		s.mu.Unlock()
		if ds == nil {
			return 0, nil, indexNotFound(name)
		}
		for _, ix := range victims {
			_ = ix.close()
			_ = os.RemoveAll(ix.dir)
		}
		return 200, map[string]any{"acknowledged": true}, s.saveMeta()
	}
	return notAllowed(r)
}

// resolve expands an index expression ("a,b", "logs-*", "_all", a data
// stream name) to concrete indices. Unknown concrete names are an error
// unless lenient; wildcards matching nothing are not.
func (s *Server) resolve(expr string, lenient bool) ([]*index, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[*index]bool{}
	var out []*index
	add := func(ix *index) {
		if ix != nil && !seen[ix] {
			seen[ix] = true
			out = append(out, ix)
		}
	}
	addStream := func(ds *dataStream) {
		for _, b := range ds.Indices {
			add(s.indices[b])
		}
	}
	for _, p := range strings.Split(expr, ",") {
		if p == "" {
			continue
		}
		if p == "_all" {
			p = "*"
		}
		if strings.Contains(p, "*") {
			for n, ix := range s.indices {
				// Hidden backing indices match only patterns that name them.
				if (!strings.HasPrefix(n, ".") || strings.HasPrefix(p, ".")) && matchName(p, n) {
					add(ix)
				}
			}
			for n, ds := range s.streams {
				if matchName(p, n) {
					addStream(ds)
				}
			}
			continue
		}
		if ix := s.indices[p]; ix != nil {
			add(ix)
		} else if ds := s.streams[p]; ds != nil {
			addStream(ds)
		} else if !lenient {
			return nil, indexNotFound(p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (s *Server) handleCreateIndex(r *http.Request, name string) (int, any, error) {
	if err := validIndexName(name); err != nil {
		return 0, nil, err
	}
	body, err := decodeObject(r)
	if err != nil {
		return 0, nil, err
	}
	var explicit *mappings
	for k, v := range body {
		switch k {
		case "mappings":
			raw, ok := v.(map[string]any)
			if !ok {
				return 0, nil, parseErr("[mappings] must be an object")
			}
			if explicit, err = parseMappings(raw); err != nil {
				return 0, nil, err
			}
		case "settings":
		case "aliases":
			if a, ok := v.(map[string]any); ok && len(a) > 0 {
				return 0, nil, unsupported("aliases")
			}
		default:
			return 0, nil, unsupported("create index parameter [%s]", k)
		}
	}
	s.mu.Lock()
	if s.indices[name] != nil || s.streams[name] != nil {
		s.mu.Unlock()
		return 0, nil, &esError{Status: 400, Type: "resource_already_exists_exception",
			Reason: "index [" + name + "/" + s.indices[name].uuidOrNA() + "] already exists", Index: name}
	}
	_, err = s.createIndexLocked(name, explicit, "")
	s.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	return 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name}, s.saveMeta()
}

func (ix *index) uuidOrNA() string {
	if ix == nil {
		return "_na_"
	}
	return ix.uuid
}

func (s *Server) handleDeleteIndex(expr string) (int, any, error) {
	ixs, err := s.resolve(expr, false)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	for _, ix := range ixs {
		if ix.dataStream != "" {
			s.mu.Unlock()
			return 0, nil, badRequest("illegal_argument_exception",
				"index [%s] is the write index for data stream [%s] and cannot be deleted", ix.name, ix.dataStream)
		}
	}
	for _, ix := range ixs {
		delete(s.indices, ix.name)
	}
	s.mu.Unlock()
	for _, ix := range ixs {
		_ = ix.close()
		_ = os.RemoveAll(ix.dir)
	}
	return 200, map[string]any{"acknowledged": true}, s.saveMeta()
}

func (s *Server) handleGetIndex(expr string) (int, any, error) {
	ixs, err := s.resolve(expr, false)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		mb, _ := json.Marshal(ix.mapping)
		ix.mu.RUnlock()
		entry := map[string]any{"aliases": map[string]any{}, "mappings": json.RawMessage(mb),
			"settings": map[string]any{"index": map[string]any{
				"number_of_shards": "1", "number_of_replicas": "0", "uuid": ix.uuid, "provided_name": ix.name,
				"creation_date": fmt.Sprint(ix.created.UnixMilli()),
			}}}
		if ix.dataStream != "" {
			entry["data_stream"] = ix.dataStream
		}
		out[ix.name] = entry
	}
	return 200, out, nil
}

func (s *Server) handleGetMapping(expr string) (int, any, error) {
	ixs, err := s.resolve(expr, false)
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{}
	for _, ix := range ixs {
		ix.mu.RLock()
		mb, _ := json.Marshal(ix.mapping)
		ix.mu.RUnlock()
		out[ix.name] = map[string]any{"mappings": json.RawMessage(mb)}
	}
	return 200, out, nil
}

func (s *Server) handlePutMapping(r *http.Request, expr string) (int, any, error) {
	ixs, err := s.resolve(expr, false)
	if err != nil {
		return 0, nil, err
	}
	body, err := decodeObject(r)
	if err != nil {
		return 0, nil, err
	}
	m, err := parseMappings(body)
	if err != nil {
		return 0, nil, err
	}
	for _, ix := range ixs {
		ix.mu.Lock()
		next := ix.mapping.clone()
		err := next.merge(m)
		if err == nil {
			ix.mapping = next
			ix.rebuildFieldIndex()
		}
		ix.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
	}
	return 200, map[string]any{"acknowledged": true}, s.saveMeta()
}

func (s *Server) handleRefresh(expr string) (int, any, error) {
	ixs, err := s.resolve(expr, false)
	if err != nil {
		return 0, nil, err
	}
	for _, ix := range ixs {
		ix.mu.Lock()
		err := ix.refresh()
		ix.mu.Unlock()
		if err != nil {
			return 0, nil, err
		}
	}
	n := len(ixs)
	return 200, map[string]any{"_shards": map[string]any{"total": n, "successful": n, "failed": 0}}, nil
}
