package extract

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokenizer splits HTML into text, start and end tags. It is hand-written
// because golang.org/x/net/html's Tokenizer allocates for every tag name
// and every attribute (TagName and TagAttr copy their results, readTag
// clones each key), which made it two thirds of the extraction time; this
// one allocates only to decode text holding character references. It
// follows the HTML tokenizer where extraction needs it: comments, doctype
// and processing instructions are skipped, the contents of raw-text
// elements (script, style, textarea, title, ...) are one text token ended
// only by their end tag, attribute values may be quoted with either quote
// or unquoted, a '<' not starting a tag is text. Every byte is looked at a
// bounded number of times.
type tokenizer struct {
	src    []byte
	pos    int
	rawEnd atom.Atom // the raw-text element whose end tag ends the next text
	rawTag []byte

	// The current token.
	kind        tokenKind
	tag         atom.Atom
	props       props
	selfClosing bool
	text        []byte // text: raw bytes, references not decoded
	attrs       []attr
	nameBuf     [16]byte
}

// attr is an attribute as written: compare keys with keyIs, decode
// values with decode where references matter.
type attr struct {
	key, val []byte
}

type tokenKind uint8

const (
	tEOF tokenKind = iota
	tText
	tStart
	tEnd
)

func (z *tokenizer) reset(src []byte) {
	z.src, z.pos, z.rawEnd, z.rawTag = src, 0, 0, nil
	z.attrs = z.attrs[:0]
}

// rawTags hold raw text: their content is text up to their end tag.
var rawTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Textarea: true, atom.Title: true, atom.Xmp: true,
	atom.Iframe: true, atom.Noembed: true, atom.Noframes: true, atom.Noscript: true,
	atom.Plaintext: true,
}

// next reads the next token.
func (z *tokenizer) next() tokenKind {
	z.attrs = z.attrs[:0]
	z.selfClosing = false
	z.tag = 0
	z.props = props{}
	src := z.src
	if z.pos >= len(src) {
		z.kind = tEOF
		return tEOF
	}
	if z.rawEnd != 0 {
		return z.readRaw()
	}
	if src[z.pos] != '<' {
		return z.readText()
	}
	// src[pos] == '<'
	if z.pos+1 >= len(src) {
		z.text = src[z.pos:]
		z.pos = len(src)
		z.kind = tText
		return tText
	}
	c := src[z.pos+1]
	switch {
	case c == '!' || c == '?':
		z.skipMarkup()
		return z.next()
	case c == '/':
		if z.pos+2 < len(src) && isLetter(src[z.pos+2]) {
			return z.readTag(z.pos+2, true)
		}
		if z.pos+2 < len(src) && src[z.pos+2] == '>' { // "</>" is nothing
			z.pos += 3
			return z.next()
		}
		// "</ ..." is a bogus comment up to '>'.
		z.skipTo('>')
		return z.next()
	case isLetter(c):
		return z.readTag(z.pos+1, false)
	}
	// A lone '<' is text.
	return z.readTextFrom(z.pos + 1)
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

func (z *tokenizer) readText() tokenKind { return z.readTextFrom(z.pos) }

// readTextFrom reads text from z.pos to the next '<' at or after from.
func (z *tokenizer) readTextFrom(from int) tokenKind {
	end := len(z.src)
	if i := bytes.IndexByte(z.src[from:], '<'); i >= 0 {
		end = from + i
	}
	z.text = z.src[z.pos:end]
	z.pos = end
	z.kind = tText
	return tText
}

// skipTo moves past the next b, or to the end.
func (z *tokenizer) skipTo(b byte) {
	if i := bytes.IndexByte(z.src[z.pos:], b); i >= 0 {
		z.pos += i + 1
	} else {
		z.pos = len(z.src)
	}
}

// skipMarkup skips a comment, doctype, CDATA section or processing
// instruction starting at z.pos.
func (z *tokenizer) skipMarkup() {
	rest := z.src[z.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		// "<!-->" and "<!--->" close at once.
		body := rest[4:]
		if bytes.HasPrefix(body, []byte(">")) || bytes.HasPrefix(body, []byte("->")) {
			z.pos += 4 + bytes.IndexByte(body, '>') + 1
			return
		}
		if i := bytes.Index(body, []byte("-->")); i >= 0 {
			z.pos += 4 + i + 3
		} else {
			z.pos = len(z.src)
		}
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		if i := bytes.Index(rest, []byte("]]>")); i >= 0 {
			z.pos += i + 3
		} else {
			z.pos = len(z.src)
		}
	default:
		z.skipTo('>')
	}
}

// readTag reads a start or end tag whose name begins at i.
func (z *tokenizer) readTag(i int, end bool) tokenKind {
	src := z.src
	j := i
	for j < len(src) && !isSpace(src[j]) && src[j] != '/' && src[j] != '>' {
		j++
	}
	name := src[i:j]
	if len(name) <= len(z.nameBuf) {
		lower := appendLower(z.nameBuf[:0], name)
		z.tag = atom.Lookup(lower)
		if !end && z.tag != 0 {
			z.props = tagProps[z.tag]
		}
	}
	// Attributes, up to the closing '>'.
	for {
		for j < len(src) && (isSpace(src[j]) || src[j] == '/') {
			if src[j] == '/' && j+1 < len(src) && src[j+1] == '>' {
				z.selfClosing = true
			}
			j++
		}
		if j >= len(src) {
			// A tag cut by the end of the page is dropped.
			z.pos = len(src)
			z.kind = tEOF
			return tEOF
		}
		if src[j] == '>' {
			j++
			break
		}
		k := j
		for j < len(src) && !isSpace(src[j]) && src[j] != '/' && src[j] != '>' && (src[j] != '=' || j == k) {
			j++
		}
		key := src[k:j]
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		var val []byte
		if j < len(src) && src[j] == '=' {
			j++
			for j < len(src) && isSpace(src[j]) {
				j++
			}
			if j < len(src) && (src[j] == '"' || src[j] == '\'') {
				q := src[j]
				e := bytes.IndexByte(src[j+1:], q)
				if e < 0 {
					z.pos = len(src)
					z.kind = tEOF
					return tEOF
				}
				val = src[j+1 : j+1+e]
				j += e + 2
			} else {
				v := j
				for j < len(src) && !isSpace(src[j]) && src[j] != '>' {
					j++
				}
				val = src[v:j]
			}
		}
		if !end && len(z.attrs) < 64 {
			z.attrs = append(z.attrs, attr{key: key, val: val})
		}
	}
	z.pos = j
	if end {
		z.kind = tEnd
		return tEnd
	}
	z.kind = tStart
	if z.props.bits&pRaw != 0 && !z.selfClosing {
		z.rawEnd = z.tag
		z.rawTag = name
	}
	return tStart
}

// readRaw reads the text of a raw-text element up to its end tag, which
// is left for the next call.
func (z *tokenizer) readRaw() tokenKind {
	src := z.src
	start := z.pos
	from := start
	end := len(src)
	if z.rawEnd != atom.Plaintext {
		for {
			i := bytes.Index(src[from:], []byte("</"))
			if i < 0 {
				break
			}
			at := from + i
			n := at + 2 + len(z.rawTag)
			if n <= len(src) && bytes.EqualFold(src[at+2:n], z.rawTag) && (n == len(src) || isSpace(src[n]) || src[n] == '>' || src[n] == '/') {
				end = at
				break
			}
			from = at + 2
		}
	}
	z.rawEnd = 0
	z.pos = end
	if end == start {
		return z.next()
	}
	z.text = src[start:end]
	z.kind = tText
	return tText
}

// keyIs reports whether an attribute key equals the lower-case name.
func keyIs(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range key {
		if key[i]|0x20 != name[i] && key[i] != name[i] {
			return false
		}
	}
	return true
}

// appendDecoded appends b to dst with character references decoded. The
// common references (numeric ones, and the named ones of commonRefs) are
// decoded in place; a text holding any other goes through
// html.UnescapeString, which knows all of HTML's, at the cost of an
// allocation.
func appendDecoded(dst, b []byte) []byte {
	i := bytes.IndexByte(b, '&')
	if i < 0 {
		return append(dst, b...)
	}
	start, orig := len(dst), b
	for i >= 0 {
		dst = append(dst, b[:i]...)
		b = b[i:]
		n, r, ok := reference(b)
		if !ok {
			return append(dst[:start], html.UnescapeString(string(orig))...)
		}
		if r >= 0 {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, '&')
		}
		b = b[n:]
		i = bytes.IndexByte(b, '&')
	}
	return append(dst, b...)
}

// reference decodes the reference at the start of b (which starts with
// '&'): its length and rune, r < 0 for a lone '&' kept as it is; ok false
// when only html.UnescapeString can tell.
func reference(b []byte) (n int, r rune, ok bool) {
	end := bytes.IndexByte(b[:min(len(b), 40)], ';')
	if len(b) < 2 || !(isLetter(b[1]) || b[1] == '#') {
		return 1, -1, true // "&" before a space or punctuation is text
	}
	if end < 0 {
		return 0, 0, false // a legacy reference without ';', or text
	}
	name := b[1:end]
	if name[0] == '#' {
		var v int64 = -1
		if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
			v = parseUint(name[2:], 16)
		} else {
			v = parseUint(name[1:], 10)
		}
		if v >= 0x20 && v < 0x7f || v >= 0xa0 && v < 0xd800 || v >= 0xe000 && v <= 0x10ffff {
			return end + 1, rune(v), true
		}
		return 0, 0, false // C1 remapping, NUL, surrogates: the library's rules
	}
	if r, ok := commonRefs[string(name)]; ok {
		return end + 1, r, true
	}
	return 0, 0, false
}

func parseUint(b []byte, base int64) int64 {
	if len(b) == 0 || len(b) > 8 {
		return -1
	}
	var v int64
	for _, c := range b {
		var d int64
		switch {
		case '0' <= c && c <= '9':
			d = int64(c - '0')
		case base == 16 && 'a' <= c|0x20 && c|0x20 <= 'f':
			d = int64(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v*base + d
	}
	return v
}

// commonRefs are the named references most pages use.
var commonRefs = map[string]rune{
	"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "nbsp": '\u00a0',
	"mdash": '—', "ndash": '–', "hellip": '…', "lsquo": '‘', "rsquo": '’', "ldquo": '“',
	"rdquo": '”', "laquo": '«', "raquo": '»', "copy": '©', "reg": '®', "trade": '™',
	"middot": '·', "bull": '•', "rarr": '→', "larr": '←', "times": '×', "deg": '°',
	"eacute": 'é', "egrave": 'è', "agrave": 'à', "aacute": 'á', "uuml": 'ü', "ouml": 'ö',
	"auml": 'ä', "szlig": 'ß', "ccedil": 'ç', "ntilde": 'ñ', "iacute": 'í', "oacute": 'ó',
	"uacute": 'ú', "euro": '€', "pound": '£', "sect": '§', "para": '¶', "shy": '\u00ad',
	"zwj": '\u200d', "zwnj": '\u200c', "thinsp": '\u2009', "ensp": '\u2002', "emsp": '\u2003',
}

// decode returns b with character references decoded.
func decode(b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 {
		return b
	}
	return appendDecoded(nil, b)
}
