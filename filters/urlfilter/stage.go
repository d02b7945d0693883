package urlfilter

import (
	"fmt"

	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "url_filter"

// Signals written for documents with a URL.
const (
	SignalListed = "url_filter.listed"
	SignalBanned = "url_filter.banned_words"
	SignalSoft   = "url_filter.soft_banned_words"
)

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "drop documents whose domain or URL is on a block list, or whose URL has banned words",
		Order:   5,
		Default: true,
		Params: []pipeline.Param{
			{Name: "block_lists", Default: []string{}, Doc: "block lists: files (one domain or URL per line) or UT1-style folders (<dir>/<category>/domains, urls)"},
			{Name: "categories", Default: []string{}, Doc: "with folders: use only these categories (e.g. adult,gambling); empty: all"},
			{Name: "banned_words", Default: DefaultBannedWords, Doc: "a URL with one of these words is dropped (url_filter.banned_word)"},
			{Name: "soft_banned_words", Default: DefaultSoftBannedWords, Doc: "a URL with soft_banned_min of these words is dropped (url_filter.soft_banned_words)"},
			{Name: "soft_banned_min", Default: DefaultSoftBannedMin, Doc: "how many soft banned words block a URL; 0 disables the rule"},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{
				BlockLists:      p.Strings("block_lists"),
				Categories:      p.Strings("categories"),
				BannedWords:     p.Strings("banned_words"),
				SoftBannedWords: p.Strings("soft_banned_words"),
				SoftBannedMin:   disabledIfZero(p.Int("soft_banned_min")),
			})
		},
	})
}

func disabledIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Config configures the stage. Nil word lists mean the defaults; empty
// non-nil lists disable the rule. SoftBannedMin 0 means the default, a
// negative value disables the rule.
type Config struct {
	BlockLists      []string
	Categories      []string
	BannedWords     []string
	SoftBannedWords []string
	SoftBannedMin   int
}

// Stage is the url_filter stage.
type Stage struct {
	f *Filter
}

// New loads the lists and returns the stage.
func New(c Config) (*Stage, error) {
	s := &Stage{}
	if c.BannedWords == nil {
		c.BannedWords = DefaultBannedWords
	}
	if c.SoftBannedWords == nil {
		c.SoftBannedWords = DefaultSoftBannedWords
	}
	switch {
	case c.SoftBannedMin == 0:
		c.SoftBannedMin = DefaultSoftBannedMin
	case c.SoftBannedMin < 0:
		c.SoftBannedMin = 0
	}
	s.f = NewFilter(c.BannedWords, c.SoftBannedWords, c.SoftBannedMin)
	for _, p := range c.BlockLists {
		if err := s.f.Load(p, c.Categories); err != nil {
			return nil, fmt.Errorf("stage %s: %w", Name, err)
		}
	}
	return s, nil
}

// Filter returns the stage's filter (to check URLs directly).
func (s *Stage) Filter() *Filter { return s.f }

// Name returns "url_filter".
func (s *Stage) Name() string { return Name }

// Process checks the document's URL; documents without one pass
// unscored.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if doc.URL == "" {
		return "", nil
	}
	v := s.f.Check(doc.URL)
	listed := 0.0
	if v.Listed {
		listed = 1
	}
	doc.SetSignal(SignalListed, listed)
	doc.SetSignal(SignalBanned, float64(v.Banned))
	doc.SetSignal(SignalSoft, float64(v.Soft))
	return v.Blocked, nil
}

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column {
	return pipeline.SignalColumns(SignalListed, SignalBanned, SignalSoft)
}
