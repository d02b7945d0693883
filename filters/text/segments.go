package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LineScanner iterates over the lines of a string without allocating.
// Lines end at "\n", "\r\n" or a lone "\r"; the terminator is not part of
// the line. A final line without terminator counts; text ending in a
// terminator has no empty last line (as bufio.ScanLines).
type LineScanner struct {
	s          string
	pos        int
	start, end int
}

// Reset starts scanning s from its beginning.
func (sc *LineScanner) Reset(s string) { *sc = LineScanner{s: s} }

// Line returns the current line without its terminator.
func (sc *LineScanner) Line() string { return sc.s[sc.start:sc.end] }

// Span returns the byte offsets of the current line (without terminator).
func (sc *LineScanner) Span() (start, end int) { return sc.start, sc.end }

// Next advances to the next line and reports whether there is one.
func (sc *LineScanner) Next() bool {
	if sc.pos >= len(sc.s) {
		return false
	}
	rest := sc.s[sc.pos:]
	n := strings.IndexAny(rest, "\r\n")
	sc.start = sc.pos
	if n < 0 {
		sc.end, sc.pos = len(sc.s), len(sc.s)
		return true
	}
	sc.end = sc.pos + n
	sc.pos = sc.end + 1
	if rest[n] == '\r' && n+1 < len(rest) && rest[n+1] == '\n' {
		sc.pos++
	}
	return true
}

// AppendLines appends the lines of s (see LineScanner) to dst.
func AppendLines(dst []string, s string) []string {
	var sc LineScanner
	sc.Reset(s)
	for sc.Next() {
		dst = append(dst, sc.Line())
	}
	return dst
}

// IsBlank reports whether s holds only white space.
func IsBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			continue
		}
		if s[i] < utf8.RuneSelf {
			return false
		}
		return strings.TrimFunc(s[i:], unicode.IsSpace) == ""
	}
	return true
}

// AppendParagraphs appends the paragraphs of s to dst: maximal runs of
// non-blank lines, separated by blank (white-space-only) lines. Each
// paragraph is a substring of s from the start of its first line to the
// end of its last, line breaks inside kept.
func AppendParagraphs(dst []string, s string) []string {
	var sc LineScanner
	sc.Reset(s)
	start, end := -1, -1
	for sc.Next() {
		a, b := sc.Span()
		if IsBlank(s[a:b]) {
			if start >= 0 {
				dst = append(dst, s[start:end])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = a
		}
		end = b
	}
	if start >= 0 {
		dst = append(dst, s[start:end])
	}
	return dst
}

// isTerminal reports sentence-final punctuation. The second result marks
// full-width terminators of scripts written without spaces, which end a
// sentence even when no space follows.
func isTerminal(r rune) (terminal, fullWidth bool) {
	switch r {
	case '.', '!', '?', '\u2026', '\u203C', '\u2047', '\u2048', '\u2049', '\u061F', '\u06D4', '\u0964', '\u0965', '\u0589', '\u1362', '\u104B':
		return true, false
	case '\u3002', '\uFF01', '\uFF1F', '\uFF0E', '\uFF61':
		return true, true
	}
	return false, false
}

// isClosing reports characters that stay with the sentence they close:
// quotes and closing brackets after the terminator.
func isClosing(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}', '\u00BB', '\u2019', '\u201D', '\u203A', '\u300D', '\u300F', '\uFF09', '\u3011':
		return true
	}
	return false
}

// AppendSentences appends the sentences of s to dst, each trimmed of
// surrounding white space. A sentence ends after a run of terminal
// punctuation (. ! ? … and their equivalents in other scripts) and any
// closing quotes or brackets, when white space or the end of the text
// follows; full-width terminators (。！？) end it at once; a blank line
// (paragraph break) ends it too. Abbreviations ("Dr. Smith") are not
// recognised: this is a rule-based splitter for filters that count
// sentences, not a linguistic one.
func AppendSentences(dst []string, s string) []string {
	start := 0
	emit := func(end int) {
		if seg := strings.TrimSpace(s[start:end]); seg != "" {
			dst = append(dst, seg)
		}
		start = end
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r == '\n' {
			// A blank line ends the sentence.
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			if j < len(s) && s[j] == '\n' {
				emit(j)
				i = j + 1
				continue
			}
			i++
			continue
		}
		term, full := isTerminal(r)
		if !term {
			i += size
			continue
		}
		j := i + size
		for j < len(s) {
			r2, size2 := utf8.DecodeRuneInString(s[j:])
			if t, f := isTerminal(r2); t {
				full = full || f
			} else if !isClosing(r2) {
				break
			}
			j += size2
		}
		if full || j == len(s) {
			emit(j)
		} else if r2, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsSpace(r2) {
			emit(j)
		}
		i = j
	}
	emit(len(s))
	return dst
}
