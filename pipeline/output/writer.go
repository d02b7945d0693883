package output

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/winnow-data/winnow/pipeline"
)

// Format names an output file format.
type Format string

// The output formats.
const (
	// Parquet writes .parquet files, zstd-compressed (the default).
	Parquet Format = "parquet"
	// JSONL writes .jsonl.zst files: one JSON object per line, zstd.
	JSONL Format = "jsonl"
	// Arrow writes Arrow IPC files (.arrow) with zstd-compressed buffers.
	Arrow Format = "arrow"
)

// Defaults of Options.
const (
	DefaultMaxShardBytes    = 256 << 20
	DefaultRowGroupBytes    = 32 << 20
	DefaultMaxBufferedBytes = 128 << 20
	// DefaultMaxOpenShards bounds the shards open at once (one file
	// descriptor, or one multipart upload, each).
	DefaultMaxOpenShards = 128
	// DefaultZstdLevel is the zstd level of Parquet pages and JSONL
	// streams. Text dominates the bytes; on ~3 KB web-like documents
	// level 1 (klauspost's SpeedFastest) wrote ~30% faster than level 3
	// for files ~5% larger, and level 7 was 2x slower for 1.5% smaller
	// (BenchmarkWrite), so speed wins.
	DefaultZstdLevel = 1
)

// maxBatchBytes bounds one row group's bytes so that every string column
// of a record stays within Arrow's 32-bit offsets.
const maxBatchBytes = 1 << 30

// Options configure a Writer. Zero values take the defaults.
type Options struct {
	// Format is the file format; empty means Parquet.
	Format Format
	// Task numbers the shards: part-<task:05d>-<seq:05d>.
	Task int
	// MaxShardBytes rotates a shard once this many bytes of documents
	// have been written to it. Bytes are counted uncompressed and
	// deterministically (see DocBytes), never from the file's size, so
	// shard boundaries do not depend on the compressor.
	MaxShardBytes int64
	// RowGroupBytes is the target size of a Parquet row group (an Arrow
	// record batch), counted like MaxShardBytes; at most 1 GiB.
	RowGroupBytes int64
	// MaxBufferedBytes caps the bytes buffered across all partitions;
	// past it the partition holding the most (the first by name on a
	// tie) is written out as a smaller row group.
	MaxBufferedBytes int64
	// MaxOpenShards bounds the shards open at once. A run with more
	// partitions than that (data carrying thousands of languages) closes
	// the least recently written shard when it needs another, and that
	// partition continues in a new shard (the next sequence number):
	// more, smaller files, but bounded file descriptors and memory, and
	// the same files for the same input.
	MaxOpenShards int
	// RunID, when set, is part of every temporary name
	// (.part-00000-00000.parquet.<RunID>.tmp), so that two writers into
	// one directory never write to the same file.
	RunID string
	// Rejected also writes rejected documents under rejected/, with a
	// reason column after source.
	Rejected bool
	// ZstdLevel is the zstd level (1–22 as in zstd; klauspost/compress
	// maps 1–2, 3–5, 6–9 and 10+ to its four speeds) of Parquet and
	// JSONL output; Arrow IPC uses the library's default.
	ZstdLevel int
	// Compression is the codec of Parquet pages and Arrow buffers: "zstd"
	// (default), "lz4", "snappy" (Parquet only) or "none", for readers
	// that need one of those. zstd is the smallest and, measured on
	// 100 MB of web text, as fast to write as lz4 and snappy (arrow-go's
	// codecs); "none" halves the writer's time for three times the
	// size. JSONL output is always zstd.
	Compression string
	// Columns are the signals and fields the run's stages declare
	// (pipeline.DeclaredColumns): every Parquet and Arrow shard has them,
	// with their declared types, in this order.
	Columns []pipeline.Column
	// Sample yields documents from which the passthrough fields' types
	// are inferred before anything is written — the same sample for
	// every task of a run gives every task's shards the same schema
	// (see Sample). Nil infers them from the documents buffered when the
	// first row group is written.
	Sample iter.Seq[*pipeline.Document]
	// MaxFields bounds the passthrough fields that get columns of their
	// own (DefaultMaxFields); the others go to the extra column.
	MaxFields int
}

func (o Options) withDefaults() (Options, error) {
	if o.Format == "" {
		o.Format = Parquet
	}
	switch o.Format {
	case Parquet, JSONL, Arrow:
	default:
		return o, fmt.Errorf("output: unknown format %q (want parquet, jsonl or arrow)", o.Format)
	}
	if o.Task < 0 {
		return o, fmt.Errorf("output: negative task %d", o.Task)
	}
	if o.MaxShardBytes <= 0 {
		o.MaxShardBytes = DefaultMaxShardBytes
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = DefaultRowGroupBytes
	}
	o.RowGroupBytes = min(o.RowGroupBytes, maxBatchBytes)
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if o.ZstdLevel <= 0 {
		o.ZstdLevel = DefaultZstdLevel
	}
	if o.MaxOpenShards <= 0 {
		o.MaxOpenShards = DefaultMaxOpenShards
	}
	for _, c := range o.RunID {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return o, fmt.Errorf("output: run id %q: want lower-case letters, digits and '-'", o.RunID)
		}
	}
	if o.Compression == "" {
		o.Compression = "zstd"
	}
	if _, ok := parquetCodecs[o.Compression]; !ok || (o.Format == Arrow && o.Compression == "snappy") {
		return o, fmt.Errorf("output: compression %q is not available for %s (zstd, lz4, snappy for Parquet, none)", o.Compression, o.Format)
	}
	return o, nil
}

func (f Format) ext() string {
	switch f {
	case JSONL:
		return ".jsonl.zst"
	case Arrow:
		return ".arrow"
	}
	return ".parquet"
}

// FileInfo describes one shard written.
type FileInfo struct {
	// Path is the shard's slash-separated path under the output root,
	// e.g. "lang=en/part-00000-00000.parquet".
	Path string
	// Partition is the shard's directory: "lang=<code>" or "rejected".
	Partition string
	// Rows is the number of documents in the shard.
	Rows int64
	// Bytes is the size of the file.
	Bytes int64
	// DataBytes is the documents' uncompressed size as counted for
	// rotation (see DocBytes).
	DataBytes int64
}

// Writer writes documents as language-partitioned shards. It implements
// pipeline.Sink and, like it, is used from one goroutine.
type Writer struct {
	st   Storage
	opts Options
	mem  memory.Allocator

	parts    map[string]*partition // kept documents, by language code
	rejected *partition
	order    []*partition // every partition, sorted by key
	last     *partition
	buffered int64

	sch  *schema // of every Parquet and Arrow shard; nil until fixed
	decl *schema // the declared columns, before sampling

	open    int        // shards open
	tick    int64      // counts flushes, for closing the least recently used shard
	files   []FileInfo // closed shards
	pending []string   // final names of closed, uncommitted shards
	temps   []string   // every temporary name created
	done    []string   // final names committed by Close

	err    error
	closed bool
}

var _ pipeline.Sink = (*Writer)(nil)

// New returns a Writer of shards under the local directory dir, which it
// creates if needed.
func New(dir string, opts Options) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	return NewStorage(Dir(dir), opts)
}

// NewStorage returns a Writer of shards created through st.
func NewStorage(st Storage, opts Options) (*Writer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &Writer{st: st, opts: opts, mem: memory.DefaultAllocator, parts: map[string]*partition{}}
	w.decl = newSchema(opts.MaxFields)
	for _, c := range opts.Columns {
		if c.Signal {
			w.decl.addSignal(c.Name, true)
		} else {
			w.decl.declareField(c.Name, c.Shape)
		}
	}
	if opts.Sample != nil {
		for d := range opts.Sample {
			if d != nil {
				w.decl.sampleDoc(d.Signals, d.Fields)
			}
		}
		w.decl.fix()
		w.sch = w.decl
	}
	return w, nil
}

// fixSchema fixes the schema when no sample was given: the documents
// added until the first row group is written (all of them buffered, in
// the order they came) were its sample.
func (w *Writer) fixSchema() {
	w.decl.fix()
	w.sch = w.decl
}

// errClosed is returned by calls after Close or Abort.
var errClosed = errors.New("output: writer is closed")

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

// Write buffers kept documents into their language partitions, writing
// row groups and rotating shards as they fill. It keeps the documents'
// strings (immutable) and copies their signals and fields, so the
// documents may be reused when it returns.
func (w *Writer) Write(docs []*pipeline.Document) error {
	if err := w.usable(); err != nil {
		return err
	}
	for _, d := range docs {
		if d == nil {
			continue
		}
		code := langCode(d.Lang)
		p := w.last
		if p == nil || p.lang != code || p.rejected {
			p = w.parts[code]
			if p == nil {
				p = w.newPartition("lang="+code, code, false)
				w.parts[code] = p
			}
			w.last = p
		}
		if err := w.add(p, d, code, ""); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Reject buffers rejected documents under rejected/ when Options.Rejected
// is set, and ignores them otherwise.
func (w *Writer) Reject(docs []*pipeline.Document, reasons []string) error {
	if err := w.usable(); err != nil {
		return err
	}
	if !w.opts.Rejected {
		return nil
	}
	if len(reasons) != len(docs) {
		return w.fail(fmt.Errorf("output: Reject got %d documents and %d reasons", len(docs), len(reasons)))
	}
	if w.rejected == nil {
		w.rejected = w.newPartition("rejected", "", true)
	}
	for i, d := range docs {
		if d == nil {
			continue
		}
		if err := w.add(w.rejected, d, langCode(d.Lang), reasons[i]); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// langCode returns the partition code of lang (pipeline.NormalizeLang):
// the engine has normalised it already, and since it names a directory
// the writer makes sure again.
func langCode(lang string) string {
	code, _ := pipeline.NormalizeLang(lang)
	return code
}

func (w *Writer) newPartition(key, lang string, rejected bool) *partition {
	p := &partition{key: key, lang: lang, rejected: rejected}
	i, _ := slices.BinarySearchFunc(w.order, key, func(q *partition, k string) int { return strings.Compare(q.key, k) })
	w.order = slices.Insert(w.order, i, p)
	return p
}

// DocBytes is the size of a document as counted for row groups, shard
// rotation and the memory cap: the lengths of its id, text, url, source,
// language code and every passthrough field's raw JSON, plus 8 bytes per
// number (lang_score and each signal), plus the length of reason.
func DocBytes(d *pipeline.Document, reason string) int64 {
	n := len(d.ID) + len(d.Text) + len(d.URL) + len(d.Source) + len(langCode(d.Lang)) + len(reason) + 8*(1+len(d.Signals))
	for _, f := range d.Fields {
		n += len(f.Value)
	}
	return int64(n)
}

func (w *Writer) add(p *partition, d *pipeline.Document, code, reason string) error {
	size := DocBytes(d, reason)
	if size >= maxBatchBytes {
		return fmt.Errorf("output: document %q (%s) is %d bytes, more than the %d a shard row can hold", d.ID, d.Source, size, maxBatchBytes)
	}
	if p.buffered > 0 && p.buffered+size > maxBatchBytes {
		if err := w.flush(p); err != nil {
			return err
		}
	}
	if w.sch == nil && w.opts.Format != JSONL {
		// Until the schema is fixed, every document is part of its
		// sample, in the order the engine delivers them.
		w.decl.sampleDoc(d.Signals, d.Fields)
	}
	p.append(d, code, reason)
	p.buffered += size
	w.buffered += size
	var shardBytes int64
	if p.shard != nil {
		shardBytes = p.shard.info.DataBytes
	}
	switch {
	case shardBytes+p.buffered >= w.opts.MaxShardBytes:
		if err := w.flush(p); err != nil {
			return err
		}
		if err := w.closeShard(p); err != nil {
			return err
		}
	case p.buffered >= w.opts.RowGroupBytes:
		if err := w.flush(p); err != nil {
			return err
		}
	}
	for w.buffered > w.opts.MaxBufferedBytes {
		var big *partition
		for _, q := range w.order {
			if big == nil || q.buffered > big.buffered {
				big = q
			}
		}
		if err := w.flush(big); err != nil {
			return err
		}
	}
	return nil
}

// flush writes p's buffered documents as one row group of its open shard.
func (w *Writer) flush(p *partition) error {
	if len(p.docs) == 0 {
		return nil
	}
	if w.sch == nil && w.opts.Format != JSONL {
		w.fixSchema()
	}
	if p.shard == nil {
		if err := w.openShard(p); err != nil {
			return err
		}
	}
	w.tick++
	p.used = w.tick
	s := p.shard
	if err := s.w.writeDocs(p); err != nil {
		return fmt.Errorf("output: %s: row %d: %w", s.tmp, s.info.Rows, err)
	}
	s.info.Rows += int64(len(p.docs))
	s.info.DataBytes += p.buffered
	w.buffered -= p.buffered
	p.reset()
	return nil
}

func (w *Writer) openShard(p *partition) error {
	if w.open >= w.opts.MaxOpenShards {
		// Close the least recently written shard; its partition goes on
		// in a new one. Which one depends only on the documents' order.
		var lru *partition
		for _, q := range w.order {
			if q.shard != nil && (lru == nil || q.used < lru.used) {
				lru = q
			}
		}
		if err := w.closeShard(lru); err != nil {
			return err
		}
	}
	final := shardName(p.key, w.opts.Task, p.seq, w.opts.Format)
	tmp := w.tempName(final)
	f, err := w.st.Create(tmp)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	w.open++
	w.temps = append(w.temps, tmp)
	s := &shard{info: FileInfo{Path: final, Partition: p.key}, tmp: tmp, file: f, out: &countWriter{w: f}}
	switch w.opts.Format {
	case Parquet:
		s.w, err = newParquetShard(s.out, w.sch, p.rejected, w.mem, w.opts.Compression, w.opts.ZstdLevel)
	case Arrow:
		s.w, err = newArrowShard(s.out, w.sch, p.rejected, w.mem, w.opts.Compression)
	case JSONL:
		s.w, err = newJSONLShard(s.out, w.opts.ZstdLevel)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("output: %s: %w", tmp, err)
	}
	p.shard = s
	return nil
}

// closeShard completes p's open shard; it is committed by Close.
func (w *Writer) closeShard(p *partition) error {
	s := p.shard
	if s == nil {
		return nil
	}
	p.shard = nil
	p.seq++
	w.open--
	err := s.w.finish()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("output: %s: %w", s.tmp, err)
	}
	s.info.Bytes = s.out.n
	w.files = append(w.files, s.info)
	w.pending = append(w.pending, s.info.Path)
	return nil
}

// shardName is the final name of a shard: seq has five digits up to
// 99,999 and more beyond (names then sort by length first, see the
// package documentation).
func shardName(key string, task, seq int, f Format) string {
	return fmt.Sprintf("%s/part-%05d-%05d%s", key, task, seq, f.ext())
}

// tempName is the hidden name a shard is written under: readers globbing
// "*.parquet" never see it, and with a run id two runs never share one.
func (w *Writer) tempName(final string) string {
	dir, file := path.Split(final)
	if w.opts.RunID != "" {
		file += "." + w.opts.RunID
	}
	return dir + "." + file + ".tmp"
}

// Close writes what is buffered, completes every shard and renames each
// from its temporary name to its final one. A reader listing the output
// sees no shard before Close, and every shard after it. When Close fails
// (a full disk while completing a shard or renaming one) it aborts: the
// files it made are removed, committed or not, and the error returned.
func (w *Writer) Close() error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.commit(); err != nil {
		w.fail(err)
		if aerr := w.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return err
	}
	w.closed = true
	return nil
}

func (w *Writer) commit() error {
	for _, p := range w.order {
		if err := w.flush(p); err != nil {
			return err
		}
		if err := w.closeShard(p); err != nil {
			return err
		}
	}
	for _, final := range w.pending {
		if err := w.st.Rename(w.tempName(final), final); err != nil {
			return fmt.Errorf("output: commit %s: %w", final, err)
		}
		w.done = append(w.done, final)
	}
	w.pending = nil
	return nil
}

// Abort removes every file the writer created, temporary or committed,
// and the partition directories it leaves empty, so nothing of the run
// stays visible. After a successful Close it takes the committed shards
// back: a run whose accounting (stats.json) cannot be written after its
// shards leaves neither.
func (w *Writer) Abort() error {
	w.closed = true
	w.err = errors.Join(w.err, errClosed)
	for _, p := range w.order {
		if p.shard != nil {
			// An upload to object storage is abandoned, not completed
			// only to be deleted.
			if a, ok := p.shard.file.(interface{ Abort() error }); ok {
				a.Abort()
			} else {
				p.shard.file.Close()
			}
			p.shard = nil
		}
		p.reset()
	}
	var errs []error
	for _, name := range append(w.temps, w.done...) {
		if err := w.st.Remove(name); err != nil {
			errs = append(errs, fmt.Errorf("output: abort: %w", err))
		}
	}
	w.temps, w.done, w.pending, w.files = nil, nil, nil, nil
	if d, ok := w.st.(interface{ RemoveDir(string) error }); ok {
		for _, p := range w.order {
			d.RemoveDir(p.key) // only when empty: another writer's shards stay
		}
	}
	return errors.Join(errs...)
}

// Files returns the shards completed so far, sorted by path; after Close
// they are all committed.
func (w *Writer) Files() []FileInfo {
	out := slices.Clone(w.files)
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// shard is one open output file.
type shard struct {
	info FileInfo
	tmp  string
	file io.WriteCloser
	out  *countWriter
	w    shardWriter
}

// shardWriter is a format's writer of one file.
type shardWriter interface {
	// writeDocs writes the partition's buffered documents.
	writeDocs(p *partition) error
	// finish completes the file (its footer); the caller closes it.
	finish() error
}

// partition buffers the documents of one output directory until they
// make a row group.
type partition struct {
	key      string // directory: "lang=<code>" or "rejected"
	lang     string
	rejected bool
	seq      int
	used     int64 // Writer.tick when last written

	docs     []bufDoc
	sigs     []pipeline.Signal
	flds     []bufField
	arena    []byte // field values
	scratch  []byte
	buffered int64
	sizes    struct{ id, text, url, lang, source, reason int }

	shard *shard
}

type bufDoc struct {
	id, text, url, lang, source, reason string
	langScore                           float64
	sigs, flds                          span
}

type span struct{ lo, hi int }

type bufField struct {
	name   string
	lo, hi int // the value in arena, without surrounding space
	valid  bool
}

func (p *partition) append(d *pipeline.Document, code, reason string) {
	bd := bufDoc{id: d.ID, text: d.Text, url: d.URL, lang: code, source: d.Source, reason: reason, langScore: d.LangScore}
	bd.sigs.lo = len(p.sigs)
	p.sigs = append(p.sigs, d.Signals...)
	bd.sigs.hi = len(p.sigs)
	bd.flds.lo = len(p.flds)
	p.scratch = eachField(d.Fields, p.scratch, func(name string, v []byte, valid bool) {
		lo := len(p.arena)
		p.arena = append(p.arena, v...)
		p.flds = append(p.flds, bufField{name: name, lo: lo, hi: len(p.arena), valid: valid})
	})
	bd.flds.hi = len(p.flds)
	p.docs = append(p.docs, bd)
	p.sizes.id += len(d.ID)
	p.sizes.text += len(d.Text)
	p.sizes.url += len(d.URL)
	p.sizes.lang += len(code)
	p.sizes.source += len(d.Source)
	p.sizes.reason += len(reason)
}

func (p *partition) reset() {
	clear(p.docs) // drop string references for the collector
	p.docs = p.docs[:0]
	clear(p.sigs)
	p.sigs = p.sigs[:0]
	clear(p.flds)
	p.flds = p.flds[:0]
	p.arena = p.arena[:0]
	p.buffered = 0
	p.sizes = struct{ id, text, url, lang, source, reason int }{}
}

// eachField calls fn with every field of a document, its value without
// surrounding space and whether it is valid JSON. A field named like the
// extra column holding a JSON object as text — a winnow shard read back —
// is unpacked into its members, so chained runs keep them as fields.
// scratch is reused for the unpacking and returned.
func eachField(fields []pipeline.Field, scratch []byte, fn func(name string, v []byte, valid bool)) []byte {
	for _, f := range fields {
		v := trimSpace(f.Value)
		if f.Name == ExtraColumn && len(v) > 2 && v[0] == '"' && v[1] == '{' {
			var err error
			scratch, _, err = decodeString(scratch[:0], v)
			if obj := trimSpace(scratch); err == nil && validValue(obj) && obj[0] == '{' {
				it := newObjectIter(obj, nil)
				for {
					k, e, keyOK, ok, err := it.next()
					if err != nil || !ok {
						break
					}
					if keyOK {
						fn(string(k), e, true)
					}
				}
				continue
			}
		}
		fn(f.Name, v, validValue(v))
	}
	return scratch
}

// sampleDoc widens the schema to admit one sample document.
func (s *schema) sampleDoc(sigs []pipeline.Signal, fields []pipeline.Field) {
	for _, sg := range sigs {
		if utf8.ValidString(sg.Name) {
			s.addSignal(sg.Name, false)
		}
	}
	eachField(fields, nil, func(name string, v []byte, valid bool) {
		s.sampleField(name, v, valid)
	})
}
