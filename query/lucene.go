package query

import (
	"strings"
	"unicode"
)

// luceneAliases lets free text use the model's field names (action:bonus.*,
// outcome:failure) as well as the document's own.
var luceneAliases = map[string]string{
	"actor":         "user.id",
	"module":        "audit.module",
	"action":        "event.action",
	"category":      "audit.action.category",
	"severity":      "audit.severity",
	"outcome":       "audit.action.outcome",
	"ip":            "source.ip",
	"target":        "audit.target.id",
	"tags":          "audit.tags",
	"changed_field": "audit.change.fields",
	"tenant":        "audit.tenant",
	"comment":       "audit.comment",
	"old":           "audit.change.old_text",
	"new":           "audit.change.new_text",
	"id":            "event.id",
}

// RewriteFieldNames replaces alias field names in a Lucene query string by
// document fields. Quoted phrases and escaped characters are left alone; a
// name counts as a field only when it starts a term and is followed by ':'.
func RewriteFieldNames(q string) string {
	var b strings.Builder
	inQuote, escaped := false, false
	termStart := true
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && termStart && isNameByte(c):
			j := i
			for j < len(q) && isNameByte(q[j]) {
				j++
			}
			if j < len(q) && q[j] == ':' {
				if field, ok := luceneAliases[q[i:j]]; ok {
					b.WriteString(field)
					i = j
					termStart = false
					continue
				}
			}
			b.WriteString(q[i:j])
			i = j
			termStart = false
			continue
		}
		b.WriteByte(c)
		termStart = !inQuote && !escaped && (unicode.IsSpace(rune(c)) || strings.IndexByte("()+-!", c) >= 0)
		i++
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
