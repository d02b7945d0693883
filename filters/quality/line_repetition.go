// line_repetition: removal of single lines made of repeated content, such
// as log lines and error messages, from Llama 3 (The Llama 3 Herd of
// Models, 2024, section 3.1.1, "Heuristic filtering": "we use duplicated
// n-gram coverage ratio (Rae et al., 2021) to remove lines that consist of
// repeated content such as logging or error messages. Those lines could
// be very long and unique, hence cannot be filtered by line-dedup").
//
// The paper gives no numbers; these defaults are this package's:
//
//	n-gram size                    3    (ngram)
//	words a line needs to be judged 10  (min_words)
//	duplicated n-gram coverage     > 0.5 removes the line (max_dup_ngram_frac)
//
// A line's duplicated n-gram coverage is the fraction of its word
// characters that lie in an n-gram (n consecutive words, filters/text)
// occurring at least twice in that line; every occurrence counts,
// overlapping n-grams cover the union of their words. Prose reaches 0.5
// only when it repeats itself ("error error error …"), while a log line
// that repeats its message does. Blank lines are kept; a document with no
// line left is dropped.
package quality

import (
	"github.com/winnow-data/winnow/pipeline"
)

// LineRepetitionName is the line_repetition stage's canonical name.
const LineRepetitionName = "line_repetition"

// LineRepetitionConfig configures line_repetition.
type LineRepetitionConfig struct {
	NGram           int
	MinWords        int
	MaxDupNGramFrac float64
}

// DefaultLineRepetition returns the defaults above.
func DefaultLineRepetition() LineRepetitionConfig {
	return LineRepetitionConfig{NGram: 3, MinWords: 10, MaxDupNGramFrac: 0.5}
}

func init() {
	d := DefaultLineRepetition()
	pipeline.Register(pipeline.Spec{
		Name:    LineRepetitionName,
		Summary: "remove lines made of repeated content (logs, error messages) by duplicated n-gram coverage (Llama 3)",
		Order:   40,
		Default: true,
		Params: []pipeline.Param{
			{Name: "ngram", Default: d.NGram, Doc: "n-gram size in words", Min: pipeline.Bound(1), Max: pipeline.Bound(64)},
			{Name: "min_words", Default: d.MinWords, Doc: "lines with fewer words are not judged", Min: pipeline.Bound(0)},
			{Name: "max_dup_ngram_frac", Default: d.MaxDupNGramFrac, Doc: "remove a line whose duplicated n-gram coverage exceeds this", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return NewLineRepetition(LineRepetitionConfig{
				NGram:           p.Int("ngram"),
				MinWords:        p.Int("min_words"),
				MaxDupNGramFrac: p.Float("max_dup_ngram_frac"),
			})
		},
	})
}

// LineRepetition is the line_repetition stage.
type LineRepetition struct{ cfg LineRepetitionConfig }

// NewLineRepetition builds the stage.
func NewLineRepetition(cfg LineRepetitionConfig) (*LineRepetition, error) {
	if cfg.NGram < 1 || cfg.NGram > maxNGram {
		return nil, errorf("%s: ngram %d outside 1–%d", LineRepetitionName, cfg.NGram, maxNGram)
	}
	if cfg.MaxDupNGramFrac <= 0 || cfg.MaxDupNGramFrac > 1 {
		return nil, errorf("%s: max_dup_ngram_frac %v outside (0, 1]", LineRepetitionName, cfg.MaxDupNGramFrac)
	}
	cfg.MinWords = max(cfg.MinWords, cfg.NGram)
	return &LineRepetition{cfg}, nil
}

// Name returns "line_repetition".
func (s *LineRepetition) Name() string { return LineRepetitionName }

// Process measures every line, writes the signals and removes the
// repetitive lines.
func (s *LineRepetition) Process(doc *pipeline.Document) (string, error) {
	a := analyse(doc)
	sc := getScratch()
	defer putScratch(sc)
	lines := a.nfcLines()
	verdicts := sc.marks[:0]
	removed, removedChars, maxFrac := 0, 0, 0.0
	for _, l := range lines {
		if l.blank {
			verdicts = append(verdicts, lineBlank)
			continue
		}
		v := lineKeep
		if l.w1-l.w0 >= s.cfg.MinWords {
			f := dupCoverage(a, l.w0, l.w1, s.cfg.NGram, sc)
			maxFrac = max(maxFrac, f)
			if f > s.cfg.MaxDupNGramFrac {
				v = lineFewWords // any removal verdict
				removed++
				removedChars += runeCount(a.nfc[l.start:l.end])
			}
		}
		verdicts = append(verdicts, v)
	}
	sc.marks = verdicts
	const p = LineRepetitionName + "."
	doc.SetSignal(p+"lines_removed", float64(removed))
	doc.SetSignal(p+"chars_removed_frac", ratio(removedChars, a.runes))
	doc.SetSignal(p+"max_line_dup_frac", maxFrac)
	if removed == 0 {
		return "", nil
	}
	if !rewrite(doc, a, verdicts, false) {
		return "no_lines_left", nil
	}
	return "", nil
}

// dupCoverage returns the duplicated n-gram coverage of words w0..w1-1.
func dupCoverage(a *analysis, w0, w1, n int, sc *scratch) float64 {
	m := w1 - w0 - n + 1
	if m <= 0 {
		return 0
	}
	g := sc.grams[:0]
	for i := w0; i < w0+m; i++ {
		h := uint64(0)
		for k := i; k < i+n; k++ {
			h = h*ngramMul + a.words[k].hash
		}
		g = append(g, h)
	}
	sc.grams = g
	sc.table.reset(m)
	for i, h := range g {
		sc.table.add(h, i)
	}
	covered, end := 0, w0 // words before end are counted already
	for i, h := range g {
		if sc.table.lookup(h) < 2 {
			continue
		}
		s := max(w0+i, end)
		e := w0 + i + n
		covered += a.chars(s, e)
		end = e
	}
	return ratio(covered, a.chars(w0, w1))
}

// Columns implements pipeline.Declarer.
func (s *LineRepetition) Columns() []pipeline.Column {
	const p = LineRepetitionName + "."
	return pipeline.SignalColumns(p+"lines_removed", p+"chars_removed_frac", p+"max_line_dup_frac")
}
