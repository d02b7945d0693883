package classifier

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/fasttext"
	"github.com/winnow-data/winnow/pipeline"
)

// BenchmarkStage10kDocs runs the stage with a dim-100 bigram model (a
// DCLM/Llama-style quality classifier, trained here on generated text)
// over the sample web pages cut into 10,000-character documents.
// MB/cpu-s is the per-core throughput on a shared machine.
func BenchmarkStage10kDocs(b *testing.B) {
	dir := b.TempDir()
	train := filepath.Join(dir, "train.txt")
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for i := 0; i < 4000; i++ {
		label := []string{"hq", "lq"}[r.IntN(2)]
		fmt.Fprintf(&sb, "__label__%s", label)
		for n := 5 + r.IntN(20); n > 0; n-- {
			fmt.Fprintf(&sb, " %s%d", label[:1], r.IntN(500))
		}
		sb.WriteByte('\n')
	}
	os.WriteFile(train, []byte(sb.String()), 0o644)
	o := fasttext.DefaultTrainOptions()
	o.Dim, o.WordNgrams, o.Bucket, o.Epoch, o.Threads = 100, 2, 200000, 1, 2
	m, err := fasttext.Train(context.Background(), train, o)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Classifier: m, Label: "hq", MinScore: 0.5})
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/sample/pages/*.txt")
	var text []rune
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		text = append(text, []rune(string(raw))...)
	}
	for len(text) < 20000 {
		text = append(text, text...)
	}
	docs := make([]string, 20)
	total := 0
	for i := range docs {
		start := (i * 997) % (len(text) - 10000)
		docs[i] = string(text[start : start+10000])
		total += len(docs[i])
	}
	b.SetBytes(int64(total))
	var doc pipeline.Document
	b.ResetTimer()
	cpu := cpuSeconds()
	for b.Loop() {
		for _, d := range docs {
			doc.Reset()
			doc.Text = d
			if _, err := s.Process(&doc); err != nil {
				b.Fatal(err)
			}
		}
	}
	if sec := cpuSeconds() - cpu; sec > 0 {
		b.ReportMetric(float64(total)*float64(b.N)/sec/1e6, "MB/cpu-s")
	}
}
