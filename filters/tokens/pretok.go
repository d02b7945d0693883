package tokens

import (
	"unicode"
	"unicode/utf8"
)

// Pattern names a pre-tokenisation rule: how text is cut into the pieces
// that byte-pair encoding then merges independently.
type Pattern int

const (
	// PatternCL100K is the rule of cl100k_base (and of Llama 3's
	// tokenizer), tiktoken's regular expression
	//
	//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
	//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
	PatternCL100K Pattern = iota
	// PatternO200K is the rule of o200k_base:
	//
	//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
	//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
	//	\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
	PatternO200K
)

// The expressions above need look-ahead and backtracking, which Go's
// regexp lacks; the matchers below reproduce the leftmost-first,
// backtracking semantics of tiktoken's fancy-regex alternative by
// alternative, in linear time. Classes follow the Rust regex crate:
// \p{L}, \p{N}, \p{M} are the general categories, \s is the Unicode
// White_Space property, and (?i) folds case simply (so ſ matches s).

// Character class bits.
const (
	cLetter  = 1 << iota // \p{L}
	cNumber              // \p{N}
	cSpace               // \s
	cNewline             // \r or \n
	cUpper               // Lu, Lt, Lm, Lo, M: o200k's first letter class
	cLower               // Ll, Lm, Lo, M: o200k's second letter class
)

var asciiClass [128]uint8

func init() {
	for r := rune(0); r < 128; r++ {
		asciiClass[r] = classSlow(r)
	}
}

func classSlow(r rune) uint8 {
	var c uint8
	switch {
	case unicode.IsLetter(r):
		c |= cLetter
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			c |= cUpper
		case unicode.IsLower(r):
			c |= cLower
		default: // Lm, Lo
			c |= cUpper | cLower
		}
	case unicode.IsNumber(r):
		c |= cNumber
	case unicode.IsMark(r):
		c |= cUpper | cLower
	}
	if unicode.Is(unicode.White_Space, r) {
		c |= cSpace
	}
	if r == '\r' || r == '\n' {
		c |= cNewline
	}
	return c
}

// at decodes the rune at i with its class and size. Invalid UTF-8 (which
// the engine never passes on) reads as U+FFFD, a symbol, one byte long.
func at(s string, i int) (uint8, int) {
	b := s[i]
	if b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return classSlow(r), n
}

// next returns the end of the piece that starts at i < len(s).
func (p Pattern) next(s string, i int) int {
	if p == PatternO200K {
		return nextO200K(s, i)
	}
	return nextCL100K(s, i)
}

func nextCL100K(s string, i int) int {
	c, n := at(s, i)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if s[i] == '\'' {
		if m := contraction(s, i+1); m > 0 {
			return i + 1 + m
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c&cLetter != 0 {
		return run(s, i, cLetter)
	}
	if c&(cLetter|cNumber|cNewline) == 0 && i+n < len(s) {
		if c2, _ := at(s, i+n); c2&cLetter != 0 {
			return run(s, i+n, cLetter)
		}
	}
	if e := numbers(s, i, c); e > i {
		return e
	}
	if e := punct(s, i, c, false); e > i {
		return e
	}
	return spaces(s, i)
}

func nextO200K(s string, i int) int {
	c, n := at(s, i)
	prefix := c&(cLetter|cNumber|cNewline) == 0 && i+n < len(s)
	// P? U* L+ C?
	if prefix {
		if e := upperLower(s, i+n); e > 0 {
			return optContraction(s, e)
		}
	}
	if e := upperLower(s, i); e > 0 {
		return optContraction(s, e)
	}
	// P? U+ L* C?
	if prefix {
		if c2, _ := at(s, i+n); c2&cUpper != 0 {
			return optContraction(s, run(s, run(s, i+n, cUpper), cLower))
		}
	}
	if c&cUpper != 0 {
		return optContraction(s, run(s, run(s, i, cUpper), cLower))
	}
	if e := numbers(s, i, c); e > i {
		return e
	}
	if e := punct(s, i, c, true); e > i {
		return e
	}
	return spaces(s, i)
}

// upperLower matches [U]*[L]+ at i and returns its end, or 0: the greedy
// upper run gives back runes until a lower-class rune can start.
func upperLower(s string, i int) int {
	lastBoth := -1
	j := i
	for j < len(s) {
		c, n := at(s, j)
		if c&cUpper == 0 {
			break
		}
		if c&cLower != 0 {
			lastBoth = j
		}
		j += n
	}
	if j < len(s) {
		if c, _ := at(s, j); c&cLower != 0 {
			return run(s, j, cLower)
		}
	}
	if lastBoth >= 0 {
		// Every rune after lastBoth in the run is Lu/Lt, not lower-class,
		// and the rune after the run is not lower-class either.
		_, n := at(s, lastBoth)
		return lastBoth + n
	}
	return 0
}

// run returns the end of the run of runes having any of the class bits
// from i.
func run(s string, i int, bits uint8) int {
	for i < len(s) {
		c, n := at(s, i)
		if c&bits == 0 {
			break
		}
		i += n
	}
	return i
}

// numbers matches \p{N}{1,3}.
func numbers(s string, i int, c uint8) int {
	if c&cNumber == 0 {
		return i
	}
	for k := 0; k < 3 && i < len(s); k++ {
		c, n := at(s, i)
		if c&cNumber == 0 {
			break
		}
		i += n
	}
	return i
}

// punct matches " ?[^\s\p{L}\p{N}]+[\r\n]*" (with slash, "[\r\n/]*").
func punct(s string, i int, c uint8, slash bool) int {
	j := i
	if s[i] == ' ' {
		j++
	}
	k := j
	for k < len(s) {
		c, n := at(s, k)
		if c&(cSpace|cLetter|cNumber) != 0 {
			break
		}
		k += n
	}
	if k == j {
		return i
	}
	for k < len(s) && (s[k] == '\r' || s[k] == '\n' || (slash && s[k] == '/')) {
		k++
	}
	return k
}

// spaces matches "\s*[\r\n]+|\s+(?!\S)|\s+" at i, where the rune at i is
// white space (every other rune was matched by an earlier alternative).
func spaces(s string, i int) int {
	lastNL := -1
	lastStart := i
	j := i
	for j < len(s) {
		c, n := at(s, j)
		if c&cSpace == 0 {
			break
		}
		if c&cNewline != 0 {
			lastNL = j
		}
		lastStart = j
		j += n
	}
	if j == i {
		// Not reached for valid input; consume one rune so the scan
		// always advances.
		_, n := at(s, i)
		return i + n
	}
	if lastNL >= 0 {
		// \s* gives back runes until [\r\n]+ can match; that run then
		// ends at the last newline of the white space.
		return lastNL + 1
	}
	if j == len(s) || lastStart == i {
		return j
	}
	return lastStart
}

// contraction matches s|t|re|ve|m|ll|d case-insensitively at i (after the
// apostrophe) and returns its length, or 0.
func contraction(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] | 0x20 {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if i+1 < len(s) && s[i+1]|0x20 == 'e' {
			return 2
		}
	case 'l':
		if i+1 < len(s) && s[i+1]|0x20 == 'l' {
			return 2
		}
	}
	// U+017F LATIN SMALL LETTER LONG S folds to s.
	if len(s)-i >= 2 && s[i] == 0xC5 && s[i+1] == 0xBF {
		return 2
	}
	return 0
}

func optContraction(s string, e int) int {
	if e < len(s) && s[e] == '\'' {
		if m := contraction(s, e+1); m > 0 {
			return e + 1 + m
		}
	}
	return e
}
