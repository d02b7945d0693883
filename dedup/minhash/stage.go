package minhash

import (
	"context"
	"fmt"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "minhash"

// Columns written on every document the stage sees.
const (
	FieldClusterID   = "dup_cluster_id"
	FieldClusterSize = "dup_cluster_size"
)

func init() {
	pipeline.Register(Spec)
}

// Spec declares the minhash stage.
var Spec = pipeline.Spec{
	Name:    Name,
	Summary: "near-duplicate removal: MinHash-LSH over word 5-gram shingles, one document kept per cluster",
	Order:   34,
	Default: true,
	Params: []pipeline.Param{
		{Name: "mode", Default: "filter", Doc: `"filter" drops near-duplicates; "tag" keeps them and writes the cluster columns only`},
		{Name: "threshold", Default: 0.8, Doc: "Jaccard similarity of the shingle sets from which two documents are near-duplicates"},
		{Name: "num_perm", Default: 112, Doc: "signature length (hash bins)"},
		{Name: "bands", Default: 0, Doc: "LSH bands; 0 chooses bands × rows for the threshold (14 × 8 at 0.8)"},
		{Name: "rows", Default: 0, Doc: "rows per band; 0 chooses with bands"},
		{Name: "shingle_words", Default: 5, Doc: "words per shingle"},
		{Name: "verify", Default: true, Doc: "link LSH candidates only when their estimated Jaccard reaches the threshold"},
		{Name: "keep", Default: "first", Doc: keep.Doc},
		{Name: "per_language", Default: false, Doc: "deduplicate within each language only"},
		{Name: "work_dir", Default: "", Doc: "directory for the index's spill files; empty for the system's temporary directory"},
	},
	New: func(p pipeline.Params) (pipeline.Stage, error) {
		c := Config{
			Threshold:    p.Float("threshold"),
			NumPerm:      p.Int("num_perm"),
			Bands:        p.Int("bands"),
			Rows:         p.Int("rows"),
			ShingleWords: p.Int("shingle_words"),
			Verify:       p.Bool("verify"),
			Keep:         p.String("keep"),
			PerLanguage:  p.Bool("per_language"),
			WorkDir:      p.String("work_dir"),
		}
		switch p.String("mode") {
		case "filter":
		case "tag":
			c.Tag = true
		default:
			return nil, fmt.Errorf("mode %q: want filter or tag", p.String("mode"))
		}
		return New(c)
	},
}

// Config configures the minhash stage; zero Bands and Rows choose them
// from Threshold (see Banding).
type Config struct {
	Threshold    float64
	NumPerm      int
	Bands, Rows  int
	ShingleWords int
	Verify       bool
	Keep         string
	PerLanguage  bool
	WorkDir      string
	Tag          bool
}

// DefaultConfig returns the stage's defaults.
func DefaultConfig() Config {
	return Config{Threshold: 0.8, NumPerm: 112, ShingleWords: 5, Verify: true, Keep: "first"}
}

// Stage removes near-duplicate documents. Observe computes each
// document's signature and adds it to the Index; Prepared builds the
// clusters; Process keeps one document per cluster and writes
// dup_cluster_id (the input order of the cluster's first document) and
// dup_cluster_size on every document.
type Stage struct {
	cfg    Config
	policy keep.Policy
	pool   sync.Pool
	ix     *Index
	mu     sync.Mutex
	ready  bool
}

type scratch struct {
	h   *Hasher
	sig []uint32
}

// New returns a minhash stage.
func New(c Config) (*Stage, error) {
	if c.ShingleWords < 1 {
		return nil, fmt.Errorf("shingle_words %d must be positive", c.ShingleWords)
	}
	if c.Bands == 0 && c.Rows == 0 {
		b, r, err := Banding(c.Threshold, c.NumPerm)
		if err != nil {
			return nil, err
		}
		c.Bands, c.Rows = b, r
	}
	if c.Bands < 1 || c.Rows < 1 || c.Bands*c.Rows > c.NumPerm {
		return nil, fmt.Errorf("%d bands × %d rows do not fit num_perm %d", c.Bands, c.Rows, c.NumPerm)
	}
	if !(c.Threshold > 0 && c.Threshold <= 1) {
		return nil, fmt.Errorf("threshold %v outside (0, 1]", c.Threshold)
	}
	pol, err := keep.Parse(c.Keep)
	if err != nil {
		return nil, err
	}
	s := &Stage{cfg: c, policy: pol}
	s.pool.New = func() any { return &scratch{h: NewHasher(c.NumPerm, c.ShingleWords), sig: make([]uint32, c.NumPerm)} }
	return s, nil
}

// Config returns the stage's configuration with bands and rows resolved.
func (s *Stage) Config() Config { return s.cfg }

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return Name }

func (s *Stage) index() (*Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix == nil {
		ix, err := NewIndex(IndexOptions{K: s.cfg.NumPerm, Bands: s.cfg.Bands, Rows: s.cfg.Rows,
			Threshold: s.cfg.Threshold, Verify: s.cfg.Verify, Dir: s.cfg.WorkDir})
		if err != nil {
			return nil, err
		}
		s.ix = ix
	}
	return s.ix, nil
}

// Observe implements pipeline.Preparer.
func (s *Stage) Observe(doc *pipeline.Document) error {
	ix, err := s.index()
	if err != nil {
		return err
	}
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	if !sc.h.Signature(sc.sig, text.DocNormalized(doc)) {
		return nil // no words: nothing to compare; the quality filters judge it
	}
	var scope uint64
	if s.cfg.PerLanguage {
		scope = xxhash.Sum64String(doc.Lang)
	}
	return ix.Add(doc.Order(), s.policy.Key(doc), sc.sig, scope)
}

// Prepared implements pipeline.Preparer.
func (s *Stage) Prepared(ctx context.Context) error {
	ix, err := s.index()
	if err != nil {
		return err
	}
	if err := ix.Build(); err != nil {
		return err
	}
	s.ready = true
	return nil
}

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if !s.ready {
		return "", fmt.Errorf("minhash: Process before the preparatory pass")
	}
	c, _ := s.ix.Lookup(doc.Order())
	doc.SetRawField(FieldClusterID, fmt.Appendf(nil, "%d", c.ID))
	doc.SetRawField(FieldClusterSize, fmt.Appendf(nil, "%d", c.Size))
	if !c.Keep && !s.cfg.Tag {
		return "near_duplicate", nil
	}
	return "", nil
}

// Close implements pipeline.Closer: it removes the spill files.
func (s *Stage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix == nil {
		return nil
	}
	err := s.ix.Close()
	s.ix = nil
	s.ready = false
	return err
}
