package output

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/internal/jsontext"
	"github.com/winnow-data/winnow/pipeline"
)

// parquetShard writes one record per row group through pqarrow.
type parquetShard struct {
	fw *pqarrow.FileWriter
	rb *recordBuilder
}

// parquetCodecs maps Options.Compression to Parquet codecs.
var parquetCodecs = map[string]compress.Compression{
	"zstd":   compress.Codecs.Zstd,
	"lz4":    compress.Codecs.Lz4Raw,
	"snappy": compress.Codecs.Snappy,
	"none":   compress.Codecs.Uncompressed,
}

func parquetProps(mem memory.Allocator, codec string, level int) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(parquetCodecs[codec]),
		parquet.WithCompressionLevel(level),
		// Row groups are cut by bytes, one record each.
		parquet.WithMaxRowGroupLength(math.MaxInt64),
		// Dictionaries only for the columns with few values: on text,
		// ids, urls and passthrough strings a dictionary is built only to
		// be abandoned at the page limit, and it dominated allocations.
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("lang", true),
		parquet.WithDictionaryFor(reasonColumn, true),
		// Min/max of documents is useless for pruning and costly.
		parquet.WithStatsFor("text", false),
		parquet.WithCreatedBy("winnow"),
	)
}

func newParquetShard(w io.Writer, sch *schema, rejected bool, mem memory.Allocator, codec string, level int) (*parquetShard, error) {
	rb := newRecordBuilder(mem, sch, rejected)
	fw, err := pqarrow.NewFileWriter(rb.rb.Schema(), w, parquetProps(mem, codec, level),
		pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		rb.release()
		return nil, err
	}
	return &parquetShard{fw: fw, rb: rb}, nil
}

func (s *parquetShard) writeDocs(p *partition) error {
	rec := s.rb.build(p)
	defer rec.Release()
	return s.fw.Write(rec)
}

func (s *parquetShard) finish() error {
	defer s.rb.release()
	return s.fw.Close()
}

// arrowShard writes one record batch per row group to an Arrow IPC file.
type arrowShard struct {
	fw *ipc.FileWriter
	rb *recordBuilder
}

func newArrowShard(w io.Writer, sch *schema, rejected bool, mem memory.Allocator, codec string) (*arrowShard, error) {
	rb := newRecordBuilder(mem, sch, rejected)
	opts := []ipc.Option{ipc.WithSchema(rb.rb.Schema()), ipc.WithAllocator(mem)}
	switch codec {
	case "zstd":
		opts = append(opts, ipc.WithZstd())
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	}
	fw, err := ipc.NewFileWriter(w, opts...)
	if err != nil {
		rb.release()
		return nil, err
	}
	return &arrowShard{fw: fw, rb: rb}, nil
}

func (s *arrowShard) writeDocs(p *partition) error {
	rec := s.rb.build(p)
	defer rec.Release()
	return s.fw.Write(rec)
}

func (s *arrowShard) finish() error {
	defer s.rb.release()
	return s.fw.Close()
}

// jsonlShard writes one JSON object per line into a zstd stream.
type jsonlShard struct {
	zw    *zstd.Encoder
	buf   []byte
	seen  []string   // names written in the current line
	extra []bufField // fields of the current line written under extra
}

func newJSONLShard(w io.Writer, level int) (*jsonlShard, error) {
	// One encoder goroutine: the stream is then a function of the input
	// alone, and the sink already runs beside the engine's workers.
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return &jsonlShard{zw: zw}, nil
}

func (s *jsonlShard) writeDocs(p *partition) error {
	for i := range p.docs {
		s.buf = s.appendDoc(s.buf, p, &p.docs[i])
		if len(s.buf) >= 1<<20 || i == len(p.docs)-1 {
			if _, err := s.zw.Write(s.buf); err != nil {
				return err
			}
			s.buf = s.buf[:0]
		}
	}
	return nil
}

func (s *jsonlShard) finish() error { return s.zw.Close() }

// appendDoc appends d as one line: the canonical keys, the document's own
// signals, then its fields (raw JSON on one line), each name once.
func (s *jsonlShard) appendDoc(b []byte, p *partition, d *bufDoc) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, d.id)
	b = append(b, `,"text":`...)
	b = jsontext.AppendString(b, d.text)
	b = append(b, `,"url":`...)
	if d.url == "" {
		b = append(b, "null"...)
	} else {
		b = jsontext.AppendString(b, d.url)
	}
	b = append(b, `,"lang":`...)
	b = jsontext.AppendString(b, d.lang)
	b = append(b, `,"lang_score":`...)
	b = appendJSONFloat(b, d.langScore)
	b = append(b, `,"source":`...)
	b = jsontext.AppendString(b, d.source)
	if p.rejected {
		b = append(b, `,"reason":`...)
		b = jsontext.AppendString(b, d.reason)
	}
	s.seen = s.seen[:0]
	// Signals "group.member" nest in one object per group, as in the
	// Parquet shards' struct columns.
	sigs := p.sigs[d.sigs.lo:d.sigs.hi]
	for i, sg := range sigs {
		group, member := pipeline.SplitSignal(sg.Name)
		if group == "" {
			if s.claim(sg.Name, p.rejected) {
				b = append(b, ',')
				b = jsontext.AppendString(b, sg.Name)
				b = append(b, ':')
				b = appendJSONFloat(b, sg.Value)
			}
			continue
		}
		if !s.claim(group, p.rejected) {
			continue // written with an earlier member, or a canonical key
		}
		b = append(b, ',')
		b = jsontext.AppendString(b, group)
		b = append(b, ":{"...)
		b = jsontext.AppendString(b, member)
		b = append(b, ':')
		b = appendJSONFloat(b, sg.Value)
		for _, o := range sigs[i+1:] {
			if g, m := pipeline.SplitSignal(o.Name); g == group {
				b = append(b, ',')
				b = jsontext.AppendString(b, m)
				b = append(b, ':')
				b = appendJSONFloat(b, o.Value)
			}
		}
		b = append(b, '}')
	}
	s.extra = s.extra[:0]
	for _, f := range p.flds[d.flds.lo:d.flds.hi] {
		if !s.claim(f.name, p.rejected) {
			if p.rejected && f.name == reasonColumn {
				// The record's own reason, beside winnow's: kept in
				// extra, as in Parquet shards.
				s.extra = append(s.extra, f)
			}
			continue
		}
		b = append(b, ',')
		b = jsontext.AppendString(b, f.name)
		b = append(b, ':')
		b = appendRawJSON(b, p.arena[f.lo:f.hi], f.valid)
	}
	if len(s.extra) > 0 && s.claim(ExtraColumn, p.rejected) {
		b = append(b, `,"extra":{`...)
		for i, f := range s.extra {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, f.name)
			b = append(b, ':')
			b = appendRawJSON(b, p.arena[f.lo:f.hi], f.valid)
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// claim reports whether name may be written in the current line: not a
// canonical key and not written before. A record's own reason passes
// through in kept shards (JSON lines have no schema to share).
func (s *jsonlShard) claim(name string, rejected bool) bool {
	switch name {
	case "id", "text", "url", "lang", "lang_score", "source":
		return false
	case reasonColumn:
		if rejected {
			return false
		}
	}
	for _, n := range s.seen {
		if n == name {
			return false
		}
	}
	s.seen = append(s.seen, name)
	return true
}

// appendRawJSON appends a field's raw value on one line. Invalid JSON is
// written as a JSON string of its text, so the line stays valid and
// nothing is lost.
func appendRawJSON(b, v []byte, valid bool) []byte {
	if !valid {
		return jsontext.AppendString(b, string(v))
	}
	if !utf8.Valid(v) {
		// Bytes ≥ 0x80 occur only inside strings; repairing them keeps
		// the value valid JSON.
		v = appendValidUTF8(nil, v)
	}
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return append(b, v...)
	}
	// Line breaks in valid JSON are whitespace between tokens.
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return jsontext.AppendString(b, string(v))
	}
	return append(b, buf.Bytes()...)
}

func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
