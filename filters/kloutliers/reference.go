// Package kloutliers drops documents whose token distribution diverges
// most from their language's, the Llama 3 rule (The Llama 3 Herd of
// Models, section 3.1.1: "we use a token-distribution Kullback-Leibler
// divergence to filter out documents containing excessive numbers of
// outlier tokens compared to the training corpus distribution").
//
// The reference distribution of each language is built in a preparatory
// pass over the input (the stage is a pipeline.Preparer), or loaded from
// a file saved earlier (`winnow reference build INPUT... -o ref.bin`).
// Tokens are the words of filters/text, lower-cased; their counts live in
// one count-min sketch shared by all languages (key: language and word),
// so memory is fixed whatever the corpus: depth × width × 4 bytes
// (default 4 × 2^21, 32 MiB). Counts are added atomically, and a sum does
// not depend on the order of the additions, so the reference is the same
// whatever order Observe sees the documents in.
//
// Defaults: max_kl 4.0 nats, max_ood_fraction 0.5, documents under
// min_words 50 words or of a language with fewer than min_ref_docs 100
// reference documents are scored but never dropped. See README.md for the
// reasons.
package kloutliers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// Sketch dimensions.
const (
	Depth        = 4
	DefaultWidth = 1 << 21
	MinWidth     = 1 << 4
	MaxWidth     = 1 << 28
)

// LangStats are the totals of one language in a reference.
type LangStats struct {
	Docs, Tokens int64
}

// Reference is the token distribution of each language of a corpus. It
// is read-only once built and safe for concurrent use.
type Reference struct {
	width  uint32
	counts []uint32 // Depth rows of width counters
	langs  map[string]LangStats
}

// Width returns the sketch's row width.
func (r *Reference) Width() int { return int(r.width) }

// Langs returns the languages of the reference with their totals, in
// code order.
func (r *Reference) Langs() iter.Seq2[string, LangStats] {
	return func(yield func(string, LangStats) bool) {
		keys := make([]string, 0, len(r.langs))
		for k := range r.langs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, r.langs[k]) {
				return
			}
		}
	}
}

// Lang returns the totals of lang.
func (r *Reference) Lang(lang string) LangStats { return r.langs[lang] }

// Count returns the sketch's estimate of how often word (as the text
// package segments it; case is folded here) occurs in lang: never less
// than the true count, more by collisions.
func (r *Reference) Count(lang, word string) uint32 {
	var buf [64]byte
	h, _ := tokenHash(buf[:0], lang, word)
	return r.estimate(h)
}

func (r *Reference) estimate(h uint64) uint32 {
	h1, h2 := uint32(h), uint32(h>>32)|1
	m := r.width - 1
	est := uint32(1<<32 - 1)
	for i := range uint32(Depth) {
		est = min(est, r.counts[i*r.width+(h1+i*h2)&m])
	}
	return est
}

// tokenHash hashes lang, a zero byte and the lower-cased word, using buf
// as scratch space; it returns buf for reuse.
func tokenHash(buf []byte, lang, word string) (uint64, []byte) {
	buf = append(buf[:0], lang...)
	buf = append(buf, 0)
	buf = text.AppendLower(buf, word)
	return xxhash.Sum64(buf), buf
}

// Builder accumulates a Reference. Add is safe for concurrent use, and
// the result does not depend on the order of the calls.
type Builder struct {
	width  uint32
	counts []uint32
	mu     sync.Mutex
	langs  map[string]*langCounter
	pool   sync.Pool
}

type langCounter struct{ docs, tokens atomic.Int64 }

// NewBuilder returns a builder of a sketch width counters wide (a power
// of two in [MinWidth, MaxWidth]; 0 means DefaultWidth).
func NewBuilder(width int) (*Builder, error) {
	if width == 0 {
		width = DefaultWidth
	}
	if width < MinWidth || width > MaxWidth || bits.OnesCount(uint(width)) != 1 {
		return nil, fmt.Errorf("kloutliers: sketch width %d: want a power of two in [%d, %d]", width, MinWidth, MaxWidth)
	}
	b := &Builder{width: uint32(width), counts: make([]uint32, Depth*width), langs: map[string]*langCounter{}}
	b.pool.New = func() any { return new([]byte) }
	return b, nil
}

func (b *Builder) lang(l string) *langCounter {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.langs[l]
	if c == nil {
		c = new(langCounter)
		b.langs[l] = c
	}
	return c
}

// Add counts the words of doc under doc.Lang ("und" when unset).
func (b *Builder) Add(doc *pipeline.Document) {
	lang := langOf(doc)
	words := text.DocWords(doc)
	lc := b.lang(lang)
	lc.docs.Add(1)
	lc.tokens.Add(int64(len(words)))
	buf := b.pool.Get().(*[]byte)
	m := b.width - 1
	for _, w := range words {
		var h uint64
		h, *buf = tokenHash(*buf, lang, w)
		h1, h2 := uint32(h), uint32(h>>32)|1
		for i := range uint32(Depth) {
			c := &b.counts[i*b.width+(h1+i*h2)&m]
			// Saturate rather than wrap: a wrapped counter would turn
			// the commonest word into an outlier.
			if atomic.AddUint32(c, 1) == 0 {
				atomic.StoreUint32(c, 1<<32-1)
			}
		}
	}
	b.pool.Put(buf)
}

// countsOr returns b's counters, or those fresh makes when b is nil.
func (b *Builder) countsOr(fresh func() []uint32) []uint32 {
	if b == nil {
		return fresh()
	}
	return b.counts
}

// snapshot returns the reference built so far without ending the
// builder; no Add may run meanwhile.
func (b *Builder) snapshot() *Reference {
	r := &Reference{width: b.width, counts: b.counts, langs: make(map[string]LangStats, len(b.langs))}
	for l, c := range b.langs {
		r.langs[l] = LangStats{Docs: c.docs.Load(), Tokens: c.tokens.Load()}
	}
	return r
}

// Reference returns the reference built so far. The builder must not be
// used afterwards.
func (b *Builder) Reference() *Reference {
	r := b.snapshot()
	b.counts = nil
	return r
}

func langOf(doc *pipeline.Document) string {
	if doc.Lang == "" {
		return "und"
	}
	return doc.Lang
}

// Merge adds the counts of o to r, so references built from separate
// shares of a corpus (tasks of a cluster run) make the reference of the
// whole; addition is order-free, so the result does not depend on the
// order of merging. Both must have the same width.
func (r *Reference) Merge(o *Reference) error {
	if r.width != o.width {
		return fmt.Errorf("kloutliers: merging references of widths %d and %d", r.width, o.width)
	}
	for i, c := range o.counts {
		sum := r.counts[i] + c
		if sum < c { // saturate, as Add does
			sum = 1<<32 - 1
		}
		r.counts[i] = sum
	}
	for l, st := range o.langs {
		cur := r.langs[l]
		r.langs[l] = LangStats{Docs: cur.Docs + st.Docs, Tokens: cur.Tokens + st.Tokens}
	}
	return nil
}

// BuildReference builds a reference of the default width from docs,
// whose Lang should be set (language identification runs first).
func BuildReference(ctx context.Context, docs iter.Seq[*pipeline.Document]) (*Reference, error) {
	b, err := NewBuilder(0)
	if err != nil {
		return nil, err
	}
	n := 0
	for d := range docs {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b.Add(d)
	}
	return b.Reference(), ctx.Err()
}

// File format: magic, version, depth, width, language count, languages
// (u16 length, code, u64 docs, u64 tokens), then the byte length of a
// zstd frame holding the counters as little-endian u32, the frame, and the
// xxhash of the uncompressed counters.
var magic = [8]byte{'W', 'N', 'K', 'L', 'R', 'E', 'F', 0}

const (
	version  = 1
	maxLangs = 4096
	// zstdWindow bounds the decoder's memory; the counters are read
	// through it in small chunks.
	zstdWindow = 4 << 20
)

// Save writes the reference to w.
func (r *Reference) Save(w io.Writer) error {
	bw := bufio.NewWriter(w)
	hdr := binary.LittleEndian.AppendUint32(magic[:], version)
	hdr = binary.LittleEndian.AppendUint32(hdr, Depth)
	hdr = binary.LittleEndian.AppendUint32(hdr, r.width)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(r.langs)))
	for l, st := range r.Langs() {
		hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(l)))
		hdr = append(hdr, l...)
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(st.Docs))
		hdr = binary.LittleEndian.AppendUint64(hdr, uint64(st.Tokens))
	}
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("kloutliers: saving reference: %w", err)
	}
	var frame bytes.Buffer
	zw, err := zstd.NewWriter(&frame, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow))
	if err != nil {
		return err
	}
	h := xxhash.New()
	var chunk [4 << 10]byte
	for i := 0; i < len(r.counts); {
		n := 0
		for ; n+4 <= len(chunk) && i < len(r.counts); i++ {
			binary.LittleEndian.PutUint32(chunk[n:], r.counts[i])
			n += 4
		}
		h.Write(chunk[:n])
		if _, err := zw.Write(chunk[:n]); err != nil {
			return fmt.Errorf("kloutliers: saving reference: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("kloutliers: saving reference: %w", err)
	}
	bw.Write(binary.LittleEndian.AppendUint64(nil, uint64(frame.Len())))
	bw.Write(frame.Bytes())
	if _, err := bw.Write(binary.LittleEndian.AppendUint64(nil, h.Sum64())); err != nil {
		return fmt.Errorf("kloutliers: saving reference: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("kloutliers: saving reference: %w", err)
	}
	return nil
}

// ErrFormat marks a reference file that is not one, or is damaged.
var ErrFormat = errors.New("not a valid reference")

// countingReader tracks the byte offset for error messages.
type countingReader struct {
	r   *bufio.Reader
	off int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.off++
	}
	return b, err
}

// LoadReference reads a reference written by Save. A damaged or foreign
// file is an error wrapping ErrFormat that gives the byte offset; the
// sizes in the header are checked before anything is allocated.
func LoadReference(r io.Reader) (*Reference, error) {
	return decodeReference(bufio.NewReader(r), nil)
}

// decodeReference reads a reference from br, reading no byte past its
// end. With into set, the counts are added to that builder (whose width
// must match) instead of a new reference, so merging a saved reference
// needs no second sketch in memory, and the reference returned holds the
// file's language totals only; on error the builder is left half merged.
func decodeReference(br *bufio.Reader, into *Builder) (*Reference, error) {
	cr := &countingReader{r: br}
	fail := func(what string, err error) (*Reference, error) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: byte %d: %s: %w", ErrFormat, cr.off, what, err)
	}
	var hdr [24]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return fail("header", err)
	}
	if !bytes.Equal(hdr[:8], magic[:]) {
		return fail("magic", errors.New("not a winnow reference file"))
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != version {
		return fail("version", fmt.Errorf("version %d, want %d", v, version))
	}
	if d := binary.LittleEndian.Uint32(hdr[12:]); d != Depth {
		return fail("depth", fmt.Errorf("depth %d, want %d", d, Depth))
	}
	width := binary.LittleEndian.Uint32(hdr[16:])
	if width < MinWidth || width > MaxWidth || bits.OnesCount32(width) != 1 {
		return fail("width", fmt.Errorf("width %d", width))
	}
	if into != nil && width != into.width {
		return fail("width", fmt.Errorf("width %d, this sketch's is %d", width, into.width))
	}
	nl := binary.LittleEndian.Uint32(hdr[20:])
	if nl > maxLangs {
		return fail("languages", fmt.Errorf("%d languages", nl))
	}
	langs := make(map[string]LangStats, nl)
	for range nl {
		var l [2]byte
		if _, err := io.ReadFull(cr, l[:]); err != nil {
			return fail("language", err)
		}
		n := binary.LittleEndian.Uint16(l[:])
		if n == 0 || n > 64 {
			return fail("language", fmt.Errorf("code of %d bytes", n))
		}
		rec := make([]byte, int(n)+16)
		if _, err := io.ReadFull(cr, rec); err != nil {
			return fail("language", err)
		}
		code := string(rec[:n])
		docs := int64(binary.LittleEndian.Uint64(rec[n:]))
		toks := int64(binary.LittleEndian.Uint64(rec[n+8:]))
		if docs < 0 || toks < 0 {
			return fail("language "+code, errors.New("negative totals"))
		}
		if _, dup := langs[code]; dup {
			return fail("language "+code, errors.New("listed twice"))
		}
		langs[code] = LangStats{Docs: docs, Tokens: toks}
	}
	size := int64(Depth) * int64(width) * 4
	var fl [8]byte
	if _, err := io.ReadFull(cr, fl[:]); err != nil {
		return fail("counters", err)
	}
	// zstd never expands incompressible data by more than a small margin.
	frameLen := binary.LittleEndian.Uint64(fl[:])
	if frameLen > uint64(size+size/64+1<<16) {
		return fail("counters", fmt.Errorf("frame of %d bytes for %d bytes of counters", frameLen, size))
	}
	frame := io.LimitReader(cr, int64(frameLen))
	zr, err := zstd.NewReader(frame, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(zstdWindow), zstd.WithDecoderMaxWindow(zstdWindow))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	ref := &Reference{width: width, langs: langs}
	counts := into.countsOr(func() []uint32 {
		ref.counts = make([]uint32, Depth*int(width))
		return ref.counts
	})
	h := xxhash.New()
	var chunk [4 << 10]byte
	for i := 0; i < len(counts); {
		n := min(len(chunk), (len(counts)-i)*4)
		if _, err := io.ReadFull(zr, chunk[:n]); err != nil {
			return fail("counters", err)
		}
		h.Write(chunk[:n])
		for j := 0; j < n; j += 4 {
			c := binary.LittleEndian.Uint32(chunk[j:])
			if into != nil {
				sum := counts[i] + c
				if sum < c { // saturate, as Add does
					sum = 1<<32 - 1
				}
				c = sum
			}
			counts[i] = c
			i++
		}
	}
	if n, _ := zr.Read(chunk[:1]); n != 0 {
		return fail("counters", errors.New("more counters than the header says"))
	}
	if _, err := io.Copy(io.Discard, frame); err != nil {
		return fail("counters", err)
	}
	var sum [8]byte
	if _, err := io.ReadFull(cr, sum[:]); err != nil {
		return fail("checksum", err)
	}
	if binary.LittleEndian.Uint64(sum[:]) != h.Sum64() {
		return fail("checksum", errors.New("counters do not match their checksum"))
	}
	if into != nil {
		for l, st := range langs {
			c := into.lang(l)
			c.docs.Add(st.Docs)
			c.tokens.Add(st.Tokens)
		}
	}
	return ref, nil
}
