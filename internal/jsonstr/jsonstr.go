// Package jsonstr writes JSON strings as RFC 8785 (JCS) does: only '"', '\\'
// and control characters are escaped, with JSON's short forms where they
// exist; everything else is written as it is, and invalid UTF-8 becomes
// U+FFFD (as encoding/json reads it). That is the form the tamper-evidence
// chain hashes, and valid, readable JSON for every other writer (documents,
// diffs): unlike encoding/json it leaves <, >, & and U+2028/U+2029 alone.
package jsonstr // import "github.com/auditpipe/auditpipe/internal/jsonstr"

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// plain marks the bytes written as they are: printable ASCII other than '"'
// and '\\'. (A table: every byte of every string goes through it.)
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Append appends s as a JSON string to dst.
func Append(dst []byte, s string) []byte {
	n := plainPrefix(s)
	dst = append(append(dst, '"'), s[:n]...)
	switch {
	case n == len(s):
	case s[n] == '"' || s[n] == '\\':
		dst = appendQuoted(dst, s[n:])
	default:
		dst = appendRuns(dst, s[n:])
	}
	return append(dst, '"')
}

// appendQuoted writes s, which starts with a quote or a backslash, byte by
// byte into room for every one of them doubled. A string with one quote is
// usually a JSON text with a quote every few bytes, where copying the runs
// between them cost more than this loop. It hands the rest of s to
// appendRuns at the first byte that needs more than a backslash.
func appendQuoted(dst []byte, s string) []byte {
	n := len(dst)
	buf := slices.Grow(dst, 2*len(s))[:n+2*len(s)]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case plain[c]:
			buf[n] = c
			n++
		case c == '"' || c == '\\':
			buf[n], buf[n+1] = '\\', c
			n += 2
		default:
			return appendRuns(buf[:n], s[i:])
		}
	}
	return buf[:n]
}

// appendRuns writes s escaped, copying the runs that need no escaping whole.
func appendRuns(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		i += plainPrefix(s[i:])
		if i == len(s) {
			break
		}
		c := s[i]
		dst = append(dst, s[start:i]...)
		if c == '"' || c == '\\' {
			// The byte itself starts the next run: quotes are the usual
			// escape (JSON texts in strings), and this saves an append.
			dst = append(dst, '\\')
			start = i
			i++
			continue
		}
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
	return append(dst, s[start:]...)
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainPrefix returns how many bytes at the start of s need no escaping,
// testing eight at a time (strings are mostly plain ASCII, and this is the
// chain hash's inner loop) and the last few one by one. A byte is flagged
// when it is below 0x20, is '"' or '\\', or has its high bit set. The
// subtractions borrow only out of a flagged byte, so the lowest flag is a
// true one.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		below := x - 0x20*ones
		quote := (x ^ '"'*ones) - ones
		backslash := (x ^ '\\'*ones) - ones
		if flags := (below | quote | backslash | x) & highs; flags != 0 {
			return i + bits.TrailingZeros64(flags)/8
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}
