package output_test

import (
	"fmt"
	"log"
	"os"

	"github.com/winnow-data/winnow/pipeline"
	"github.com/winnow-data/winnow/pipeline/output"
)

// Example writes kept documents by language, and a rejected one, as
// Parquet shards; they appear when Close commits them.
func Example() {
	dir, err := os.MkdirTemp("", "winnow-output")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := output.New(dir, output.Options{Rejected: true})
	if err != nil {
		log.Fatal(err)
	}
	kept := []*pipeline.Document{
		{ID: "1", Text: "The quick brown fox.", Lang: "en", LangScore: 0.98, Source: "in.jsonl#0"},
		{ID: "2", Text: "Le renard brun.", Lang: "fr", LangScore: 0.95, Source: "in.jsonl#1"},
		{ID: "3", Text: "Jumps over the dog.", Lang: "en", LangScore: 0.97, Source: "in.jsonl#2",
			Fields: []pipeline.Field{{Name: "meta", Value: []byte(`{"stars": 5}`)}}},
	}
	if err := w.Write(kept); err != nil {
		log.Fatal(err)
	}
	spam := []*pipeline.Document{{ID: "4", Text: "buy buy buy", Source: "in.jsonl#3"}}
	if err := w.Reject(spam, []string{"gopher_repetition.top_2gram"}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		w.Abort()
		log.Fatal(err)
	}
	for _, f := range w.Files() {
		fmt.Println(f.Path, f.Rows)
	}
	// Output:
	// lang=en/part-00000-00000.parquet 2
	// lang=fr/part-00000-00000.parquet 1
	// rejected/part-00000-00000.parquet 1
}
