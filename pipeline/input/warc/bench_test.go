package warc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// benchCrawl builds a crawl shaped like a Common Crawl segment: for each
// page a request, an HTML response of 20–80 KB and a metadata record.
// It returns the uncompressed WARC and the number of pages.
func benchCrawl(pages int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	vocab := strings.Fields("the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can out up about who its into them only time some could than other")
	var buf bytes.Buffer
	for i := range pages {
		uri := fmt.Sprintf("https://site%d.example/path/%d.html", i%97, i)
		buf.Write(rec("request", uri, "application/http; msgtype=request", []byte("GET / HTTP/1.1\r\nHost: site.example\r\nUser-Agent: bench\r\n\r\n")))
		// Markup-heavy like crawled pages, where tags and attributes
		// outweigh the text.
		var page strings.Builder
		page.WriteString("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page</title><link rel=stylesheet href=/s.css>")
		page.WriteString("<script>window.__CONFIG__={\"site\":\"example\",\"ads\":true,\"slots\":[\"top\",\"side\",\"bottom\"]};</script></head><body class=\"page page-article\"><nav class=\"site-nav\"><ul class=\"menu\">")
		for j := range 20 {
			fmt.Fprintf(&page, "<li class=\"menu-item menu-item-%d\"><a class=\"menu-link\" href=\"https://site%d.example/section/%d/\">Section %d</a></li>", j, i%97, j, j)
		}
		page.WriteString("</ul></nav><main class=\"content\"><article class=\"post\">")
		size := 20000 + rng.IntN(60000)
		for page.Len() < size {
			page.WriteString("<div class=\"paragraph-wrapper\"><p class=\"text\">")
			for range 15 + rng.IntN(40) {
				page.WriteString(vocab[rng.IntN(len(vocab))])
				page.WriteByte(' ')
			}
			fmt.Fprintf(&page, "<a class=\"inline-link\" href=\"https://site%d.example/article/%d\" rel=\"noopener\">link %d</a>.</p></div>\n", i%97, rng.IntN(1e6), rng.IntN(1e3))
		}
		page.WriteString("</article></main><footer class=\"site-footer\">© example</footer></body></html>")
		buf.Write(response(uri, 200, page.String(), "Content-Type: text/html; charset=UTF-8", "Server: bench"))
		buf.Write(rec("metadata", uri, "application/warc-fields", []byte("fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\n")))
	}
	return buf.Bytes()
}

// BenchmarkRead reads a per-record gzip WARC; MB/s counts decoded WARC
// bytes, stored-MB/s the compressed file.
func BenchmarkRead(b *testing.B) {
	plain := benchCrawl(300)
	var members [][]byte
	for rest := plain; len(rest) > 0; {
		i := bytes.Index(rest[1:], []byte("WARC/1.1\r\n"))
		if i < 0 {
			members = append(members, gz(rest))
			break
		}
		members = append(members, gz(rest[:i+1]))
		rest = rest[i+1:]
	}
	stored := bytes.Join(members, nil)
	// The floor: inflating the same members and nothing else.
	b.Run("inflate-only", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		zr := new(gzip.Reader)
		cpu := cpuTime()
		for b.Loop() {
			zr.Reset(bytes.NewReader(stored))
			if _, err := io.Copy(io.Discard, zr); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(plain))*float64(b.N)/(cpuTime()-cpu).Seconds()/1e6, "cpu-MB/s")
	})
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"warc.gz", stored},
		{"warc", plain},
		{"warc.zst", zst(plain)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			src := testSource(tc.data)
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				n := 0
				for _, err := range src.Records(context.Background()) {
					if err == nil {
						n++
					}
				}
				if n != 300 {
					b.Fatalf("read %d documents", n)
				}
			}
			b.ReportMetric(float64(len(plain))*float64(b.N)/(cpuTime()-cpu).Seconds()/1e6, "cpu-MB/s")
			b.ReportMetric(float64(len(tc.data))*float64(b.N)/b.Elapsed().Seconds()/1e6, "stored-MB/s")
		})
	}
}

// cpuTime is the process's user and system CPU time. On a shared machine
// wall-clock MB/s depends on the neighbours; MB per CPU-second does not,
// and is the per-core figure the targets are set in.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
