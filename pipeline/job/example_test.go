package job_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/winnow-data/winnow/pipeline/job"
)

// Run the same job as `winnow run testdata/sample -o OUT --only none` from
// Go: a format conversion of every sample file into Parquet shards.
func ExampleRun() {
	out, err := os.MkdirTemp("", "winnow-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	c := job.Defaults()
	c.Inputs = []string{"../../testdata/sample"}
	c.Output.Dir = out
	c.Only = []string{"none"}
	stats, err := job.Run(context.Background(), c, job.RunOptions{})
	if err != nil {
		log.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(out, "lang=*", "*.parquet"))
	fmt.Println(stats.DocsIn, "in,", stats.DocsOut, "out,", len(shards), "shard")
	// Output: 392 in, 392 out, 1 shard
}
