package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
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

// specialMask has the high bit set in the byte lanes of x that hold '"',
// '\\' or a control character, and possibly in higher lanes after the first
// true hit (borrow propagation), so only its lowest set bit is exact.
func specialMask(x uint64) uint64 {
	q := x ^ (lsb * '"')
	s := x ^ (lsb * '\\')
	return ((q - lsb) &^ q & msb) | ((s - lsb) &^ s & msb) | ((x - lsb*0x20) &^ x & msb)
}

// scanString validates the string starting at b[i] == '"' and returns the
// index just past its closing quote and whether it holds any escape.
// Invalid UTF-8 is accepted, as encoding/json does.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	for {
		// Eight bytes at a time while no special byte is in sight: strings
		// are most of the bytes of a record.
		for i+8 <= len(b) {
			m := specialMask(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) {
			c := b[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		if i >= len(b) {
			return 0, false, errAt("unterminated string", start)
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c < 0x20:
			return 0, false, errAt("control character in string", i)
		}
		// Backslash.
		escaped = true
		if i+1 >= len(b) {
			return 0, false, errAt("unterminated string", start)
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(b) || hex4(b[i+2:i+6]) < 0 {
				return 0, false, errAt("invalid \\u escape", i)
			}
			i += 6
		default:
			return 0, false, errAt("invalid escape", i)
		}
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
	kesc   bool // key holds an escape
}

// scanObject validates that b is exactly one JSON object (with optional
// surrounding whitespace) and appends the spans of its members to spans.
// notObject reports a valid JSON value that is not an object.
func scanObject(b []byte, spans []span) (out []span, notObject bool, err error) {
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
			if i, err = skipValue(b, i); err != nil {
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
		s = s[i:]
		if len(s) < 2 {
			return dst // cannot happen on validated input
		}
		switch c := s[1]; c {
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case 'r':
			dst = append(dst, '\r')
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'u':
			if len(s) < 6 {
				return dst
			}
			r := hex4(s[2:6])
			s = s[6:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s[2:6])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					s = s[6:]
					r = d
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		s = s[2:]
	}
}
