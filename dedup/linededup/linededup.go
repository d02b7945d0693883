// Package linededup holds the line_dedup stage (Llama 3 section 3.1.1,
// "line-level de-duplication"): lines occurring more than max_count times
// (default 6) within a bucket of bucket_docs documents (default
// 30,000,000) are removed — navigation menus, cookie warnings and other
// boilerplate repeated across pages. Lines are compared under the dedup
// normalisation (filters/text.Normalize); lines whose normalisation is
// empty (blank or punctuation only) are never counted nor removed.
// Documents left without any word are dropped as "empty".
//
// Buckets are consecutive runs of bucket_docs documents in input order,
// so the result does not depend on the worker count.
//
// Memory and disk: the preparatory pass spills each document's order and
// 8-byte line hashes to a temporary file (8 B per line on disk) and holds
// 8 B per document in RAM (its order, to cut buckets). Prepared then
// counts one bucket at a time — a map of 12–16 B per distinct line of
// that bucket, plus Go's map overhead — and keeps only the hashes above
// max_count, per bucket, for the main pass.
//
// In a cluster job (pipeline.Exchanger) a task's observations are its
// spill records (12 B per document plus 8 B per counted line); the
// prepared state is each bucket's first order and frequent line hashes
// (12 B per bucket plus 8 B per frequent line), nothing per document.
package linededup

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/winnow-data/winnow/dedup/internal/xchg"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Name is the stage's canonical name.
const Name = "line_dedup"

// SignalFraction is the share of a document's counted lines that are
// frequent (removed), written on every document with lines.
const SignalFraction = Name + ".duplicate_line_fraction"

func init() { pipeline.Register(Spec) }

// Spec declares the line_dedup stage.
var Spec = pipeline.Spec{
	Name:    Name,
	Summary: "line de-duplication: remove lines seen more than max_count times per bucket of documents",
	Order:   36,
	Default: true,
	Params: []pipeline.Param{
		{Name: "max_count", Default: 6, Doc: "a line seen more than this many times in a bucket is removed", Min: pipeline.Bound(1)},
		{Name: "bucket_docs", Default: 30_000_000, Doc: "documents per counting bucket, in input order", Min: pipeline.Bound(1)},
		{Name: "work_dir", Default: "", Doc: "directory for the spill file; empty for the system's temporary directory"},
	},
	New: func(p pipeline.Params) (pipeline.Stage, error) {
		return New(Config{MaxCount: p.Int("max_count"), BucketDocs: p.Int("bucket_docs"), WorkDir: p.String("work_dir")})
	},
}

// Config configures the stage.
type Config struct {
	MaxCount   int
	BucketDocs int
	WorkDir    string
}

// Stage removes frequent lines; see the package documentation.
type Stage struct {
	cfg  Config
	pool sync.Pool

	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	err    error
	orders []uint64

	// After Prepared.
	bounds   []uint64 // first order of each bucket
	frequent []map[uint64]struct{}
}

type scratch struct {
	buf    []byte
	hashes []uint64
	spans  [][2]int
	rec    []byte
}

// New returns a line_dedup stage.
func New(c Config) (*Stage, error) {
	if c.MaxCount < 1 || c.BucketDocs < 1 {
		return nil, fmt.Errorf("max_count %d and bucket_docs %d must be positive", c.MaxCount, c.BucketDocs)
	}
	s := &Stage{cfg: c}
	s.pool.New = func() any { return &scratch{} }
	return s, nil
}

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return Name }

// lines fills sc.hashes and sc.spans with the hash and span of every
// line whose normalisation is not empty.
func lines(sc *scratch, doc *pipeline.Document) {
	sc.hashes, sc.spans = sc.hashes[:0], sc.spans[:0]
	var ls text.LineScanner
	ls.Reset(doc.Text)
	for ls.Next() {
		sc.buf = text.AppendNormalized(sc.buf[:0], ls.Line())
		if len(sc.buf) == 0 {
			continue
		}
		a, b := ls.Span()
		sc.hashes = append(sc.hashes, xxhash.Sum64(sc.buf))
		sc.spans = append(sc.spans, [2]int{a, b})
	}
}

// Observe implements pipeline.Preparer: it spills the document's order
// and line hashes.
func (s *Stage) Observe(doc *pipeline.Document) error {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	lines(sc, doc)
	rec := binary.LittleEndian.AppendUint64(sc.rec[:0], doc.Order())
	rec = binary.LittleEndian.AppendUint32(rec, uint32(len(sc.hashes)))
	for _, h := range sc.hashes {
		rec = binary.LittleEndian.AppendUint64(rec, h)
	}
	sc.rec = rec
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.spill(); err != nil {
		return err
	}
	if _, err := s.w.Write(rec); err != nil {
		s.err = fmt.Errorf("line_dedup: spilling to %s: %w", s.f.Name(), err)
		return s.err
	}
	s.orders = append(s.orders, doc.Order())
	return nil
}

// spill opens the spill file on first use; s.mu is held.
func (s *Stage) spill() error {
	if s.err != nil {
		return s.err
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.cfg.WorkDir, "winnow-line-dedup-")
		if err != nil {
			s.err = fmt.Errorf("line_dedup: spill file: %w", err)
			return s.err
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 1<<20)
	}
	return nil
}

// Prepared implements pipeline.Preparer: it cuts the buckets and counts
// each bucket's lines from the spill file.
func (s *Stage) Prepared(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.f == nil {
		return nil // no document reached the stage
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("line_dedup: spilling to %s: %w", s.f.Name(), err)
	}
	slices.Sort(s.orders)
	for i := 0; i < len(s.orders); i += s.cfg.BucketDocs {
		s.bounds = append(s.bounds, s.orders[i])
	}
	s.orders = nil
	limit := uint32(s.cfg.MaxCount)
	for b := range s.bounds {
		counts := map[uint64]uint32{}
		err := s.scan(func(order uint64, hashes []byte) {
			if s.bucket(order) != b {
				return
			}
			for i := 0; i < len(hashes); i += 8 {
				h := binary.LittleEndian.Uint64(hashes[i:])
				if c := counts[h]; c <= limit {
					counts[h] = c + 1
				}
			}
		})
		if err != nil {
			return err
		}
		freq := map[uint64]struct{}{}
		for h, c := range counts {
			if c > limit {
				freq[h] = struct{}{}
			}
		}
		s.frequent = append(s.frequent, freq)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// scan reads the spill file from the start.
func (s *Stage) scan(fn func(order uint64, hashes []byte)) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("line_dedup: %s: %w", s.f.Name(), err)
	}
	r := bufio.NewReaderSize(s.f, 1<<20)
	var head [12]byte
	var hashes []byte
	var off int64
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("line_dedup: %s: byte %d: %w", s.f.Name(), off, err)
		}
		n := int(binary.LittleEndian.Uint32(head[8:]))
		hashes = slices.Grow(hashes[:0], 8*n)[:8*n]
		if _, err := io.ReadFull(r, hashes); err != nil {
			return fmt.Errorf("line_dedup: %s: byte %d: %w", s.f.Name(), off, err)
		}
		fn(binary.LittleEndian.Uint64(head[:]), hashes)
		off += int64(12 + 8*n)
	}
}

// bucket returns the bucket of the document at order.
func (s *Stage) bucket(order uint64) int {
	i, found := slices.BinarySearch(s.bounds, order)
	if !found {
		i--
	}
	return max(i, 0)
}

// Process implements pipeline.Stage.
func (s *Stage) Process(doc *pipeline.Document) (string, error) {
	if len(s.frequent) == 0 {
		return "", nil
	}
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	lines(sc, doc)
	if len(sc.hashes) == 0 {
		return "", nil
	}
	freq := s.frequent[s.bucket(doc.Order())]
	removed := 0
	for _, h := range sc.hashes {
		if _, ok := freq[h]; ok {
			removed++
		}
	}
	doc.SetSignal(SignalFraction, float64(removed)/float64(len(sc.hashes)))
	if removed == 0 {
		return "", nil
	}
	if removed == len(sc.hashes) {
		return "empty", nil
	}
	// Cut each removed line with its terminator; every other byte stays.
	var b strings.Builder
	b.Grow(len(doc.Text))
	at := 0
	for i, h := range sc.hashes {
		if _, ok := freq[h]; !ok {
			continue
		}
		start, end := sc.spans[i][0], sc.spans[i][1]
		end = skipTerminator(doc.Text, end)
		b.WriteString(doc.Text[at:start])
		at = end
	}
	b.WriteString(doc.Text[at:])
	doc.SetText(b.String())
	return "", nil
}

// skipTerminator returns the offset after the line terminator at i.
func skipTerminator(s string, i int) int {
	switch {
	case strings.HasPrefix(s[i:], "\r\n"):
		return i + 2
	case i < len(s) && (s[i] == '\n' || s[i] == '\r'):
		return i + 1
	}
	return i
}

// Close implements pipeline.Closer: it removes the spill file.
func (s *Stage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	s.f.Close()
	s.f = nil
	return os.Remove(name)
}

// fingerprint hashes the line keys of the probe texts, so state saved by
// a build that normalises or hashes lines differently is refused.
var fingerprint = sync.OnceValue(func() string {
	sc := &scratch{}
	var parts [][]byte
	for _, p := range xchg.Probes {
		lines(sc, &pipeline.Document{Text: p})
		for _, h := range sc.hashes {
			parts = append(parts, binary.LittleEndian.AppendUint64(nil, h))
		}
	}
	return xchg.Fingerprint(parts...)
})

func (s *Stage) header(k xchg.Kind) xchg.Header {
	return xchg.Header{Stage: Name, Kind: k, Params: []xchg.Param{
		{Name: "max_count", Value: strconv.Itoa(s.cfg.MaxCount)},
		{Name: "bucket_docs", Value: strconv.Itoa(s.cfg.BucketDocs)},
		{Name: "line_key", Value: fingerprint()},
	}}
}

// maxLines bounds the line count of one record of a saved observation; a
// larger count is damage (a document of 2^26 lines is 64 MiB of line
// breaks alone).
const maxLines = 1 << 26

// SaveObserved implements pipeline.Exchanger. The file holds the spill
// file's records: per document its order (8 B), line count (4 B) and
// 8-byte line hashes — 12 B per document plus 8 B per counted line.
func (s *Stage) SaveObserved(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	x := xchg.NewWriter(w, s.header(xchg.Observed), uint64(len(s.orders)))
	if s.f != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("line_dedup: spilling to %s: %w", s.f.Name(), err)
		}
		fi, err := s.f.Stat()
		if err != nil {
			return fmt.Errorf("line_dedup: %w", err)
		}
		// A section reader leaves the file's offset for appends.
		if _, err := io.Copy(x, io.NewSectionReader(s.f, 0, fi.Size())); err != nil {
			return fmt.Errorf("line_dedup: saving observations: %w", err)
		}
	}
	if err := x.Close(); err != nil {
		return fmt.Errorf("line_dedup: saving observations: %w", err)
	}
	return nil
}

// LoadObserved implements pipeline.Exchanger: the records are appended to
// this stage's spill file as Observe appends them.
func (s *Stage) LoadObserved(r io.Reader) error {
	x, err := xchg.NewReader(r, s.header(xchg.Observed))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.spill(); err != nil {
		return err
	}
	var head [12]byte
	chunk := make([]byte, 64<<10)
	for i := range x.Count {
		if err := x.Record(head[:], i); err != nil {
			return err
		}
		n := binary.LittleEndian.Uint32(head[8:])
		if n > maxLines {
			return x.Errorf("document of %d lines", n)
		}
		if _, err := s.w.Write(head[:]); err != nil {
			s.err = fmt.Errorf("line_dedup: spilling to %s: %w", s.f.Name(), err)
			return s.err
		}
		for left := 8 * int(n); left > 0; {
			c := chunk[:min(left, len(chunk))]
			if err := x.Read(c, "line hashes"); err != nil {
				return err
			}
			if _, err := s.w.Write(c); err != nil {
				s.err = fmt.Errorf("line_dedup: spilling to %s: %w", s.f.Name(), err)
				return s.err
			}
			left -= len(c)
		}
		s.orders = append(s.orders, binary.LittleEndian.Uint64(head[:]))
	}
	return x.Close()
}

// SavePrepared implements pipeline.Exchanger. Per bucket: its first
// order (8 B), the number of frequent lines (4 B) and their hashes in
// increasing order (8 B each) — nothing per document.
func (s *Stage) SavePrepared(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := xchg.NewWriter(w, s.header(xchg.Prepared), uint64(len(s.bounds)))
	var rec []byte
	for b, bound := range s.bounds {
		hs := slices.Sorted(maps.Keys(s.frequent[b]))
		rec = binary.LittleEndian.AppendUint64(rec[:0], bound)
		rec = binary.LittleEndian.AppendUint32(rec, uint32(len(hs)))
		for _, h := range hs {
			rec = binary.LittleEndian.AppendUint64(rec, h)
		}
		x.Write(rec)
	}
	if err := x.Close(); err != nil {
		return fmt.Errorf("line_dedup: saving prepared state: %w", err)
	}
	return nil
}

// LoadPrepared implements pipeline.Exchanger.
func (s *Stage) LoadPrepared(r io.Reader) error {
	x, err := xchg.NewReader(r, s.header(xchg.Prepared))
	if err != nil {
		return err
	}
	var bounds []uint64
	var frequent []map[uint64]struct{}
	var head [12]byte
	var h [8]byte
	for i := range x.Count {
		if err := x.Record(head[:], i); err != nil {
			return err
		}
		bound := binary.LittleEndian.Uint64(head[:])
		if len(bounds) > 0 && bound <= bounds[len(bounds)-1] {
			return x.Errorf("buckets out of order")
		}
		n := binary.LittleEndian.Uint32(head[8:])
		freq := make(map[uint64]struct{}, min(n, 1<<16))
		for range n {
			if err := x.Read(h[:], "line hashes"); err != nil {
				return err
			}
			freq[binary.LittleEndian.Uint64(h[:])] = struct{}{}
		}
		bounds = append(bounds, bound)
		frequent = append(frequent, freq)
	}
	if err := x.Close(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bounds, s.frequent = bounds, frequent
	return nil
}

// Columns implements pipeline.Declarer.
func (s *Stage) Columns() []pipeline.Column { return pipeline.SignalColumns(SignalFraction) }
