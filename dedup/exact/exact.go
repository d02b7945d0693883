// Package exact holds the exact_dedup stage: documents whose dedup
// normalisation (filters/text.Normalize: case, accents, digits,
// punctuation and white space folded) is identical are duplicates, and
// one of each group is kept — Llama 3 section 3.1.1's document-level
// de-duplication before the fuzzy (minhash) pass.
//
// Memory: one map entry per distinct text — a 128-bit xxh3 hash (a
// collision between distinct texts is expected once in 2^64 pairs) with
// the kept document's priority key, input order and the group size —
// about 60 B per distinct document including the map's overhead.
//
// In a cluster job (pipeline.Exchanger) a task's observations are saved
// at 36 B per distinct text and the prepared state at 28 B per text
// seen more than once; a task that loads it holds 34 B per such text.
package exact

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"

	"github.com/winnow-data/winnow/dedup/internal/groups"
	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/dedup/internal/xchg"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "exact_dedup"

// SignalCopies is the signal written on every document with words: how
// many documents of the run share its normalised text (1 for a unique
// one).
const SignalCopies = Name + ".copies"

func init() { pipeline.Register(Spec) }

// Spec declares the exact_dedup stage.
var Spec = pipeline.Spec{
	Name:    Name,
	Summary: "exact duplicate removal: one document kept per 128-bit hash of the normalised text",
	Order:   32,
	Default: true,
	Params: []pipeline.Param{
		{Name: "keep", Default: "first", Doc: keep.Doc},
		{Name: "per_language", Default: false, Doc: "deduplicate within each language only"},
	},
	New: func(p pipeline.Params) (pipeline.Stage, error) {
		return New(p.String("keep"), p.Bool("per_language"))
	},
}

// Stage removes exact duplicates; see the package documentation.
type Stage struct {
	policy  keep.Policy
	perLang bool
	g       *groups.Groups
}

// New returns an exact_dedup stage. keepPolicy is as the keep parameter.
func New(keepPolicy string, perLanguage bool) (*Stage, error) {
	pol, err := keep.Parse(keepPolicy)
	if err != nil {
		return nil, err
	}
	return &Stage{policy: pol, perLang: perLanguage, g: groups.New()}, nil
}

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return Name }

// Hash returns the 128-bit key of a normalised text, in scope (a language
// or "").
func Hash(normalized, scope string) xxh3.Uint128 {
	if scope == "" {
		return xxh3.HashString128(normalized)
	}
	return xxh3.HashString128Seed(normalized, xxhash.Sum64String(scope))
}

func (s *Stage) key(doc *pipeline.Document) (xxh3.Uint128, bool) {
	norm := text.DocNormalized(doc)
	if norm == "" {
		return xxh3.Uint128{}, false // no words: left to the quality filters
	}
	scope := ""
	if s.perLang {
		scope = doc.Lang
	}
	return Hash(norm, scope), true
}

// Observe implements pipeline.Preparer.
func (s *Stage) Observe(doc *pipeline.Document) error {
	if h, ok := s.key(doc); ok {
		s.g.Add(h, s.policy.Key(doc), doc.Order(), 1)
	}
	return nil
}

// Prepared implements pipeline.Preparer.
func (s *Stage) Prepared(context.Context) error { return nil }

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	h, ok := s.key(doc)
	if !ok {
		return "", nil
	}
	size, kept, seen := s.g.Lookup(h, doc.Order())
	if !seen {
		return "", fmt.Errorf("exact_dedup: document %s was not seen in the preparatory pass", doc.ID)
	}
	doc.SetSignal(SignalCopies, float64(size))
	if !kept {
		return "duplicate", nil
	}
	return "", nil
}

// fingerprint hashes the keys of the probe texts, so state saved by a
// build that normalises or hashes differently is refused.
var fingerprint = sync.OnceValue(func() string {
	var parts [][]byte
	for _, p := range xchg.Probes {
		for _, scope := range []string{"", "en"} {
			h := Hash(text.Normalize(p), scope).Bytes()
			parts = append(parts, h[:])
		}
	}
	return xchg.Fingerprint(parts...)
})

func (s *Stage) header(k xchg.Kind) xchg.Header {
	return xchg.Header{Stage: Name, Kind: k, Params: []xchg.Param{
		{Name: "keep", Value: s.policy.String()},
		{Name: "per_language", Value: strconv.FormatBool(s.perLang)},
		{Name: "text_key", Value: fingerprint()},
	}}
}

// SaveObserved implements pipeline.Exchanger: one 36-byte record per
// distinct text (see dedup/internal/groups).
func (s *Stage) SaveObserved(w io.Writer) error { return s.g.SaveObserved(w, s.header(xchg.Observed)) }

// LoadObserved implements pipeline.Exchanger.
func (s *Stage) LoadObserved(r io.Reader) error { return s.g.LoadObserved(r, s.header(xchg.Observed)) }

// SavePrepared implements pipeline.Exchanger: one 28-byte record per text
// seen more than once.
func (s *Stage) SavePrepared(w io.Writer) error { return s.g.SavePrepared(w, s.header(xchg.Prepared)) }

// LoadPrepared implements pipeline.Exchanger.
func (s *Stage) LoadPrepared(r io.Reader) error { return s.g.LoadPrepared(r, s.header(xchg.Prepared)) }

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column { return pipeline.SignalColumns(SignalCopies) }
