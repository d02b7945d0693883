package exact

import (
	"fmt"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// BenchmarkStage measures both passes of exact_dedup per document —
// normalisation, 128-bit hash, the group map — on 10,000 documents of
// about 1 KB, a fifth of them copies; the normalisation is memoised, so
// each pass normalises once, as the engine's two passes do.
func BenchmarkStage(b *testing.B) {
	const n = 10_000
	docs := make([]pipeline.Document, n)
	var total int64
	for i := range docs {
		id := i
		if i%5 == 4 {
			id = i / 2
		}
		docs[i] = pipeline.Document{Record: int64(i), Text: strings.Repeat(fmt.Sprintf("Paragraph %d of the text, with words. ", id), 25)}
		total += int64(len(docs[i].Text))
	}
	b.SetBytes(2 * total)
	b.ReportAllocs()
	for b.Loop() {
		st, _ := New("first", false)
		for i := range docs {
			docs[i].SetText(docs[i].Text)
			if err := st.Observe(&docs[i]); err != nil {
				b.Fatal(err)
			}
		}
		for i := range docs {
			docs[i].SetText(docs[i].Text)
			if _, err := st.Process(&docs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
