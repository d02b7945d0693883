package dupstats

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/dedup/minhash"
	"github.com/winnow-data/winnow/pipeline"
)

// BenchmarkMeasure runs a dupstats measurement on one worker over about
// 32 MB of generated documents, a fifth of them edited copies.
func BenchmarkMeasure(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the of and to in is was for on that with as by at from his her an were are which this be or has had not but first one their its new after who they have two been also into other more time")
	src := &memio.Source{Path: "bench"}
	var total int64
	for total < 32<<20 {
		var t string
		if n := len(src.Docs); n > 0 && rng.IntN(5) == 0 {
			w := strings.Fields(src.Docs[rng.IntN(n)].Text)
			w[rng.IntN(len(w))] = words[rng.IntN(len(words))]
			t = strings.Join(w, " ")
		} else {
			w := make([]string, 100+rng.IntN(900))
			for i := range w {
				w[i] = words[rng.IntN(len(words))]
			}
			t = strings.Join(w, " ")
		}
		src.Docs = append(src.Docs, pipeline.Document{ID: "x", Text: t})
		total += int64(len(t))
	}
	b.SetBytes(total)
	start := processCPU()
	for b.Loop() {
		c := minhash.DefaultConfig()
		c.WorkDir = b.TempDir()
		if _, err := Measure(context.Background(), []pipeline.Source{src}, Options{MinHash: c, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
	if used := processCPU() - start; used > 0 {
		b.ReportMetric(float64(total)*float64(b.N)/used.Seconds()/1e6, "MB/cpu-s")
	}
}
