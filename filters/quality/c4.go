// c4: the line and document rules that built C4 (Raffel et al. 2020,
// "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
// Transformer", section 2.2), as in datatrove's
// pipeline/filters/c4_filters.py (C4QualityFilter), whose defaults these
// are, except that the terminal-punctuation rule is off by default as in
// FineWeb's use of it:
//
//	lines with a word over 1000 characters    removed  (max_word_length)
//	citation markers [1], [edit], [citation needed]  cut out (remove_citations)
//	lines without terminal punctuation        kept     (filter_no_terminal_punct: false)
//	lines with fewer than 3 words             removed  (min_words_per_line)
//	lines mentioning "javascript"             removed  (filter_javascript)
//	lines with cookie/terms/privacy phrases   removed  (filter_policy)
//	"lorem ipsum" in a kept line              document dropped (filter_lorem_ipsum)
//	"{" in a kept line                        document dropped (filter_curly_bracket)
//	fewer than 5 sentences in the kept lines  document dropped (min_num_sentences)
//
// The rules are checked per line in this order, and a line removed by one
// is not looked at by the later ones, as in datatrove. Words are
// filters/text words, so a line of Chinese has one word per ideograph,
// except in English and an unknown language (Document.Lang "en" or ""),
// where the word rules count a line's white-space separated fields as
// datatrove does (line.strip().split(): "$ ls -la" is three words, "5.3.
// Testing" two, a 1,001-character URL one long word);
// terminal punctuation covers other scripts too (punct.go). Blank lines
// are kept as paragraph breaks (C4 removes them with the short lines);
// runs of them left by removed lines collapse to one. The kept lines keep
// their bytes; the text is rewritten only when something was removed.
package quality

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// C4Name is the c4 stage's canonical name.
const C4Name = "c4"

// C4Config configures c4. Negative or zero numbers disable their rule.
type C4Config struct {
	RemoveCitations       bool
	FilterNoTerminalPunct bool
	MinNumSentences       int
	MinWordsPerLine       int
	MaxWordLength         int
	FilterLoremIpsum      bool
	FilterJavascript      bool
	FilterCurlyBracket    bool
	FilterPolicy          bool
}

// DefaultC4 returns datatrove's defaults with the terminal-punctuation
// rule off.
func DefaultC4() C4Config {
	return C4Config{
		RemoveCitations: true, MinNumSentences: 5, MinWordsPerLine: 3, MaxWordLength: 1000,
		FilterLoremIpsum: true, FilterJavascript: true, FilterCurlyBracket: true, FilterPolicy: true,
	}
}

func init() {
	d := DefaultC4()
	pipeline.Register(pipeline.Spec{
		Name:    C4Name,
		Summary: "remove C4's bad lines (short, javascript, cookie/terms, citations, over-long words); drop documents with too few sentences, lorem ipsum or {",
		Order:   46,
		Default: true,
		Params: []pipeline.Param{
			{Name: "remove_citations", Default: d.RemoveCitations, Doc: "cut citation markers [1], [edit], [citation needed] out of lines"},
			{Name: "filter_no_terminal_punct", Default: d.FilterNoTerminalPunct, Doc: "remove lines that do not end in terminal punctuation (or end in an ellipsis)"},
			{Name: "min_num_sentences", Default: d.MinNumSentences, Doc: "drop documents with fewer sentences in their kept lines; 0 disables", Min: pipeline.Bound(0)},
			{Name: "min_words_per_line", Default: d.MinWordsPerLine, Doc: "remove lines with fewer words (English: white-space fields, as datatrove); 0 disables", Min: pipeline.Bound(0)},
			{Name: "max_word_length", Default: d.MaxWordLength, Doc: "remove lines holding a longer word in characters (English: white-space field); 0 disables", Min: pipeline.Bound(0)},
			{Name: "filter_lorem_ipsum", Default: d.FilterLoremIpsum, Doc: "drop documents containing \"lorem ipsum\""},
			{Name: "filter_javascript", Default: d.FilterJavascript, Doc: "remove lines mentioning javascript"},
			{Name: "filter_curly_bracket", Default: d.FilterCurlyBracket, Doc: "drop documents containing {"},
			{Name: "filter_policy", Default: d.FilterPolicy, Doc: "remove lines with terms of use, privacy or cookie policy phrases"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return NewC4(C4Config{
				RemoveCitations:       p.Bool("remove_citations"),
				FilterNoTerminalPunct: p.Bool("filter_no_terminal_punct"),
				MinNumSentences:       p.Int("min_num_sentences"),
				MinWordsPerLine:       p.Int("min_words_per_line"),
				MaxWordLength:         p.Int("max_word_length"),
				FilterLoremIpsum:      p.Bool("filter_lorem_ipsum"),
				FilterJavascript:      p.Bool("filter_javascript"),
				FilterCurlyBracket:    p.Bool("filter_curly_bracket"),
				FilterPolicy:          p.Bool("filter_policy"),
			}), nil
		},
	})
}

// C4 is the c4 stage.
type C4 struct{ cfg C4Config }

// NewC4 builds the stage.
func NewC4(cfg C4Config) *C4 { return &C4{cfg} }

// Name returns "c4".
func (s *C4) Name() string { return C4Name }

// policyPhrases are C4's cookie and terms-of-use phrases (lower case).
var policyPhrases = []string{"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"}

// Line verdicts.
const (
	lineKeep uint8 = iota
	lineBlank
	lineLongWord
	lineNoPunct
	lineFewWords
	lineJavascript
	linePolicy
	numLineVerdicts
)

var lineVerdictSignals = [numLineVerdicts]string{
	lineLongWord:   C4Name + ".lines_long_word",
	lineNoPunct:    C4Name + ".lines_no_terminal_punct",
	lineFewWords:   C4Name + ".lines_few_words",
	lineJavascript: C4Name + ".lines_javascript",
	linePolicy:     C4Name + ".lines_policy",
}

// Process judges every line, writes the signals, rewrites the text without
// the removed lines and returns the document rule it breaks, if any.
func (s *C4) Process(doc *pipeline.Document) (string, error) {
	a := analyse(doc)
	sc := getScratch()
	defer putScratch(sc)
	c := s.cfg
	lines := a.nfcLines()

	// Which phrases occur anywhere tells whether any line needs a look.
	hasJS, hasLorem, hasPolicy := findPhrases(a)
	hasJS = hasJS && c.FilterJavascript
	hasLorem = hasLorem && c.FilterLoremIpsum
	hasPolicy = hasPolicy && c.FilterPolicy
	// Lower-case ASCII copy of the text for the per-line phrase rules,
	// made for the few texts that hold a phrase; the phrases are ASCII,
	// so other bytes are copied as they are.
	var low []byte
	if hasJS || hasLorem || hasPolicy {
		low = lowerASCII(append(sc.buf[:0], a.nfc...))
		sc.buf = low
	}
	hasCurly := c.FilterCurlyBracket && strings.IndexByte(a.nfc, '{') >= 0
	hasCite := c.RemoveCitations && strings.IndexByte(a.nfc, '[') >= 0

	// ref: the reference's English semantics — a line's words for the
	// word rules are its white-space separated fields (Python's
	// str.split), where filters/text words leave punctuation out ("$ ls
	// -la" is three words there, two here).
	ref := referenceTokens(doc.Lang)
	verdicts := sc.marks[:0]
	var counts [numLineVerdicts]int
	nonBlank, removedChars, citations, sentences := 0, 0, 0, 0
	docReason := ""
	for _, l := range lines {
		line := a.nfc[l.start:l.end]
		v := lineKeep
		if l.blank {
			verdicts = append(verdicts, lineBlank)
			continue
		}
		nonBlank++
		// Bytes bound characters: most lines need no look at their words.
		if ref {
			if c.MaxWordLength > 0 && len(line) > c.MaxWordLength && longField(line, c.MaxWordLength) {
				v = lineLongWord
			}
		} else if c.MaxWordLength > 0 && int(l.maxWord) > c.MaxWordLength {
			for w := l.w0; w < l.w1; w++ {
				// Bytes bound characters: most words need no count.
				if int(a.words[w].end-a.words[w].start) > c.MaxWordLength && a.wordLen(w) > c.MaxWordLength {
					v = lineLongWord
					break
				}
			}
		}
		// cleaned is the line without citation markers.
		cleaned := line
		if v == lineKeep && hasCite {
			if cut := countCitations(line); cut > 0 {
				citations += cut
				cleaned = removeCitations(line)
			}
		}
		if v == lineKeep && c.FilterNoTerminalPunct {
			r, t := lastRune(cleaned)
			if !isTerminalPunct(r) || strings.HasSuffix(t, "...") {
				v = lineNoPunct
			}
		}
		if v == lineKeep && c.MinWordsPerLine > 0 && (ref && !fieldsAtLeast(line, c.MinWordsPerLine) || !ref && l.w1-l.w0 < c.MinWordsPerLine) {
			v = lineFewWords
		}
		var lineLow []byte
		if low != nil {
			lineLow = low[l.start:l.end]
		}
		if v == lineKeep && hasLorem && bytes.Contains(lineLow, []byte("lorem ipsum")) && docReason == "" {
			docReason = "lorem_ipsum"
		}
		if v == lineKeep && hasJS && bytes.Contains(lineLow, []byte("javascript")) {
			v = lineJavascript
		}
		if v == lineKeep && hasCurly && strings.IndexByte(line, '{') >= 0 && docReason == "" {
			docReason = "curly_bracket"
		}
		if v == lineKeep && hasPolicy {
			for _, p := range policyPhrases {
				if bytes.Contains(lineLow, []byte(p)) {
					v = linePolicy
					break
				}
			}
		}
		if v == lineKeep {
			if a.ascii {
				sentences += countASCIISentences(cleaned)
			} else {
				sentences += countSentences(cleaned, sc)
			}
		} else {
			counts[v]++
			removedChars += runeCount(line)
		}
		verdicts = append(verdicts, v)
	}
	sc.marks = verdicts

	removed := 0
	for v, name := range lineVerdictSignals {
		if name != "" {
			doc.SetSignal(name, float64(counts[v]))
			removed += counts[v]
		}
	}
	const p = C4Name + "."
	doc.SetSignal(p+"lines_removed_frac", ratio(removed, nonBlank))
	doc.SetSignal(p+"chars_removed_frac", ratio(removedChars, a.runes))
	doc.SetSignal(p+"citations", float64(citations))
	doc.SetSignal(p+"sentences", float64(sentences))
	doc.SetSignal(p+"lorem_ipsum", b2f(docReason == "lorem_ipsum"))
	doc.SetSignal(p+"curly_bracket", b2f(docReason == "curly_bracket"))
	if docReason != "" {
		return docReason, nil
	}
	if c.MinNumSentences > 0 && sentences < c.MinNumSentences {
		return "too_few_sentences", nil
	}
	if removed == 0 && citations == 0 {
		return "", nil
	}
	if !rewrite(doc, a, verdicts, citations > 0) {
		return "no_lines_left", nil
	}
	return "", nil
}

// findPhrases reports whether the text holds, in ASCII case folding,
// "javascript", "lorem ipsum", and any of "cookie", "privacy policy" and
// "terms of use" (every policy phrase holds one of these).
//
// It reads the words rather than the text (see wordStats.word): a run
// of ASCII letters always lies inside one word (text.WordScanner joins
// adjacent letters, and a space ends a word), so "javascript" and
// "cookie" occur in the text exactly when they occur inside a word, and
// "lorem ipsum" exactly when a word ends in "lorem" followed by " ipsum"
// (likewise "privacy policy" and "terms of use"). Most words are too
// short to hold any of them, and the longer ones are looked at while
// they are segmented, where five searches of a lower-cased copy of the
// text (whose phrases start with common letters) took a tenth of the
// four quality families' time.
func findPhrases(a *analysis) (js, lorem, policy bool) {
	st := a.wordStats(a.stats.stop, nil)
	return st.js, st.lorem, st.policy
}

// Packed lower-case words for findPhrases, as the top bytes of foldTail.
var (
	packedLorem   = packString("lorem")
	packedTerms   = packString("terms")
	packedPrivacy = packString("privacy")
	packedCookie  = packString("cookie")
)

// packString packs up to 8 bytes of s little-endian, as packWord does.
func packString(s string) uint64 {
	var x uint64
	for i := len(s) - 1; i >= 0; i-- {
		x = x<<8 | uint64(s[i])
	}
	return x
}

// foldTail returns the eight bytes of raw ending at end, packed
// little-endian (bytes before the start of raw are 0), with ASCII
// upper-case letters lowered (see lowerASCII).
func foldTail(raw []byte, end int) uint64 {
	var x uint64
	if end >= 8 {
		x = binary.LittleEndian.Uint64(raw[end-8:])
	} else {
		for i := range end {
			x |= uint64(raw[i]) << (8 * (8 - end + i))
		}
	}
	m := asciiUpper(x&0x7F7F7F7F7F7F7F7F) &^ x
	return x | m>>2
}

// foldByte lowers an ASCII upper-case letter.
func foldByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s starts with p (lower-case ASCII) in
// ASCII case folding.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if foldByte(s[i]) != p[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains p (lower-case ASCII) in ASCII
// case folding.
func containsFold(s, p string) bool {
	for i := 0; i+len(p) <= len(s); i++ {
		if s[i]|0x20 == p[0] && hasPrefixFold(s[i:], p) {
			return true
		}
	}
	return false
}

// b2f is 1 for true, 0 for false.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// citation returns the length of the citation marker at the start of s
// ("[12]", "[]", "[edit]", "[citation needed]"), or 0.
func citation(s string) int {
	if len(s) < 2 || s[0] != '[' {
		return 0
	}
	i := 1
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == ']' {
		return i + 1
	}
	for _, m := range [...]string{"[edit]", "[citation needed]"} {
		if strings.HasPrefix(s, m) {
			return len(m)
		}
	}
	return 0
}

// countCitations returns the number of citation markers in s.
func countCitations(s string) int {
	n := 0
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return n
		}
		s = s[i:]
		if k := citation(s); k > 0 {
			n++
			s = s[k:]
		} else {
			s = s[1:]
		}
	}
}

// removeCitations returns s without its citation markers.
func removeCitations(s string) string {
	if countCitations(s) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		if k := citation(s); k > 0 {
			s = s[k:]
		} else {
			b.WriteByte('[')
			s = s[1:]
		}
	}
}

// countSentences returns the number of sentences of a line as
// text.AppendSentences splits them. ASCII lines, nearly all of English,
// are counted here with the same rules — a run of . ! ? and closing
// quotes or brackets ends a sentence before white space or the end of the
// line, and text after the last end is one more — jumping from one full
// stop to the next with a vectorised search when the line has no ! or ?;
// other lines go through text.AppendSentences. Hand-written because
// building the sentence slices took a tenth of the stage's time.
func countSentences(line string, sc *scratch) int {
	if !isASCII(line) {
		sc.strs = text.AppendSentences(sc.strs[:0], line)
		return len(sc.strs)
	}
	return countASCIISentences(line)
}

// countASCIISentences is countSentences for an ASCII line.
func countASCIISentences(line string) int {
	dotsOnly := strings.IndexByte(line, '!') < 0 && strings.IndexByte(line, '?') < 0
	n, start := 0, 0
	for i := 0; i < len(line); {
		var k int
		if dotsOnly {
			k = strings.IndexByte(line[i:], '.')
		} else {
			k = strings.IndexAny(line[i:], ".!?")
		}
		if k < 0 {
			break
		}
		j := i + k + 1
		for j < len(line) && isASCIITermOrClose(line[j]) {
			j++
		}
		if j == len(line) || isASCIISpace(line[j]) {
			n++ // the sentence holds its terminator: never blank
			start = j
		}
		i = j
	}
	if !text.IsBlank(line[start:]) {
		n++
	}
	return n
}

// isASCII reports whether s holds only ASCII bytes, eight at a time.
func isASCII(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIITermOrClose(c byte) bool {
	switch c {
	case '.', '!', '?', '"', '\'', ')', ']', '}':
		return true
	}
	return false
}

func isASCIISpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// lowerASCII lower-cases the ASCII letters of b in place, eight bytes at
// a time (see asciiUpper); other bytes are left as they are.
func lowerASCII(b []byte) []byte {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		m := asciiUpper(x&0x7F7F7F7F7F7F7F7F) &^ x // not bytes ≥ 0x80
		binary.LittleEndian.PutUint64(b[i:], x|m>>2)
	}
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return b
}

// Columns implements pipeline.Declarer.
func (s *C4) Columns() []pipeline.Column {
	var names []string
	for _, n := range lineVerdictSignals {
		if n != "" {
			names = append(names, n)
		}
	}
	const p = C4Name + "."
	names = append(names, p+"lines_removed_frac", p+"chars_removed_frac", p+"citations", p+"sentences", p+"lorem_ipsum", p+"curly_bracket")
	return pipeline.SignalColumns(names...)
}

// fieldsAtLeast reports whether line has at least n fields separated by
// white space (strings.Fields, Python's str.split).
func fieldsAtLeast(line string, n int) bool {
	k, in := 0, false
	for i := 0; i < len(line); {
		c := line[i]
		space := false
		if c < utf8.RuneSelf {
			space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
			i++
		} else {
			r, size := utf8.DecodeRuneInString(line[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if space {
			in = false
		} else if !in {
			if in, k = true, k+1; k >= n {
				return true
			}
		}
	}
	return false
}

// longField reports whether line has a field separated by white space
// of more than max characters.
func longField(line string, max int) bool {
	for _, f := range strings.Fields(line) {
		if len(f) > max && utf8.RuneCountInString(f) > max {
			return true
		}
	}
	return false
}
