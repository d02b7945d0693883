package text

import (
	"math/bits"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Word-break classes, after UAX #29 section 4.1 (Word_Break property
// values), reduced to what decides word-like segments.
const (
	clsOther     uint8 = iota
	clsLetter          // ALetter and Hebrew_Letter
	clsNumeric         // Numeric
	clsKatakana        // Katakana
	clsExtNumLet       // ExtendNumLet: underscore and other connectors
	clsMidLetter       // MidLetter
	clsMidNum          // MidNum
	clsMidNumLet       // MidNumLet and Single_Quote
	clsExtend          // Extend, Format, ZWJ: absorbed by what precedes (WB4)
	clsIdeo            // Han, Hiragana: one word per character
	clsComplex         // Thai, Lao, Khmer, Myanmar (Line_Break=SA): one word per character
)

// latinClass caches the class of the code points written in one or two
// UTF-8 bytes (U+0000–U+07FF: the Latin, Greek, Cyrillic, Armenian,
// Hebrew, Arabic and Syriac alphabets), built at start-up in well under a
// millisecond.
var latinClass [0x800]uint8

func init() {
	for r := rune(0); r < rune(len(latinClass)); r++ {
		latinClass[r] = classifySlow(r)
	}
}

// bmpClass caches the word class of every code point of the Basic
// Multilingual Plane. It is built on first use of a non-Latin character
// (about 30 ms, 64 KiB), as a lookup in the unicode package's tables
// costs several binary searches.
var (
	bmpOnce  sync.Once
	bmpClass *[0x10000]uint8
)

func buildBMP() {
	t := new([0x10000]uint8)
	for r := rune(0); r < 0x10000; r++ {
		t[r] = classifySlow(r)
	}
	bmpClass = t
}

func classOf(r rune) uint8 {
	switch {
	case r < rune(len(latinClass)):
		return latinClass[r]
	case r < 0x10000:
		bmpOnce.Do(buildBMP)
		return bmpClass[r]
	}
	return classifySlow(r)
}

var complexScripts = []*unicode.RangeTable{unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tai_Tham, unicode.Tai_Viet}

func classifySlow(r rune) uint8 {
	switch r {
	case '\'', '.', '\u2018', '\u2019', '\u2024', '\uFE52', '\uFF07', '\uFF0E':
		return clsMidNumLet
	case ':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2027', '\uFE13', '\uFE55', '\uFF1A':
		return clsMidLetter
	case ',', ';', '\u037E', '\u0589', '\u060C', '\u060D', '\u066C', '\u07F8', '\u2044', '\uFE10', '\uFE14', '\uFE50', '\uFE54', '\uFF0C', '\uFF1B':
		return clsMidNum
	case '\u200D', '\u200C':
		return clsExtend
	case '\u30FC', '\u309B', '\u309C', '\u30A0', '\uFF70', '\u3031', '\u3032', '\u3033', '\u3034', '\u3035':
		return clsKatakana
	case '\u200B':
		return clsOther
	}
	switch {
	case r < 0x80:
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return clsLetter
		case '0' <= r && r <= '9':
			return clsNumeric
		case r == '_':
			return clsExtNumLet
		}
		return clsOther
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Mc, r), unicode.Is(unicode.Cf, r):
		return clsExtend
	case unicode.Is(unicode.Nd, r):
		return clsNumeric
	case unicode.Is(unicode.Pc, r):
		return clsExtNumLet
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r):
		return clsIdeo
	case unicode.Is(unicode.Katakana, r):
		return clsKatakana
	case unicode.IsOneOf(complexScripts, r):
		if unicode.IsLetter(r) {
			return clsComplex
		}
		return clsOther
	case unicode.IsLetter(r), unicode.Is(unicode.Nl, r):
		return clsLetter
	}
	return clsOther
}

// asciiWord marks bytes that are ASCII letters or digits: the fast path
// of the scanner stays in a byte loop while they last.
var asciiWord = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-32] = true, true
	}
	return t
}()

// Byte kinds for the scanner's fast paths, by byte value: ASCII bytes
// that are never part of a word (white space, most punctuation), that
// may join letters or digits (' . : , ;), letters and digits, the
// underscore, and the bytes of other characters.
const (
	kSep uint8 = iota
	kMid
	kAlnum
	kUnder
	kHigh
)

// byteKind is indexed by any byte, so the fast paths need no bounds or
// range check.
var byteKind = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = kHigh
		case asciiWord[c]:
			t[c] = kAlnum
		case c == '_':
			t[c] = kUnder
		case classifySlow(rune(c)) != clsOther:
			t[c] = kMid
		}
	}
	return t
}()

// nonAlnum returns 0x80 in each byte of x that is not an ASCII letter or
// digit. Each test adds a constant to the low seven bits of every byte,
// which cannot carry into the next byte, and reads the high bit: a
// letter is 'a'..'z' once bit 0x20 is set, a digit '0'..'9'.
func nonAlnum(x uint64) uint64 {
	const hi = 0x8080808080808080
	y := x &^ hi
	l := y | 0x2020202020202020
	letter := (l + 0x1F1F1F1F1F1F1F1F) &^ (l + 0x0505050505050505)
	digit := (y + 0x5050505050505050) &^ (y + 0x4646464646464646)
	return ^(letter|digit)&hi | x&hi
}

// WordScanner iterates over the words of a string without allocating.
//
// Words are the word-like segments of Unicode UAX #29 (default word
// boundaries): runs of letters and digits joined by the rules WB4–WB13b,
// so "don't", "l'homme", "3.14" and "snake_case" are one word each, and
// punctuation, symbols and spaces are not words. Scripts written without
// spaces get one word per character: each Han ideograph, each Hiragana
// character and each Thai, Lao, Khmer or Myanmar letter (with its
// combining marks) is a word, while Katakana runs stay together (WB13).
// Emoji and regional indicators are not words. Invalid UTF-8 bytes are
// treated as separators.
//
// The rules are hand-written rather than taken from a UAX #29 library
// because this is the hottest loop of every filter: a general segmenter
// measured 60–75 MB/s on Latin text here, this one stays in a byte loop
// for ASCII letters (see BenchmarkWords).
type WordScanner struct {
	s          string
	pos        int
	start, end int
}

// Reset starts scanning s from its beginning.
func (sc *WordScanner) Reset(s string) {
	*sc = WordScanner{s: s}
}

// Word returns the current word, a substring of the scanned string.
func (sc *WordScanner) Word() string { return sc.s[sc.start:sc.end] }

// Span returns the byte offsets of the current word in the scanned string.
func (sc *WordScanner) Span() (start, end int) { return sc.start, sc.end }

// next decodes the class and size of the rune at i. The two- and
// three-byte forms are decoded here and looked up in latinClass and
// bmpClass directly: this is the scanner's inner step on non-Latin text.
func (sc *WordScanner) next(i int) (uint8, int) {
	s := sc.s
	c := s[i]
	switch {
	case c < utf8.RuneSelf:
		return latinClass[c], 1
	case c < 0xC2:
	case c < 0xE0:
		if i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			return latinClass[rune(c&0x1F)<<6|rune(s[i+1]&0x3F)], 2
		}
	case c < 0xF0:
		if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			// Overlong forms and surrogates are invalid.
			if r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				bmpOnce.Do(buildBMP)
				return bmpClass[r], 3
			}
		}
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return clsOther, 1
	}
	return classOf(r), size
}

// skipExtend returns the offset after the Extend/Format characters at i.
func (sc *WordScanner) skipExtend(i int) int {
	for i < len(sc.s) && sc.s[i] >= utf8.RuneSelf {
		c, size := sc.next(i)
		if c != clsExtend {
			break
		}
		i += size
	}
	return i
}

// Next advances to the next word and reports whether there is one.
func (sc *WordScanner) Next() bool {
	s := sc.s
	i := sc.pos
	for i < len(s) {
		// Skip ASCII separators in a byte loop.
		for i < len(s) && byteKind[s[i]] <= kMid {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		if byteKind[s[i]] == kAlnum {
			// A run of ASCII letters and digits — most words whole —
			// ends the word when a separator or the end follows; any
			// other byte goes through the rules with the run's last
			// class. The run is measured eight bytes at a time, which
			// takes most words in one step without a branch per byte.
			i++
			for i+8 <= len(s) {
				x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
					uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
				if m := nonAlnum(x); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					goto run
				}
				i += 8
			}
			for i < len(s) && byteKind[s[i]] == kAlnum {
				i++
			}
		run:
			// A comma or full stop after a word — the commonest case
			// after a separator — joins only a letter or digit or a
			// character beyond ASCII (WB6/7, WB11/12), so one ASCII
			// byte after it tells that the word ends.
			if i < len(s) && byteKind[s[i]] != kSep &&
				!(byteKind[s[i]] == kMid && (i+1 == len(s) || byteKind[s[i+1]] <= kMid || byteKind[s[i+1]] == kUnder)) {
				last := clsLetter
				if s[i-1] <= '9' {
					last = clsNumeric
				}
				i = sc.scanWord(i, last)
			}
			sc.start, sc.end, sc.pos = start, i, i
			return true
		}
		// Find a character that can start a word.
		c, size := sc.next(i)
		i += size
		switch c {
		case clsIdeo, clsComplex:
			i = sc.skipExtend(i)
			sc.start, sc.end, sc.pos = start, i, i
			return true
		case clsExtNumLet:
			// A run of connectors is a word only when it touches a letter,
			// digit or Katakana (WB13b).
			j := sc.skipExtend(i)
			for j < len(s) {
				c2, size2 := sc.next(j)
				if c2 == clsExtend {
					j += size2
					continue
				}
				if c2 != clsExtNumLet {
					break
				}
				j += size2
			}
			if j >= len(s) {
				i = j
				continue
			}
			c2, _ := sc.next(j)
			if c2 != clsLetter && c2 != clsNumeric && c2 != clsKatakana {
				i = j
				continue
			}
			sc.end = sc.scanWord(j, clsExtNumLet)
			sc.start, sc.pos = start, sc.end
			return true
		case clsLetter, clsNumeric, clsKatakana:
			sc.end = sc.scanWord(i, c)
			sc.start, sc.pos = start, sc.end
			return true
		}
	}
	sc.pos = len(s)
	return false
}

// scanWord extends a word whose last non-Extend character has class last
// from offset i, and returns where the word ends.
func (sc *WordScanner) scanWord(i int, last uint8) int {
	s := sc.s
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf && asciiWord[b] && last != clsKatakana {
			// Letters and digits join with letters, digits and
			// connectors (WB5, WB8–WB10, WB13a/b).
			i++
			if b <= '9' {
				last = clsNumeric
			} else {
				last = clsLetter
			}
			continue
		}
		if b < utf8.RuneSelf && latinClass[b] == clsOther {
			return i // white space and most punctuation end the word
		}
		c, size := sc.next(i)
		switch c {
		case clsExtend:
			i += size
			continue
		case clsLetter, clsNumeric:
			if last == clsKatakana {
				return i
			}
		case clsKatakana:
			if last != clsKatakana && last != clsExtNumLet {
				return i
			}
		case clsExtNumLet:
		case clsMidLetter, clsMidNum, clsMidNumLet:
			// WB6/7 (letter mid letter) and WB11/12 (digit mid digit).
			j := sc.skipExtend(i + size)
			if j >= len(s) {
				return i
			}
			n, nsize := sc.next(j)
			ok := false
			switch c {
			case clsMidLetter:
				ok = last == clsLetter && n == clsLetter
			case clsMidNum:
				ok = last == clsNumeric && n == clsNumeric
			default:
				ok = last == n && (n == clsLetter || n == clsNumeric)
			}
			if !ok {
				return i
			}
			i = j + nsize
			continue
		default:
			return i
		}
		last = c
		i += size
	}
	return i
}

// AppendWords appends the words of s (see WordScanner) to dst.
func AppendWords(dst []string, s string) []string {
	var sc WordScanner
	sc.Reset(s)
	for sc.Next() {
		dst = append(dst, sc.Word())
	}
	return dst
}

// CountWords returns the number of words of s (see WordScanner).
func CountWords(s string) int {
	var sc WordScanner
	sc.Reset(s)
	n := 0
	for sc.Next() {
		n++
	}
	return n
}
