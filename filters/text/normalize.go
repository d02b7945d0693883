package text

import (
	"unicode"
	"unicode/utf8"

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

// Normalization classes of ASCII bytes for AppendNormalized.
const (
	nSpace uint8 = iota // white space, punctuation, symbols, controls
	nDigit
	nLower
	nUpper
)

var asciiNorm = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		switch {
		case '0' <= c && c <= '9':
			t[c] = nDigit
		case 'a' <= c && c <= 'z':
			t[c] = nLower
		case 'A' <= c && c <= 'Z':
			t[c] = nUpper
		default:
			t[c] = nSpace
		}
	}
	return t
}()

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

func (n *normalizer) put(r rune) {
	if n.pending {
		n.dst = append(n.dst, ' ')
		n.pending = false
	}
	n.digits = false
	n.dst = utf8.AppendRune(n.dst, r)
}

func (n *normalizer) digit() {
	if n.digits {
		return
	}
	if n.pending {
		n.dst = append(n.dst, ' ')
		n.pending = false
	}
	n.dst = append(n.dst, '0')
	n.digits = true
}

// Normalisation classes of code points, stored in bmpInfo's high nibble.
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

// rune handles one code point of the decomposed text.
func (n *normalizer) rune(r rune) {
	switch info(r) >> 4 {
	case ncDrop:
	case ncDigit:
		n.digit()
	case ncLetter:
		n.put(unicode.ToLower(r))
	default:
		n.sep()
	}
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

// AppendNormalized appends the dedup normalisation of s to dst: NFD with
// combining marks removed (so "café" and "cafe" match), lower case, every
// run of digits replaced by a single "0", punctuation, symbols and control
// characters turned into white space, white space collapsed to one ASCII
// space and trimmed at both ends. It is the key under which dedup stages
// compare lines and documents. Invalid UTF-8 counts as white space.
func AppendNormalized(dst []byte, s string) []byte {
	n := normalizer{dst: dst, base: len(dst)}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiNorm[c] {
			case nLower:
				if n.pending {
					n.dst = append(n.dst, ' ')
					n.pending = false
				}
				n.digits = false
				n.dst = append(n.dst, c)
			case nUpper:
				if n.pending {
					n.dst = append(n.dst, ' ')
					n.pending = false
				}
				n.digits = false
				n.dst = append(n.dst, c+'a'-'A')
			case nDigit:
				n.digit()
			default:
				n.pending = len(n.dst) > n.base
				n.digits = false
			}
			i++
			continue
		}
		p := norm.NFD.PropertiesString(s[i:])
		r, rs := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && rs <= 1 {
			n.pending = len(n.dst) > n.base
			n.digits = false
			i++
			continue
		}
		if d := p.Decomposition(); d != nil {
			// Hangul syllables have no stored decomposition but are
			// decomposed algorithmically by Append.
			for _, dr := range string(d) {
				n.rune(dr)
			}
		} else if r >= hangulBase && r <= hangulEnd {
			si := r - hangulBase
			n.put(hangulLBase + si/hangulNCnt)
			n.put(hangulVBase + si%hangulNCnt/hangulTCnt)
			if t := si % hangulTCnt; t != 0 {
				n.put(hangulTBase + t)
			}
		} else {
			n.rune(r)
		}
		i += rs
	}
	return n.dst
}

// Normalize returns the dedup normalisation of s (see AppendNormalized).
func Normalize(s string) string {
	return string(AppendNormalized(make([]byte, 0, len(s)), s))
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
