package pii

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// webText is English web-like prose with a little personal data, about
// one match per 2 KB.
func webText(n int) string {
	para := "The committee met on Tuesday to discuss the new budget for the library, " +
		"which has seen record numbers of visitors since the renovation was finished in 2019. " +
		"Members agreed that the opening hours should be extended to 9 p.m. on weekdays. " +
		"Questions can be sent to the secretary at info@library-example.org or by phone on (415) 555-2671. " +
		"The minutes, version 2.3.1, are available from the usual server at 10.0.0.12 for staff only.\n\n" +
		"Local residents have asked for more seating, better lighting in the reading room, and a quieter " +
		"space for children's story hours, which now attract over 40 families every Saturday morning.\n\n"
	return strings.Repeat(para, n/len(para)+1)[:n]
}

func BenchmarkStage(b *testing.B) {
	text := webText(64 << 10)
	s, _ := New(Config{})
	d := &pipeline.Document{}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		d.Text = text
		if _, err := s.Process(d); err != nil {
			b.Fatal(err)
		}
	}
}
