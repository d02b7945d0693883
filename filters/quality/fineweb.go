// fineweb: the extra rules of FineWeb (Penedo et al. 2024, "The FineWeb
// Datasets: Decanting the Web for the Finest Text Data at Scale", section
// 3.3), as in datatrove's pipeline/filters/fineweb_quality_filter.py, whose
// defaults these are:
//
//	lines ending in terminal punctuation     > 0.12  (line_punct_thr)
//	lines of at most 30 characters           < 0.67  (short_line_thr, short_line_length)
//	characters in duplicated lines           < 0.01  (char_duplicates_ratio)
//	newlines per word                        ≤ 0.3   (new_line_ratio)
//
// For English and an unknown language (Document.Lang "en" or ""), as
// datatrove: a line is punctuated when it ends in one of . ' " ! ? (so
// "..." counts, "…" and ” do not); newlines per word divide by the tokens
// of datatrove's English tokeniser, punctuation tokens included
// (reftokens.go; datatrove calls NLTK's word_tokenize here). Line
// splitting is at "\n" (str.split("\n")); the ratios are compared
// unrounded, as float64.
//
// Differences, each documented: line ratios are over non-blank lines
// (datatrove counts blank lines, which FineWeb's C4 step had removed
// before; here c4 keeps them as paragraph breaks), and a line's trailing
// white space is ignored (C4's step strips lines); in other languages
// terminal punctuation covers other scripts (punct.go) and the ellipsis;
// line length is
// display width, East Asian wide characters (Han, kana, Hangul,
// full-width forms) counting two, so that a 15-ideograph line is as long
// as a 30-letter one; Thai, Lao and Khmer text, which ends sentences with
// a space rather than a mark, is not judged by the punctuation rule.
package quality

import (
	"unicode/utf8"

	"github.com/winnow-data/winnow/pipeline"
)

// FineWebName is the fineweb stage's canonical name.
const FineWebName = "fineweb"

// FineWebConfig configures fineweb. A zero threshold disables its rule.
type FineWebConfig struct {
	LinePunctThr         float64
	LinePunctExcludeZero bool
	ShortLineThr         float64
	ShortLineLength      int
	CharDuplicatesRatio  float64
	NewLineRatio         float64
}

// DefaultFineWeb returns datatrove's defaults.
func DefaultFineWeb() FineWebConfig {
	return FineWebConfig{LinePunctThr: 0.12, ShortLineThr: 0.67, ShortLineLength: 30, CharDuplicatesRatio: 0.01, NewLineRatio: 0.3}
}

func init() {
	d := DefaultFineWeb()
	pipeline.Register(pipeline.Spec{
		Name:    FineWebName,
		Summary: "drop documents failing FineWeb's rules: few punctuated lines, many short lines, duplicated lines, list-like layout",
		Order:   48,
		Default: true,
		Params: []pipeline.Param{
			{Name: "line_punct_thr", Default: d.LinePunctThr, Doc: "drop when the fraction of lines ending in terminal punctuation is at most this; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "line_punct_exclude_zero", Default: d.LinePunctExcludeZero, Doc: "keep documents with no punctuated line at all (the punctuation rule then spares them)"},
			{Name: "short_line_thr", Default: d.ShortLineThr, Doc: "drop when the fraction of short lines is at least this; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "short_line_length", Default: d.ShortLineLength, Doc: "a line of at most this display width is short", Min: pipeline.Bound(0)},
			{Name: "char_duplicates_ratio", Default: d.CharDuplicatesRatio, Doc: "drop when the fraction of characters in repeated lines is at least this; 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "new_line_ratio", Default: d.NewLineRatio, Doc: "drop when newlines per word (English: per token, punctuation included) exceed this; 0 disables", Min: pipeline.Bound(0)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return NewFineWeb(FineWebConfig{
				LinePunctThr:         p.Float("line_punct_thr"),
				LinePunctExcludeZero: p.Bool("line_punct_exclude_zero"),
				ShortLineThr:         p.Float("short_line_thr"),
				ShortLineLength:      p.Int("short_line_length"),
				CharDuplicatesRatio:  p.Float("char_duplicates_ratio"),
				NewLineRatio:         p.Float("new_line_ratio"),
			}), nil
		},
	})
}

// FineWeb is the fineweb stage.
type FineWeb struct{ cfg FineWebConfig }

// NewFineWeb builds the stage.
func NewFineWeb(cfg FineWebConfig) *FineWeb { return &FineWeb{cfg} }

// Name returns "fineweb".
func (s *FineWeb) Name() string { return FineWebName }

// FineWebSignals are the numbers fineweb computes.
type FineWebSignals struct {
	LinePunctRatio float64
	ShortLineRatio float64
	CharDupRatio   float64
	NewLineRatio   float64
}

// noPunctLangs end sentences without a mark.
var noPunctLangs = map[string]bool{"th": true, "lo": true, "km": true}

// Process computes the signals and applies the rules in datatrove's
// order.
func (s *FineWeb) Process(doc *pipeline.Document) (string, error) {
	a := analyse(doc)
	sc := getScratch()
	sig := s.measure(a, doc.Lang, sc)
	putScratch(sc)
	const p = FineWebName + "."
	doc.SetSignal(p+"line_punct_ratio", sig.LinePunctRatio)
	doc.SetSignal(p+"short_line_ratio", sig.ShortLineRatio)
	doc.SetSignal(p+"char_dup_ratio", sig.CharDupRatio)
	doc.SetSignal(p+"new_line_ratio", sig.NewLineRatio)
	c := s.cfg
	switch {
	case c.LinePunctThr > 0 && !noPunctLangs[doc.Lang] && sig.LinePunctRatio <= c.LinePunctThr &&
		!(sig.LinePunctRatio == 0 && c.LinePunctExcludeZero):
		return "line_punct_ratio", nil
	case c.ShortLineThr > 0 && sig.ShortLineRatio >= c.ShortLineThr:
		return "short_line_ratio", nil
	case c.CharDuplicatesRatio > 0 && sig.CharDupRatio >= c.CharDuplicatesRatio:
		return "char_dup_ratio", nil
	case over(sig.NewLineRatio, c.NewLineRatio):
		return "list_ratio", nil
	}
	return "", nil
}

func (s *FineWeb) measure(a *analysis, lang string, sc *scratch) FineWebSignals {
	ref := referenceTokens(lang)
	lines := a.nfcLines()
	sc.table.reset(len(lines))
	n, punct, short, dupChars, newlines := 0, 0, 0, 0, 0
	for i, l := range lines {
		if l.end < len(a.nfc) {
			newlines++ // every line but a last unterminated one ends in a break
		}
		line := a.nfc[l.start:l.end]
		if l.blank {
			continue
		}
		n++
		if r, _ := lastRune(line); ref && isASCIIStop(r) || !ref && (isTerminalPunct(r) || r == '…') {
			punct++
		}
		if displayWidth(line, s.cfg.ShortLineLength+1) <= s.cfg.ShortLineLength {
			short++
		}
		if sc.table.slots[sc.table.add(l.hash, i)].count > 1 {
			dupChars += runeCount(line)
		}
	}
	tokens := a.numWords()
	if ref {
		tokens += a.symbolTokens()
	}
	return FineWebSignals{
		LinePunctRatio: ratio(punct, n),
		ShortLineRatio: ratio(short, n),
		CharDupRatio:   ratio(dupChars, a.runes-newlines),
		NewLineRatio:   ratio(newlines, tokens),
	}
}

// isASCIIStop reports datatrove's FineWeb stop characters, . ' " ! ?
// ("..." ends in one, "…" and closing curly quotes do not).
func isASCIIStop(r rune) bool {
	return r == '.' || r == '\'' || r == '"' || r == '!' || r == '?'
}

// displayWidth returns the width of s in columns, East Asian wide
// characters counting two, stopping early once it reaches limit.
func displayWidth(s string, limit int) int {
	w := 0
	for i := 0; i < len(s) && w < limit; {
		c := s[i]
		if c < utf8.RuneSelf {
			w++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		w++
		if isWide(r) {
			w++
		}
	}
	return w
}

// isWide reports East Asian wide and full-width characters (the main
// blocks of Unicode's East_Asian_Width W and F).
func isWide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		0x2E80 <= r && r <= 0x303E, // CJK radicals, punctuation
		0x3041 <= r && r <= 0x33FF, // kana, CJK compatibility
		0x3400 <= r && r <= 0x4DBF, // CJK extension A
		0x4E00 <= r && r <= 0x9FFF, // CJK unified ideographs
		0xA960 <= r && r <= 0xA97F, // Hangul Jamo extended A
		0xAC00 <= r && r <= 0xD7A3, // Hangul syllables
		0xF900 <= r && r <= 0xFAFF, // CJK compatibility ideographs
		0xFE30 <= r && r <= 0xFE4F, // CJK compatibility forms
		0xFF00 <= r && r <= 0xFF60, // full-width forms
		0xFFE0 <= r && r <= 0xFFE6,
		0x20000 <= r && r <= 0x3FFFD: // CJK extensions B–H
		return true
	}
	return false
}

// Columns implements pipeline.Declarer.
func (s *FineWeb) Columns() []pipeline.Column {
	const p = FineWebName + "."
	return pipeline.SignalColumns(p+"line_punct_ratio", p+"short_line_ratio", p+"char_dup_ratio", p+"new_line_ratio")
}
