package langid

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "langid"

// Defaults of the stage's parameters (see the package documentation for
// how MinScore was chosen).
const (
	DefaultMinScore     = 0.5
	DefaultMinLineChars = 40
)

// Drop reasons, reported by the engine as "langid.<reason>".
const (
	ReasonLowScore = "low_score"
	ReasonNotKept  = "language_not_kept"
)

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "identify the language (fastText lid.176 with lingua-go where it is unsure; 75 languages), set lang and lang_score, keep chosen languages",
		Order:   20,
		Default: true,
		Params: []pipeline.Param{
			{Name: "backend", Default: BackendHybrid, Doc: "hybrid (fastText where it is reliable, lingua where not; lingua's 75 languages), fasttext (the model alone: its 176 languages) or lingua (lingua's cascade alone)"},
			{Name: "model", Default: "", Doc: "fastText language-identification model (lid.176-compatible .bin/.ftz), path or storage URL; empty: the embedded lid.176.ftz"},
			{Name: "languages", Default: []string{}, Doc: "candidate languages as ISO 639-1/639-3 codes or names; empty: all of the backend's (75 for lingua and hybrid, 176 for fasttext)"},
			{Name: "min_score", Default: DefaultMinScore, Doc: "drop documents whose language confidence is below this (langid.low_score); 0 keeps all", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "keep", Default: []string{}, Doc: "keep only documents in these languages (--langs), drop others as langid.language_not_kept; empty: keep all"},
			{Name: "granularity", Default: "document", Doc: "document, or line: also identify each line and act on lines in another language than the document's"},
			{Name: "line_action", Default: "remove", Doc: "with granularity line: remove such lines from the text, or tag them (field lang_lines)"},
			{Name: "min_line_chars", Default: DefaultMinLineChars, Doc: "with granularity line: lines with fewer letters are too short to judge and stay", Min: pipeline.Bound(0)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{
				Backend:      p.String("backend"),
				Model:        p.String("model"),
				Languages:    p.Strings("languages"),
				MinScore:     p.Float("min_score"),
				Keep:         p.Strings("keep"),
				Granularity:  p.String("granularity"),
				LineAction:   p.String("line_action"),
				MinLineChars: p.Int("min_line_chars"),
			})
		},
	})
}

// Config configures the stage; zero values mean the defaults above.
type Config struct {
	// Backend is BackendHybrid, BackendFastText or BackendLingua; empty
	// means hybrid.
	Backend string
	// Model is the fastText model's path or storage URL; empty means the
	// embedded lid.176.ftz.
	Model        string
	Languages    []string
	MinScore     float64
	Keep         []string
	Granularity  string // "document" (default) or "line"
	LineAction   string // "remove" (default) or "tag"
	MinLineChars int
	// Detector, when set, is used instead of building one from Languages
	// (tests and programs running several stages share one) by the lingua
	// backend.
	Detector *Detector
	// Identifier, when set, is used instead of any backend (tests and
	// programs running several stages share one); Backend and Model are
	// then ignored.
	Identifier Identifier
}

// Stage is the langid stage. It sets Document.Lang and LangScore, the
// field lang_top3 (the best candidates as [{"lang","score"}]), and drops
// documents below the minimum score or outside the kept languages.
type Stage struct {
	id           Identifier
	minScore     float64
	keep         map[string]bool
	lines        bool
	tag          bool
	minLineChars int

	bufs sync.Pool // *[]byte for JSON fields and rebuilt text
}

// New builds the stage from cfg.
func New(cfg Config) (*Stage, error) {
	s := &Stage{minScore: cfg.MinScore, minLineChars: cfg.MinLineChars}
	if s.minScore < 0 || s.minScore > 1 {
		return nil, fmt.Errorf("langid: min_score %v is outside 0–1", cfg.MinScore)
	}
	if s.minLineChars <= 0 {
		s.minLineChars = DefaultMinLineChars
	}
	switch cfg.Granularity {
	case "", "document":
	case "line":
		s.lines = true
	default:
		return nil, fmt.Errorf("langid: granularity %q: want document or line", cfg.Granularity)
	}
	switch cfg.LineAction {
	case "", "remove":
	case "tag":
		s.tag = true
	default:
		return nil, fmt.Errorf("langid: line_action %q: want remove or tag", cfg.LineAction)
	}
	s.id = cfg.Identifier
	if s.id == nil {
		id, err := newIdentifier(cfg)
		if err != nil {
			return nil, fmt.Errorf("langid: %w", err)
		}
		s.id = id
	}
	if len(cfg.Keep) > 0 {
		codes := s.id.Codes()
		s.keep = make(map[string]bool, len(cfg.Keep))
		for _, k := range cfg.Keep {
			c, err := parseCode(k, codes)
			if err != nil {
				return nil, fmt.Errorf("langid: keep: %w", err)
			}
			if !slices.Contains(codes, c) {
				return nil, fmt.Errorf("langid: keep: %s is not among the candidate languages", c)
			}
			s.keep[c] = true
		}
	}
	s.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	return s, nil
}

// Name returns "langid".
func (s *Stage) Name() string { return Name }

// Process identifies the document's language, and with granularity line
// that of its lines.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	r := s.id.Identify(text.DocNFC(doc))
	if s.lines && r.Code != "und" {
		s.processLines(doc, r.Code)
	}
	doc.Lang = r.Code
	doc.LangScore = r.Score
	buf := s.bufs.Get().(*[]byte)
	*buf = appendTop(append((*buf)[:0], '['), r)
	*buf = append(*buf, ']')
	doc.SetRawField("lang_top3", slices.Clone(*buf))
	s.bufs.Put(buf)
	switch {
	case r.Code == "und" || r.Score < s.minScore:
		return ReasonLowScore, nil
	case s.keep != nil && !s.keep[doc.Lang]:
		return ReasonNotKept, nil
	}
	return "", nil
}

func appendTop(b []byte, r Ident) []byte {
	for i, c := range r.Top[:r.N] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"lang":"`...)
		b = append(b, c.Code...)
		b = append(b, `","score":`...)
		b = strconv.AppendFloat(b, c.Score, 'f', -1, 64)
		b = append(b, '}')
	}
	return b
}

// processLines identifies each line long enough to judge. Lines that are
// confidently in another language than lang are removed from the text,
// or with line_action tag listed in the field lang_lines as
// [{"line": index, "lang", "score"}].
func (s *Stage) processLines(doc *pipeline.Document, lang string) {
	lines := text.DocLines(doc)
	var other []int // indices of lines in another language
	var tags []byte
	for i, line := range lines {
		if letters(line, s.minLineChars) < s.minLineChars {
			continue
		}
		r := s.id.IdentifyLine(text.NFC(line), lang)
		if r.Code == lang || r.Code == "und" || r.Score < s.lineScore() {
			continue
		}
		other = append(other, i)
		if s.tag {
			if len(tags) > 0 {
				tags = append(tags, ',')
			}
			tags = append(tags, `{"line":`...)
			tags = strconv.AppendInt(tags, int64(i), 10)
			tags = append(tags, `,"lang":"`...)
			tags = append(tags, r.Code...)
			tags = append(tags, `","score":`...)
			tags = strconv.AppendFloat(tags, r.Score, 'f', -1, 64)
			tags = append(tags, '}')
		}
	}
	if s.tag {
		doc.SetRawField("lang_lines", append(append([]byte{'['}, tags...), ']'))
		return
	}
	if len(other) == 0 {
		return
	}
	// Rebuild the text without those lines, keeping every other byte
	// (line terminators included) as it was.
	var b strings.Builder
	b.Grow(len(doc.Text))
	var sc text.LineScanner
	sc.Reset(doc.Text)
	prev, i := 0, 0
	for sc.Next() {
		start, _ := sc.Span()
		if len(other) > 0 && other[0] == i {
			b.WriteString(doc.Text[prev:start])
			_, end := sc.Span()
			prev = end
			// Skip the removed line's terminator too.
			prev += terminatorLen(doc.Text[end:])
			other = other[1:]
		}
		i++
	}
	b.WriteString(doc.Text[prev:])
	doc.SetText(b.String())
}

// lineScore is the confidence a line needs to count as another language:
// the document threshold, but never below 0.95: a line is little text,
// lingua mixes up close languages on it (Indonesian and Malay), and a
// wrongly kept line costs less than a wrongly removed one.
func (s *Stage) lineScore() float64 { return max(s.minScore, 0.95) }

func terminatorLen(s string) int {
	switch {
	case strings.HasPrefix(s, "\r\n"):
		return 2
	case strings.HasPrefix(s, "\n"), strings.HasPrefix(s, "\r"):
		return 1
	}
	return 0
}

// letters counts the letters of s, stopping at limit.
func letters(s string, limit int) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
			if n >= limit {
				break
			}
		}
	}
	return n
}

// Columns implements pipeline.Declarer: lang_top3, and lang_lines when
// lines in another language are tagged.
func (s *Stage) Columns() []pipeline.Column {
	cols := []pipeline.Column{{Name: "lang_top3", Shape: `[{"lang":"","score":0.5}]`}}
	if s.lines && s.tag {
		cols = append(cols, pipeline.Column{Name: "lang_lines", Shape: `[{"line":0,"lang":"","score":0.5}]`})
	}
	return cols
}
