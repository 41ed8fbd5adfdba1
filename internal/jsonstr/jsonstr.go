// Package jsonstr writes JSON strings as RFC 8785 (JCS) does: only '"', '\\'
// and control characters are escaped, with JSON's short forms where they
// exist; everything else is written as it is, and invalid UTF-8 becomes
// U+FFFD (as encoding/json reads it). That is the form the tamper-evidence
// chain hashes, and valid, readable JSON for every other writer (documents,
// diffs): unlike encoding/json it leaves <, >, & and U+2028/U+2029 alone.
package jsonstr // import "github.com/auditpipe/auditpipe/internal/jsonstr"

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// plain marks the bytes written as they are: printable ASCII other than '"'
// and '\\'. (A table: every byte of every string goes through it.)
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Append appends s as a JSON string to dst. Runs that need no escaping are
// copied whole.
func Append(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\ufffd"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			start = i
			continue
		}
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
