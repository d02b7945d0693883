package fasttext

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The benchmarks report throughput per CPU-second (MB/cpu-s) beside the
// wall-clock figures: on a shared machine CPU time is the per-core
// measure. Those that compare with the reference CLI run it once on the
// same input, one thread, and report its CPU-seconds too (cli-...).

var (
	benchMu     sync.Mutex
	benchModels = map[string]string{}
)

// benchModel trains (once per configuration) a two-label model on
// generated text and returns its path.
func benchModel(b *testing.B, dim, wordNgrams, minn, maxn int) string {
	b.Helper()
	key := fmt.Sprint(dim, wordNgrams, minn, maxn)
	benchMu.Lock()
	defer benchMu.Unlock()
	if p, ok := benchModels[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "fasttext-bench")
	if err != nil {
		b.Fatal(err)
	}
	train := filepath.Join(dir, "train.txt")
	os.WriteFile(train, []byte(strings.Join(corpus(31, 2, 4000), "\n")+"\n"), 0o644)
	o := DefaultTrainOptions()
	o.Dim, o.WordNgrams, o.Minn, o.Maxn, o.Epoch, o.Threads, o.Bucket = dim, wordNgrams, minn, maxn, 1, 2, 200000
	m, err := Train(context.Background(), train, o)
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, "model.bin")
	if err := m.SaveFile(p); err != nil {
		b.Fatal(err)
	}
	benchModels[key] = p
	return p
}

// pagesText is the sample web pages' text, joined.
func pagesText(b *testing.B) string {
	files, _ := filepath.Glob("../../testdata/sample/pages/*.txt")
	var sb strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		sb.Write(raw)
		sb.WriteByte('\n')
	}
	if sb.Len() == 0 {
		b.Skip("skipped: no sample pages")
	}
	return sb.String()
}

// docs10k cuts the sample pages into documents of 10,000 characters (the
// truncation quality classifiers apply), starting at different offsets.
func docs10k(b *testing.B, n int) []string {
	text := []rune(pagesText(b))
	for len(text) < 20000 {
		text = append(text, text...)
	}
	docs := make([]string, n)
	for i := range docs {
		start := (i * 997) % (len(text) - 10000)
		docs[i] = string(text[start : start+10000])
	}
	return docs
}

func benchPredictDocs(b *testing.B, m *Model, docs []string) {
	var total int
	for _, d := range docs {
		total += len(d)
	}
	b.SetBytes(int64(total))
	dst := make([]Prediction, 0, 4)
	b.ResetTimer()
	cpu := cpuSeconds()
	for b.Loop() {
		for _, d := range docs {
			dst = m.PredictAppend(dst[:0], d, 1, 0)
		}
	}
	if s := cpuSeconds() - cpu; s > 0 {
		b.ReportMetric(float64(total)*float64(b.N)/s/1e6, "MB/cpu-s")
	}
}

// BenchmarkPredict10kDocs: a dim-100 model with word bigrams (the
// DCLM/Llama-style quality classifier), 10,000-character documents.
func BenchmarkPredict10kDocs(b *testing.B) {
	m, err := LoadFile(benchModel(b, 100, 2, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	benchPredictDocs(b, m, docs10k(b, 20))
}

// BenchmarkPredict10kDocsSubwords: the same with character 3- to 6-grams,
// five times the rows per word.
func BenchmarkPredict10kDocsSubwords(b *testing.B) {
	m, err := LoadFile(benchModel(b, 100, 2, 3, 6))
	if err != nil {
		b.Fatal(err)
	}
	benchPredictDocs(b, m, docs10k(b, 20))
}

// benchLines is the sample pages' lines, repeated to about 2 MB.
func benchLines(b *testing.B) []byte {
	var lines []string
	for _, l := range strings.Split(pagesText(b), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	var buf bytes.Buffer
	for buf.Len() < 2<<20 {
		for _, l := range lines {
			buf.WriteString(l)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// benchVsCLI measures WritePredictions over the lines and, once, the
// CLI's predict-prob on the same file.
func benchVsCLI(b *testing.B, model string) {
	m, err := LoadFile(model)
	if err != nil {
		b.Fatal(err)
	}
	in := benchLines(b)
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	cpu := cpuSeconds()
	for b.Loop() {
		if err := m.WritePredictions(io.Discard, bytes.NewReader(in), 1, 0, true); err != nil {
			b.Fatal(err)
		}
	}
	if s := cpuSeconds() - cpu; s > 0 {
		b.ReportMetric(float64(len(in))*float64(b.N)/s/1e6, "MB/cpu-s")
	}
	b.StopTimer()
	bin, err := exec.LookPath("fasttext")
	if err != nil {
		return
	}
	// The CLI's CPU time less that of a run on an empty file: its model
	// loading, which the figures above leave out too.
	cliCPU := func(data []byte) float64 {
		f := filepath.Join(b.TempDir(), "lines.txt")
		os.WriteFile(f, data, 0o644)
		cmd := exec.Command(bin, "predict-prob", model, f, "1")
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		ps := cmd.ProcessState
		return (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	if s := cliCPU(in) - cliCPU(nil); s > 0 {
		b.ReportMetric(float64(len(in))/s/1e6, "cli-MB/cpu-s")
	}
}

// BenchmarkPredictLinesVsCLI/lid176 uses the published language
// identifier (dim 16, quantized, 176 labels, hierarchical softmax).
func BenchmarkPredictLinesVsCLI(b *testing.B) {
	b.Run("lid176", func(b *testing.B) { benchVsCLI(b, lid176(b)) })
	b.Run("dim100_bigrams", func(b *testing.B) { benchVsCLI(b, benchModel(b, 100, 2, 0, 0)) })
}

// BenchmarkTrainVsCLI trains the same model (20,000 generated lines, dim
// 50, bigrams, 5 epochs) with one and two threads, and the CLI once each.
func BenchmarkTrainVsCLI(b *testing.B) {
	dir := b.TempDir()
	train := filepath.Join(dir, "train.txt")
	os.WriteFile(train, []byte(strings.Join(corpus(41, 8, 20000), "\n")+"\n"), 0o644)
	st, _ := os.Stat(train)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads%d", threads), func(b *testing.B) {
			o := DefaultTrainOptions()
			o.Dim, o.WordNgrams, o.Bucket, o.Threads = 50, 2, 200000, threads
			b.SetBytes(st.Size() * int64(o.Epoch))
			cpu := cpuSeconds()
			for b.Loop() {
				if _, err := Train(context.Background(), train, o); err != nil {
					b.Fatal(err)
				}
			}
			if s := cpuSeconds() - cpu; s > 0 {
				b.ReportMetric(s/float64(b.N), "cpu-s/op")
			}
			b.StopTimer()
			bin, err := exec.LookPath("fasttext")
			if err != nil {
				return
			}
			cmd := exec.Command(bin, append([]string{"supervised", "-input", train, "-output", filepath.Join(dir, "cli"), "-verbose", "0"}, cliArgs(o)...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			ps := cmd.ProcessState
			b.ReportMetric((ps.UserTime() + ps.SystemTime()).Seconds(), "cli-cpu-s/op")
		})
	}
}
