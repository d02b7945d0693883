// Command gen writes winnow's sample inputs, or a large input for
// benchmarks:
//
//	go run ./internal/sampledata/gen testdata
//	go run ./internal/sampledata/gen -size 2000 -o /tmp/web-2g.jsonl.zst
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/winnow-data/winnow/internal/sampledata"
)

func main() {
	sizeMB := flag.Int64("size", 0, "write one large .jsonl.zst of about this many MB of JSON instead of the sample")
	out := flag.String("o", "web-large.jsonl.zst", "file for -size")
	seed := flag.Uint64("seed", 1, "seed for -size")
	flag.Parse()
	if err := run(*sizeMB, *out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(sizeMB int64, out string, seed uint64) error {
	if sizeMB <= 0 {
		dir := "testdata"
		if flag.NArg() > 0 {
			dir = flag.Arg(0)
		}
		return sampledata.Generate(dir)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	docs, err := sampledata.WriteLarge(f, seed, sizeMB*1e6)
	if err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d documents\n", out, docs)
	return f.Close()
}
