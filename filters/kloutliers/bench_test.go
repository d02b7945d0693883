package kloutliers

import (
	"math/rand/v2"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func benchDoc() string {
	r := rand.New(rand.NewPCG(7, 7))
	z := rand.NewZipf(r, 1.1, 2, 20000)
	return zipfDoc(z, "w", 10000)
}

// BenchmarkObserve measures the preparatory pass per document byte
// (words segmented before the timer, as an earlier stage would have).
func BenchmarkObserve(b *testing.B) {
	bld, _ := NewBuilder(0)
	d := &pipeline.Document{Lang: "en", Text: benchDoc()}
	bld.Add(d)
	b.SetBytes(int64(len(d.Text)))
	b.ReportAllocs()
	for b.Loop() {
		bld.Add(d)
	}
}

// BenchmarkProcess measures scoring against a reference.
func BenchmarkProcess(b *testing.B) {
	ref := build(b, corpus(1, "en", "w", 1000), 0)
	st, _ := New(Config{Loaded: ref})
	d := &pipeline.Document{Lang: "en", Text: benchDoc()}
	st.Process(d)
	b.SetBytes(int64(len(d.Text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Process(d); err != nil {
			b.Fatal(err)
		}
	}
}
