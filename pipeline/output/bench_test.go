package output

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/winnow-data/winnow/pipeline"
)

// discard is a Storage that keeps nothing but counts bytes, so benchmarks
// measure the writer rather than the disk.
type discard struct {
	mu sync.Mutex
	n  int64
}

func (d *discard) Create(string) (io.WriteCloser, error) { return discardFile{d}, nil }
func (d *discard) Rename(string, string) error           { return nil }
func (d *discard) Remove(string) error                   { return nil }

type discardFile struct{ d *discard }

func (f discardFile) Write(p []byte) (int, error) {
	f.d.mu.Lock()
	f.d.n += int64(len(p))
	f.d.mu.Unlock()
	return len(p), nil
}
func (f discardFile) Close() error { return nil }

// benchText returns n documents of about size bytes of English-like text
// drawn from a Zipf-distributed vocabulary: compressible like web text,
// unlike a repeated sentence.
func benchDocs(n, size int, withFields bool) ([]*pipeline.Document, int64) {
	r := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 5000)
	for i := range vocab {
		l := 2 + r.IntN(9)
		var sb strings.Builder
		for j := 0; j < l; j++ {
			sb.WriteByte(byte('a' + r.IntN(26)))
		}
		vocab[i] = sb.String()
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	docs := make([]*pipeline.Document, n)
	var total int64
	for i := range docs {
		var sb strings.Builder
		for sb.Len() < size {
			sb.WriteString(vocab[zipf.Uint64()])
			if r.IntN(12) == 0 {
				sb.WriteString(".\n")
			} else {
				sb.WriteByte(' ')
			}
		}
		d := &pipeline.Document{
			ID:        fmt.Sprintf("<urn:uuid:%08x-%04x>", r.Uint32(), i),
			Text:      sb.String(),
			URL:       fmt.Sprintf("https://example%d.com/page/%d", r.IntN(1000), i),
			Lang:      "en",
			LangScore: r.Float64(),
			Source:    fmt.Sprintf("crawl/part-%03d.warc.gz#%d", i/1000, i%1000),
		}
		for _, s := range []string{"gopher.word_count", "gopher.mean_word_length", "gopher.symbol_ratio", "c4.lines"} {
			d.Signals = append(d.Signals, pipeline.Signal{Name: s, Value: r.Float64() * 100})
		}
		if withFields {
			d.Fields = append(d.Fields,
				pipeline.Field{Name: "date", Value: []byte(`"2024-01-15T10:00:00Z"`)},
				pipeline.Field{Name: "meta", Value: []byte(fmt.Sprintf(`{"status": 200, "length": %d, "tags": ["a", "b"]}`, len(d.Text)))},
				pipeline.Field{Name: "messages", Value: []byte(fmt.Sprintf(`[{"role": "user", "content": %q}, {"role": "assistant", "content": "ok"}]`, d.Text[:min(len(d.Text), 200)]))},
			)
		}
		docs[i] = d
		total += int64(len(d.Text))
	}
	return docs, total
}

func benchWrite(b *testing.B, opts Options, withFields bool) {
	docs, textBytes := benchDocs(4000, 3000, withFields)
	b.SetBytes(textBytes)
	b.ReportAllocs()
	var st discard
	for b.Loop() {
		w, err := NewStorage(&st, opts)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(docs); i += 256 {
			if err := w.Write(docs[i:min(i+256, len(docs))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// Output bytes per input text byte: the compression ratio.
	b.ReportMetric(float64(st.n)/float64(textBytes)/float64(b.N), "out/text")
}

// BenchmarkWrite measures writing ~3 KB documents; MB/s counts text bytes.
func BenchmarkWrite(b *testing.B) {
	const rg = 4 << 20
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"parquet/zstd1", Options{ZstdLevel: 1, RowGroupBytes: rg}},
		{"parquet/zstd3", Options{ZstdLevel: 3, RowGroupBytes: rg}},
		{"parquet/zstd7", Options{ZstdLevel: 7, RowGroupBytes: rg}},
		{"jsonl/zstd3", Options{Format: JSONL, ZstdLevel: 3, RowGroupBytes: rg}},
		{"arrow", Options{Format: Arrow, RowGroupBytes: rg}},
	} {
		b.Run(tc.name, func(b *testing.B) { benchWrite(b, tc.opts, false) })
	}
	b.Run("parquet/zstd3/fields", func(b *testing.B) {
		benchWrite(b, Options{ZstdLevel: 3, RowGroupBytes: rg}, true)
	})
}

// BenchmarkZstdOnly compresses the same text with bare zstd in 1 MiB
// pages, as the Parquet writer does: the ceiling the writer works under.
func BenchmarkZstdOnly(b *testing.B) {
	docs, textBytes := benchDocs(4000, 3000, false)
	var all []byte
	for _, d := range docs {
		all = append(all, d.Text...)
	}
	for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		b.Run(level.String(), func(b *testing.B) {
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(textBytes)
			var dst []byte
			var out int
			for b.Loop() {
				out = 0
				for i := 0; i < len(all); i += 1 << 20 {
					dst = enc.EncodeAll(all[i:min(i+1<<20, len(all))], dst[:0])
					out += len(dst)
				}
			}
			b.ReportMetric(float64(out)/float64(textBytes), "out/text")
		})
	}
}
