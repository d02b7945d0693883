package extract

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchPage builds a page shaped like a crawled article: a head with
// scripts and styles, navigation, an article of paragraphs with links and
// emphasis, a code block, a table, a sidebar, comments and a footer.
func benchPage(rng *rand.Rand, size int) []byte {
	vocab := strings.Fields("the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can out up about who its into them only time some could than other")
	word := func() string { return vocab[rng.IntN(len(vocab))] }
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bench page</title>`)
	b.WriteString(`<script>var cfg = {a: 1, b: [1,2,3]}; function f(x) { return x < 2 ? 1 : f(x-1) }</script><style>body{margin:0} .nav a{color:red}</style></head><body>`)
	b.WriteString(`<header class="site-header"><nav class="nav"><ul>`)
	for i := range 25 {
		fmt.Fprintf(&b, `<li class="nav-item"><a href="/section/%d">Section %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></nav></header><div class="container"><main><article><h1>A headline of the page</h1>`)
	for b.Len() < size {
		switch rng.IntN(10) {
		case 0:
			fmt.Fprintf(&b, "<h2>%s %s %s</h2>", word(), word(), word())
		case 1:
			b.WriteString("<pre><code>")
			for range 8 {
				fmt.Fprintf(&b, "    %s := %s(%s, &amp;%s)\n", word(), word(), word(), word())
			}
			b.WriteString("</code></pre>")
		case 2:
			b.WriteString("<table><tr><th>Name</th><th>Value</th></tr>")
			for range 5 {
				fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td></tr>", word(), rng.IntN(1000))
			}
			b.WriteString("</table>")
		default:
			b.WriteString("<p>")
			for i := range 40 + rng.IntN(60) {
				switch {
				case i%17 == 5:
					fmt.Fprintf(&b, `<a href="/x/%d">%s %s</a> `, rng.IntN(1e6), word(), word())
				case i%13 == 3:
					fmt.Fprintf(&b, "<em>%s</em> ", word())
				default:
					b.WriteString(word())
					b.WriteByte(' ')
				}
			}
			b.WriteString("&mdash; end.</p>\n")
		}
	}
	b.WriteString(`</article><section class="comments"><h3>Comments</h3><p>Nice article, thanks for writing it up.</p></section></main>`)
	b.WriteString(`<aside class="sidebar"><h3>Popular</h3><ul>`)
	for i := range 10 {
		fmt.Fprintf(&b, `<li><a href="/p/%d">Popular post number %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></aside></div><footer><p>&copy; 2024 Example. All rights reserved.</p></footer></body></html>`)
	return []byte(b.String())
}

// cpuTime is the process's user and system CPU time: MB per CPU-second
// is the per-core figure, whatever the neighbours on a shared machine do.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchExtract(b *testing.B, pages [][]byte) {
	x := New(DefaultOptions())
	total := 0
	for _, p := range pages {
		total += len(p)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, p := range pages {
			x.Extract(p)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/(cpuTime()-cpu).Seconds()/1e6, "cpu-MB/s")
}

// BenchmarkExtract measures extraction on generated article pages (40–120
// KB, as crawled pages are), on the committed fixtures, and on the Debian
// evaluation pages when fetched.
func BenchmarkExtract(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	var gen [][]byte
	for range 20 {
		gen = append(gen, benchPage(rng, 40000+rng.IntN(80000)))
	}
	b.Run("generated", func(b *testing.B) { benchExtract(b, gen) })
	for _, dir := range []string{"testdata/eval/fixtures", "testdata/eval/pages/*"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.html"))
		if len(paths) == 0 {
			continue
		}
		var pages [][]byte
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, data)
		}
		b.Run(strings.Split(dir, "/")[2], func(b *testing.B) { benchExtract(b, pages) })
	}
}
