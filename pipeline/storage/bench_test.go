package storage_test

import (
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/winnow-data/winnow/pipeline/storage"
	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

const benchSize = 32 << 20

// benchBucket opens a bucket of the given kind for one benchmark (the
// fake S3 server only for "s3"), holding data under name unless name is
// empty.
func benchBucket(b *testing.B, kind, name string, data []byte) *storage.Bucket {
	var loc string
	switch kind {
	case "local":
		loc = filepath.Join(b.TempDir(), "bench")
	case "mem":
		loc = "mem://bench/" + b.Name()
	case "s3":
		loc = fakes3.Start(b, "bkt").URL("bkt", "bench")
	}
	bkt, err := storage.Open(context.Background(), loc)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bkt.Close() })
	if name != "" {
		if err := bkt.WriteFile(context.Background(), name, data); err != nil {
			b.Fatal(err)
		}
	}
	return bkt
}

func benchData() []byte {
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{5}).Read(data)
	return data
}

// BenchmarkCreate writes 32 MiB objects in 64 KiB writes, as shard
// writers do (S3: a multipart upload of 8 MiB parts to an in-process
// server, so the figure is the client's and the fake's cost, not a
// network's).
func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	data := benchData()
	for _, kind := range []string{"local", "mem", "s3"} {
		b.Run(kind, func(b *testing.B) {
			bkt := benchBucket(b, kind, "", nil)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for range b.N {
				w, err := bkt.Create(ctx, "shard.parquet")
				if err != nil {
					b.Fatal(err)
				}
				for p := data; len(p) > 0; p = p[min(len(p), 64<<10):] {
					if _, err := w.Write(p[:min(len(p), 64<<10)]); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReader streams 32 MiB objects in 256 KiB reads, as the input
// readers do.
func BenchmarkReader(b *testing.B) {
	ctx := context.Background()
	data := benchData()
	buf := make([]byte, 256<<10)
	for _, kind := range []string{"local", "mem", "s3"} {
		b.Run(kind, func(b *testing.B) {
			bkt := benchBucket(b, kind, "crawl.jsonl.zst", data)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for range b.N {
				r, err := bkt.NewReader(ctx, "crawl.jsonl.zst")
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
				r.Close()
				if err != nil || n != benchSize {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// BenchmarkReaderAt reads 32 MiB objects in 4 MiB ranges, as the Parquet
// input does from object stores.
func BenchmarkReaderAt(b *testing.B) {
	ctx := context.Background()
	data := benchData()
	buf := make([]byte, 4<<20)
	for _, kind := range []string{"local", "mem", "s3"} {
		b.Run(kind, func(b *testing.B) {
			bkt := benchBucket(b, kind, "x.parquet", data)
			b.SetBytes(benchSize)
			b.ResetTimer()
			for range b.N {
				r, err := bkt.NewReaderAt(ctx, "x.parquet")
				if err != nil {
					b.Fatal(err)
				}
				for off := int64(0); off < benchSize; off += int64(len(buf)) {
					if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
						b.Fatal(err)
					}
				}
				r.Close()
			}
		})
	}
}
