package quality

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

// vocabulary is drawn from with a Zipf law to make English-like prose
// (mean word length near 4.7 characters, as in English web text).
var vocabulary = strings.Fields(`the of and to a in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will can more who about out up them some could what into than other time only new very after two first its also our may any these over people such year most state made like use city government world public school between how many work because under well back where through family last long same during right part three since found high being local without should against great however small large country number end again group said children each even while both system around those still house water every president later place point program business known day next second power area market development national health department company community members report university information`)

// webDocs returns n English web-like documents (mean 2.9 KB, 530 words
// of 4.3 characters on average; English web text has about 4.7):
// paragraphs of sentences of 8–27 words drawn from common English words,
// with navigation and boilerplate lines, deterministic for a seed.
func webDocs(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	zipf := rand.NewZipf(rng, 1.1, 200, uint64(len(vocabulary)-1))
	boiler := []string{"Home", "Share this article", "Read more", "Sign up for our newsletter", "Posted by admin", "Tags: news, local"}
	docs := make([]string, n)
	var b strings.Builder
	for d := range docs {
		b.Reset()
		for p, np := 0, 3+rng.IntN(10); p < np; p++ {
			if rng.IntN(4) == 0 {
				b.WriteString(boiler[rng.IntN(len(boiler))])
				b.WriteString("\n\n")
			}
			for s, ns := 0, 2+rng.IntN(5); s < ns; s++ {
				for w, nw := 0, 8+rng.IntN(20); w < nw; w++ {
					word := vocabulary[zipf.Uint64()]
					if w == 0 {
						word = strings.ToUpper(word[:1]) + word[1:]
					} else {
						b.WriteByte(' ')
					}
					b.WriteString(word)
					if w > 3 && rng.IntN(12) == 0 {
						b.WriteByte(',')
					}
				}
				b.WriteString(". ")
			}
			b.WriteString("\n\n")
		}
		docs[d] = strings.TrimSpace(b.String())
	}
	return docs
}

func benchStages(b *testing.B, stages ...pipeline.Stage) {
	docs := webDocs(200, 1)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size))
	doc := &pipeline.Document{}
	kept := 0
	cpu0 := cpuSeconds()
	for b.Loop() {
		kept = 0
		for _, s := range docs {
			doc.Reset()
			doc.Text, doc.Lang = s, "en"
			reason := ""
			for _, st := range stages {
				var err error
				if reason, err = st.Process(doc); err != nil {
					b.Fatal(err)
				}
				if reason != "" {
					break
				}
			}
			if reason == "" {
				kept++
			}
		}
	}
	b.ReportMetric(float64(kept)/float64(len(docs)), "kept")
	reportCPU(b, size, cpu0)
}

// reportCPU reports the throughput per CPU second since cpu0 of b.N
// passes over size bytes: comparable on a busy machine, where wall-clock
// MB/s is not.
func reportCPU(b *testing.B, size int, cpu0 float64) {
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(size)/cpu/1e6, "MB/cpu-s")
	}
}

// BenchmarkStages measures each stage alone (including the shared
// analysis it triggers) and the four Gopher/C4/FineWeb families together,
// in filter mode, on English web-like text. MB/cpu-s is the per-core
// figure on a machine shared with other work:
//
//	go test -run XXX -bench Stages -cpu 1 -count 3 ./filters/quality
func BenchmarkStages(b *testing.B) {
	lr, _ := NewLineRepetition(DefaultLineRepetition())
	gr, _ := NewGopherRepetition(DefaultGopherRepetition())
	gq := NewGopherQuality(DefaultGopherQuality())
	c4 := NewC4(DefaultC4())
	fw := NewFineWeb(DefaultFineWeb())
	b.Run("line_repetition", func(b *testing.B) { benchStages(b, lr) })
	b.Run("gopher_repetition", func(b *testing.B) { benchStages(b, gr) })
	b.Run("gopher_quality", func(b *testing.B) { benchStages(b, gq) })
	b.Run("c4", func(b *testing.B) { benchStages(b, c4) })
	b.Run("fineweb", func(b *testing.B) { benchStages(b, fw) })
	b.Run("four_families", func(b *testing.B) { benchStages(b, gr, gq, c4, fw) })
	b.Run("all_five", func(b *testing.B) { benchStages(b, lr, gr, gq, c4, fw) })
}

// BenchmarkAnalysis measures the shared analysis alone, as a document
// reused by the engine has it made: ASCII check, word scan, hashes,
// lines, and the counts over the words for English.
func BenchmarkAnalysis(b *testing.B) {
	docs := webDocs(200, 1)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size))
	doc := &pipeline.Document{}
	cpu0 := cpuSeconds()
	for b.Loop() {
		for _, s := range docs {
			doc.Reset()
			doc.Text, doc.Lang = s, "en"
			analyse(doc)
		}
	}
	reportCPU(b, size, cpu0)
}

// BenchmarkWordScan measures filters/text's word scanner alone, the
// floor of every stage here.
func BenchmarkWordScan(b *testing.B) {
	docs := webDocs(200, 1)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	b.SetBytes(int64(size))
	cpu0 := cpuSeconds()
	for b.Loop() {
		for _, s := range docs {
			text.CountWords(s)
		}
	}
	reportCPU(b, size, cpu0)
}
