package esdev

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// textAnalyzer mirrors Elasticsearch's "standard" analyzer: Unicode word
// segmentation and lower-casing, without stop words (bleve's own "standard"
// analyzer drops English stop words, Elasticsearch's does not).
const textAnalyzer = "es_standard"

const (
	logIndexOp  = 'I'
	logDeleteOp = 'D'
)

type docRef struct {
	ord     uint32
	version int64
	seqNo   int64
}

// index is one Elasticsearch index (or data stream backing index): the
// document log (the _source of record), the columns built from it, and a
// bleve index holding the analyzed text fields.
type index struct {
	name       string
	uuid       string
	dataStream string
	created    time.Time
	dir        string

	mu      sync.RWMutex
	mapping *mappings
	leaves  map[string]*fieldMapping
	objects map[string]*fieldMapping
	cols    map[string]*column

	ids     []string
	srcOff  []int64
	srcLen  []uint32
	idMap   map[string]docRef
	deleted *bitset
	pending []uint32 // ordinals replaced or deleted since the last refresh
	n       uint32   // documents appended (live or not)
	visible uint32   // documents searchable since the last refresh
	seqNo   int64
	live    *bitset // cached live set for [0,visible)

	log       *os.File
	w         *bufio.Writer
	logSize   int64
	flushedTo int64
	syncedTo  int64

	// paths caches prefix+key concatenations: documents of one index repeat
	// the same field names, and building them dominated parsing allocations.
	paths map[string]map[string]string

	text           bleve.Index
	analyzer       analysis.Analyzer
	batch          *bleve.Batch
	mappingChanged bool
}

func newTextMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	m.DefaultAnalyzer = textAnalyzer
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	return m, nil
}

// openIndex opens (or creates) the index stored in dir, replaying its log.
func openIndex(name, uuid, dir string, m *mappings, created time.Time) (*index, error) {
	ix := &index{name: name, uuid: uuid, dir: dir, created: created, mapping: m,
		cols: map[string]*column{}, idMap: map[string]docRef{}, deleted: newBitset(0)}
	ix.rebuildFieldIndex()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tm, err := newTextMapping()
	if err != nil {
		return nil, err
	}
	ix.analyzer = tm.AnalyzerNamed(textAnalyzer)
	textDir := filepath.Join(dir, "text.bleve")
	cleanMarker := filepath.Join(dir, "clean")
	_, cleanErr := os.Stat(cleanMarker)
	rebuildText := cleanErr != nil
	// unsafe_batch: bleve persists asynchronously instead of fsyncing every
	// batch; the document log is the record and rebuilds the text index
	// after an unclean stop.
	cfg := map[string]any{"unsafe_batch": true}
	if rebuildText {
		_ = os.RemoveAll(textDir)
		ix.text, err = bleve.NewUsing(textDir, tm, scorch.Name, scorch.Name, cfg)
	} else {
		ix.text, err = bleve.OpenUsing(textDir, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("esdev: open text index of %s: %w", name, err)
	}
	_ = os.Remove(cleanMarker)
	ix.batch = ix.text.NewBatch()
	if err := ix.replay(filepath.Join(dir, "docs.log"), rebuildText); err != nil {
		ix.text.Close()
		return nil, err
	}
	return ix, nil
}

func (ix *index) rebuildFieldIndex() {
	ix.leaves = ix.mapping.leaves()
	ix.objects = map[string]*fieldMapping{}
	var walk func(props map[string]*fieldMapping, prefix string)
	walk = func(props map[string]*fieldMapping, prefix string) {
		for name, f := range props {
			if f.Type == "object" {
				ix.objects[prefix+name] = f
				walk(f.Properties, prefix+name+".")
			}
		}
	}
	walk(ix.mapping.Properties, "")
}

func (ix *index) replay(path string, indexText bool) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for {
		op, err := r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		id, n1, err := readChunk(r)
		if err != nil {
			break // torn tail after a crash: keep what is complete
		}
		switch op {
		case logIndexOp:
			src, n2, err := readChunk(r)
			if err != nil {
				goto done
			}
			srcStart := off + 1 + int64(n1) + int64(n2-len(src))
			doc, perr := ix.parseSource(string(id), src)
			if perr != nil {
				return fmt.Errorf("esdev: replay %s: %w", ix.name, perr)
			}
			ix.apply(string(id), doc, srcStart, uint32(len(src)), indexText)
			off += 1 + int64(n1) + int64(n2)
		case logDeleteOp:
			ix.deleteDoc(string(id), indexText)
			off += 1 + int64(n1)
		default:
			goto done
		}
		if indexText && ix.batch.Size() >= textBatchLimit {
			if err := ix.flushText(); err != nil {
				return err
			}
		}
	}
done:
	// Drop a torn tail so new records start at a record boundary.
	if err := f.Truncate(off); err != nil {
		return err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	ix.log, ix.logSize, ix.flushedTo, ix.syncedTo = f, off, off, off
	ix.w = bufio.NewWriterSize(f, 1<<20)
	if err := ix.flushText(); err != nil {
		return err
	}
	ix.applyPending()
	ix.mappingChanged = false
	return nil
}

// readChunk reads a uvarint length-prefixed byte string, returning it and
// the number of bytes consumed.
func readChunk(r *bufio.Reader) ([]byte, int, error) {
	l, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, 0, err
	}
	if l > 1<<30 {
		return nil, 0, errors.New("corrupt record")
	}
	b := make([]byte, l)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, 0, err
	}
	return b, uvarintLen(l) + int(l), nil
}

func uvarintLen(x uint64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutUvarint(buf[:], x)
}

func (ix *index) writeRecord(op byte, id string, src []byte) (srcStart int64) {
	var buf [binary.MaxVarintLen64]byte
	ix.w.WriteByte(op)
	n := binary.PutUvarint(buf[:], uint64(len(id)))
	ix.w.Write(buf[:n])
	ix.w.WriteString(id)
	ix.logSize += 1 + int64(n) + int64(len(id))
	if op == logIndexOp {
		n = binary.PutUvarint(buf[:], uint64(len(src)))
		ix.w.Write(buf[:n])
		ix.logSize += int64(n)
		srcStart = ix.logSize
		ix.w.Write(src)
		ix.logSize += int64(len(src))
	}
	return srcStart
}

// apply appends a validated document as a new ordinal; a previous version
// under the same _id is retired at the next refresh.
func (ix *index) apply(id string, doc *parsedDoc, srcStart int64, srcLen uint32, indexText bool) docRef {
	if len(doc.newFields) > 0 || len(doc.newObjs) > 0 {
		ix.addDynamicFields(doc)
	}
	ord := ix.n
	ix.n++
	ix.ids = append(ix.ids, id)
	ix.srcOff = append(ix.srcOff, srcStart)
	ix.srcLen = append(ix.srcLen, srcLen)
	var tdoc *document.Document
	var textPos []textPosition
	var touched []*column
	for _, v := range doc.values {
		c := ix.cols[v.path]
		if c == nil {
			c = newColumn(v.ftype)
			ix.cols[v.path] = c
		}
		if c.begin(ord) {
			touched = append(touched, c)
		}
		switch c.kind {
		case kindKeyword, kindIP:
			c.addString(v.s)
		case kindInt:
			c.ints = append(c.ints, v.i)
		case kindFloat:
			c.floats = append(c.floats, v.f)
		case kindText:
			c.off[len(c.off)-1]++ // presence count, see column.size
			if indexText {
				if tdoc == nil {
					tdoc = document.NewDocument(ordID(ord))
				}
				var pos uint64
				textPos, pos = nextTextPosition(textPos, v.path)
				tdoc.AddField(document.NewTextFieldCustom(v.path, []uint64{pos}, []byte(v.s),
					bleveindex.IndexField|bleveindex.IncludeTermVectors, ix.analyzer))
			}
		}
	}
	for _, c := range touched {
		c.end()
	}
	if tdoc != nil {
		_ = ix.batch.IndexAdvanced(tdoc)
	}
	ix.seqNo++
	ref := docRef{ord: ord, version: 1, seqNo: ix.seqNo - 1}
	if old, ok := ix.idMap[id]; ok {
		ref.version = old.version + 1
		ix.retire(old.ord, indexText)
	}
	ix.idMap[id] = ref
	return ref
}

func (ix *index) retire(ord uint32, indexText bool) {
	ix.pending = append(ix.pending, ord)
	if indexText {
		ix.batch.Delete(ordID(ord))
	}
}

// deleteDoc deletes id. Like Elasticsearch, a delete of a missing document
// still consumes a sequence number.
func (ix *index) deleteDoc(id string, indexText bool) (docRef, bool) {
	ix.seqNo++
	old, ok := ix.idMap[id]
	if !ok {
		return docRef{version: 1, seqNo: ix.seqNo - 1}, false
	}
	delete(ix.idMap, id)
	ix.retire(old.ord, indexText)
	return docRef{ord: old.ord, version: old.version + 1, seqNo: ix.seqNo - 1}, true
}

func ordID(ord uint32) string { return strconv.FormatUint(uint64(ord), 36) }

func (ix *index) addDynamicFields(doc *parsedDoc) {
	for path, f := range doc.newObjs {
		ix.insertMapping(path, f)
	}
	for path, f := range doc.newFields {
		if strings.Contains(path, ".") {
			if parent := ix.leaves[path[:strings.LastIndexByte(path, '.')]]; parent != nil {
				continue // multi-field, inserted with its parent
			}
			if _, ok := doc.newFields[path[:strings.LastIndexByte(path, '.')]]; ok {
				continue
			}
		}
		ix.insertMapping(path, f)
	}
	ix.rebuildFieldIndex()
	ix.mappingChanged = true
}

func (ix *index) insertMapping(path string, f *fieldMapping) {
	parts := strings.Split(path, ".")
	props := ix.mapping.Properties
	for i, p := range parts[:len(parts)-1] {
		parent := props[p]
		if parent == nil {
			parent = &fieldMapping{Type: "object", Properties: map[string]*fieldMapping{}}
			props[p] = parent
		}
		if parent.Type != "object" {
			// dotted key under a leaf; cannot happen after parse validation
			_ = i
			return
		}
		props = parent.Properties
	}
	last := parts[len(parts)-1]
	if existing := props[last]; existing != nil && existing.Type == "object" && f.Type == "object" {
		return
	}
	props[last] = f
}

// textBatchLimit is the number of text operations after which a bleve
// batch is executed without waiting for the refresh. Measured with the bulk
// benchmark: 2000 costs less CPU per document than a segment per 1000-document
// request (more segments to merge) and than 5000 or 20000 (building a
// segment grows faster than its size).
const textBatchLimit = 2000

// endWrite finishes a write request. The document log is fsynced before the
// request is answered; the text batch waits for the next refresh, which
// makes it searchable together with the columns, unless it has grown large.
// Caller holds ix.mu.
func (ix *index) endWrite(refresh bool) error {
	var err error
	if refresh {
		err = ix.refresh()
	} else if ix.batch.Size() >= textBatchLimit {
		err = ix.flushText()
	}
	return errors.Join(err, ix.persist())
}

// flushText executes the pending bleve batch.
func (ix *index) flushText() error {
	if ix.batch.Size() == 0 {
		return nil
	}
	err := ix.text.Batch(ix.batch)
	// A new batch rather than Reset: bleve's analysis goroutine can still be
	// ranging over the old batch's operations after Batch returns.
	ix.batch = ix.text.NewBatch()
	return err
}

func (ix *index) applyPending() {
	if ix.deleted.n < ix.n {
		grown := newBitset(ix.n)
		copy(grown.words, ix.deleted.words)
		ix.deleted = grown
	}
	for _, ord := range ix.pending {
		ix.deleted.set(ord)
	}
	ix.pending = ix.pending[:0]
	ix.visible = ix.n
	ix.live = ix.computeLive()
}

// refresh makes every write so far searchable. Caller holds ix.mu.
func (ix *index) refresh() error {
	if err := ix.flushText(); err != nil {
		return err
	}
	if err := ix.flushLog(); err != nil {
		return err
	}
	if ix.visible != ix.n || len(ix.pending) > 0 {
		ix.applyPending()
	}
	return nil
}

// persist makes the writes so far durable before they are answered, as
// Elasticsearch's default translog durability ("request") does: the log is
// written out and fsynced, so neither a killed process nor a crashed
// machine loses an acknowledged write. Caller holds ix.mu.
func (ix *index) persist() error {
	if ix.syncedTo == ix.logSize {
		return nil
	}
	if err := ix.flushLog(); err != nil {
		return err
	}
	if err := ix.log.Sync(); err != nil {
		return err
	}
	ix.syncedTo = ix.logSize
	return nil
}

func (ix *index) flushLog() error {
	if ix.flushedTo == ix.logSize {
		return nil
	}
	if err := ix.w.Flush(); err != nil {
		return err
	}
	ix.flushedTo = ix.logSize
	return nil
}

// liveSet is the searchable documents, computed at each refresh so that
// concurrent searches (holding the read lock) share it without writing.
func (ix *index) liveSet() *bitset { return ix.live }

func (ix *index) computeLive() *bitset {
	l := fullBitset(ix.visible)
	for i := range l.words {
		if i < len(ix.deleted.words) {
			l.words[i] &^= ix.deleted.words[i]
		}
	}
	return l
}

// source reads the _source of ord from the log, byte for byte as indexed.
func (ix *index) source(ord uint32) ([]byte, error) {
	b := make([]byte, ix.srcLen[ord])
	_, err := ix.log.ReadAt(b, ix.srcOff[ord])
	return b, err
}

func (ix *index) close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.log == nil {
		return nil
	}
	errs := []error{ix.flushText(), ix.flushLog(), ix.log.Sync(), ix.log.Close(), ix.text.Close()}
	ix.log = nil
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(ix.dir, "clean"), nil, 0o644)
}

// fieldColumn resolves a field name to its column, following flattened
// keyed paths ("audit.change.new.balance"). typ is "" for unknown fields.
func (ix *index) fieldColumn(name string) (typ string, col *column) {
	if f := ix.leaves[name]; f != nil {
		t := f.Type
		if t == "match_only_text" {
			t = "text"
		}
		return t, ix.cols[name]
	}
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		if f := ix.leaves[name[:i]]; f != nil && f.Type == "flattened" {
			return "flattened", ix.cols[name]
		}
	}
	return "", nil
}

// textPosition numbers the values of a multi-valued text field, so a phrase
// cannot match across two array elements.
type textPosition struct {
	path string
	next uint64
}

func nextTextPosition(ps []textPosition, path string) ([]textPosition, uint64) {
	for i := range ps {
		if ps[i].path == path {
			ps[i].next++
			return ps, ps[i].next - 1
		}
	}
	return append(ps, textPosition{path: path, next: 1}), 0
}

// cachedPath returns prefix+key if joinPath has cached it.
func (ix *index) cachedPath(prefix string, key []byte) (string, bool) {
	p, ok := ix.paths[prefix][string(key)] // no allocation for the lookup
	return p, ok
}

func (ix *index) joinPath(prefix, key string) string {
	if ix.paths == nil {
		ix.paths = map[string]map[string]string{}
	}
	byKey := ix.paths[prefix]
	if byKey == nil {
		byKey = map[string]string{}
		ix.paths[prefix] = byKey
	}
	p, ok := byKey[key]
	if !ok {
		p = prefix + key
		if len(byKey) < 10000 { // bound the cache for documents with arbitrary keys
			byKey[key] = p
		}
	}
	return p
}
