package job

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/winnow-data/winnow/internal/sampledata"
)

var (
	benchOnce  sync.Once
	benchInput string
	benchBytes int64
)

// benchFile writes about 64 MB of web-like JSONL, zstd-compressed, once
// per test binary.
func benchFile(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "winnow-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchInput = filepath.Join(dir, "web.jsonl.zst")
		f, err := os.Create(benchInput)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sampledata.WriteLarge(f, 1, 64e6); err != nil {
			b.Fatal(err)
		}
		f.Close()
		// The decompressed size is what MB/s counts.
		raw, _ := os.ReadFile(benchInput)
		benchBytes = decompressedSize(b, raw)
	})
	return benchInput, benchBytes
}

// BenchmarkConvert is the whole conversion with no stage: JSONL.zst in,
// Parquet shards out, Workers = GOMAXPROCS. Run with -cpu 1,2 for the
// per-core rate and the scaling.
func BenchmarkConvert(b *testing.B) {
	in, n := benchFile(b)
	b.SetBytes(n)
	for b.Loop() {
		out := b.TempDir()
		c := Defaults()
		c.Inputs, c.Output.Dir, c.Only = []string{in}, out, []string{"none"}
		c.Workers = runtime.GOMAXPROCS(0)
		if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
