package kloutliers

import (
	"context"
	"iter"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

type docsSource []*pipeline.Document

func (s docsSource) Name() string { return "mem" }
func (s docsSource) Size() int64  { return -1 }
func (s docsSource) Records(context.Context) iter.Seq2[pipeline.Record, error] {
	return func(yield func(pipeline.Record, error) bool) {
		for i, d := range s {
			if !yield(pipeline.Record{Index: int64(i), Doc: d}, nil) {
				return
			}
		}
	}
}

type countSink struct {
	kept     int
	rejected map[string]int
}

func (s *countSink) Write(docs []*pipeline.Document) error { s.kept += len(docs); return nil }
func (s *countSink) Reject(_ []*pipeline.Document, reasons []string) error {
	for _, r := range reasons {
		s.rejected[r]++
	}
	return nil
}
func (s *countSink) Close() error { return nil }
func (s *countSink) Abort() error { return nil }

// TestRunWithPreparatoryPass runs the stage through the engine: the
// preparatory pass builds the reference, saves it, and the main pass drops
// the stuffed documents only.
func TestRunWithPreparatoryPass(t *testing.T) {
	docs := corpus(1, "en", "w", 400)
	for range 3 {
		docs = append(docs, &pipeline.Document{Lang: "en", Text: strings.Repeat("w15000 w2 ", 60)})
	}
	saved := filepath.Join(t.TempDir(), "ref.bin")
	spec, ok := pipeline.Lookup(Name)
	if !ok || spec.Default {
		t.Fatalf("spec %+v", spec)
	}
	params, err := spec.NewParams(map[string]any{"save_reference": saved, "sketch_width": 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	st, err := spec.New(params)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(pipeline.Preparer); !ok {
		t.Fatal("stage without reference is not a Preparer")
	}
	sink := &countSink{rejected: map[string]int{}}
	if _, err := pipeline.Run(context.Background(), []pipeline.Source{docsSource(docs)}, sink, pipeline.Options{Stages: []pipeline.Stage{st}, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if sink.kept != 400 || sink.rejected[Name+"."+ReasonHighKL] != 3 {
		t.Errorf("kept %d, rejected %v", sink.kept, sink.rejected)
	}
	// The saved reference gives a stage without a preparatory pass.
	params, _ = spec.NewParams(map[string]any{"reference": saved})
	st2, err := spec.New(params)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st2.(pipeline.Preparer); ok {
		t.Error("stage with a reference file still asks for a preparatory pass")
	}
}
