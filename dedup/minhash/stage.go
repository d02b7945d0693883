package minhash

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/keep"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage"
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
		{Name: "threshold", Default: 0.8, Doc: "Jaccard similarity of the shingle sets from which two documents are near-duplicates", Min: pipeline.Bound(0), Max: pipeline.Bound(1)},
		{Name: "num_perm", Default: 112, Doc: "signature length (hash bins)", Min: pipeline.Bound(1), Max: pipeline.Bound(1024)},
		{Name: "bands", Default: 0, Doc: "LSH bands; 0 chooses bands × rows for the threshold (14 × 8 at 0.8)", Min: pipeline.Bound(0), Max: pipeline.Bound(256)},
		{Name: "rows", Default: 0, Doc: "rows per band; 0 chooses with bands", Min: pipeline.Bound(0), Max: pipeline.Bound(1024)},
		{Name: "shingle_words", Default: 5, Doc: "words per shingle", Min: pipeline.Bound(1), Max: pipeline.Bound(64)},
		{Name: "verify", Default: true, Doc: "link LSH candidates only when their estimated Jaccard reaches the threshold"},
		{Name: "keep", Default: "first", Doc: keep.Doc},
		{Name: "per_language", Default: false, Doc: "deduplicate within each language only"},
		{Name: "work_dir", Default: "", Doc: "directory for the index's spill files; empty for the system's temporary directory"},
		{Name: "save_index", Default: "", Doc: "directory or storage URL to save this run's signatures in (signatures-00000.bin, in input order), for a later run's against"},
		{Name: "against", Default: "", Doc: "directory or storage URL of signatures saved by an earlier run (save_index, or staged signatures-*.bin): documents near-duplicating them are removed"},
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
			SaveIndex:    p.String("save_index"),
			Against:      p.String("against"),
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
	// SaveIndex, when set, is a directory or storage URL (see
	// pipeline/storage) where the run's signatures are saved
	// (signatures-00000.bin, the staged format, in input order) for a
	// later run's Against.
	SaveIndex string
	// Against, when set, is a directory or storage URL of
	// signatures-*.bin saved by an earlier run: documents of this run that
	// near-duplicate one of them are removed (the earlier document always
	// wins), without re-reading that dataset. Their clusters count the
	// earlier documents too.
	Against string
}

// DefaultConfig returns the stage's defaults.
func DefaultConfig() Config {
	return Config{Threshold: 0.8, NumPerm: 112, ShingleWords: 5, Verify: true, Keep: "first"}
}

// Stage removes near-duplicate documents. Observe computes each
// document's signature and adds it to the Index; Prepared builds the
// clusters; Process keeps one document per cluster and writes
// dup_cluster_id (the input order of the cluster's first document) and
// dup_cluster_size on every document. It is a pipeline.Exchanger: see
// exchange.go for the files its tasks exchange in a cluster job.
type Stage struct {
	cfg    Config
	policy keep.Policy
	pool   sync.Pool
	ix     *Index
	mu     sync.Mutex
	ready  bool
	// loaded holds the prepared state read by LoadPrepared, used
	// instead of ix.
	loaded   clusterTable
	fromFile bool
	fpOnce   sync.Once
	fp       string // see fingerprint
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
			Threshold: s.cfg.Threshold, Verify: s.cfg.Verify, Signatures: s.cfg.SaveIndex != "", Dir: s.cfg.WorkDir})
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

// Prepared implements pipeline.Preparer: it saves the signatures when
// save_index is set, adds those of against, and builds the clusters.
func (s *Stage) Prepared(ctx context.Context) error {
	ix, err := s.index()
	if err != nil {
		return err
	}
	if s.cfg.SaveIndex != "" {
		if err := s.saveIndex(ctx, ix); err != nil {
			return err
		}
	}
	if s.cfg.Against != "" {
		if err := addAgainst(ctx, ix, s.cfg.Against, s.cfg.NumPerm); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ix.Build(); err != nil {
		return err
	}
	s.ready = true
	return nil
}

// indexFile is the name save_index writes, in the staged format.
const indexFile = "signatures-00000.bin"

// saveIndex writes every signature of the index to save_index (a
// directory or a storage URL, see pipeline/storage) as indexFile, the
// staged format, in input order (the same bytes whatever the workers),
// committed only when whole.
func (s *Stage) saveIndex(ctx context.Context, ix *Index) error {
	b, err := storage.Open(ctx, s.cfg.SaveIndex)
	if err != nil {
		return fmt.Errorf("minhash: save_index: %w", err)
	}
	defer b.Close()
	w, err := b.Create(ctx, indexFile)
	if err != nil {
		return fmt.Errorf("minhash: save_index: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	err = ix.eachRecordInOrder(func(rec []byte) error {
		_, err := bw.Write(rec)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("minhash: save_index %s: %w", b.Join(indexFile), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("minhash: save_index %s: %w", b.Join(indexFile), err)
	}
	return nil
}

// againstOrder marks documents of an earlier run (their order there with
// this bit set): above every Document.Order of this one, so they never
// name a cluster of this run.
const againstOrder = 1 << 63

// addAgainst adds the signatures saved at loc (a directory or a storage
// URL holding signatures-*.bin) to ix as documents that always win their
// cluster.
func addAgainst(ctx context.Context, ix *Index, loc string, k int) error {
	b, err := storage.Open(ctx, loc)
	if err != nil {
		return fmt.Errorf("minhash: against: %w", err)
	}
	defer b.Close()
	var objs []storage.Object
	for o, err := range b.List(ctx, "") {
		if err != nil {
			return fmt.Errorf("minhash: against: %w", err)
		}
		if ok, _ := path.Match("signatures-*.bin", o.Name); ok {
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return fmt.Errorf("minhash: against %s: no saved signatures (signatures-*.bin)", loc)
	}
	sig := make([]uint32, k)
	for _, o := range objs {
		name := b.Join(o.Name)
		if o.Size%int64(recordSize(k)) != 0 {
			return fmt.Errorf("minhash: against: %s is truncated or was saved with another num_perm", name)
		}
		r, err := b.NewReader(ctx, o.Name)
		if err != nil {
			return fmt.Errorf("minhash: against: %w", err)
		}
		var addErr error
		err = readRecords(r, name, k, func(i int, rec []byte) {
			if addErr != nil {
				return
			}
			// The earlier run's own order, so that the answer does not
			// depend on the order of the records in the files.
			order := binary.LittleEndian.Uint64(rec)
			if order&againstOrder != 0 {
				addErr = fmt.Errorf("%s: record %d: document order %#x out of range", name, i, order)
				return
			}
			decodeSig(sig, rec)
			addErr = ix.Add(againstOrder|order, math.MinInt64, sig, binary.LittleEndian.Uint64(rec[16:]))
		})
		r.Close()
		if err = errors.Join(err, addErr); err != nil {
			return fmt.Errorf("minhash: against: %w", err)
		}
	}
	return nil
}

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	var c Cluster
	switch {
	case s.fromFile:
		c = s.loaded.lookup(doc.Order())
	case s.ready:
		c, _ = s.ix.Lookup(doc.Order())
	default:
		return "", fmt.Errorf("minhash: Process before the preparatory pass")
	}
	return verdict(doc, c), nil
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

// clusterColumns are the columns verdict writes.
var clusterColumns = []pipeline.Column{{Name: FieldClusterID, Shape: `0`}, {Name: FieldClusterSize, Shape: `0`}}

// Columns implements pipeline.Declarer: the cluster columns.
func (s *Stage) Columns() []pipeline.Column { return clusterColumns }
