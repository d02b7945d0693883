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

func benchLocations(b *testing.B) map[string]string {
	s3 := fakes3.Start(b, "bkt")
	return map[string]string{
		"local": filepath.Join(b.TempDir(), "bench"),
		"mem":   "mem://bench/" + b.Name(),
		"s3":    s3.URL("bkt", "bench"),
	}
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
			bkt, err := storage.Open(ctx, benchLocations(b)[kind])
			if err != nil {
				b.Fatal(err)
			}
			defer bkt.Close()
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
			bkt, err := storage.Open(ctx, benchLocations(b)[kind])
			if err != nil {
				b.Fatal(err)
			}
			defer bkt.Close()
			if err := bkt.WriteFile(ctx, "crawl.jsonl.zst", data); err != nil {
				b.Fatal(err)
			}
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
			bkt, err := storage.Open(ctx, benchLocations(b)[kind])
			if err != nil {
				b.Fatal(err)
			}
			defer bkt.Close()
			if err := bkt.WriteFile(ctx, "x.parquet", data); err != nil {
				b.Fatal(err)
			}
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
