package langid

import (
	"sync"
	"testing"

	"github.com/pemistahl/lingua-go"

	"github.com/winnow-data/winnow/filters/langid/internal/evalset"
	"github.com/winnow-data/winnow/filters/text"
	"github.com/winnow-data/winnow/pipeline"
)

var (
	naiveOnce sync.Once
	naiveDet  lingua.LanguageDetector
)

// BenchmarkNaiveVsStage measures the naive call — lingua's
// DetectLanguageOf over the whole text, all 75 languages, high accuracy —
// the lingua cascade ("stage"), the hybrid backend and lid.176 alone
// ("fasttext", which answers any of its 176 languages) side by side on
// the same labelled texts,
// reporting docs/s, MB/s and accuracy, and the same rates per CPU second
// of the process (docs/cpu-s, MB/cpu-s), which hold on a busy machine
// where wall-clock rates do not. Run it on one core:
//
//	go test -run XXX -bench NaiveVsStage -cpu 1 -count 3 ./filters/langid
//
// All run over the same texts: the set is small (225 documents of 1–5
// KB, 364 paragraphs), so the naive rows take a few seconds. The naive
// detector's models are not preloaded (lingua then loads the 1–3-gram
// models that long texts use, not the 2.5 GB of all five). Peak memory of
// each is measured in a process of its own by internal/measure.
func BenchmarkNaiveVsStage(b *testing.B) {
	d, es := shared(b)
	naiveOnce.Do(func() { naiveDet = lingua.NewLanguageDetectorBuilder().FromAllLanguages().Build() })
	sets := []struct {
		name    string
		samples []evalset.Sample
	}{
		{"docs", es.Docs},
		{"paragraphs", es.Paragraphs},
	}
	for _, set := range sets {
		for _, mode := range []string{"naive", "stage", "hybrid", "fasttext"} {
			samples := set.samples
			detect := func(s string) string { return d.Detect(text.NFC(s)).Code() }
			switch mode {
			case "naive":
				detect = func(s string) string {
					l, _ := naiveDet.DetectLanguageOf(s)
					return Code(l)
				}
			case "hybrid":
				h, _ := sharedBackends(b)
				detect = func(s string) string { return h.Identify(text.NFC(s)).Code }
			case "fasttext":
				_, ft := sharedBackends(b)
				detect = func(s string) string { return ft.Identify(text.NFC(s)).Code }
			}
			for _, s := range samples { // load lazily loaded models first
				detect(s.Text)
			}
			b.Run(set.name+"/"+mode, func(b *testing.B) {
				b.SetBytes(int64(evalset.Bytes(samples)))
				ok, n := 0, 0
				cpu0 := cpuSeconds()
				for b.Loop() {
					for _, s := range samples {
						if detect(s.Text) == s.Lang {
							ok++
						}
						n++
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
				b.ReportMetric(100*float64(ok)/float64(n), "accuracy%")
				if cpu := cpuSeconds() - cpu0; cpu > 0 {
					// Per CPU second: comparable on a busy machine.
					b.ReportMetric(float64(n)/cpu, "docs/cpu-s")
					b.ReportMetric(float64(b.N)*float64(evalset.Bytes(samples))/cpu/1e6, "MB/cpu-s")
				}
			})
		}
	}
}

// BenchmarkStage measures the stage's Process, NFC view and lang_top3
// field included, on the documents of the labelled set.
func BenchmarkStage(b *testing.B) {
	d, es := shared(b)
	s, err := New(Config{Detector: d, MinScore: DefaultMinScore})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(evalset.Bytes(es.Docs)))
	var doc pipeline.Document
	for b.Loop() {
		for _, x := range es.Docs {
			doc.Reset()
			doc.Text = x.Text
			if _, err := s.Process(&doc); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(es.Docs))/b.Elapsed().Seconds(), "docs/s")
}
