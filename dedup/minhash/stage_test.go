package minhash

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

func runStage(t testing.TB, st pipeline.Stage, workers int, sources ...*memio.Source) *memio.Sink {
	t.Helper()
	srcs := make([]pipeline.Source, len(sources))
	for i, s := range sources {
		srcs[i] = s
	}
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), srcs, sink, pipeline.Options{Stages: []pipeline.Stage{st}, Workers: workers, BatchRecords: 3}); err != nil {
		t.Fatal(err)
	}
	return sink
}

func newStage(t testing.TB, mod func(*Config)) *Stage {
	c := DefaultConfig()
	c.WorkDir = t.TempDir()
	if mod != nil {
		mod(&c)
	}
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	base    = "The city council met on Tuesday to discuss the new budget for schools and roads, and after a long debate the members agreed to raise spending on repairs by ten percent next year while freezing salaries."
	nearDup = "The city council met on Tuesday to discuss the new budget for schools and roads, and after a long debate the members agreed to raise spending on repairs by ten percent next year while freezing salaries!!"
	edited  = "The city council met on Wednesday to discuss the new budget for parks and roads, and after a short debate the members voted to raise spending on repairs by five percent next year while cutting salaries."
	other   = "Heat the oven to two hundred degrees, butter a round tin, and whisk four eggs with sugar until pale before folding in the flour and a pinch of salt, then bake for forty minutes until golden."
)

func TestMinhashStage(t *testing.T) {
	tests := []struct {
		name    string
		texts   []string
		mod     func(*Config)
		kept    []string
		reasons []string
	}{
		{"unique documents are kept", []string{base, other}, nil, []string{"0", "1"}, nil},
		{"normalisation-equal copy removed, first kept", []string{base, other, nearDup}, nil, []string{"0", "1"}, []string{"near_duplicate"}},
		{"heavily edited copy kept (J < 0.8)", []string{base, edited}, nil, []string{"0", "1"}, nil},
		{"empty text is kept", []string{"", "...", base}, nil, []string{"0", "1", "2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := runStage(t, newStage(t, tt.mod), 2, memio.Texts("a.jsonl", tt.texts...))
			if got := sink.IDs(); !slices.Equal(got, tt.kept) {
				t.Errorf("kept %v, want %v", got, tt.kept)
			}
			var reasons []string
			for _, r := range sink.Rejected {
				reasons = append(reasons, r.Reason)
			}
			want := make([]string, len(tt.reasons))
			for i, r := range tt.reasons {
				want[i] = Name + "." + r
			}
			if !slices.Equal(reasons, want) {
				t.Errorf("reasons %v, want %v", reasons, want)
			}
		})
	}
}

func TestClusterColumns(t *testing.T) {
	// In tag mode every document reaches the sink with its columns.
	sink := &memio.Sink{}
	opts := pipeline.Options{Stages: []pipeline.Stage{newStage(t, nil)}, Workers: 2, BatchRecords: 3, Mode: pipeline.Tag}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{memio.Texts("a", other, base, nearDup, base)}, sink, opts); err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, size string }{{"0", "1"}, {"1", "3"}, {"1", "3"}, {"1", "3"}}
	for i, k := range sink.Kept {
		if k.Fields[FieldClusterID] != want[i].id || k.Fields[FieldClusterSize] != want[i].size {
			t.Errorf("doc %d: cluster %s size %s, want %s size %s", i, k.Fields[FieldClusterID], k.Fields[FieldClusterSize], want[i].id, want[i].size)
		}
	}
}

func TestKeepPolicies(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	src := &memio.Source{Path: "a", Docs: []pipeline.Document{
		{ID: "old", Text: base, Date: day(1)},
		{ID: "new", Text: nearDup, Date: day(9)},
		{ID: "mid", Text: base, Date: day(5)},
	}}
	src.Docs[0].SetSignal("q", 0.2)
	src.Docs[1].SetSignal("q", 0.1)
	src.Docs[2].SetSignal("q", 0.9)
	for keep, want := range map[string]string{"first": "old", "most_recent": "new", "signal:q": "mid"} {
		sink := runStage(t, newStage(t, func(c *Config) { c.Keep = keep }), 2, src)
		if got := sink.IDs(); !slices.Equal(got, []string{want}) {
			t.Errorf("keep=%s: kept %v, want [%s]", keep, got, want)
		}
	}
}

func TestPerLanguage(t *testing.T) {
	src := &memio.Source{Path: "a", Docs: []pipeline.Document{
		{ID: "en", Text: base, Lang: "en"},
		{ID: "xx", Text: base, Lang: "fr"},
	}}
	if got := runStage(t, newStage(t, nil), 1, src).IDs(); len(got) != 1 {
		t.Errorf("across languages: kept %v", got)
	}
	if got := runStage(t, newStage(t, func(c *Config) { c.PerLanguage = true }), 1, src).IDs(); len(got) != 2 {
		t.Errorf("per language: kept %v", got)
	}
}

// TestDeterministic: the same input gives the same kept set and columns
// for any worker count, and every document is accounted for.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var files []*memio.Source
	var all []string
	for f := range 3 {
		var texts []string
		for range 60 {
			var s string
			if len(all) > 0 && rng.IntN(3) == 0 {
				s = editWords(rng, all[rng.IntN(len(all))], rng.Float64()*0.15)
			} else {
				s = randomWords(rng, 40+rng.IntN(200))
			}
			texts = append(texts, s)
			all = append(all, s)
		}
		files = append(files, memio.Texts(fmt.Sprintf("f%d", f), texts...))
	}
	var ref string
	for _, w := range []int{1, 2, 4} {
		sink := runStage(t, newStage(t, func(c *Config) { c.Keep = "first" }), w, files...)
		if len(sink.Kept)+len(sink.Rejected) != len(all) {
			t.Fatalf("workers=%d: %d kept + %d rejected != %d", w, len(sink.Kept), len(sink.Rejected), len(all))
		}
		var b strings.Builder
		for _, k := range sink.Kept {
			fmt.Fprintf(&b, "%s %s %s\n", k.ID, k.Fields[FieldClusterID], k.Fields[FieldClusterSize])
		}
		if ref == "" {
			ref = b.String()
			if len(sink.Rejected) == 0 {
				t.Fatal("no duplicate found in the generated input")
			}
		} else if b.String() != ref {
			t.Errorf("workers=%d: different result", w)
		}
	}
}

func TestSpecDefaults(t *testing.T) {
	p, err := Spec.NewParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Spec.New(p)
	if err != nil {
		t.Fatal(err)
	}
	c := st.(*Stage).Config()
	if c.Bands != 14 || c.Rows != 8 {
		t.Errorf("config %+v", c)
	}
	if p, _ := Spec.NewParams(map[string]any{"keep": "last"}); true {
		if _, err := Spec.New(p); err == nil {
			t.Error("keep=last accepted")
		}
	}
}
