package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a hand-written, validating JSON scanner. JSONL decoding
// is the hot path of every text-collection run, and encoding/json (into
// map[string]any, or even json.Decoder tokens) allocates every value and
// runs at well under 100 MB/s on web-like records (see
// BenchmarkDecodeStdlib): it cannot reach the 300 MB/s per core target.
// The scanner only finds the spans of the top-level keys and values,
// validates everything it passes over (the grammar of RFC 8259, as
// encoding/json accepts it), and leaves unescaping to the few strings the
// caller wants, unescaping only those that contain a backslash.

// maxDepth bounds nesting, as encoding/json does, so hostile input cannot
// make the scanner's container stack grow without bound.
const maxDepth = 10000

// syntaxError is a JSON syntax error at a byte offset of the record.
type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d of record", e.msg, e.off) }

func errAt(msg string, off int) error { return &syntaxError{msg, off} }

var errTooDeep = errors.New("exceeded max depth")

// skipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// controlFree reports whether b holds no byte below 0x20, which JSON
// strings may not contain raw. It tests eight bytes at a time: the
// word-wide "has a byte less than n" test is exact.
func controlFree(b []byte) bool {
	// Only the high bits of acc matter; they are masked once at the end.
	var acc uint64
	for len(b) >= 32 {
		x0 := binary.LittleEndian.Uint64(b)
		x1 := binary.LittleEndian.Uint64(b[8:])
		x2 := binary.LittleEndian.Uint64(b[16:])
		x3 := binary.LittleEndian.Uint64(b[24:])
		acc |= (x0 - lsb*0x20) &^ x0
		acc |= (x1 - lsb*0x20) &^ x1
		acc |= (x2 - lsb*0x20) &^ x2
		acc |= (x3 - lsb*0x20) &^ x3
		b = b[32:]
	}
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		acc |= (x - lsb*0x20) &^ x
		b = b[8:]
	}
	if acc&msb != 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 {
			return false
		}
	}
	return true
}

// scanString validates the string starting at b[i] == '"' and returns the
// index just past its closing quote and whether it holds any escape.
// Invalid UTF-8 is accepted, as encoding/json does.
//
// Strings are most of a record's bytes, so this is the decoder's hot
// loop: it finds quotes and backslashes with bytes.IndexByte (vectorised
// in the runtime) and checks the runs between them for control characters
// a word at a time, about twice as fast as a byte-wise state machine.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	j := i + 1
	q := -1 // the next '"' at or after j, unless escaped
	for {
		if q < j {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				return 0, false, errAt("unterminated string", i)
			}
			q = j + k
		}
		e := q
		if k := bytes.IndexByte(b[j:q], '\\'); k >= 0 {
			e = j + k
		}
		if !controlFree(b[j:e]) {
			for b[j] >= 0x20 {
				j++
			}
			return 0, false, errAt("control character in string", j)
		}
		if e == q {
			return q + 1, escaped, nil
		}
		escaped = true
		if e+1 >= len(b) {
			return 0, false, errAt("unterminated string", i)
		}
		switch b[e+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			j = e + 2
		case 'u':
			if e+6 > len(b) || hex4(b[e+2:e+6]) < 0 {
				return 0, false, errAt("invalid \\u escape", e)
			}
			j = e + 6
		default:
			return 0, false, errAt("invalid escape", e)
		}
	}
}

// scanStringText is scanString that also returns the string's contents,
// unescaped, in the same pass: for the text, most of a record, it saves
// reading it once more, and each run is copied while it is in cache.
func scanStringText(b []byte, i int) (text string, end int, err error) {
	var sb strings.Builder
	j := i + 1
	q := -1 // the next '"' at or after j, unless escaped
	for {
		if q < j {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				return "", 0, errAt("unterminated string", i)
			}
			q = j + k
			if sb.Cap() == 0 {
				// Size the buffer once, for the escaped contents: an
				// upper bound of the unescaped ones.
				end := closingQuote(b, j, q)
				if end < 0 {
					return "", 0, errAt("unterminated string", i)
				}
				sb.Grow(end - j)
			}
		}
		e := q
		if k := bytes.IndexByte(b[j:q], '\\'); k >= 0 {
			e = j + k
		}
		if !controlFree(b[j:e]) {
			for b[j] >= 0x20 {
				j++
			}
			return "", 0, errAt("control character in string", j)
		}
		sb.Write(b[j:e])
		if e == q {
			return sb.String(), q + 1, nil
		}
		if e+1 >= len(b) {
			return "", 0, errAt("unterminated string", i)
		}
		switch c := b[e+1]; c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			sb.WriteByte(simpleEscapes[c])
			j = e + 2
		case 'u':
			if e+6 > len(b) || hex4(b[e+2:e+6]) < 0 {
				return "", 0, errAt("invalid \\u escape", e)
			}
			var tmp [4]byte
			n, used := unescapeOne(&tmp, b[e:])
			sb.Write(tmp[:n])
			j = e + used
		default:
			return "", 0, errAt("invalid escape", e)
		}
	}
}

// closingQuote returns the index of the quote that ends the string whose
// contents start at b[j], given the first quote q at or after j, or -1. A
// quote ends the string unless an odd run of backslashes precedes it; the
// runs are disjoint, so this is linear.
func closingQuote(b []byte, j, q int) int {
	for {
		k := q - 1
		for k >= j && b[k] == '\\' {
			k--
		}
		if (q-1-k)%2 == 0 {
			return q
		}
		next := bytes.IndexByte(b[q+1:], '"')
		if next < 0 {
			return -1
		}
		q += 1 + next
	}
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// scanNumber validates the number starting at b[i] and returns the index
// just past it.
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return 0, errAt("invalid character in number", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, errAt("invalid number", start)
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, errAt("invalid number", start)
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanLiteral checks that b[i:] starts with lit.
func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errAt("invalid literal", i)
	}
	return i + len(lit), nil
}

// scanScalar validates the literal or number at b[i].
func scanScalar(b []byte, i int) (int, error) {
	switch b[i] {
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	}
	return scanNumber(b, i)
}

// bitStack records, per open container, whether it is an object. The
// first 128 levels live inline; deeper nesting (rare, and capped at
// maxDepth) spills to the heap.
type bitStack struct {
	small [2]uint64
	more  []uint64
}

func (s *bitStack) set(d int, obj bool) {
	w := &s.small[0]
	if d < 128 {
		w = &s.small[d>>6]
	} else {
		for len(s.more) <= (d-128)>>6 {
			s.more = append(s.more, 0)
		}
		w = &s.more[(d-128)>>6]
	}
	if obj {
		*w |= 1 << (d & 63)
	} else {
		*w &^= 1 << (d & 63)
	}
}

func (s *bitStack) get(d int) bool {
	if d < 128 {
		return s.small[d>>6]&(1<<(d&63)) != 0
	}
	return s.more[(d-128)>>6]&(1<<(d&63)) != 0
}

// skipValue validates the JSON value starting at b[i] (no leading
// whitespace) and returns the index just past it. It is iterative, with a
// bit stack of open containers, so nesting costs no goroutine stack.
func skipValue(b []byte, i int) (int, error) {
	var err error
	if i < len(b) {
		// Scalars, the common case, need no container stack.
		switch b[i] {
		case '"':
			i, _, err = scanString(b, i)
			return i, err
		case '{', '[':
		default:
			return scanScalar(b, i)
		}
	}
	var stack bitStack // bit set: object; clear: array
	depth := 0
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return 0, errAt("unexpected end of input", i)
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth == maxDepth {
				return 0, errTooDeep
			}
			stack.set(depth, c == '{')
			depth++
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' or ']'
				i++
				depth--
				break
			}
			if c == '{' {
				if i, err = scanKey(b, i); err != nil {
					return 0, err
				}
			}
			continue
		case '"':
			if i, _, err = scanString(b, i); err != nil {
				return 0, err
			}
		default:
			if i, err = scanScalar(b, i); err != nil {
				return 0, err
			}
		}
		// A value ended at i: close containers until one wants another
		// element.
		for {
			if depth == 0 {
				return i, nil
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return 0, errAt("unexpected end of input", i)
			}
			inObject := stack.get(depth - 1)
			c := b[i]
			if c == ',' {
				i = skipWS(b, i+1)
				if inObject {
					if i, err = scanKey(b, i); err != nil {
						return 0, err
					}
				}
				break
			}
			if (inObject && c == '}') || (!inObject && c == ']') {
				i++
				depth--
				continue
			}
			return 0, errAt("invalid character after value", i)
		}
	}
}

// scanKey validates `"key" :` at b[i] and returns the index of the value
// that follows.
func scanKey(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errAt("expected object key", i)
	}
	i, _, err := scanString(b, i)
	if err != nil {
		return 0, err
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return 0, errAt("expected ':' after object key", i)
	}
	return skipWS(b, i+1), nil
}

// span is one top-level member of an object: key and value as byte
// ranges of the record. The key range includes its quotes.
type span struct {
	k0, k1 int
	v0, v1 int
	kesc   bool   // key holds an escape
	name   string // unescaped key, set when fields are collected
	// text is the unescaped string value of a member scanObject was asked
	// to capture, when captured is set.
	text     string
	captured bool
}

// scanObject validates that b is exactly one JSON object (with optional
// surrounding whitespace) and appends the spans of its members to spans.
// notObject reports a valid JSON value that is not an object. The string
// value of a member named capture (a key without escapes) is unescaped as
// it is validated, into the span's text.
func scanObject(b []byte, spans []span, capture string) (out []span, notObject bool, err error) {
	i := skipWS(b, 0)
	if i >= len(b) {
		return spans, false, errAt("empty record", i)
	}
	if b[i] != '{' {
		end, err := skipValue(b, i)
		if err != nil {
			return spans, false, err
		}
		if j := skipWS(b, end); j != len(b) {
			return spans, false, errAt("invalid character after top-level value", j)
		}
		return spans, true, nil
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return spans, false, errAt("expected object key", i)
			}
			var s span
			s.k0 = i
			if i, s.kesc, err = scanString(b, i); err != nil {
				return spans, false, err
			}
			s.k1 = i
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return spans, false, errAt("expected ':' after object key", i)
			}
			i = skipWS(b, i+1)
			s.v0 = i
			if capture != "" && !s.kesc && i < len(b) && b[i] == '"' && string(b[s.k0+1:s.k1-1]) == capture {
				s.text, i, err = scanStringText(b, i)
				s.captured = err == nil
			} else {
				i, err = skipValue(b, i)
			}
			if err != nil {
				return spans, false, err
			}
			s.v1 = i
			spans = append(spans, s)
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return spans, false, errAt("expected ',' or '}' after object member", i)
		}
	}
	if j := skipWS(b, i); j != len(b) {
		return spans, false, errAt("invalid character after top-level value", j)
	}
	return spans, false, nil
}

// members calls fn for each member of the object b (already validated),
// with the key's contents (quotes removed, escapes kept), whether the key
// is escaped, and the value; fn returns false to stop.
func members(b []byte, fn func(key []byte, kesc bool, val []byte) bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] == '"' {
		k0 := i
		k1, kesc, err := scanString(b, i)
		if err != nil {
			return
		}
		i = skipWS(b, k1)
		if i >= len(b) || b[i] != ':' {
			return
		}
		v0 := skipWS(b, i+1)
		v1, err := skipValue(b, v0)
		if err != nil {
			return
		}
		if !fn(b[k0+1:k1-1], kesc, b[v0:v1]) {
			return
		}
		i = skipWS(b, v1)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipWS(b, i+1)
	}
}

// elements calls fn for each element of the array b (already validated).
func elements(b []byte, fn func(val []byte) bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] != ']' {
		v1, err := skipValue(b, i)
		if err != nil {
			return
		}
		if !fn(b[i:v1]) {
			return
		}
		i = skipWS(b, v1)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipWS(b, i+1)
	}
}

// keyEquals reports whether the raw key contents k (escapes kept) spell
// name.
func keyEquals(k []byte, kesc bool, name string) bool {
	if !kesc {
		return string(k) == name
	}
	if len(k) < len(name) {
		return false // unescaping only shortens
	}
	var buf [64]byte
	return string(appendUnescaped(buf[:0], k)) == name
}

// appendUnescaped appends the contents of a validated JSON string (quotes
// removed) to dst with its escapes decoded. Lone or mismatched UTF-16
// surrogates become U+FFFD, as in encoding/json; other bytes are copied
// unchanged (invalid UTF-8 is the engine's to repair).
func appendUnescaped(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		if i+1 < len(s) && s[i+1] != 'u' {
			// The common case (\n, \", ...) without a call.
			dst = append(dst, simpleEscapes[s[i+1]])
			s = s[i+2:]
			continue
		}
		var tmp [4]byte
		n, used := unescapeOne(&tmp, s[i:])
		dst = append(dst, tmp[:n]...)
		s = s[i+used:]
	}
}

// writeUnescaped is appendUnescaped writing to a strings.Builder, whose
// buffer, unlike make's, is not zeroed when allocated.
func writeUnescaped(b *strings.Builder, s []byte) {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			b.Write(s)
			return
		}
		b.Write(s[:i])
		if i+1 < len(s) && s[i+1] != 'u' {
			b.WriteByte(simpleEscapes[s[i+1]])
			s = s[i+2:]
			continue
		}
		var tmp [4]byte
		n, used := unescapeOne(&tmp, s[i:])
		b.Write(tmp[:n])
		s = s[i+used:]
	}
}

// simpleEscapes maps the letter of a one-letter escape to its byte.
var simpleEscapes = [256]byte{'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', '"': '"', '\\': '\\', '/': '/'}

// unescapeOne decodes the escape at the start of s (s[0] == '\\') into
// out, returning the bytes written and the bytes of s consumed.
func unescapeOne(out *[4]byte, s []byte) (n, used int) {
	if len(s) < 2 {
		return 0, len(s) // cannot happen on validated input
	}
	switch c := s[1]; c {
	case 'n':
		out[0] = '\n'
	case 't':
		out[0] = '\t'
	case 'r':
		out[0] = '\r'
	case 'b':
		out[0] = '\b'
	case 'f':
		out[0] = '\f'
	case 'u':
		if len(s) < 6 {
			return 0, len(s)
		}
		r, used := hex4(s[2:6]), 6
		if utf16.IsSurrogate(r) {
			r2 := rune(-1)
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				r2 = hex4(s[8:12])
			}
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				r, used = d, 12
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.EncodeRune(out[:], r), used
	default: // '"', '\\', '/'
		out[0] = c
	}
	return 1, 2
}
