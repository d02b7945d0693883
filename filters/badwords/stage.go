package badwords

import (
	"fmt"
	"sync"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "badwords"

// Defaults of the parameters (see the package documentation).
const (
	DefaultMinCount    = 3
	DefaultMaxFraction = 0.01
)

// ReasonTooManyBadWords is the drop reason, "badwords.too_many_bad_words".
const ReasonTooManyBadWords = "too_many_bad_words"

// Signals written for documents whose language has a list.
const (
	SignalCount    = "badwords.count"
	SignalFraction = "badwords.fraction"
)

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "count LDNOOBW dirty words of the document's language (28 languages); drop documents made of them",
		Order:   50,
		Default: true,
		Params: []pipeline.Param{
			{Name: "min_count", Default: DefaultMinCount, Doc: "drop only documents with at least this many matches", Min: pipeline.Bound(0)},
			{Name: "max_fraction", Default: DefaultMaxFraction, Doc: "drop documents whose matches are more than this fraction of their words", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "fallback_lang", Default: "", Doc: "list used for documents whose language has none (e.g. en); empty: such documents are not scored"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{
				MinCount:     p.Int("min_count"),
				MaxFraction:  p.Float("max_fraction"),
				FallbackLang: p.String("fallback_lang"),
			})
		},
	})
}

// Config configures the stage. New fills zero MinCount and MaxFraction
// with the defaults.
type Config struct {
	MinCount     int
	MaxFraction  float64
	FallbackLang string
}

// Stage is the badwords stage.
type Stage struct {
	minCount int
	maxFrac  float64
	fallback *Matcher
	pool     sync.Pool
}

// New returns the stage configured by c.
func New(c Config) (*Stage, error) {
	s := &Stage{minCount: c.MinCount, maxFrac: c.MaxFraction}
	if s.minCount == 0 {
		s.minCount = DefaultMinCount
	}
	if s.maxFrac == 0 {
		s.maxFrac = DefaultMaxFraction
	}
	if s.minCount < 0 || s.maxFrac < 0 || s.maxFrac > 1 {
		return nil, fmt.Errorf("stage %s: min_count %d / max_fraction %v out of range", Name, c.MinCount, c.MaxFraction)
	}
	if c.FallbackLang != "" {
		m, err := matcherFor(c.FallbackLang)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", Name, err)
		}
		if m == nil {
			return nil, fmt.Errorf("stage %s: fallback_lang %q: no list for that language", Name, c.FallbackLang)
		}
		s.fallback = m
	}
	if _, err := matcherFor("en"); err != nil {
		return nil, fmt.Errorf("stage %s: %w", Name, err)
	}
	s.pool.New = func() any { return new([]byte) }
	return s, nil
}

// Name returns "badwords".
func (s *Stage) Name() string { return Name }

// Process counts the list entries of the document's language in it.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	m, _ := matcherFor(doc.Lang)
	if m == nil {
		m = s.fallback
	}
	if m == nil {
		return "", nil
	}
	words := text.DocWords(doc)
	buf := s.pool.Get().(*[]byte)
	n, b := m.Count(words, *buf)
	*buf = b
	s.pool.Put(buf)
	frac := 0.0
	if len(words) > 0 {
		frac = float64(n) / float64(len(words))
	}
	doc.SetSignal(SignalCount, float64(n))
	doc.SetSignal(SignalFraction, frac)
	if n >= s.minCount && frac > s.maxFrac {
		return ReasonTooManyBadWords, nil
	}
	return "", nil
}

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column {
	return pipeline.SignalColumns(SignalCount, SignalFraction)
}
