package output

import (
	"bytes"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON scanner over raw field values. Passthrough fields arrive as
// raw JSON, and writing them as typed Arrow columns needs two linear walks
// per value (type inference, then appending). encoding/json would decode
// into interface values, allocating per node; this scanner only finds
// extents and decodes strings into a caller's buffer, so the per-document
// loop allocates nothing. Every walk is bounded by maxDepth, so hostile
// nesting cannot exhaust the stack.

// maxDepth bounds the nesting of arrays and objects mapped to nested Arrow
// types; deeper values are kept as JSON text.
const maxDepth = 32

var errSyntax = errors.New("invalid JSON")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// trimSpace returns b without surrounding JSON whitespace.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// scanValue returns the index just past the JSON value starting at b[i]
// (no leading whitespace), validating its syntax. Containers are tracked
// on an explicit stack, not by recursion, so any depth is fine here.
func scanValue(b []byte, i int) (int, error) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // the closing bracket of each open container
	var err error
	for {
		if i >= len(b) {
			return i, errSyntax
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == closer {
				i++
				break // an empty container is a complete value
			}
			stack = append(stack, closer)
			if c == '{' {
				if i, err = scanKey(b, i); err != nil {
					return i, err
				}
			}
			continue
		case c == '"':
			if i, err = scanString(b, i); err != nil {
				return i, err
			}
		case c == '-' || c >= '0' && c <= '9':
			if i, _, err = scanNumber(b, i); err != nil {
				return i, err
			}
		case c == 't' && hasLit(b, i, "true"):
			i += 4
		case c == 'f' && hasLit(b, i, "false"):
			i += 5
		case c == 'n' && hasLit(b, i, "null"):
			i += 4
		default:
			return i, errSyntax
		}
		// After a complete value: close containers or move to the next
		// element or member.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, errSyntax
			}
			top := stack[len(stack)-1]
			if b[i] == top {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if b[i] != ',' {
				return i, errSyntax
			}
			i = skipSpace(b, i+1)
			if top == '}' {
				if i, err = scanKey(b, i); err != nil {
					return i, err
				}
			}
			break
		}
	}
}

// validValue reports whether b is exactly one JSON value, optionally
// surrounded by whitespace.
func validValue(b []byte) bool {
	b = trimSpace(b)
	end, err := scanValue(b, 0)
	return err == nil && end == len(b)
}

// scanKey scans `"key" :` at b[i] and returns the index of the value.
func scanKey(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return i, errSyntax
	}
	j, err := scanString(b, i)
	if err != nil {
		return j, err
	}
	j = skipSpace(b, j)
	if j >= len(b) || b[j] != ':' {
		return j, errSyntax
	}
	return skipSpace(b, j+1), nil
}

func hasLit(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanString returns the index just past the string starting at b[i]=='"'.
func scanString(b []byte, i int) (int, error) {
	i++
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, errSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					return i, errSyntax
				}
				i += 6
			default:
				return i, errSyntax
			}
		case c < 0x20:
			return i, errSyntax
		default:
			i++
		}
	}
	return i, errSyntax
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// scanNumber returns the index just past the number at b[i] and whether it
// is an integer literal that fits in an int64.
func scanNumber(b []byte, i int) (end int, isInt bool, err error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false, errSyntax
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false, errSyntax
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, false, errSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, false, errSyntax
		}
	}
	if isInt {
		_, isInt = parseInt(b[start:i])
	}
	return i, isInt, nil
}

// parseInt parses a JSON integer literal, reporting false on overflow.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (1<<63)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// decodeString appends the content of the JSON string at b[0]=='"' to dst,
// unescaped and with invalid UTF-8 and lone surrogates replaced by U+FFFD,
// and returns dst and the index past the closing quote.
func decodeString(dst, b []byte) ([]byte, int, error) {
	i := 1
	for {
		// Copy the run up to the next quote, backslash or control byte.
		j := i
		for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
			j++
		}
		dst = appendValidUTF8(dst, b[i:j])
		i = j
		if i >= len(b) || b[i] < 0x20 {
			return dst, i, errSyntax
		}
		if b[i] == '"' {
			return dst, i + 1, nil
		}
		if i+1 >= len(b) {
			return dst, i, errSyntax
		}
		switch c := b[i+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
			i += 2
		case 'b':
			dst = append(dst, '\b')
			i += 2
		case 'f':
			dst = append(dst, '\f')
			i += 2
		case 'n':
			dst = append(dst, '\n')
			i += 2
		case 'r':
			dst = append(dst, '\r')
			i += 2
		case 't':
			dst = append(dst, '\t')
			i += 2
		case 'u':
			r, ok := hex4(b, i+2)
			if !ok {
				return dst, i, errSyntax
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						dst = utf8.AppendRune(dst, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, i, errSyntax
		}
	}
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		v := hexVal(c)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | v
	}
	return r, true
}

// appendValidUTF8 appends s to dst, replacing each invalid byte sequence
// with U+FFFD: Parquet readers (DuckDB, pyarrow) reject invalid UTF-8 in
// string columns.
func appendValidUTF8(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		// ASCII fast path.
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf {
			j++
		}
		dst = append(dst, s[i:j]...)
		i = j
		if i >= len(s) {
			break
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// arrayIter walks the elements of a validated JSON array.
type arrayIter struct {
	b     []byte
	i     int
	begun bool
}

func newArrayIter(b []byte) arrayIter { return arrayIter{b: b, i: 1} }

// next returns the next element, or ok false at the end of the array.
func (it *arrayIter) next() (v []byte, ok bool, err error) {
	b := it.b
	i := skipSpace(b, it.i)
	if i >= len(b) {
		return nil, false, errSyntax
	}
	if b[i] == ']' {
		return nil, false, nil
	}
	if it.begun {
		if b[i] != ',' {
			return nil, false, errSyntax
		}
		i = skipSpace(b, i+1)
	}
	it.begun = true
	end, err := scanValue(b, i)
	if err != nil {
		return nil, false, err
	}
	it.i = end
	return b[i:end], true, nil
}

// objectIter walks the members of a validated JSON object.
type objectIter struct {
	b     []byte
	i     int
	begun bool
	key   []byte // scratch for keys with escapes
}

func newObjectIter(b []byte, scratch []byte) objectIter {
	return objectIter{b: b, i: 1, key: scratch}
}

// next returns the next member's key (unescaped, valid UTF-8 or reported
// by keyOK false) and value, or ok false at the end of the object.
func (it *objectIter) next() (k, v []byte, keyOK, ok bool, err error) {
	b := it.b
	i := skipSpace(b, it.i)
	if i >= len(b) {
		return nil, nil, false, false, errSyntax
	}
	if b[i] == '}' {
		return nil, nil, false, false, nil
	}
	if it.begun {
		if b[i] != ',' {
			return nil, nil, false, false, errSyntax
		}
		i = skipSpace(b, i+1)
	}
	it.begun = true
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false, false, errSyntax
	}
	j, err := scanString(b, i)
	if err != nil {
		return nil, nil, false, false, err
	}
	k, keyOK = keyBytes(b[i:j], &it.key)
	j = skipSpace(b, j)
	if j >= len(b) || b[j] != ':' {
		return nil, nil, false, false, errSyntax
	}
	j = skipSpace(b, j+1)
	end, err := scanValue(b, j)
	if err != nil {
		return nil, nil, false, false, err
	}
	it.i = end
	return k, b[j:end], keyOK, true, nil
}

// keyBytes returns the unescaped content of the scanned string s (with
// quotes), using *scratch when it has escapes. ok is false when the key
// cannot name a column: empty or not valid UTF-8 after unescaping.
func keyBytes(s []byte, scratch *[]byte) (k []byte, ok bool) {
	raw := s[1 : len(s)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, len(raw) > 0 && utf8.Valid(raw)
	}
	var err error
	*scratch, _, err = decodeString((*scratch)[:0], s)
	if err != nil {
		return nil, false
	}
	// decodeString repairs invalid UTF-8; a key that needed repair (or an
	// escaped lone surrogate) cannot round-trip, so it is not a column.
	return *scratch, len(*scratch) > 0 && utf8.Valid(raw) && !bytes.Contains(*scratch, []byte("\uFFFD"))
}
