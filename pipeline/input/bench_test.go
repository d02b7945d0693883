package input

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/winnow-data/winnow/pipeline"
)

// webRecord is a web-like record as crawl-derived datasets hold them.
type webRecord struct {
	ID   string    `json:"id"`
	Text string    `json:"text"`
	URL  string    `json:"url"`
	Date time.Time `json:"date"`
	Dump string    `json:"dump"`
	Meta struct {
		LanguageScore float64 `json:"language_score"`
		TokenCount    int     `json:"token_count"`
	} `json:"meta"`
}

var benchWords = strings.Fields(`the of and to in a is that for it as was with be by on not he this
are or his from at which but have an they you were her she there been one all we their has would
when who will more no if out so said what up its about into than them can only other new some
could time these two may then do first any my now such like our over man me even most made after
also did many before must through back years where much your way well down should because each
just those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year off
come since against go came right used take three Zürich naïve café résumé`)

// webRecords makes n records of 2–5 KB text in paragraphs, so the JSON
// holds a "\n" escape every few hundred bytes, plus the odd quote.
func webRecords(n int) []webRecord {
	rng := rand.New(rand.NewPCG(7, 11))
	recs := make([]webRecord, n)
	day := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		var b strings.Builder
		size := 2000 + rng.IntN(3000)
		for b.Len() < size {
			for range 40 + rng.IntN(60) {
				b.WriteString(benchWords[rng.IntN(len(benchWords))])
				if rng.IntN(200) == 0 {
					b.WriteString(` "quoted"`)
				}
				b.WriteByte(' ')
			}
			b.WriteString(".\n")
		}
		r := &recs[i]
		r.ID = fmt.Sprintf("<urn:uuid:%08x-%04x-%04x>", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16))
		r.Text = b.String()
		r.URL = fmt.Sprintf("https://www.example-%d.com/articles/%d/some-slug-here", rng.IntN(1000), i)
		r.Date = day.Add(time.Duration(rng.IntN(1e6)) * time.Second)
		r.Dump = "CC-MAIN-2024-10"
		r.Meta.LanguageScore = rng.Float64()
		r.Meta.TokenCount = len(r.Text) / 4
	}
	return recs
}

func webJSONL(b testing.TB, n int) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range webRecords(n) {
		if err := enc.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()
}

// cpuTimer reports, besides Go's wall-clock MB/s, the bytes per second of
// CPU time the process used (GC included): the per-core figure, which
// holds on a machine shared with other work.
type cpuTimer struct {
	b     *testing.B
	bytes int64
	start time.Duration
}

func startCPU(b *testing.B, bytes int64) *cpuTimer {
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	return &cpuTimer{b: b, bytes: bytes, start: processCPU()}
}

func (c *cpuTimer) stop() {
	c.b.StopTimer()
	if used := processCPU() - c.start; used > 0 {
		c.b.ReportMetric(float64(c.bytes)*float64(c.b.N)/used.Seconds()/1e6, "MB/cpu-s")
	}
}

// BenchmarkDecode is the workers' side: one record decoded into a
// document.
func BenchmarkDecode(b *testing.B) {
	data := webJSONL(b, 1000)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	m, _ := compile(Options{})
	doc := &pipeline.Document{}
	c := startCPU(b, int64(len(data))/int64(len(lines)))
	for i := 0; i < b.N; i++ {
		doc.Reset()
		if err := m.decodeJSON("f", lines[i%len(lines)], doc); err != nil {
			b.Fatal(err)
		}
	}
	c.stop()
}

// BenchmarkDecodeStdlib is the same work with encoding/json, for
// comparison: why decodeJSON is hand-written.
func BenchmarkDecodeStdlib(b *testing.B) {
	data := webJSONL(b, 1000)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	c := startCPU(b, int64(len(data))/int64(len(lines)))
	defer c.stop()
	for i := 0; i < b.N; i++ {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(lines[i%len(lines)], &m); err != nil {
			b.Fatal(err)
		}
		var text string
		if err := json.Unmarshal(m["text"], &text); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSource reads and decodes the whole file on one goroutine: the
// per-core cost of a JSONL input. Bytes are decompressed bytes.
func benchSource(b *testing.B, name string, stored []byte, decoded int) {
	src := mustOpenBytes(b, name, stored, Options{})
	dec, _ := src.(pipeline.Decoder)
	doc := &pipeline.Document{}
	c := startCPU(b, int64(decoded))
	defer c.stop()
	for i := 0; i < b.N; i++ {
		n := 0
		for rec, err := range src.Records(context.Background()) {
			if err != nil {
				b.Fatal(err)
			}
			if rec.Doc == nil {
				doc.Reset()
				if err := dec.Decode(rec.Raw, doc); err != nil {
					b.Fatal(err)
				}
			}
			n++
		}
		if n == 0 {
			b.Fatal("no records")
		}
	}
}

const benchRecords = 8000 // about 30 MB of JSONL

func BenchmarkJSONLZstd(b *testing.B) {
	data := webJSONL(b, benchRecords)
	benchSource(b, "web.jsonl.zst", zstdBytes(b, data), len(data))
}

func BenchmarkJSONLGzip(b *testing.B) {
	data := webJSONL(b, benchRecords)
	benchSource(b, "web.jsonl.gz", gzipBytes(b, data), len(data))
}

func BenchmarkJSONLPlain(b *testing.B) {
	data := webJSONL(b, benchRecords)
	benchSource(b, "web.jsonl", data, len(data))
}

// BenchmarkLineSplit is the reader goroutine's share of a JSONL input
// (decompression and line splitting, no decoding).
func BenchmarkLineSplit(b *testing.B) {
	data := webJSONL(b, benchRecords)
	for _, c := range []struct {
		name   string
		stored []byte
	}{{"web.jsonl", data}, {"web.jsonl.zst", zstdBytes(b, data)}, {"web.jsonl.gz", gzipBytes(b, data)}} {
		b.Run(c.name, func(b *testing.B) {
			src := mustOpenBytes(b, c.name, c.stored, Options{})
			t := startCPU(b, int64(len(data)))
			defer t.stop()
			for i := 0; i < b.N; i++ {
				for _, err := range src.Records(context.Background()) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkParquet reads the same records from a zstd-compressed Parquet
// file; bytes are those of the equivalent JSONL, for comparison.
func BenchmarkParquet(b *testing.B) {
	recs := webRecords(benchRecords)
	data := webJSONL(b, benchRecords)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "url", Type: arrow.BinaryTypes.String},
		{Name: "date", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "dump", Type: arrow.BinaryTypes.String},
		{Name: "language_score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "token_count", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for _, r := range recs {
		rb.Field(0).(*array.StringBuilder).Append(r.ID)
		rb.Field(1).(*array.StringBuilder).Append(r.Text)
		rb.Field(2).(*array.StringBuilder).Append(r.URL)
		rb.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Date.UnixMicro()))
		rb.Field(4).(*array.StringBuilder).Append(r.Dump)
		rb.Field(5).(*array.Float64Builder).Append(r.Meta.LanguageScore)
		rb.Field(6).(*array.Int64Builder).Append(int64(r.Meta.TokenCount))
	}
	rec := rb.NewRecordBatch()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithMaxRowGroupLength(2000))
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	benchSource(b, "web.parquet", buf.Bytes(), len(data))
}
