package badwords

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func webText(n int) string {
	para := "The committee met on Tuesday to discuss the new budget for the library, " +
		"which has seen record numbers of visitors since the renovation was finished in 2019. " +
		"Members agreed that the opening hours should be extended to 9 p.m. on weekdays, and that " +
		"a classic assessment of the passage by the old hall was overdue.\n\n"
	return strings.Repeat(para, n/len(para)+1)[:n]
}

// BenchmarkStage measures the stage alone: the words are segmented once
// before the timer (in a run, an earlier stage has paid for them).
func BenchmarkStage(b *testing.B) {
	text := webText(64 << 10)
	s, _ := New(Config{})
	d := &pipeline.Document{Lang: "en", Text: text}
	if _, err := s.Process(d); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Process(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStageWithWords includes segmenting the text into words.
func BenchmarkStageWithWords(b *testing.B) {
	text := webText(64 << 10)
	s, _ := New(Config{})
	d := &pipeline.Document{}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		d.Reset()
		d.Lang, d.Text = "en", text
		if _, err := s.Process(d); err != nil {
			b.Fatal(err)
		}
	}
}
