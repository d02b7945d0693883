package minhash

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

var benchTexts = map[string]string{
	"latin": strings.Repeat("The committee's report, published on 12 March 2024, found that 3.5% of the café owners in São Paulo didn't renew their licences; \"it's the rent,\" one said. Prices rose—again—by 1,250 reais a month.\n", 20),
	"mixed": strings.Repeat("Привет, мир! Как дела у вас сегодня? 東京タワーへ行く。 ภาษาไทย สวัสดี. مرحبا بالعالم. नमस्ते दुनिया। Ελληνικά κείμενα 2024.\n", 20),
}

// BenchmarkSignature measures normalise + segment + 112-entry signature
// per core, on 4 KB documents.
func BenchmarkSignature(b *testing.B) {
	for _, name := range []string{"latin", "mixed"} {
		s := benchTexts[name]
		b.Run(name, func(b *testing.B) {
			h := NewHasher(112, 5)
			sig := make([]uint32, 112)
			buf := make([]byte, 0, len(s))
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			defer cpuRate(b, int64(len(s)))()
			for b.Loop() {
				buf = text.AppendNormalized(buf[:0], s)
				h.Signature(sig, string(buf))
			}
		})
	}
}

// BenchmarkSignatureOnly isolates the hashing kernel on normalised text.
func BenchmarkSignatureOnly(b *testing.B) {
	for _, name := range []string{"latin", "mixed"} {
		s := text.Normalize(benchTexts[name])
		b.Run(name, func(b *testing.B) {
			h := NewHasher(112, 5)
			sig := make([]uint32, 112)
			b.SetBytes(int64(len(s)))
			defer cpuRate(b, int64(len(s)))()
			for b.Loop() {
				h.Signature(sig, s)
			}
		})
	}
}

// benchCorpus generates about size bytes of documents, a fifth of them
// edited copies of earlier ones.
func benchCorpus(size int) (*memio.Source, int64) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := &memio.Source{Path: "bench"}
	var total int64
	var texts []string
	for total < int64(size) {
		var t string
		if len(texts) > 0 && rng.IntN(5) == 0 {
			t = editWords(rng, texts[rng.IntN(len(texts))], 0.02*rng.Float64())
		} else {
			t = punctuate(rng, strings.Fields(randomWords(rng, 100+rng.IntN(900))))
		}
		texts = append(texts, t)
		src.Docs = append(src.Docs, pipeline.Document{ID: "x", Text: t})
		total += int64(len(t))
	}
	return src, total
}

// BenchmarkStage runs the whole single-machine minhash stage (both passes:
// reading, signatures, index, clustering, lookup) on one worker, from an
// in-memory source to a discarding sink.
func BenchmarkStage(b *testing.B) {
	src, total := benchCorpus(32 << 20)
	b.SetBytes(total)
	defer cpuRate(b, total)()
	for b.Loop() {
		c := DefaultConfig()
		c.WorkDir = b.TempDir()
		st, err := New(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pipeline.Run(context.Background(), []pipeline.Source{src}, &memio.Sink{Discard: true},
			pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexMemory adds 1,000,000 random signatures, builds the
// clusters and reports the heap held per document after adding, at the
// peak of Build (sampled) and after Build.
func BenchmarkIndexMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		ix, err := NewIndex(IndexOptions{K: 112, Bands: 14, Rows: 8, Threshold: 0.8, Verify: true, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapAlloc)
		}
		before := heap()
		rng := rand.New(rand.NewPCG(1, 1))
		sig := make([]uint32, 112)
		for i := range n {
			for j := range sig {
				sig[j] = rng.Uint32()
			}
			if i%10 == 1 { // some duplicates, so clusters form
				sig[0] = 0
			}
			if err := ix.Add(uint64(i), 0, sig, 0); err != nil {
				b.Fatal(err)
			}
		}
		added := heap() - before
		// The peak: live heap objects sampled every millisecond during
		// Build (allocated minus freed; garbage not yet swept counts too,
		// so this bounds the live peak from above).
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
		stop := make(chan struct{})
		peak := make(chan float64)
		go func() {
			var most float64
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					peak <- most
					return
				case <-tick.C:
					metrics.Read(sample)
					most = max(most, float64(sample[1].Value.Uint64()))
				}
			}
		}()
		err = ix.Build()
		close(stop)
		peakHeap := <-peak - before
		if err != nil {
			b.Fatal(err)
		}
		built := heap() - before
		b.ReportMetric(added/n, "B/doc_added")
		b.ReportMetric(peakHeap/n, "B/doc_peak")
		b.ReportMetric(built/n, "B/doc_built")
		ix.Close()
	}
}

// cpuRate reports, besides Go's wall-clock MB/s, bytes per second of
// process CPU time: the per-core figure when neighbours load the machine.
func cpuRate(b *testing.B, bytes int64) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; used > 0 {
			b.ReportMetric(float64(bytes)*float64(b.N)/used.Seconds()/1e6, "MB/cpu-s")
		}
	}
}

// BenchmarkStageJSONL is BenchmarkStage reading a JSONL file through
// pipeline/input: the I/O and decoding of both passes included.
func BenchmarkStageJSONL(b *testing.B) {
	src, total := benchCorpus(32 << 20)
	name := filepath.Join(b.TempDir(), "corpus.jsonl")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i, d := range src.Docs {
		enc.Encode(map[string]any{"id": strconv.Itoa(i), "text": d.Text})
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		b.Fatal(err)
	}
	files, err := input.Expand([]string{name})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	defer cpuRate(b, total)()
	for b.Loop() {
		s, err := input.Open(files[0], input.Options{})
		if err != nil {
			b.Fatal(err)
		}
		c := DefaultConfig()
		c.WorkDir = b.TempDir()
		st, err := New(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pipeline.Run(context.Background(), []pipeline.Source{s}, &memio.Sink{Discard: true},
			pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchange measures the observe task's SaveObserved to a file
// and the prepare task's LoadObserved of it (which adds every document to
// the index, band keys recomputed and spilled), per byte of the file, for
// 20,000 documents' signatures.
func BenchmarkExchange(b *testing.B) {
	const n = 20_000
	c := DefaultConfig()
	c.WorkDir = b.TempDir()
	st, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 3))
	sig := make([]uint32, c.NumPerm)
	ix, err := st.index()
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		for j := range sig {
			sig[j] = rng.Uint32()
		}
		if err := ix.Add(uint64(i), 0, sig, 0); err != nil {
			b.Fatal(err)
		}
	}
	name := filepath.Join(b.TempDir(), "observed.bin")
	save := func(b *testing.B) int64 {
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := errors.Join(st.SaveObserved(f), f.Close()); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(name)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	size := save(b)
	b.Run("save", func(b *testing.B) {
		b.SetBytes(size)
		defer cpuRate(b, size)()
		for b.Loop() {
			save(b)
		}
		b.ReportMetric(float64(size)/n, "B/doc")
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(size)
		defer cpuRate(b, size)()
		for b.Loop() {
			c.WorkDir = b.TempDir()
			p, err := New(c)
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			if err := errors.Join(p.LoadObserved(f), f.Close(), p.Close()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIndexAdd measures adding one document's signature to the
// index (band keys, spilling, bookkeeping), the part of Observe after the
// signature; bytes are the signature's.
func BenchmarkIndexAdd(b *testing.B) {
	ix, err := NewIndex(IndexOptions{K: 112, Bands: 14, Rows: 8, Threshold: 0.8, Verify: true, Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	sig := make([]uint32, 112)
	for j := range sig {
		sig[j] = rng.Uint32()
	}
	b.SetBytes(4 * 112)
	b.ReportAllocs()
	defer cpuRate(b, 4*112)()
	i := uint64(0)
	for b.Loop() {
		sig[i%112]++
		if err := ix.Add(i, 0, sig, 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkObserve measures the preparatory pass's work per document of
// 4 KB: normalisation (through the document's memo), signature and
// Index.Add, without the engine.
func BenchmarkObserve(b *testing.B) {
	c := DefaultConfig()
	c.WorkDir = b.TempDir()
	st, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := benchTexts["latin"]
	doc := &pipeline.Document{Text: s}
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	defer cpuRate(b, int64(len(s)))()
	i := int64(0)
	for b.Loop() {
		doc.SetText(s) // forgets the memoised normalisation
		doc.Record = i
		if err := st.Observe(doc); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
