package job

import (
	"context"
	"maps"
	"testing"

	"github.com/winnow-data/winnow/pipeline/storage/fakes3"
)

// A cluster run whose inputs, shards, markers and exchange files all live
// in S3 keeps what one local process keeps.
func TestStepsOnS3(t *testing.T) {
	ctx := context.Background()
	srv := fakes3.Start(t, "crawl", "clean")

	// The sample, copied to S3 by a conversion that keeps it whole.
	up := stepConfig(srv.URL("crawl", "sample/"), 1)
	up.Only = []string{"none"}
	up.Output.Format = "parquet"
	if _, err := Run(ctx, up, RunOptions{}); err != nil {
		t.Fatal(err)
	}

	only := []string{"job_mark", "job_first"}
	local := t.TempDir()
	lc := stepConfig(local, 1)
	lc.Only = only
	lc.Inputs = []string{srv.URL("crawl", "sample/")}
	if _, err := Run(ctx, lc, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	want := keptDocs(t, local)

	c := stepConfig(srv.URL("clean", "run/"), 2)
	c.Only = only
	c.Inputs = []string{srv.URL("crawl", "sample/")}
	c.Output.Format = "parquet"
	runSteps(t, c)
	plan, _ := c.Plan()
	if missing, err := c.Unfinished(ctx, plan); err != nil || len(missing) != 0 {
		t.Errorf("unfinished after the run: %v, %v", missing, err)
	}

	// Read the S3 shards back into a local JSONL copy.
	back := t.TempDir()
	bc := stepConfig(back, 1)
	bc.Only = []string{"none"}
	bc.Inputs = []string{srv.URL("clean", "run/")}
	st, err := Run(ctx, bc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := keptDocs(t, back)
	if len(want) == 0 || !maps.Equal(got, want) {
		t.Errorf("S3 steps kept %d documents (read back: %+v), one local process %d", len(got), st.DocsIn, len(want))
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: got %q, want %q", id, got[id], w)
				break
			}
		}
	}
}
