package urldedup

import (
	"fmt"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// BenchmarkStage measures both passes of url_dedup per document — URL
// normalisation, 128-bit hash, the group map — on 10,000 URLs, a fifth of
// them other versions of earlier ones; bytes are the URLs'.
func BenchmarkStage(b *testing.B) {
	const n = 10_000
	docs := make([]pipeline.Document, n)
	var total int64
	for i := range docs {
		id := i
		if i%5 == 4 {
			id = i / 2
		}
		docs[i] = pipeline.Document{Record: int64(i), URL: fmt.Sprintf("https://www.Example.com/news/2024/article-%d.html?ref=home#top", id)}
		total += int64(len(docs[i].URL))
	}
	b.SetBytes(2 * total)
	b.ReportAllocs()
	for b.Loop() {
		st, _ := New("most_recent")
		for i := range docs {
			st.Observe(&docs[i])
		}
		for i := range docs {
			if _, err := st.Process(&docs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
