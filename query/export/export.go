// Package export writes audit events as CSV, Excel (XLSX), JSON or NDJSON,
// one event at a time, so an export of any size runs in constant memory
// (the XLSX writer spools rows to a temporary file, not to memory).
package export

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/auditpipe/auditpipe/semconv"
)

// Formats lists the supported export formats.
var Formats = []string{"csv", "xlsx", "json", "ndjson"}

// Header is the column list of CSV and XLSX exports (the plugin contract).
var Header = []string{"timestamp", "id", "actor_id", "actor_name", "action", "category", "severity",
	"outcome", "module", "target_type", "target_id", "client_address", "old_value", "new_value",
	"change_fields", "comment", "tags", "tenant"}

// Writer writes events one by one; Close finishes the file (and must be
// called for the output to be complete).
type Writer interface {
	Write(semconv.Event) error
	Close() error
}

// ContentType returns the MIME type of a format.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "json":
		return "application/json"
	case "ndjson":
		return "application/x-ndjson"
	}
	return "application/octet-stream"
}

// New returns a writer of format onto w.
func New(format string, w io.Writer) (Writer, error) {
	switch format {
	case "csv":
		return newCSV(w)
	case "xlsx":
		return newXLSX(w)
	case "json":
		return &jsonWriter{w: bufio.NewWriter(w)}, nil
	case "ndjson":
		bw := bufio.NewWriter(w)
		return &ndjsonWriter{bw: bw, enc: json.NewEncoder(bw)}, nil
	}
	return nil, fmt.Errorf("unknown export format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Row is an event as the cells of Header.
func Row(e semconv.Event) []string {
	return []string{semconv.FormatTime(e.Timestamp), e.ID, e.ActorID, e.ActorName, e.Action, e.Category,
		e.Severity, e.Outcome, e.Module, e.TargetType, e.TargetID, e.ClientAddress, e.OldValue, e.NewValue,
		strings.Join(e.ChangeFields, ","), e.Comment, strings.Join(e.Tags, ","), e.Tenant}
}

type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) (*csvWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return nil, err
	}
	return &csvWriter{w: cw}, nil
}

func (c *csvWriter) Write(e semconv.Event) error { return c.w.Write(sanitizeCSV(Row(e))) }

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// sanitizeCSV defuses formula injection: audit values come from back-office
// users, and a cell starting with = + - @ would run as a formula when an
// auditor opens the export in a spreadsheet.
func sanitizeCSV(row []string) []string {
	for i, v := range row {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			row[i] = "'" + v
		}
	}
	return row
}

type jsonWriter struct {
	w     *bufio.Writer
	count int
}

func (j *jsonWriter) Write(e semconv.Event) error {
	sep := ",\n"
	if j.count == 0 {
		sep = "[\n"
	}
	j.count++
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := j.w.WriteString(sep); err != nil {
		return err
	}
	_, err = j.w.Write(raw)
	return err
}

func (j *jsonWriter) Close() error {
	end := "\n]\n"
	if j.count == 0 {
		end = "[]\n"
	}
	if _, err := j.w.WriteString(end); err != nil {
		return err
	}
	return j.w.Flush()
}

type ndjsonWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func (n *ndjsonWriter) Write(e semconv.Event) error { return n.enc.Encode(e) }
func (n *ndjsonWriter) Close() error                { return n.bw.Flush() }

// xlsxWriter uses excelize's StreamWriter, which keeps rows in a temporary
// file rather than memory. On Close the workbook is zipped straight onto
// the output: excelize's own WriteTo would first build the whole file in a
// memory buffer.
type xlsxWriter struct {
	file *excelize.File
	sw   *excelize.StreamWriter
	row  int
	cell []any
}

// SheetName is the worksheet of XLSX exports.
const SheetName = "audit"

// MaxXLSXRows is Excel's row limit (header included).
const MaxXLSXRows = 1048576

func newXLSX(w io.Writer) (*xlsxWriter, error) {
	f := excelize.NewFile()
	// WriteToBuffer zips through this writer; pointing it at w leaves
	// excelize's buffer empty and streams the archive out.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(SheetName)
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{file: f, sw: sw, row: 1, cell: make([]any, len(Header))}
	for i, h := range Header {
		x.cell[i] = h
	}
	if err := sw.SetRow("A1", x.cell); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) Write(e semconv.Event) error {
	if x.row >= MaxXLSXRows {
		return fmt.Errorf("xlsx holds at most %d rows; narrow the query or export CSV", MaxXLSXRows-1)
	}
	x.row++
	for i, v := range Row(e) {
		x.cell[i] = v
	}
	ref, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(ref, x.cell)
}

func (x *xlsxWriter) Close() error {
	defer x.file.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.file.WriteToBuffer()
	return err
}
