package langid

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/pemistahl/lingua-go"

	"github.com/winnow-data/winnow/filters/fasttext"
)

// Backends of the stage (parameter backend).
const (
	BackendLingua   = "lingua"   // the lingua cascade alone (Detector)
	BackendFastText = "fasttext" // a fastText model alone: its 176 languages
	BackendHybrid   = "hybrid"   // fastText where it is reliable, lingua elsewhere
)

// Label is a language, as winnow's partition code, with a score 0–1.
type Label struct {
	Code  string
	Score float64
}

// Source tells which part of a backend decided.
type Source uint8

const (
	SourceNone     Source = iota // no letters: undetermined
	SourceScript                 // a script written in a single candidate language
	SourceFastText               // the fastText model
	SourceLingua                 // the lingua cascade
)

func (s Source) String() string {
	return [...]string{"none", "script", "fasttext", "lingua"}[s]
}

// Ident is a backend's answer: the language as a partition code (ISO
// 639-1, else 639-3; "und" when undetermined), its score 0–1 and the best
// candidates, best first.
type Ident struct {
	Code  string
	Score float64
	Top   [3]Label
	N     int
	By    Source
}

// Identifier is a language-identification backend of the stage.
type Identifier interface {
	// Identify returns the language of s (NFC text).
	Identify(s string) Ident
	// IdentifyLine returns the language of one line of a document in the
	// language code (an Identify answer).
	IdentifyLine(s, code string) Ident
	// Codes lists the languages the backend can answer, as partition codes.
	Codes() []string
}

// fromResult converts a lingua cascade result.
func fromResult(r Result) Ident {
	id := Ident{Code: r.Code(), Score: r.Score, N: r.N}
	for i, c := range r.Top[:r.N] {
		id.Top[i] = Label{Code(c.Lang), c.Score}
	}
	switch r.Step {
	case StepScript:
		id.By = SourceScript
	case StepScreen, StepFull:
		id.By = SourceLingua
	}
	return id
}

// Lingua adapts the lingua cascade to Identifier.
type Lingua struct{ D *Detector }

// Identify runs the cascade.
func (l Lingua) Identify(s string) Ident { return fromResult(l.D.Detect(s)) }

// IdentifyLine runs DetectLine.
func (l Lingua) IdentifyLine(s, code string) Ident {
	lang, err := ParseLanguage(code)
	if err != nil {
		return l.Identify(s)
	}
	return fromResult(l.D.DetectLine(s, lang))
}

// Codes lists the detector's candidate languages.
func (l Lingua) Codes() []string { return codesOf(l.D.opts.Languages) }

func codesOf(langs []lingua.Language) []string {
	out := make([]string, len(langs))
	for i, l := range langs {
		out[i] = Code(l)
	}
	slices.Sort(out)
	return out
}

// Prediction is one label of a fastText model with its probability.
type Prediction = fasttext.Prediction

// Model is a fastText language-identification model whose labels are
// "__label__" and a language code, as lid.176's are. *fasttext.Model is
// one; tests put fixed answers in its place.
type Model interface {
	// PredictAppend appends to dst the k most probable labels of text
	// whose probability reaches threshold, best first.
	PredictAppend(dst []Prediction, text string, k int, threshold float32) []Prediction
	// Labels lists the model's labels.
	Labels() []string
}

// LabelCode maps a fastText label ("__label__xx" or "xx") to winnow's
// partition code: ISO 639-1 where one exists, else ISO 639-3, like Code.
// lid.176 follows Wikipedia's language editions, and three of its labels
// are not such codes:
//
//   - "no" (the Norwegian Wikipedia, written in Bokmål) is "nb", lingua's
//     and winnow's code for Bokmål; "nn" (Nynorsk) stays "nn";
//   - "sh" (Serbo-Croatian, a deprecated 639-1 code) is "hbs", its 639-3
//     macrolanguage;
//   - "als" (the Alemannic Wikipedia; ISO's "als" is Tosk Albanian) is
//     "gsw".
//
// Three-letter labels that ISO retired or that name collections ("eml",
// "bh", "nah") are kept as they are.
func LabelCode(label string) string {
	c := strings.TrimPrefix(label, "__label__")
	switch c {
	case "no":
		return "nb"
	case "sh":
		return "hbs"
	case "als":
		return "gsw"
	}
	return c
}

// FastTextInput returns the text the fastText backends hand the model
// for s: at most n bytes in pieces spread over s (the whole of s when it
// is shorter). The model reads newlines as spaces, as the reference CLI
// reads a document flattened to one line.
func FastTextInput(s string, n int) string { return window(s, n) }

// FastText identifies languages with a fastText model alone: every
// language of the model (176 for lid.176) can be answered.
type FastText struct {
	m       Model
	window  int
	nlabels int
	codes   []string
	keep    map[string]bool // candidate codes; nil: all of the model's
	preds   sync.Pool       // *[]Prediction
}

// NewFastText builds the fastText backend. codes restricts the answers
// to those languages (empty: all the model's); window caps the bytes the
// model reads (0: DefaultWindow).
func NewFastText(m Model, codes []string, window int) (*FastText, error) {
	if window <= 0 {
		window = DefaultWindow
	}
	f := &FastText{m: m, window: window, nlabels: len(m.Labels())}
	f.preds.New = func() any { b := make([]Prediction, 0, 8); return &b }
	all := map[string]bool{}
	for _, l := range m.Labels() {
		all[LabelCode(l)] = true
	}
	if len(codes) > 0 {
		f.keep = map[string]bool{}
		for _, c := range codes {
			if !all[c] {
				return nil, fmt.Errorf("language %q is not one of the model's %d", c, len(all))
			}
			f.keep[c] = true
		}
		all = f.keep
	}
	for c := range all {
		f.codes = append(f.codes, c)
	}
	slices.Sort(f.codes)
	return f, nil
}

// DefaultWindow is how many bytes of a text fastText reads, in pieces
// spread over it: enough for a confident answer on any document (see the
// package documentation), and it bounds the cost of long ones.
const DefaultWindow = 1024

// Codes lists the languages the backend answers.
func (f *FastText) Codes() []string { return f.codes }

// Identify predicts the language of s.
func (f *FastText) Identify(s string) Ident {
	if !hasLetter(s) {
		return Ident{Code: "und"}
	}
	k := 3
	if f.keep != nil {
		k = f.nlabels // the best of the candidates may rank anywhere
	}
	buf := f.preds.Get().(*[]Prediction)
	defer f.preds.Put(buf)
	ps := f.m.PredictAppend((*buf)[:0], window(s, f.window), k, 0)
	*buf = ps
	id := Ident{Code: "und", By: SourceFastText}
	for _, p := range ps {
		c := LabelCode(p.Label)
		if f.keep != nil && !f.keep[c] {
			continue
		}
		v := probScore(p.Prob)
		if id.N > 0 && v == 0 {
			break
		}
		if id.N == 0 {
			id.Code, id.Score = c, v
		}
		id.Top[id.N] = Label{c, v}
		id.N++
		if id.N == len(id.Top) {
			break
		}
	}
	return id
}

// IdentifyLine predicts the language of a line.
func (f *FastText) IdentifyLine(s, _ string) Ident { return f.Identify(s) }

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// probScore turns a fastText probability into a score: clamped to 0–1
// (exp of a float32 log-probability can exceed 1 by a rounding error) and
// rounded to 4 decimals like lingua's.
func probScore(p float32) float64 { return round4(min(1, max(0, float64(p)))) }
