// gopher_quality: the quality rules of Gopher's MassiveText filter (Rae
// et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from
// Training Gopher", appendix A.1.1), as in datatrove's
// pipeline/filters/gopher_quality_filter.py, whose defaults these are:
//
//	words                           50 – 100,000  (min_doc_words, max_doc_words)
//	mean word length (characters)   3 – 10        (min_avg_word_length, max_avg_word_length)
//	"#" per word, ellipses per word ≤ 0.1         (max_symbol_word_ratio)
//	lines starting with a bullet    ≤ 0.9         (max_bullet_lines_ratio)
//	lines ending with an ellipsis   ≤ 0.3         (max_ellipsis_lines_ratio)
//	words with a letter             ≥ 0.8         (min_alpha_words_ratio)
//	stop words                      ≥ 2           (min_stop_words)
//
// The reference's semantics, for English and an unknown language
// (Document.Lang "en" or ""), matched here:
//
//   - tokens: datatrove tokenises with its English word tokeniser
//     (utils/word_tokenizers.py: spaCy's blank "en" today, NLTK's
//     word_tokenize when FineWeb was built), in which punctuation and
//     symbol runs are tokens: "5.3." is "5.3" and ".". Here tokens are
//     winnow's words (filters/text, UAX #29) plus the punctuation tokens
//     counted between them (reftokens.go).
//   - words (the length rules and the mean word length) are the tokens
//     holding a character outside datatrove's PUNCTUATION_SET (Unicode
//     punctuation and symbols): winnow's words.
//   - "#" per word, ellipses ("..." and "…", counted in the raw text) per
//     word, and words with a letter (Python's str.isalpha: Unicode
//     letters) divide by all tokens, punctuation included: a shell
//     session or a table of contents ("5.3. Testing the package") is
//     mostly punctuation and number tokens, and fails the 0.8.
//   - lines: Python's str.splitlines, blank lines included in the
//     denominators (gopher_quality runs before c4 removes them); a
//     bullet line starts, after leading white space, with "•" or "-";
//     an ellipsis line ends, before trailing white space, with "..." or
//     "…". Lines here break at "\n", "\r\n" and "\r" (splitlines also
//     breaks at \v, \f, \x1c–\x1e, U+0085, U+2028, U+2029).
//   - ratios are compared unrounded, as float64 (Python floats): "<" for
//     the minima, ">" for the maxima.
//
// Left as is: stop words are matched case-insensitively ("The" counts;
// datatrove compares tokens exactly), and a contraction is one word
// ("don't"; NLTK and spaCy make it "do" and "n't").
//
// Other languages keep winnow's multilingual semantics, the reference
// having no one tokeniser for them: words are filters/text words
// (punctuation is not a word) and the per-word ratios divide by them;
// stop words come from the language's own list (stopwords.go; the rule
// is skipped for a language without a list); in scripts written without
// spaces (zh, ja, th, lo, km, my, bo) every ideograph, kana or letter is
// a word, so word counts count characters and the mean-word-length rule
// does not apply; Korean words are short in characters (a Hangul
// syllable packs 2–3 letters), so only the maximum mean word length
// applies. Line ratios are over non-blank lines; bullets are
// • ● ▪ ■ ◦ ‣ ⁃ ∙ - *.
package quality

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/winnow-data/winnow/pipeline"
)

// GopherQualityName is the gopher_quality stage's canonical name.
const GopherQualityName = "gopher_quality"

// GopherQualityConfig configures gopher_quality. A zero threshold
// disables its rule (its signal is still written).
type GopherQualityConfig struct {
	MinWords, MaxWords    int
	MinMeanWordLength     float64
	MaxMeanWordLength     float64
	MaxSymbolWordRatio    float64
	MaxBulletLinesRatio   float64
	MaxEllipsisLinesRatio float64
	MinAlphaWordsRatio    float64
	MinStopWords          int
}

// DefaultGopherQuality returns datatrove's defaults.
func DefaultGopherQuality() GopherQualityConfig {
	return GopherQualityConfig{
		MinWords: 50, MaxWords: 100000,
		MinMeanWordLength: 3, MaxMeanWordLength: 10,
		MaxSymbolWordRatio:    0.1,
		MaxBulletLinesRatio:   0.9,
		MaxEllipsisLinesRatio: 0.3,
		MinAlphaWordsRatio:    0.8,
		MinStopWords:          2,
	}
}

func init() {
	d := DefaultGopherQuality()
	pipeline.Register(pipeline.Spec{
		Name:    GopherQualityName,
		Summary: "drop documents failing Gopher's quality rules: length, word length, symbols, bullets, ellipses, letters, stop words",
		Order:   44,
		Default: true,
		Params: []pipeline.Param{
			{Name: "min_doc_words", Default: d.MinWords, Doc: "min words (ideographs count one each); 0 disables", Min: pipeline.Bound(0)},
			{Name: "max_doc_words", Default: d.MaxWords, Doc: "max words; 0 disables", Min: pipeline.Bound(0)},
			{Name: "min_avg_word_length", Default: d.MinMeanWordLength, Doc: "min mean word length in characters (not for zh, ja, th, ko); 0 disables", Min: pipeline.Bound(0)},
			{Name: "max_avg_word_length", Default: d.MaxMeanWordLength, Doc: "max mean word length in characters (not for zh, ja, th); 0 disables", Min: pipeline.Bound(0)},
			{Name: "max_symbol_word_ratio", Default: d.MaxSymbolWordRatio, Doc: "max '#' per word and max ellipses per word (English: per token, punctuation included); 0 disables", Min: pipeline.Bound(0)},
			{Name: "max_bullet_lines_ratio", Default: d.MaxBulletLinesRatio, Doc: "max fraction of lines starting with a bullet (• or - in English; non-blank lines and more bullets elsewhere); 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "max_ellipsis_lines_ratio", Default: d.MaxEllipsisLinesRatio, Doc: "max fraction of lines ending with an ellipsis (non-blank lines outside English); 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "min_alpha_words_ratio", Default: d.MinAlphaWordsRatio, Doc: "min fraction of words holding a letter (English: of all tokens, punctuation included, as datatrove); 0 disables", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "min_stop_words", Default: d.MinStopWords, Doc: "min stop words of the document's language; 0 disables", Min: pipeline.Bound(0)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return NewGopherQuality(GopherQualityConfig{
				MinWords:              p.Int("min_doc_words"),
				MaxWords:              p.Int("max_doc_words"),
				MinMeanWordLength:     p.Float("min_avg_word_length"),
				MaxMeanWordLength:     p.Float("max_avg_word_length"),
				MaxSymbolWordRatio:    p.Float("max_symbol_word_ratio"),
				MaxBulletLinesRatio:   p.Float("max_bullet_lines_ratio"),
				MaxEllipsisLinesRatio: p.Float("max_ellipsis_lines_ratio"),
				MinAlphaWordsRatio:    p.Float("min_alpha_words_ratio"),
				MinStopWords:          p.Int("min_stop_words"),
			}), nil
		},
	})
}

// GopherQuality is the gopher_quality stage.
type GopherQuality struct{ cfg GopherQualityConfig }

// NewGopherQuality builds the stage.
func NewGopherQuality(cfg GopherQualityConfig) *GopherQuality { return &GopherQuality{cfg} }

// Name returns "gopher_quality".
func (s *GopherQuality) Name() string { return GopherQualityName }

// QualitySignals are the numbers gopher_quality computes. StopWords is -1
// for a language without a stop-word list.
type QualitySignals struct {
	Words             int
	MeanWordLength    float64
	HashWordRatio     float64
	EllipsisWordRatio float64
	BulletLinesFrac   float64
	EllipsisLinesFrac float64
	AlphaWordsFrac    float64
	StopWords         int
}

// noSpaceLangs are written without spaces between words.
var noSpaceLangs = map[string]bool{"zh": true, "ja": true, "th": true, "lo": true, "km": true, "my": true, "bo": true}

// Process computes every signal, then applies the rules in datatrove's
// order.
func (s *GopherQuality) Process(doc *pipeline.Document) (string, error) {
	a := analyse(doc)
	sc := getScratch()
	sig := measureQuality(a, doc.Lang, &sc.buf)
	putScratch(sc)
	const p = GopherQualityName + "."
	doc.SetSignal(p+"words", float64(sig.Words))
	doc.SetSignal(p+"mean_word_length", sig.MeanWordLength)
	doc.SetSignal(p+"hash_word_ratio", sig.HashWordRatio)
	doc.SetSignal(p+"ellipsis_word_ratio", sig.EllipsisWordRatio)
	doc.SetSignal(p+"bullet_lines_frac", sig.BulletLinesFrac)
	doc.SetSignal(p+"ellipsis_lines_frac", sig.EllipsisLinesFrac)
	doc.SetSignal(p+"alpha_words_frac", sig.AlphaWordsFrac)
	doc.SetSignal(p+"stop_words", float64(sig.StopWords))
	c := s.cfg
	minLen, maxLen := c.MinMeanWordLength, c.MaxMeanWordLength
	if noSpaceLangs[doc.Lang] {
		minLen, maxLen = 0, 0
	} else if doc.Lang == "ko" {
		minLen = 0
	}
	switch {
	case c.MinWords > 0 && sig.Words < c.MinWords:
		return "too_few_words", nil
	case c.MaxWords > 0 && sig.Words > c.MaxWords:
		return "too_many_words", nil
	case minLen > 0 && sig.MeanWordLength < minLen:
		return "short_mean_word_length", nil
	case maxLen > 0 && sig.MeanWordLength > maxLen:
		return "long_mean_word_length", nil
	case over(sig.HashWordRatio, c.MaxSymbolWordRatio):
		return "too_many_hashes", nil
	case over(sig.EllipsisWordRatio, c.MaxSymbolWordRatio):
		return "too_many_ellipses", nil
	case over(sig.BulletLinesFrac, c.MaxBulletLinesRatio):
		return "too_many_bullet_lines", nil
	case over(sig.EllipsisLinesFrac, c.MaxEllipsisLinesRatio):
		return "too_many_ellipsis_lines", nil
	case c.MinAlphaWordsRatio > 0 && sig.AlphaWordsFrac < c.MinAlphaWordsRatio:
		return "too_few_alpha_words", nil
	case c.MinStopWords > 0 && sig.StopWords >= 0 && sig.StopWords < c.MinStopWords:
		return "too_few_stop_words", nil
	}
	return "", nil
}

// measureQuality computes the signals of a in language lang.
func measureQuality(a *analysis, lang string, buf *[]byte) QualitySignals {
	n := a.numWords()
	sig := QualitySignals{Words: n, StopWords: -1}
	if n > 0 {
		sig.MeanWordLength = float64(a.wordRunes) / float64(n)
	}
	// ref: the reference's English semantics (see the file comment):
	// punctuation tokens in the per-word denominators, every line counted.
	ref := referenceTokens(lang)
	tokens := n
	if ref {
		tokens += a.symbolTokens()
	}
	sig.HashWordRatio = ratio(strings.Count(a.nfc, "#"), tokens)
	sig.EllipsisWordRatio = ratio(strings.Count(a.nfc, "...")+strings.Count(a.nfc, "…"), tokens)

	lines, bullets, ellipses := 0, 0, 0
	for _, l := range a.nfcLines() {
		line := a.nfc[l.start:l.end]
		if l.blank {
			if ref {
				lines++
			}
			continue
		}
		lines++
		line = strings.TrimSpace(line)
		if ref && isRefBullet(line) || !ref && isBullet(line) {
			bullets++
		}
		if strings.HasSuffix(line, "...") || strings.HasSuffix(line, "…") {
			ellipses++
		}
	}
	sig.BulletLinesFrac = ratio(bullets, lines)
	sig.EllipsisLinesFrac = ratio(ellipses, lines)

	set := stopWordsFor(lang)
	st := a.wordStats(set, buf)
	sig.AlphaWordsFrac = ratio(st.alpha, tokens)
	switch {
	case set == nil:
	case set.substr != nil:
		sig.StopWords = set.count(a, buf)
	default:
		sig.StopWords = st.stops
	}
	return sig
}

// isRefBullet reports datatrove's bullet marks, "•" and "-".
func isRefBullet(line string) bool {
	return strings.HasPrefix(line, "-") || strings.HasPrefix(line, "•")
}

// isBullet reports whether line starts with a bullet mark.
func isBullet(line string) bool {
	if line == "" {
		return false
	}
	if c := line[0]; c < utf8.RuneSelf {
		return c == '-' || c == '*'
	}
	r, _ := utf8.DecodeRuneInString(line)
	switch r {
	case '•', '●', '▪', '■', '◦', '‣', '⁃', '∙':
		return true
	}
	return false
}

// hasLetter reports whether w holds a letter.
func hasLetter(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			for _, r := range w[i:] {
				if unicode.IsLetter(r) {
					return true
				}
			}
			return false
		}
		if c|0x20 >= 'a' && c|0x20 <= 'z' {
			return true
		}
	}
	return false
}

// Columns implements pipeline.Declarer.
func (s *GopherQuality) Columns() []pipeline.Column {
	const p = GopherQualityName + "."
	return pipeline.SignalColumns(p+"words", p+"mean_word_length", p+"hash_word_ratio", p+"ellipsis_word_ratio",
		p+"bullet_lines_frac", p+"ellipsis_lines_frac", p+"alpha_words_frac", p+"stop_words")
}
