// Package sampledata generates winnow's sample inputs under testdata/:
// a few hundred documents in twelve languages, with web-like junk, exact
// and near duplicates, fine-tuning records and damaged files, in every
// input format. Generation is seeded, so the files are reproducible.
package sampledata

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/klauspost/compress/zstd"
)

// Record is one generated web-like document.
type Record struct {
	ID   string         `json:"id"`
	Text string         `json:"text"`
	URL  string         `json:"url"`
	Date string         `json:"date"`
	Meta map[string]any `json:"meta"`
	// Lang is the language the text was drawn from ("mixed", "junk").
	Lang string `json:"-"`
}

// junk documents: what a crawl brings besides articles.
var junk = []string{
	"Home\nAbout us\nProducts\nContact\nLogin\nRegister\nCart (0)",
	"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
	"BUY NOW!!! BEST PRICE!!! BUY NOW!!! BEST PRICE!!! BUY NOW!!! BEST PRICE!!! BUY NOW!!! BEST PRICE!!!",
	"404 Not Found\nThe requested URL was not found on this server.",
	"ERROR 2024-01-01 12:00:00 connection refused\nERROR 2024-01-01 12:00:01 connection refused\nERROR 2024-01-01 12:00:02 connection refused\nERROR 2024-01-01 12:00:03 connection refused",
	"function init() { var x = document.getElementById('main'); if (x) { x.style.display = 'none'; } }",
	"We use cookies to improve your experience. By continuing to browse you accept our cookie policy. Accept all | Manage settings",
	"click here click here click here click here click here click here click here click here",
	"#####\n#####\n#####\n.....\n.....",
	"ok",
}

var hosts = map[string]string{
	"en": "example.com", "de": "beispiel.de", "fr": "exemple.fr", "es": "ejemplo.es", "it": "esempio.it", "pt": "exemplo.pt",
	"nl": "voorbeeld.nl", "pl": "przyklad.pl", "ru": "primer.ru", "sv": "exempel.se", "ja": "rei.jp", "zh": "shili.cn",
}

// langs lists the languages in a fixed order (map order is random).
func langs() []string {
	ls := make([]string, 0, len(sentences))
	for l := range sentences {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	return ls
}

func joinSentences(lang string, ss []string) string {
	if lang == "ja" || lang == "zh" {
		return strings.Join(ss, "")
	}
	return strings.Join(ss, " ")
}

// document draws 6–10 distinct sentences of one language, in 2–4
// paragraphs: an article does not repeat itself (near duplicates and
// repetition are added on purpose elsewhere).
func document(rng *rand.Rand, lang string) string {
	pool := sentences[lang]
	n := min(len(pool), 6+rng.IntN(5))
	order := rng.Perm(len(pool))[:n]
	paras := make([]string, 0, 4)
	for start := 0; start < n; {
		k := min(n-start, 2+rng.IntN(3))
		ss := make([]string, k)
		for j := range ss {
			ss[j] = pool[order[start+j]]
		}
		paras = append(paras, joinSentences(lang, ss))
		start += k
	}
	return strings.Join(paras, "\n\n")
}

// Web returns n web-like records: articles in twelve languages, about one
// in ten junk, one in fifteen an exact copy of an earlier document, one in
// fifteen a near copy, one in thirty mixing two languages.
func Web(seed uint64, n int, idPrefix string) []Record {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ls := langs()
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	out := make([]Record, 0, n)
	for i := range n {
		r := Record{ID: fmt.Sprintf("%s-%04d", idPrefix, i)}
		lang := ls[rng.IntN(len(ls))]
		switch k := rng.IntN(30); {
		case k < 3:
			r.Text, r.Lang = junk[rng.IntN(len(junk))], "junk"
		case k < 5 && len(out) > 0:
			src := out[rng.IntN(len(out))]
			r.Text, r.Lang = src.Text, src.Lang
		case k < 7 && len(out) > 0:
			src := out[rng.IntN(len(out))]
			r.Lang = src.Lang
			r.Text = src.Text
			if pool, ok := sentences[src.Lang]; ok {
				r.Text += "\n\n" + pool[rng.IntN(len(pool))]
			}
		case k < 8:
			other := ls[rng.IntN(len(ls))]
			r.Text, r.Lang = document(rng, lang)+"\n\n"+sentences[other][rng.IntN(len(sentences[other]))], "mixed"
		default:
			r.Text, r.Lang = document(rng, lang), lang
		}
		host := hosts[lang]
		r.URL = fmt.Sprintf("https://www.%s/%s/%d.html", host, []string{"news", "blog", "forum", "wiki"}[rng.IntN(4)], rng.IntN(100000))
		r.Date = base.Add(time.Duration(rng.IntN(365*24)) * time.Hour).Format(time.RFC3339)
		r.Meta = map[string]any{"crawl": "CC-SAMPLE-2024", "fetch_status": 200, "tags": []string{"sample", lang}}
		out = append(out, r)
	}
	return out
}

// SFT returns fine-tuning records: instruction/response pairs and chat
// transcripts, in the shapes training sets use.
func SFT(seed uint64, n int) []map[string]any {
	rng := rand.New(rand.NewPCG(seed, 0x5f7))
	out := make([]map[string]any, n)
	for i := range out {
		lang := langs()[rng.IntN(len(sentences))]
		pool := sentences[lang]
		q, a := pool[rng.IntN(len(pool))], joinSentences(lang, []string{pool[rng.IntN(len(pool))], pool[rng.IntN(len(pool))]})
		if i%2 == 0 {
			out[i] = map[string]any{"instruction": "Rewrite in your own words: " + q, "response": a, "source": "sample-sft", "turns": 1}
		} else {
			out[i] = map[string]any{"messages": []map[string]string{
				{"role": "system", "content": "You are a helpful assistant."},
				{"role": "user", "content": q},
				{"role": "assistant", "content": a},
			}, "conversation_id": fmt.Sprintf("chat-%03d", i)}
		}
	}
	return out
}

func jsonl[T any](recs []T) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			panic(err) // generated values always encode
		}
	}
	return b.Bytes()
}

func gz(p []byte) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func zst(p []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return enc.EncodeAll(p, nil)
}

// parquetFile writes records as a Parquet file with a nested column.
func parquetFile(recs []Record) ([]byte, error) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "date", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "meta", Type: arrow.StructOf(arrow.Field{Name: "crawl", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "words", Type: arrow.PrimitiveTypes.Int64})},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, r := range recs {
		b.Field(0).(*array.StringBuilder).Append(r.ID)
		b.Field(1).(*array.StringBuilder).Append(r.Text)
		b.Field(2).(*array.StringBuilder).Append(r.URL)
		b.Field(3).(*array.StringBuilder).Append(r.Date)
		sb := b.Field(4).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.StringBuilder).Append("CC-SAMPLE-2024")
		sb.FieldBuilder(1).(*array.Int64Builder).Append(int64(len(strings.Fields(r.Text))))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Generate writes the sample inputs under dir:
//
//	sample/web-0.jsonl.zst   160 web records
//	sample/web-1.jsonl.gz    120 web records
//	sample/forum.ndjson       60 web records, plain
//	sample/books.parquet      40 records with a nested column
//	sample/pages/*.txt        12 text documents, one per file
//	sft/sft.jsonl             24 fine-tuning records (instruction/response, messages)
//	damaged/truncated.jsonl.gz  a gzip file cut mid-stream
//	damaged/garbage.jsonl.zst   a zstd file with garbage after the data
//	damaged/malformed.jsonl     good lines around malformed ones
func Generate(dir string) error {
	files := map[string][]byte{}
	files["sample/web-0.jsonl.zst"] = zst(jsonl(Web(1, 160, "web0")))
	files["sample/web-1.jsonl.gz"] = gz(jsonl(Web(2, 120, "web1")))
	files["sample/forum.ndjson"] = jsonl(Web(3, 60, "forum"))
	pq, err := parquetFile(Web(4, 40, "book"))
	if err != nil {
		return fmt.Errorf("sample parquet: %w", err)
	}
	files["sample/books.parquet"] = pq
	for i, r := range Web(5, 12, "page") {
		files[fmt.Sprintf("sample/pages/page-%02d.txt", i)] = []byte(r.Text + "\n")
	}
	files["sft/sft.jsonl"] = jsonl(SFT(6, 24))
	damaged := jsonl(Web(7, 40, "dmg"))
	whole := gz(damaged)
	files["damaged/truncated.jsonl.gz"] = whole[:len(whole)*2/3]
	files["damaged/garbage.jsonl.zst"] = append(zst(damaged), []byte("\x00garbage that is not a zstd frame\xff\xfe")...)
	lines := strings.SplitAfter(string(jsonl(Web(8, 10, "mal"))), "\n")
	lines = slices.Insert(lines, 3, "{\"id\": \"broken\", \"text\": \"no closing brace\"\n")
	lines = slices.Insert(lines, 6, "this line is not JSON at all\n")
	files["damaged/malformed.jsonl"] = []byte(strings.Join(lines, ""))

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteLarge writes web records as zstd-compressed JSONL to w until about
// size bytes of JSON have been written, for benchmarks and memory checks
// at scale. Documents are longer than the sample's (5–12 paragraphs, about
// 2–6 KB, as web pages are).
func WriteLarge(w io.Writer, seed uint64, size int64) (docs int64, err error) {
	enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(enc, 1<<20)
	var written int64
	for chunk := uint64(0); written < size; chunk++ {
		recs := Web(seed+chunk, 1000, fmt.Sprintf("big%d", chunk))
		rng := rand.New(rand.NewPCG(seed, chunk))
		for i := range recs {
			if recs[i].Lang == "junk" {
				continue
			}
			// Web-page size, and text that compresses like real text
			// (about 3:1) rather than like a small sentence pool.
			var b strings.Builder
			for p := range 5 + i%8 {
				if p > 0 {
					b.WriteString("\n\n")
				}
				lang := recs[i].Lang
				if _, ok := sentences[lang]; !ok {
					lang = "en"
				}
				b.WriteString(vary(rng, document(rng, lang)))
			}
			recs[i].Text = b.String()
		}
		p := jsonl(recs)
		if _, err := bw.Write(p); err != nil {
			return docs, err
		}
		written += int64(len(p))
		docs += int64(len(recs))
	}
	if err := bw.Flush(); err != nil {
		return docs, err
	}
	return docs, enc.Close()
}

// syllables build pseudo-words for vary.
var syllables = []string{"ka", "ro", "min", "tel", "sa", "vo", "den", "lu", "pra", "ist", "or", "ne", "bel", "chi", "ta", "gru", "es", "mo", "lin", "ur"}

// vary replaces about a third of the words of text with pseudo-words and
// numbers, so generated text has the entropy of real text.
func vary(rng *rand.Rand, text string) string {
	words := strings.Split(text, " ")
	for i := range words {
		switch rng.IntN(9) {
		case 0, 1:
			var b strings.Builder
			for range 1 + rng.IntN(3) {
				b.WriteString(syllables[rng.IntN(len(syllables))])
			}
			words[i] = b.String()
		case 2:
			words[i] = fmt.Sprint(rng.IntN(100000))
		}
	}
	return strings.Join(words, " ")
}
