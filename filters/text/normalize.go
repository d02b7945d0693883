package text

import (
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode Normalization Form C. Text already in NFC (the
// common case) is returned as it is, without copying.
func NFC(s string) string {
	if IsASCII(s) || norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// IsASCII reports whether s holds only ASCII bytes, checking eight at a
// time. ASCII text is in every normalisation form: the check lets NFC
// skip the norm package's byte-by-byte scan, which took a twentieth of
// the quality filters' time on English text.
func IsASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// The compiler merges the eight loads into one.
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiNorm maps every byte to what AppendNormalized makes of it when it
// starts a character: an ASCII letter to its lower case, a digit to '0',
// other ASCII bytes to 0 (a separator) and bytes from 0x80 to nonASCII.
// Letters sort above '0' and the other two below, so one comparison ends
// a run of letters.
var asciiNorm = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = nonASCII
		case '0' <= c && c <= '9':
			t[c] = '0'
		case 'a' <= c && c <= 'z':
			t[c] = uint8(c)
		case 'A' <= c && c <= 'Z':
			t[c] = uint8(c) + 'a' - 'A'
		}
	}
	return t
}()

const nonASCII = 1

// Normalisation classes of code points (see normClassSlow).
const (
	ncSep    uint8 = iota // white space, punctuation, symbols, controls
	ncDrop                // combining marks and joiners: removed
	ncDigit               // decimal digits: runs become "0"
	ncLetter              // letters and the like: lower-cased
)

func normClassSlow(r rune) uint8 {
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r), r == '\u200C' || r == '\u200D':
		return ncDrop
	case unicode.IsDigit(r):
		return ncDigit
	case unicode.IsLetter(r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.No, r):
		return ncLetter
	}
	return ncSep
}

// Hangul syllables decompose algorithmically (Unicode section 3.12).
const (
	hangulBase  = 0xAC00
	hangulEnd   = 0xD7A3
	hangulLBase = 0x1100
	hangulVBase = 0x1161
	hangulTBase = 0x11A7
	hangulTCnt  = 28
	hangulNCnt  = 21 * 28
)

// decompose appends the canonical decomposition of r (r itself when it
// has none) to dst; combining marks are left in, in any order, as the
// normalisation drops them.
func decompose(dst []rune, r rune) []rune {
	if r >= hangulBase && r <= hangulEnd {
		si := r - hangulBase
		dst = append(dst, hangulLBase+si/hangulNCnt, hangulVBase+si%hangulNCnt/hangulTCnt)
		if t := si % hangulTCnt; t != 0 {
			dst = append(dst, hangulTBase+t)
		}
		return dst
	}
	if d := norm.NFD.PropertiesString(string(r)).Decomposition(); d != nil {
		for _, dr := range string(d) {
			dst = append(dst, dr)
		}
		return dst
	}
	return append(dst, r)
}

// A bmpNorm entry says what AppendNormalized makes of one code point of
// the Basic Multilingual Plane: its kind in the top byte and, for a
// letter, the UTF-8 of its normalisation (1–3 bytes) in the low three
// bytes with the length in bits 24–25.
const (
	kindSep    = 0 << 28
	kindDrop   = 1 << 28
	kindDigit  = 2 << 28
	kindLetter = 3 << 28
	kindMany   = 4 << 28 // several letters (Hangul syllables): decomposed rune by rune
	kindMask   = 7 << 28
)

// bmpNorm caches the normalisation of every BMP code point: a lookup
// instead of the norm package's trie walk and the unicode package's
// binary searches, five times faster on non-Latin text. Built on first
// use of a non-ASCII character (256 KiB).
var (
	bmpNormOnce sync.Once
	bmpNorm     *[0x10000]uint32
)

func buildBMPNorm() {
	t := new([0x10000]uint32)
	var d []rune
	for r := rune(0); r < 0x10000; r++ {
		t[r] = normEntry(d[:0], r)
	}
	bmpNorm = t
}

// normEntry computes the bmpNorm entry of r; d is scratch space.
func normEntry(d []rune, r rune) uint32 {
	var kept []rune
	for _, dr := range decompose(d, r) {
		if normClassSlow(dr) != ncDrop {
			kept = append(kept, dr)
		}
	}
	switch {
	case len(kept) == 0:
		return kindDrop
	case len(kept) > 1:
		return kindMany
	}
	switch normClassSlow(kept[0]) {
	case ncDigit:
		return kindDigit
	case ncLetter:
		var b [4]byte
		n := utf8.EncodeRune(b[:], unicode.ToLower(kept[0]))
		if n > 3 {
			return kindMany
		}
		return kindLetter | uint32(n)<<24 | uint32(b[2])<<16 | uint32(b[1])<<8 | uint32(b[0])
	}
	return kindSep
}

// normalizer carries the state of one AppendNormalized call.
type normalizer struct {
	dst     []byte
	base    int  // len(dst) on entry: separators never lead the output
	pending bool // a separator is due before the next token
	digits  bool // the last byte written closes a digit run
}

func (n *normalizer) sep() {
	n.pending = len(n.dst) > n.base
	n.digits = false
}

func (n *normalizer) space() {
	if n.pending {
		n.dst = append(n.dst, ' ')
		n.pending = false
	}
}

func (n *normalizer) digit() {
	if n.digits {
		return
	}
	n.space()
	n.dst = append(n.dst, '0')
	n.digits = true
}

// rune handles one decomposed code point outside the table's shortcuts.
func (n *normalizer) rune(r rune) {
	switch normClassSlow(r) {
	case ncDrop:
	case ncDigit:
		n.digit()
	case ncLetter:
		n.space()
		n.digits = false
		n.dst = utf8.AppendRune(n.dst, unicode.ToLower(r))
	default:
		n.sep()
	}
}

// Load64 returns the first eight bytes of s (which must have as many)
// as a little-endian integer, for scans that look at eight bytes at a
// time. Written out byte by byte, the compiler merges the loads into one
// and, unlike converting to []byte, copies nothing.
func Load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// AppendNormalized appends the dedup normalisation of s to dst: NFD with
// combining marks removed (so "café" and "cafe" match), lower case, every
// run of digits replaced by a single "0", punctuation, symbols and control
// characters turned into white space, white space collapsed to one ASCII
// space and trimmed at both ends. It is the key under which dedup stages
// compare lines and documents. Invalid UTF-8 counts as white space.
func AppendNormalized(dst []byte, s string) []byte {
	n := normalizer{dst: dst, base: len(dst)}
	for i := 0; i < len(s); {
		o := asciiNorm[s[i]]
		if o > '0' {
			// A run of ASCII letters, copied in one loop on a local
			// slice (the normalizer's own lives in memory).
			n.space()
			n.digits = false
			d := append(n.dst, o)
			for i++; i < len(s); i++ {
				o = asciiNorm[s[i]]
				if o <= '0' {
					break
				}
				d = append(d, o)
			}
			n.dst = d
			continue
		}
		switch o {
		case '0':
			n.digit()
			i++
			continue
		case 0:
			n.sep()
			i++
			continue
		}
		// The two- and three-byte forms (every script of the BMP) are
		// decoded here: the utf8 package's out-of-line path was a fifth
		// of the time on non-Latin text.
		var r rune
		rs := 0
		switch c := s[i]; {
		case c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80:
			r, rs = rune(c&0x1F)<<6|rune(s[i+1]&0x3F), 2
		case c >= 0xE0 && c < 0xF0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80:
			// Overlong forms and surrogates are invalid.
			if r = rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				rs = 3
			}
		}
		if rs == 0 {
			r, rs = utf8.DecodeRuneInString(s[i:])
		}
		i += rs
		if r == utf8.RuneError && rs <= 1 {
			n.sep()
			continue
		}
		if r >= 0x10000 {
			var d [4]rune
			for _, dr := range decompose(d[:0], r) {
				n.rune(dr)
			}
			continue
		}
		bmpNormOnce.Do(buildBMPNorm)
		e := bmpNorm[r]
		switch e & kindMask {
		case kindLetter:
			n.space()
			n.digits = false
			switch e >> 24 & 3 {
			case 1:
				n.dst = append(n.dst, byte(e))
			case 2:
				n.dst = append(n.dst, byte(e), byte(e>>8))
			default:
				n.dst = append(n.dst, byte(e), byte(e>>8), byte(e>>16))
			}
		case kindDrop:
		case kindDigit:
			n.digit()
		case kindSep:
			n.sep()
		default:
			var d [4]rune
			for _, dr := range decompose(d[:0], r) {
				n.rune(dr)
			}
		}
	}
	return n.dst
}

// Normalize returns the dedup normalisation of s (see AppendNormalized).
func Normalize(s string) string {
	b := AppendNormalized(make([]byte, 0, len(s)), s)
	if len(b) == 0 {
		return ""
	}
	// b is not reachable elsewhere and never written again: the string
	// can share it instead of copying it (a tenth of minhash's time).
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// AppendLower appends w in lower case (Unicode simple case mapping, with
// an ASCII fast path), for stages that match words case-insensitively.
func AppendLower(dst []byte, w string) []byte {
	for j := 0; j < len(w); {
		c := w[j]
		if c < utf8.RuneSelf {
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			j++
			continue
		}
		r, n := utf8.DecodeRuneInString(w[j:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		j += n
	}
	return dst
}
