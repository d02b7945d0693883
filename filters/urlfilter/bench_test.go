package urlfilter

import (
	"fmt"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

// BenchmarkStage checks typical URLs against 100,000 listed domains;
// bytes are those of the URLs.
func BenchmarkStage(b *testing.B) {
	s, _ := New(Config{})
	for i := range 100000 {
		s.f.AddDomain(fmt.Sprintf("site%d.example", i))
	}
	urls := []string{
		"https://www.example.com/news/2024/03/the-committee-met-on-tuesday.html",
		"https://blog.sub.example.org/posts/how-to-bake-bread?utm_source=feed",
		"http://site512.example/index.php?page=2",
		"https://en.wikipedia.org/wiki/Sex_education",
	}
	n := 0
	for _, u := range urls {
		n += len(u)
	}
	d := &pipeline.Document{}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range urls {
			d.Signals = d.Signals[:0]
			d.URL = u
			if _, err := s.Process(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
