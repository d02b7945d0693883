package minhash

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

// outcome maps document id to "kept|reason cluster size".
func outcome(sinks ...*memio.Sink) map[string]string {
	m := map[string]string{}
	for _, s := range sinks {
		for _, k := range s.Kept {
			m[k.ID] = fmt.Sprintf("kept %s %s", k.Fields[FieldClusterID], k.Fields[FieldClusterSize])
		}
		for _, k := range s.Rejected {
			m[k.ID] = fmt.Sprintf("%s %s %s", k.Reason, k.Fields[FieldClusterID], k.Fields[FieldClusterSize])
		}
	}
	return m
}

// TestStagedEqualsSingle: the four-step multi-task form removes exactly
// the documents the single-machine stage removes, with the same columns.
func TestStagedEqualsSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var files []*memio.Source
	var pool []string
	for f := range 5 {
		src := &memio.Source{Path: fmt.Sprintf("f%d", f)}
		for i := range 50 {
			var s string
			switch {
			case len(pool) > 0 && rng.IntN(3) == 0:
				s = editWords(rng, pool[rng.IntN(len(pool))], 0.06*rng.Float64())
			case i%17 == 0:
				s = "" // no signature
			default:
				s = randomWords(rng, 30+rng.IntN(300))
			}
			pool = append(pool, s)
			src.Docs = append(src.Docs, pipeline.Document{ID: fmt.Sprintf("%d-%d", f, i), Text: s})
		}
		files = append(files, src)
	}
	for _, keepPolicy := range []string{"first", "signal:len"} {
		for _, src := range files {
			for i := range src.Docs {
				src.Docs[i].SetSignal("len", float64(len(src.Docs[i].Text)%7))
			}
		}
		cfg := DefaultConfig()
		cfg.Keep = keepPolicy
		cfg.WorkDir = t.TempDir()
		single := runStage(t, mustNew(t, cfg), 2, files...)
		want := outcome(single)

		const tasks, bandTasks = 2, 3
		staged := Staged{Dir: t.TempDir(), Config: cfg, Tasks: tasks}
		share := func(task int) []*memio.Source {
			var out []*memio.Source
			for i := task; i < len(files); i += tasks {
				out = append(out, files[i])
			}
			return out
		}
		for task := range tasks {
			st, err := staged.SignatureStage(task)
			if err != nil {
				t.Fatal(err)
			}
			runStage(t, st, 2, share(task)...)
		}
		for b := range bandTasks {
			if err := staged.Buckets(b, bandTasks); err != nil {
				t.Fatal(err)
			}
		}
		if err := staged.Clusters(bandTasks); err != nil {
			t.Fatal(err)
		}
		var sinks []*memio.Sink
		for task := range tasks {
			st, err := staged.FilterStage(task)
			if err != nil {
				t.Fatal(err)
			}
			sinks = append(sinks, runStage(t, st, 2, share(task)...))
		}
		got := outcome(sinks...)
		if len(single.Rejected) == 0 {
			t.Fatal("no duplicates in the generated input")
		}
		if !maps.Equal(got, want) {
			for id, w := range want {
				if got[id] != w {
					t.Errorf("keep=%s %s: staged %q, single %q", keepPolicy, id, got[id], w)
				}
			}
		}
	}
}

func mustNew(t *testing.T, c Config) *Stage {
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStagedMissingFiles(t *testing.T) {
	s := Staged{Dir: t.TempDir(), Config: DefaultConfig(), Tasks: 2}
	if err := s.Buckets(0, 1); err == nil {
		t.Error("Buckets without signature files succeeded")
	}
	if _, err := s.FilterStage(0); err == nil {
		t.Error("FilterStage without clusters succeeded")
	}
}

// TestAgainst: a second run removes the documents near-duplicating the
// first run's saved index, and keeps the rest, without reading the first
// run's input.
func TestAgainst(t *testing.T) {
	saved := t.TempDir()
	first := DefaultConfig()
	first.WorkDir, first.SaveIndex = t.TempDir(), saved
	runStage(t, mustNew(t, first), 2, memio.Texts("old", base, other))

	second := DefaultConfig()
	second.WorkDir, second.Against = t.TempDir(), saved
	sink := runStage(t, mustNew(t, second), 2, memio.Texts("new", nearDup, edited, "a brand new text about gardening in small urban balconies with pots and herbs", nearDup))
	if got := sink.IDs(); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("kept %v, want [1 2]", got)
	}
	if _, err := New(Config{Threshold: 0.8, NumPerm: 112, ShingleWords: 5, Keep: "first", Against: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.WorkDir, bad.Against = t.TempDir(), t.TempDir()
	st := mustNew(t, bad)
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{memio.Texts("x", base)}, &memio.Sink{}, pipeline.Options{Stages: []pipeline.Stage{st}}); err == nil {
		t.Error("against an empty directory succeeded")
	}
}
