package input

import (
	"context"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

// BenchmarkJSONLZstdURL reads the JSONL.zst benchmark input from a local
// file, from mem:// and from an in-process S3 server through Expand and
// Open, decoding every record: the cost object storage adds to a read.
// MB/s counts decoded JSONL bytes; MB/cpu-s includes, for s3, the
// in-process server's work.
func BenchmarkJSONLZstdURL(b *testing.B) {
	data := webJSONL(b, benchRecords)
	stored := zstdBytes(b, data)
	s3 := fakes3.Start(b, "bkt")
	s3dir := s3.URL("bkt", "in")
	base, q, _ := strings.Cut(s3dir, "?")
	putObjects(b, "mem://bench-input", map[string][]byte{"web.jsonl.zst": stored})
	putObjects(b, s3dir, map[string][]byte{"web.jsonl.zst": stored})
	for _, c := range []struct{ kind, loc string }{
		{"local", writeTemp(b, "web.jsonl.zst", stored)},
		{"mem", "mem://bench-input/web.jsonl.zst"},
		{"s3", base + "/web.jsonl.zst?" + q},
	} {
		b.Run(c.kind, func(b *testing.B) {
			files, err := Expand([]string{c.loc})
			if err != nil || len(files) != 1 {
				b.Fatal(files, err)
			}
			src, err := Open(files[0], Options{})
			if err != nil {
				b.Fatal(err)
			}
			dec := src.(pipeline.Decoder)
			doc := &pipeline.Document{}
			c := startCPU(b, int64(len(data)))
			defer c.stop()
			for range b.N {
				for rec, err := range src.Records(context.Background()) {
					if err != nil {
						b.Fatal(err)
					}
					doc.Reset()
					if err := dec.Decode(rec.Raw, doc); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
