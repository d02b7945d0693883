package dedup_test

import (
	"bytes"
	"context"
	"fmt"
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
			settings := map[string]any{}
			if name == "minhash" || name == "line_dedup" {
				settings["work_dir"] = t.TempDir()
			}
			stages = append(stages, newStage(t, name, settings))
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

// TestStagedPipeline runs the four stages as a cluster job does, over 1–4
// tasks: for each stage in order, every task observes its share of the
// files through the earlier stages (loaded from their prepared state) and
// saves its observations, one task merges them and saves the prepared
// state, and finally every task writes its share with all four loaded.
// The documents kept, their texts, signals and columns, and the reasons of
// the rejected ones are those of one process.
func TestStagedPipeline(t *testing.T) {
	files, err := input.Expand([]string{"../testdata/sample"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"url_dedup", "exact_dedup", "minhash", "line_dedup"}
	build := func(t *testing.T, name string) pipeline.Exchanger {
		settings := map[string]any{}
		if name == "minhash" || name == "line_dedup" {
			settings["work_dir"] = t.TempDir()
		}
		if name == "line_dedup" {
			settings["max_count"] = 2 // so that the sample data has frequent lines
		}
		st := newStage(t, name, settings)
		x, ok := st.(pipeline.Exchanger)
		if !ok {
			t.Fatalf("%s is not an Exchanger", name)
		}
		if c, ok := st.(pipeline.Closer); ok {
			t.Cleanup(func() { c.Close() })
		}
		return x
	}
	open := func(t *testing.T, idx []int) []pipeline.Source {
		var out []pipeline.Source
		for _, i := range idx {
			s, err := input.Open(files[i], input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	all := make([]int, len(files))
	for i := range all {
		all[i] = i
	}
	var stages []pipeline.Stage
	for _, n := range names {
		stages = append(stages, build(t, n))
	}
	single := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), open(t, all), single, pipeline.Options{Stages: stages, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	want := outcome(single)
	ctx := context.Background()
	for k := 1; k <= 4; k++ {
		tasks := make([][]int, k)
		for i := range files {
			tasks[i%k] = append(tasks[i%k], i)
		}
		// loaded builds stages[:n] from the prepared states.
		prepared := map[string][]byte{}
		loaded := func(n int) []pipeline.Stage {
			var out []pipeline.Stage
			for _, name := range names[:n] {
				st := build(t, name)
				if err := st.LoadPrepared(bytes.NewReader(prepared[name])); err != nil {
					t.Fatal(err)
				}
				out = append(out, st)
			}
			return out
		}
		for i, name := range names {
			var observed [][]byte
			for _, idx := range tasks {
				st := build(t, name)
				if _, err := pipeline.Observe(ctx, open(t, idx), st, pipeline.Options{Stages: loaded(i), FileIndexes: idx, Workers: 2}); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := st.SaveObserved(&buf); err != nil {
					t.Fatal(err)
				}
				observed = append(observed, buf.Bytes())
			}
			st := build(t, name)
			for _, o := range observed {
				if err := st.LoadObserved(bytes.NewReader(o)); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Prepared(ctx); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := st.SavePrepared(&buf); err != nil {
				t.Fatal(err)
			}
			prepared[name] = buf.Bytes()
		}
		var sinks []*memio.Sink
		for _, idx := range tasks {
			sink := &memio.Sink{}
			if _, err := pipeline.Run(ctx, open(t, idx), sink, pipeline.Options{Stages: loaded(len(names)), FileIndexes: idx, Workers: 2, Prepared: true}); err != nil {
				t.Fatal(err)
			}
			sinks = append(sinks, sink)
		}
		got := outcome(sinks...)
		if len(got) != len(want) {
			t.Errorf("%d tasks: %d documents out, one process %d", k, len(got), len(want))
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%d tasks: document %s:\n got  %s\n want %s", k, id, got[id], w)
				break
			}
		}
	}
	reasons := map[string]int{}
	for _, o := range single.Rejected {
		reasons[o.Reason]++
	}
	t.Logf("one process: %d kept, dropped %v; %d distinct ids", len(single.Kept), reasons, len(want))
}

// outcome maps each document (by id and source) to its verdict, text,
// signals and columns.
func outcome(sinks ...*memio.Sink) map[string]string {
	m := map[string]string{}
	for _, s := range sinks {
		for _, k := range append(append([]memio.Kept(nil), s.Kept...), s.Rejected...) {
			m[k.ID] = fmt.Sprintf("%q %q %v %v", k.Reason, k.Text, k.Signals, k.Fields)
		}
	}
	return m
}

// newStage builds the registered stage name with settings.
func newStage(t *testing.T, name string, settings map[string]any) pipeline.Stage {
	t.Helper()
	spec, ok := pipeline.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	p, err := spec.NewParams(settings)
	if err != nil {
		t.Fatal(err)
	}
	st, err := spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
