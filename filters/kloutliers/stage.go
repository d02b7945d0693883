package kloutliers

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "kl_outliers"

// Order is the stage's place in the pipeline.
const Order = 52

// Defaults of the parameters (see README.md for how they were chosen).
const (
	DefaultMaxKL          = 4.0
	DefaultMaxOODFraction = 0.5
	DefaultMinWords       = 50
	DefaultMinRefDocs     = 100
	// Smoothing: a word the reference has not seen counts as half an
	// occurrence, so its probability is small but not zero.
	unseen = 0.5
)

// Drop reasons, reported as "kl_outliers.<reason>".
const (
	ReasonHighKL  = "high_kl"
	ReasonManyOOD = "out_of_distribution"
)

// Signals written for every scored document.
const (
	SignalKL  = "kl_outliers.kl"
	SignalOOD = "kl_outliers.ood_fraction"
)

func init() {
	pipeline.Register(pipeline.Spec{
		Name:    Name,
		Summary: "drop documents whose word distribution diverges most from their language's (KL divergence; a pass over the input or a saved reference)",
		Order:   Order,
		Default: false,
		Params: []pipeline.Param{
			{Name: "reference", Default: "", Doc: "reference file (winnow reference build); empty: build one in a preparatory pass over the input"},
			{Name: "save_reference", Default: "", Doc: "after the preparatory pass, also save the reference to this file"},
			{Name: "max_kl", Default: DefaultMaxKL, Doc: "drop documents whose KL divergence from their language's distribution is above this (nats)", Min: pipeline.Bound(0)},
			{Name: "max_ood_fraction", Default: DefaultMaxOODFraction, Doc: "drop documents with a larger share of words the reference has not seen elsewhere", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
			{Name: "min_words", Default: DefaultMinWords, Doc: "shorter documents are scored but never dropped", Min: pipeline.Bound(0)},
			{Name: "min_ref_docs", Default: DefaultMinRefDocs, Doc: "documents of a language with fewer reference documents are scored but never dropped", Min: pipeline.Bound(0)},
			{Name: "sketch_width", Default: DefaultWidth, Doc: "counters per sketch row (power of two); memory is 4 rows × 4 bytes × this", Min: pipeline.Bound(16), Max: pipeline.Bound(1 << 28)},
		},
		New: func(p pipeline.Params) (pipeline.Stage, error) {
			return New(Config{
				Reference:      p.String("reference"),
				SaveReference:  p.String("save_reference"),
				MaxKL:          p.Float("max_kl"),
				MaxOODFraction: p.Float("max_ood_fraction"),
				MinWords:       p.Int("min_words"),
				MinRefDocs:     p.Int("min_ref_docs"),
				SketchWidth:    p.Int("sketch_width"),
			})
		},
	})
}

// Config configures the stage; zero numbers mean the defaults.
type Config struct {
	Reference      string // file; empty: preparatory pass
	SaveReference  string
	MaxKL          float64
	MaxOODFraction float64
	MinWords       int
	MinRefDocs     int
	SketchWidth    int
	// Loaded, when set, is used as the reference (a program that built
	// or loaded one already).
	Loaded *Reference
}

// Stage is the kl_outliers stage with a reference given up front; New
// returns a *Preparing instead when the reference is to be built from
// the input.
type Stage struct {
	maxKL      float64
	maxOOD     float64
	minWords   int
	minRefDocs int64
	ref        *Reference
	// self: the reference was built from the documents being judged, so
	// a document's own words are taken out of the counts (leave one
	// out) before it is compared.
	self bool
	pool sync.Pool
}

// Preparing is the stage when it builds its reference in a preparatory
// pass over the input (it implements pipeline.Preparer).
type Preparing struct {
	*Stage
	b     *Builder // nil once Prepared
	width uint32
	save  string
}

// New returns the stage: a *Stage when c names a reference, else a
// *Preparing.
func New(c Config) (pipeline.Stage, error) {
	s := &Stage{maxKL: c.MaxKL, maxOOD: c.MaxOODFraction, minWords: c.MinWords, minRefDocs: int64(c.MinRefDocs)}
	if s.maxKL == 0 {
		s.maxKL = DefaultMaxKL
	}
	if s.maxOOD == 0 {
		s.maxOOD = DefaultMaxOODFraction
	}
	if s.minWords == 0 {
		s.minWords = DefaultMinWords
	}
	if s.minRefDocs == 0 {
		s.minRefDocs = DefaultMinRefDocs
	}
	switch {
	case c.Loaded != nil:
		s.ref = c.Loaded
		return s, nil
	case c.Reference != "":
		f, err := os.Open(c.Reference)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", Name, err)
		}
		defer f.Close()
		ref, err := LoadReference(f)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %s: %w", Name, c.Reference, err)
		}
		s.ref = ref
		return s, nil
	}
	b, err := NewBuilder(c.SketchWidth)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", Name, err)
	}
	s.self = true
	return &Preparing{Stage: s, b: b, width: b.width, save: c.SaveReference}, nil
}

// Observe adds the document's words to the reference being built.
func (p *Preparing) Observe(doc *pipeline.Document) error {
	p.b.Add(doc)
	return nil
}

// Prepared ends the preparatory pass, saving the reference if asked.
func (p *Preparing) Prepared(ctx context.Context) error {
	p.ref, p.b = p.b.Reference(), nil
	if p.save == "" {
		return ctx.Err()
	}
	return SaveFile(p.ref, p.save)
}

// SaveFile writes ref to name atomically (a temporary file renamed).
func SaveFile(ref *Reference, name string) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("saving reference: %w", err)
	}
	// CreateTemp makes the file private; a reference is data to share.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("saving reference: %w", err)
	}
	if err := ref.Save(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("saving reference %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving reference %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving reference: %w", err)
	}
	return nil
}

// Name returns "kl_outliers".
func (s *Stage) Name() string { return Name }

type scratch struct {
	hashes []uint64
	buf    []byte
}

// Score returns the KL divergence (nats) of the document's word
// distribution P from the reference distribution Q of its language,
// Σ p(w) ln(p(w)/q(w)), and the share of its words the reference has not
// seen (elsewhere, when the reference was built from the input).
func (s *Stage) Score(doc *pipeline.Document) (kl, ood float64) {
	lang := langOf(doc)
	words := text.DocWords(doc)
	if len(words) == 0 {
		return 0, 0
	}
	sc, _ := s.pool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer s.pool.Put(sc)
	hs := sc.hashes[:0]
	for _, w := range words {
		var h uint64
		h, sc.buf = tokenHash(sc.buf, lang, w)
		hs = append(hs, h)
	}
	// Sorting groups equal words: their counts without a map.
	slices.Sort(hs)
	sc.hashes = hs
	n := float64(len(hs))
	total := float64(s.ref.Lang(lang).Tokens)
	if s.self {
		total -= n
	}
	if total < 1 {
		total = 1
	}
	oodWords := 0
	for i := 0; i < len(hs); {
		j := i + 1
		for j < len(hs) && hs[j] == hs[i] {
			j++
		}
		c := j - i
		est := float64(s.ref.estimate(hs[i]))
		if s.self {
			est -= float64(c)
		}
		if est < 1 {
			oodWords += c
			est = unseen
		}
		p := float64(c) / n
		kl += p * math.Log(p*total/est)
		i = j
	}
	// The sketch overestimates counts, so Q can sum above one and the
	// sum dip below zero, where the true divergence cannot be.
	return max(kl, 0), float64(oodWords) / n
}

// Process scores the document and returns why an outlier is one.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if s.ref == nil {
		return "", fmt.Errorf("stage %s: no reference (the preparatory pass did not run)", Name)
	}
	kl, ood := s.Score(doc)
	doc.SetSignal(SignalKL, kl)
	doc.SetSignal(SignalOOD, ood)
	if len(text.DocWords(doc)) < s.minWords || s.ref.Lang(langOf(doc)).Docs < s.minRefDocs {
		return "", nil
	}
	switch {
	case ood > s.maxOOD:
		return ReasonManyOOD, nil
	case kl > s.maxKL:
		return ReasonHighKL, nil
	}
	return "", nil
}

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column { return pipeline.SignalColumns(SignalKL, SignalOOD) }
