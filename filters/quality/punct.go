package quality

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isTerminalPunct reports marks that end a sentence-like line across
// scripts: the ASCII set of C4 and FineWeb (. ! ? " '), closing quotes,
// full-width CJK marks, the danda, Arabic, Urdu, Armenian, Ethiopic,
// Myanmar and Khmer full stops. The ellipsis "…" is not one (C4 rejects
// lines ending in an ellipsis).
func isTerminalPunct(r rune) bool {
	switch r {
	case '.', '!', '?', '"', '\'',
		'”', '’', '»', '」', '』',
		'。', '！', '？', '．', '｡',
		'।', '॥', '؟', '۔', '։', '።', '။', '។', '‼', '⁇', '⁈', '⁉':
		return true
	}
	return false
}

// lastRune returns the last character of s after trailing white space,
// and s so trimmed.
func lastRune(s string) (rune, string) {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	r, _ := utf8.DecodeLastRuneInString(s)
	return r, s
}
