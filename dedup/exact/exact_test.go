package exact

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow-data/winnow/dedup/internal/memio"
	"github.com/winnow-data/winnow/pipeline"
)

func run(t testing.TB, st pipeline.Stage, workers int, src ...*memio.Source) *memio.Sink {
	t.Helper()
	srcs := make([]pipeline.Source, len(src))
	for i, s := range src {
		srcs[i] = s
	}
	sink := &memio.Sink{}
	if _, err := pipeline.Run(context.Background(), srcs, sink, pipeline.Options{Stages: []pipeline.Stage{st}, Workers: workers, BatchRecords: 2}); err != nil {
		t.Fatal(err)
	}
	return sink
}

func TestExactDedup(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		kept  []string
	}{
		{"unique texts kept", []string{"one text", "another text"}, []string{"0", "1"}},
		{"identical copy removed, first kept", []string{"same words here", "other", "same words here"}, []string{"0", "1"}},
		{"case, accents, punctuation and digits fold", []string{"Café opened in 2019!", "cafe OPENED in 1987", "cafe opened on 2019"}, []string{"0", "2"}},
		{"white space folds", []string{"a  b\n\nc", " a b c "}, []string{"0"}},
		{"texts without words are left alone", []string{"", "...", ""}, []string{"0", "1", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := New("first", false)
			if err != nil {
				t.Fatal(err)
			}
			sink := run(t, st, 2, memio.Texts("a", tt.texts...))
			if got := sink.IDs(); !slices.Equal(got, tt.kept) {
				t.Errorf("kept %v, want %v", got, tt.kept)
			}
			for _, r := range sink.Rejected {
				if r.Reason != "exact_dedup.duplicate" {
					t.Errorf("reason %q", r.Reason)
				}
			}
		})
	}
}

func TestTagAndKeep(t *testing.T) {
	src := &memio.Source{Path: "a", Docs: []pipeline.Document{
		{ID: "a", Text: "x y z", Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Lang: "en"},
		{ID: "b", Text: "X Y Z", Date: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Lang: "de"},
	}}
	st, _ := New("most_recent", false)
	if got := run(t, st, 1, src).IDs(); !slices.Equal(got, []string{"b"}) {
		t.Errorf("most_recent kept %v", got)
	}
	st, _ = New("first", true)
	if got := run(t, st, 1, src).IDs(); len(got) != 2 {
		t.Errorf("per_language kept %v", got)
	}
	if _, err := New("newest", false); err == nil {
		t.Error("bad keep accepted")
	}
}

// TestDeterministic: the kept set depends neither on worker count nor on
// how records are batched, and nothing is lost.
func TestDeterministic(t *testing.T) {
	var files []*memio.Source
	n := 0
	for f := range 3 {
		var texts []string
		for i := range 200 {
			texts = append(texts, fmt.Sprintf("text %s %d", strings.Repeat("w", (i*7+f)%13), (i*31+f)%17))
			n++
		}
		files = append(files, memio.Texts(fmt.Sprintf("f%d", f), texts...))
	}
	var ref []string
	for _, w := range []int{1, 3} {
		st, _ := New("first", false)
		sink := run(t, st, w, files...)
		if len(sink.Kept)+len(sink.Rejected) != n {
			t.Fatalf("lost documents")
		}
		got := sink.IDs()
		if ref == nil {
			ref = got
		} else if !slices.Equal(got, ref) {
			t.Errorf("workers=%d differ", w)
		}
	}
}
