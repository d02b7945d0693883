package dedup_test

import (
	"context"
	"testing"

	_ "github.com/winnow-data/winnow/dedup"
	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/input"
)

// TestSampleData runs the four stages, in pipeline order with their
// defaults, over the repository's sample data: every document accounted
// for, duplicates found, and the same result for 1 and 2 workers.
func TestSampleData(t *testing.T) {
	files, err := input.Expand([]string{"../testdata/sample"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(workers int) (*pipeline.Stats, *memio.Sink) {
		var stages []pipeline.Stage
		for _, name := range []string{"url_dedup", "exact_dedup", "minhash", "line_dedup"} {
			spec, ok := pipeline.Lookup(name)
			if !ok {
				t.Fatalf("%s not registered", name)
			}
			settings := map[string]any{}
			if name == "minhash" || name == "line_dedup" {
				settings["work_dir"] = t.TempDir()
			}
			p, err := spec.NewParams(settings)
			if err != nil {
				t.Fatal(err)
			}
			st, err := spec.New(p)
			if err != nil {
				t.Fatal(err)
			}
			stages = append(stages, st)
		}
		var sources []pipeline.Source
		for _, f := range files {
			s, err := input.Open(f, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, s)
		}
		sink := &memio.Sink{}
		stats, err := pipeline.Run(context.Background(), sources, sink, pipeline.Options{Stages: stages, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		return stats, sink
	}
	stats, one := run(1)
	_, two := run(2)
	if len(one.Rejected) == 0 {
		t.Error("no duplicate found in the sample data")
	}
	if int64(len(one.Kept)) != stats.DocsOut || int64(len(one.Rejected)) != stats.DocsRejected {
		t.Errorf("sink saw %d kept, %d rejected; stats say %d, %d", len(one.Kept), len(one.Rejected), stats.DocsOut, stats.DocsRejected)
	}
	if len(one.Kept) != len(two.Kept) {
		t.Fatalf("1 worker kept %d, 2 workers %d", len(one.Kept), len(two.Kept))
	}
	for i := range one.Kept {
		if one.Kept[i].ID != two.Kept[i].ID || one.Kept[i].Text != two.Kept[i].Text {
			t.Fatalf("document %d differs between worker counts", i)
		}
	}
	reasons := map[string]int{}
	for _, r := range one.Rejected {
		reasons[r.Reason]++
	}
	t.Logf("%d docs in, %d kept; dropped %v", stats.DocsIn, len(one.Kept), reasons)
}
